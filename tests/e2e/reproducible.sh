#!/usr/bin/env bash
# The fixture images are byte-reproducible: a second build is identical.
. "$(dirname "$0")/lib.sh"
ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 "$SRCDIR/fixtures/build-images" "$T/again" "$TOOLDIR" >/dev/null || fail "second fixture build"
(cd "$FIXTURES" && find . -type f \( -name '*.raw' -o -name '*.E0*' -o -name '*.00*' -o -name '*.bin' \) | sort | xargs sha256sum) >"$T/a"
(cd "$T/again" && find . -type f \( -name '*.raw' -o -name '*.E0*' -o -name '*.00*' -o -name '*.bin' \) | sort | xargs sha256sum) >"$T/b"
[ -s "$T/a" ] || fail "no images found"
diff -u "$T/a" "$T/b" >&2 || fail "images differ between two builds"
finish

#!/usr/bin/env bash
# The coordinator links libtsk/libewf and no libyal parser; the worker links
# the parsers and never libtsk/libewf (docs/architecture.md, "Why two
# executables").
. "$(dirname "$0")/lib.sh"
need readelf
needed() { readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
main=$(needed "$TOOLMARK")
worker=$(needed "$TOOLMARK_PARSE")
assert_contains "$main" "libtsk" "toolmark links libtsk"
for lib in libevtx libregf libscca libfwevt libbfio libvshadow; do
  assert_not_contains "$main" "$lib" "toolmark must not link $lib"
done
for lib in libevtx; do assert_contains "$worker" "$lib" "toolmark-parse links $lib"; done
for lib in libtsk libewf; do assert_not_contains "$worker" "$lib" "toolmark-parse must not link $lib"; done
# Nor indirectly: the whole dependency closure of the worker.
closure=$(ldd "$TOOLMARK_PARSE")
assert_not_contains "$closure" "libewf" "toolmark-parse loads libewf indirectly"
finish

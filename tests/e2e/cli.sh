#!/usr/bin/env bash
# Command line: help, version, usage errors and exit codes.
. "$(dirname "$0")/lib.sh"

tm --help; assert_eq "$RC" 0 "--help"; assert_contains "$OUT" "artifacts" "--help lists commands"
tm --version; assert_eq "$RC" 0 "--version"; assert_contains "$OUT" "toolmark " "--version"
tm; assert_eq "$RC" 2 "no command"
tm frobnicate; assert_eq "$RC" 2 "unknown command"; assert_contains "$ERR" "unknown command" "unknown command message"
tm artifacts; assert_eq "$RC" 2 "artifacts without input"; assert_contains "$ERR" "no INPUT" "message"
tm artifacts --bogus "$FIXTURES/bare.raw"; assert_eq "$RC" 2 "unknown option"
tm artifacts --help; assert_eq "$RC" 0 "artifacts --help"; assert_contains "$OUT" "--json" "artifacts help"
tm extract "$FIXTURES/bare.raw"; assert_eq "$RC" 2 "extract without -o"; assert_contains "$ERR" "-o DIR" "message"
tm dump --kind bogus "$FIXTURES/bare.raw"; assert_eq "$RC" 2 "dump unknown kind"
tm dump -j 0 "$FIXTURES/bare.raw"; assert_eq "$RC" 2 "dump -j 0"

# extract refuses a non-empty directory unless forced.
mkdir -p "$T/full"; echo x >"$T/full/keep"
tm extract -o "$T/full" "$FIXTURES/bare.raw"
assert_eq "$RC" 2 "extract into non-empty dir"; assert_contains "$ERR" "not empty" "message"
tm extract --force -o "$T/full" "$FIXTURES/bare.raw"
assert_eq "$RC" 0 "extract --force"; [ -f "$T/full/keep" ] || fail "--force removed an existing file"
[ -f "$T/full/manifest.csv" ] || fail "--force wrote no manifest"

# extract never writes inside an input folder.
cp -r "$FIXTURES/loose" "$T/evidence"
tm extract -o "$T/evidence/out" "$T/evidence"
assert_eq "$RC" 2 "extract into the input folder"; [ ! -e "$T/evidence/out" ] || fail "output created inside evidence"
# ... nor through a ".." after a folder that does not exist yet
cd "$T"
tm extract -o nosuch2/../evidence/x evidence
cd - >/dev/null
assert_eq "$RC" 2 "extract -o nosuch/../evidence/x"; [ ! -e "$T/evidence/x" ] || fail "extract wrote into evidence via .."
[ ! -e "$T/nosuch2" ] || fail "extract created a folder before refusing"
finish

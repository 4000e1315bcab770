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
# The lists in the help come from the tables: every output format, every parsed kind.
tm scan --help; assert_eq "$RC" 0 "scan --help"
for f in jsonl csv l2tcsv body summary html errors events; do assert_contains "$OUT" " $f," "scan --help lists format $f"; done
[ -z "$(printf '%s\n' "$OUT" | awk 'length > 79')" ] || fail "scan --help has lines over 79 columns"
tm dump --help; assert_eq "$RC" 0 "dump --help"
for k in evtx registry usn atjob task psreadline prefetch; do assert_contains "$OUT" " $k" "dump --help lists kind $k"; done
case $OUT in *registry-log*) fail "dump --help lists a kind that is not parsed" ;; esac
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
# ... nor through a link met after that "..", nor a dangling link into it
ln -s evidence "$T/evlink"
ln -s evidence/newdir "$T/dangling"
cd "$T"
tm extract -o nosuch2/../evlink/x evidence
assert_eq "$RC" 2 "extract -o nosuch/../LINK/x (LINK -> evidence)"
tm extract -o dangling evidence
assert_eq "$RC" 2 "extract -o a dangling link into evidence"
cd - >/dev/null
[ ! -e "$T/evidence/x" ] && [ ! -e "$T/evidence/newdir" ] || fail "extract wrote into evidence through a link"
# rules check: what loads, what is skipped and why, broken files by line
mkdir -p "$T/rules/sub"
cat >"$T/rules/good.yml" <<'Y'
title: Whoami run
id: 9c2f0a2e-0000-4000-8000-000000000001
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\whoami.exe'}
  condition: sel
level: low
Y
cat >"$T/rules/sub/linux.yml" <<'Y'
title: Linux thing
logsource: {product: linux, service: auditd}
detection:
  sel: {type: EXECVE}
  condition: sel
Y
printf 'title: broken\ndetection:\n  sel: [unclosed\n' >"$T/rules/sub/broken.yml"
tm rules check "$T/rules"
assert_eq "$RC" 1 "rules check: a broken file is an error"
assert_contains "$OUT" "1 rule loaded, 1 skipped, 1 error" "rules check counts"
assert_contains "$OUT" "skipped, log source: 1" "rules check skip reason"
assert_contains "$OUT" "broken.yml:" "rules check names the broken file"
tm rules check -v "$T/rules/good.yml" "$T/rules/sub/linux.yml"
assert_eq "$RC" 0 "rules check: skips are not errors"
assert_contains "$OUT" "linux.yml:2: skipped (log source)" "rules check -v lists skips with their line"
tm rules check "$T/nosuch"; assert_eq "$RC" 1 "rules check: unreadable path"
tm rules; assert_eq "$RC" 2 "rules without subcommand"
finish

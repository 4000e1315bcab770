#!/usr/bin/env bash
# toolmark plugins: the table, its tool ids against tools.json, and the
# classifier's command table against commands.json (both in ../shared:
# those parts skip when it is absent).
. "$(dirname "$0")/lib.sh"
need jq

tm plugins
assert_eq "$RC" 0 "plugins exit status"
assert_contains "$OUT" "psexec  [Command Execution]" "human listing"
assert_contains "$OUT" "consumes: program=psexec*" "subscriptions listed"
assert_contains "$OUT" "49 of the sheet's 49 tools" "every tool of the sheet has a plugin"
tm plugins --json
assert_eq "$RC" 0 "plugins --json"
printf '%s\n' "$OUT" >"$T/plugins.jsonl"
jq -e . "$T/plugins.jsonl" >/dev/null || fail "plugins --json is not JSON lines"
for p in psexec wmi tasks winrm beginx bits rdp pth netuse netuser wevtutil klist sdelete timestomp commands \
  pwdump mimikatz powersploit relay escalation kerberos addb adrecon; do
  assert_eq "$(jq -r --arg p "$p" 'select(.plugin==$p)|.plugin' "$T/plugins.jsonl")" "$p" "plugin $p listed"
  [ -f "$SRCDIR/plugins/$p.c" ] || fail "plugin $p has no file plugins/$p.c"
done
# every plugin consumes something, and no two plugins claim the same tool id
assert_eq "$(jq -r 'select((.consumes|length)==0)|.plugin' "$T/plugins.jsonl")" "" "plugins without subscriptions"
assert_eq "$(jq -r '.tools[]' "$T/plugins.jsonl" | sort | uniq -d)" "" "tool ids claimed twice"
tm plugins --bogus
assert_eq "$RC" 2 "unknown option"

ev="${SHARED:-}/evidence"
if ! { [ -n "${SHARED:-}" ] && [ -f "$ev/tools.json" ] && [ -f "$ev/commands.json" ]; }; then
  [ "$failures" -eq 0 ] || finish # report what failed above rather than a skip
  skip "../shared/evidence absent: tool ids not checked against tools.json"
fi

# A tool id is a tools.json id, or (for the classifier and at) a command of commands.json.
jq -r '.tools[].id' "$ev/tools.json" | sort >"$T/ids"
jq -r '.phases[].commands[].command' "$ev/commands.json" | sort >"$T/commands"
jq -r '.tools[]' "$T/plugins.jsonl" | sort -u >"$T/ours"
unknown=$(comm -23 "$T/ours" <(sort -u "$T/ids" "$T/commands"))
assert_eq "$unknown" "" "tool ids that are neither tools.json ids nor commands"
# plugins other than the classifier report tools.json ids (at: the command)
other=$(jq -r 'select(.plugin!="commands")|.tools[]' "$T/plugins.jsonl" | sort -u | comm -23 - "$T/ids")
assert_eq "$other" "at" "non-classifier tool ids outside tools.json"
# every tools.json id has a plugin: 49 of 49
missing=$(comm -13 <(jq -r 'select(.plugin!="commands")|.tools[]' "$T/plugins.jsonl" | sort -u) "$T/ids")
assert_eq "$missing" "" "tools.json ids without a plugin"
# a tool plugin's category is the sheet's category of one of its tools
# (traces carry each tool's own category: checked in mitre_samples.sh)
while IFS=$'\t' read -r plugin cat; do
  ok=$(jq -r --arg p "$plugin" --arg c "$cat" 'select(.plugin==$p)|.tools[]' "$T/plugins.jsonl" |
    while read -r id; do jq -r --arg id "$id" '.tools[]|select(.id==$id)|.category' "$ev/tools.json"; done | grep -cxF "$cat")
  # the classifier and the activity-only plugins (no tool of their own) have none
  ntools=$(jq -r --arg p "$plugin" 'select(.plugin==$p)|.tools|length' "$T/plugins.jsonl")
  [ "$ok" -gt 0 ] || [ "$plugin" == commands ] || [ "$ntools" -eq 0 ] || fail "category '$cat' of plugin $plugin is none of its tools' categories"
done < <(jq -r '[.plugin, .category]|@tsv' "$T/plugins.jsonl")

# The command table is commands.json.
tm plugins --commands
assert_eq "$RC" 0 "plugins --commands"
got=$(printf '%s\n' "$OUT" | jq -r '[.command,.phase,.rank,.count,(.tool_sheet//"-")]|@tsv')
want=$(jq -r '.phases[].commands[]|[.command,.phase,.rank,(.count//0),(.tool_sheet//"-")]|@tsv' "$ev/commands.json")
assert_eq "$got" "$want" "command table = commands.json"

finish

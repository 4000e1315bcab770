# Coverage of the sheet by the plugins (tests/e2e/coverage.sh).
# Input: tools.json. $plugins: `toolmark plugins --json` objects.
# Output: TSV lines tool, role, kind, item, matched|unmatched, by-plugin.
def norm: ascii_downcase | gsub("\\[[^\\]]*\\]"; "*");
def glob2re: ascii_downcase | gsub("(?<c>[.+?()|{}^$\\\\])"; "\\\(.c)") | gsub("\\*"; ".*") | "^" + . + "$";
# Events the pipeline turns into executions: any plugin with program subscriptions consumes them.
def execevents: ["Security:4688", "Security:4689", "Microsoft-Windows-Sysmon/Operational:1",
  "Microsoft-Windows-Sysmon/Operational:5", "Microsoft-Windows-PowerShell/Operational:4103",
  "Microsoft-Windows-PowerShell/Operational:4104", "System:7045"];
def plugins_of($tool): [$plugins[] | select(.tools | index($tool))];
# Registry items by what they name, and the subscription type that reads them.
def regmap: [["sysinternals", "registry-fact"], ["terminal server client", "registry-fact"],
  ["taskcache", "registry-fact"], ["firewallrules", "registry-key"], ["appcompatflags", "registry-fact"],
  [".sdb\\displayname", "registry-fact"], [".sdb\\uninstallstring", "registry-fact"]];
def hit($kind; $item):
  .consumes as $s
  | if $kind == "event" and ($item | startswith("[")) then
      # "[Cleared Event Log Name]:104": any channel
      ($item | split(":") | last) as $id | ($s | any(.type == "event" and (.match | endswith(":" + $id))))
    elif $kind == "event" then
      ($s | any(.type == "event" and (.match == $item or .match == ($item | split(":")[0])))) or
      ((execevents | index($item)) != null and ($s | any(.type == "program")))
    elif $kind == "prefetch" then ($s | any(.type == "program"))
    elif $kind == "usn" then
      ($item | norm) as $i
      | ($s | any(. as $x | $x.type == "usn" and
                   (($i | test($x.match | glob2re)) or ($x.match | ascii_downcase | test($i | glob2re)))))
    else
      ($item | ascii_downcase) as $i
      | ($s | any(.type as $t | regmap | any(. as $m | ($i | contains($m[0])) and $t == $m[1])))
    end;
.tools[] | .id as $tool | .summary | to_entries[] | .key as $role | .value as $v
| ( ($v.main_events + $v.default_events | unique | map({kind: "event", item: .})) +
    ($v.prefetch | map({kind: "prefetch", item: .})) + ($v.registry_main | map({kind: "registry", item: .})) +
    ($v.usn_main | map({kind: "usn", item: .})) )[]
| . as $e
| [plugins_of($tool)[] | select(hit($e.kind; $e.item)) | .plugin] as $by
| [$tool, $role, $e.kind, $e.item, (if ($by | length) > 0 then "matched" else "unmatched" end), ($by | join(","))]
| @tsv

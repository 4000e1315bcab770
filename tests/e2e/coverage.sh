#!/usr/bin/env bash
# Coverage of the sheet (../shared/evidence/tools.json): every main-section
# evidence item of every tool and role has a plugin that consumes it, or a
# written reason in docs/coverage.md. Prints the 49 tools x roles x kinds
# table.
. "$(dirname "$0")/lib.sh"
need jq
ev="${SHARED:-}/evidence/tools.json"
[ -n "${SHARED:-}" ] && [ -f "$ev" ] || skip "../shared/evidence absent"

tm plugins --json
assert_eq "$RC" 0 "plugins --json"
printf '%s\n' "$OUT" >"$T/plugins.jsonl"
jq -r --slurpfile plugins "$T/plugins.jsonl" -f "$SRCDIR/tests/e2e/coverage.jq" "$ev" >"$T/items"
[ -s "$T/items" ] || fail "no evidence items computed"

# reasons: the table rows of docs/coverage.md's last section
awk '/^## Items not matched/{on=1; next} on && /^\| / && !/^\| tool / && !/^\|---/' "$SRCDIR/docs/coverage.md" |
  awk -F' \\| ' '{gsub(/^\| /, "", $1); print $1 "\t" $2 "\t" $3}' >"$T/reasons"
[ -s "$T/reasons" ] || fail "no reasons parsed from docs/coverage.md"

# an unmatched item needs a reason row: tool and role equal or *, evidence
# equal, or ~substring (case-insensitive)
awk -F'\t' 'NR == FNR { rt[NR] = $1; rr[NR] = $2; re[NR] = $3; n = NR; next }
  $5 == "unmatched" {
    ok = 0
    for (i = 1; i <= n && !ok; i++) {
      if ((rt[i] == "*" || rt[i] == $1) && (rr[i] == "*" || rr[i] == $2)) {
        if (substr(re[i], 1, 1) == "~") ok = index(tolower($4), tolower(substr(re[i], 2))) > 0
        else ok = (re[i] == $4)
      }
    }
    if (!ok) print $1 " / " $2 " / " $3 ": " $4
  }' "$T/reasons" "$T/items" >"$T/unexplained"
[ -s "$T/unexplained" ] && fail "evidence items with neither a matcher nor a reason in docs/coverage.md:
$(cat "$T/unexplained")"

# the table
echo "coverage: matched/total evidence items per tool and role (event, prefetch, registry, usn)"
awk -F'\t' '{ k = $1 "\t" $2; keys[k] = 1; tot[k, $3]++; if ($5 == "matched") m[k, $3]++ }
  END { for (k in keys) { split(k, a, "\t"); line = sprintf("  %-34s %-18s", a[1], a[2])
          split("event prefetch registry usn", kinds, " ")
          for (j = 1; j <= 4; j++) { t = tot[k, kinds[j]] + 0; line = line sprintf(" %8s", t ? (m[k, kinds[j]] + 0) "/" t : "-") }
          print line } }' "$T/items" | sort
printf '  %s items, %s matched, %s explained in docs/coverage.md\n' "$(wc -l <"$T/items")" \
  "$(grep -c $'\tmatched\t' "$T/items")" "$(grep -c $'\tunmatched\t' "$T/items")"
# every tool of the sheet is in the table
assert_eq "$(cut -f1 "$T/items" | sort -u | wc -l)" "$(jq '.tools|length' "$ev")" "tools in the coverage table"
finish

/* report.html: one self-contained page per input for the examiner (no
 * scripts, fonts or anything fetched; inline CSS and SVG). The markup is
 * well-formed XML (every element closed, every evidence string escaped), so
 * a command line holding "<script>" shows as text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/shared.h"
#include "util/msg.h"
#include "util/text.h"
#include "util/timeutil.h"

void tm_html_escape(tm_buf *b, const char *s)
{
    tm_put_escaped(b, s ? s : "", s ? strlen(s) : 0, &tm_escapes_html);
}

static void esc(tm_buf *b, const char *s)
{
    tm_html_escape(b, s);
}

static void td(tm_buf *b, const char *s)
{
    tm_buf_puts(b, "<td>");
    esc(b, s ? s : "");
    tm_buf_puts(b, "</td>");
}

static void time_cell(tm_buf *b, int64_t t)
{
    char iso[TM_TIME_ISO_LEN];
    if (t == TM_TIME_NONE) {
        td(b, "unknown");
        return;
    }
    tm_time_iso(t, iso);
    iso[19] = 0; /* seconds are enough to read; the files have microseconds */
    iso[10] = ' ';
    td(b, iso);
}

static const char css[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;"
    "border-bottom:1px solid #ccc}table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
    "td,th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;text-align:left}th{background:#f3f3f3}"
    ".confirmed{color:#0a6b0a;font-weight:bold}.indicator{color:#8a5a00}.no{color:#a00}.yes{color:#0a6b0a}"
    ".ev{font-family:monospace;font-size:.9em;color:#555}.small{font-size:.85em;color:#555}"
    "code{font-size:.9em;word-break:break-all}";

static void header(tm_buf *b, const tm_report *r)
{
    tm_buf_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
                   "<meta charset=\"utf-8\"/><title>toolmark: ");
    esc(b, r->in->id);
    tm_buf_printf(b, "</title><style>%s</style></head><body>\n<h1>toolmark report: ", css);
    esc(b, r->host ? r->host : r->in->id);
    tm_buf_puts(b, "</h1>\n<p class=\"small\">Input <code>");
    esc(b, r->in->path);
    tm_buf_puts(b, "</code> (");
    esc(b, r->in->format);
    tm_buf_printf(b, ", %zu volume%s, %zu artifact%s). toolmark %s", r->in->nvols, TM_PLURAL(r->in->nvols),
                  r->in->narts, TM_PLURAL(r->in->narts), TM_VERSION);
    if (r->options && *r->options) {
        tm_buf_puts(b, ", options <code>");
        esc(b, r->options);
        tm_buf_puts(b, "</code>");
    }
    size_t confirmed = 0;
    for (size_t i = 0; i < r->traces->n; i++)
        confirmed += r->traces->t[i].confirmed;
    size_t nerr = r->errors ? r->errors->n : 0;
    tm_buf_printf(b, ". %zu trace%s, %zu confirmed, %zu error%s.</p>\n", r->traces->n, TM_PLURAL(r->traces->n),
                  confirmed, nerr, TM_PLURAL(nerr));
}

/* One table of found()'s tallies: the attributed tools (named) or the
 * activities whose tool is not recorded. */
static void found_table(tm_buf *b, const tm_report *r, const tm_tool_tally *f, size_t nf, bool named)
{
    tm_buf_printf(b, "<table><tr><th>%s</th><th>role</th><th>first</th><th>last</th><th>traces</th>"
                     "<th>%s</th><th>what it rests on (first trace)</th></tr>\n",
                  named ? "tool" : "activity", named ? "confidence" : "tools it fits");
    for (size_t i = 0; i < nf; i++) {
        if ((f[i].tool != NULL) != named)
            continue;
        const tm_trace *t = &r->traces->t[f[i].first_index];
        tm_buf_puts(b, "<tr>");
        td(b, named ? f[i].tool : f[i].activity);
        td(b, tm_role_name(f[i].role));
        time_cell(b, f[i].first);
        time_cell(b, f[i].last);
        if (named) {
            tm_buf_printf(b, "<td>%zu</td><td class=\"%s\">%zu confirmed</td><td>", f[i].n,
                          f[i].confirmed ? "confirmed" : "indicator", f[i].confirmed);
        } else {
            tm_buf cand;
            tm_buf_init(&cand);
            tm_trace_candidates_text(&cand, t);
            tm_buf_printf(b, "<td>%zu</td>", f[i].n);
            td(b, cand.len ? tm_buf_cstr(&cand) : "none of the sheet's tools");
            tm_buf_free(&cand);
            tm_buf_puts(b, "<td>");
        }
        esc(b, t->message);
        tm_buf_puts(b, "<br/><span class=\"ev\">");
        for (size_t e = 0; e < t->nev && e < 6; e++) {
            if (e)
                tm_buf_puts(b, "<br/>");
            esc(b, t->ev[e].summary);
        }
        size_t total = t->evidence_total > t->nev ? t->evidence_total : t->nev;
        if (total > 6)
            tm_buf_printf(b, "<br/>... %zu more", total - 6);
        tm_buf_puts(b, "</span></td></tr>\n");
    }
    tm_buf_puts(b, "</table>\n");
}

static void found(tm_buf *b, const tm_report *r, tm_tool_tally *f, size_t nf)
{
    size_t named = 0;
    for (size_t i = 0; i < nf; i++)
        named += f[i].tool != NULL;
    tm_buf_puts(b, "<h2>Tools found</h2>\n");
    if (!named)
        tm_buf_puts(b, "<p>No record names one of the tools toolmark knows. What that is worth here depends on the "
                       "evidence that was available: see <a href=\"#coverage\">coverage</a>.</p>\n");
    else
        found_table(b, r, f, nf, true);
    if (named < nf) {
        tm_buf_puts(b, "<h2>Activities, tool not recorded</h2>\n<p>What the records show happened where they do not "
                       "say which tool did it, with the tools of the sheet it fits.</p>\n");
        found_table(b, r, f, nf, false);
    }
}

/* A dot per trace on a time axis, a row per tool and role. */
static void chart(tm_buf *b, const tm_report *r, tm_tool_tally *f, size_t nf, const size_t *which)
{
    int64_t lo = TM_TIME_NONE, hi = TM_TIME_NONE;
    for (size_t i = 0; i < r->traces->n; i++) {
        int64_t t = r->traces->t[i].time;
        if (t == TM_TIME_NONE)
            continue;
        if (lo == TM_TIME_NONE || t < lo)
            lo = t;
        if (hi == TM_TIME_NONE || t > hi)
            hi = t;
    }
    if (lo == TM_TIME_NONE || !nf)
        return;
    const int left = 260, width = 640, row = 18, top = 24;
    int height = top + (int)nf * row + 10;
    tm_buf_puts(b, "<h2>Time chart</h2>\n");
    tm_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\" "
                     "font-family=\"sans-serif\">",
                  left + width + 20, height);
    char a[TM_TIME_ISO_LEN], z[TM_TIME_ISO_LEN];
    tm_time_iso(lo, a);
    tm_time_iso(hi, z);
    tm_buf_printf(b, "<text x=\"%d\" y=\"14\">%.19s</text><text x=\"%d\" y=\"14\" text-anchor=\"end\">%.19s</text>",
                  left, a, left + width, z);
    double span = hi > lo ? (double)(hi - lo) : 1.0;
    /* the traces of each row, in trace order (a counting sort by tally) */
    size_t *start = tm_xcalloc(nf + 1, sizeof *start), *order = tm_xmalloc((r->traces->n ? r->traces->n : 1) * sizeof *order);
    for (size_t i = 0; i < r->traces->n; i++)
        start[which[i] + 1]++;
    for (size_t k = 0; k < nf; k++)
        start[k + 1] += start[k];
    size_t *fill = tm_xcalloc(nf ? nf : 1, sizeof *fill);
    for (size_t i = 0; i < r->traces->n; i++)
        order[start[which[i]] + fill[which[i]]++] = i;
    free(fill);
    for (size_t k = 0; k < nf; k++) {
        int y = top + (int)k * row;
        tm_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + 12);
        if (f[k].tool)
            esc(b, f[k].tool);
        else {
            esc(b, f[k].activity);
            tm_buf_puts(b, "*");
        }
        tm_buf_printf(b, " (%s)</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>",
                      tm_role_name(f[k].role), left, y + 8, left + width, y + 8);
        for (size_t j = start[k]; j < start[k + 1]; j++) {
            const tm_trace *t = &r->traces->t[order[j]];
            if (t->time == TM_TIME_NONE)
                continue;
            int x = left + (int)((double)(t->time - lo) / span * width);
            tm_buf_printf(b, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\" stroke=\"#0a6b0a\"><title>", x, y + 8,
                          t->confirmed ? "#0a6b0a" : "white");
            esc(b, t->message);
            tm_buf_puts(b, "</title></circle>");
        }
    }
    free(start);
    free(order);
    tm_buf_puts(b, "</svg>\n<p class=\"small\">Filled: confirmed; hollow: indicator; *: activity, tool not recorded.</p>\n");
}

static void phases(tm_buf *b, const tm_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->traces->n; i++)
        n += r->traces->t[i].phase != NULL;
    tm_buf_puts(b, "<h2>Commands by phase</h2>\n");
    if (!n) {
        tm_buf_puts(b, "<p>No command of the attackers' usual set was recorded.</p>\n");
        return;
    }
    static const char *const order[] = {"initial investigation", "reconnaissance", "spread of infection",
                                        "deleting evidence"};
    tm_buf_puts(b, "<table><tr><th>phase</th><th>time</th><th>command</th><th>user</th><th>command line</th></tr>\n");
    for (size_t p = 0; p < 4; p++)
        for (size_t i = 0; i < r->traces->n; i++) {
            const tm_trace *t = &r->traces->t[i];
            if (!t->phase || strcmp(t->phase, order[p]) != 0)
                continue;
            tm_buf_puts(b, "<tr>");
            td(b, t->phase);
            time_cell(b, t->time);
            char who[200];
            td(b, tm_trace_who(t, who, sizeof who));
            td(b, t->user);
            tm_buf_puts(b, "<td><code>");
            esc(b, t->command_line);
            tm_buf_puts(b, "</code></td></tr>\n");
        }
    tm_buf_puts(b, "</table>\n");
}

static void all_traces(tm_buf *b, const tm_report *r)
{
    tm_buf_puts(b, "<h2>All traces</h2>\n<table><tr><th>time</th><th>tool</th><th>role</th><th>confidence</th>"
                   "<th>user</th><th>peer</th><th>what</th><th>evidence</th></tr>\n");
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        tm_buf_puts(b, "<tr>");
        time_cell(b, t->time);
        char who[200];
        td(b, tm_trace_who(t, who, sizeof who));
        td(b, tm_role_name(t->role));
        tm_buf_printf(b, "<td class=\"%s\">", t->confirmed ? "confirmed" : "indicator");
        tm_buf_puts(b, t->confirmed ? "confirmed" : "indicator");
        tm_buf_puts(b, "<br/><span class=\"small\">");
        esc(b, t->reason);
        tm_buf_puts(b, "</span></td>");
        td(b, t->user);
        td(b, t->peer);
        tm_buf_puts(b, "<td>");
        esc(b, t->message);
        if (t->command_line) {
            tm_buf_puts(b, "<br/><code>");
            esc(b, t->command_line);
            tm_buf_puts(b, "</code>");
        }
        tm_buf_puts(b, "</td><td class=\"ev\">");
        for (size_t e = 0; e < t->nev; e++) {
            const tm_evidence *ev = &t->ev[e];
            if (e)
                tm_buf_puts(b, "<br/>");
            esc(b, ev->kind);
            tm_buf_puts(b, " ");
            esc(b, ev->path);
            tm_buf_printf(b, " #%llu", (unsigned long long)ev->record);
            if (ev->event_id)
                tm_buf_printf(b, " (%u)", ev->event_id);
            tm_buf_puts(b, ": ");
            esc(b, ev->summary);
        }
        if (t->evidence_total > t->nev)
            tm_buf_printf(b, "<br/>... and %zu more records", t->evidence_total - t->nev);
        tm_buf_puts(b, "</td></tr>\n");
    }
    tm_buf_puts(b, "</table>\n");
}

/* The Sigma rules that matched, by level (critical first): one row per rule. */
static void sigma(tm_buf *b, const tm_report *r)
{
    tm_rule_tally *v;
    size_t n = tm_tally_rules(r->traces, &v);
    if (n) {
        tm_buf_puts(b, "<h2>Sigma detections</h2>\n<p>Single-event rules (toolmark's own and those given with "
                       "<code>--rules</code>) that matched; each is an indicator to read in its records.</p>\n");
        for (int l = 4; l >= -1; l--) {
            size_t count = 0;
            for (size_t k = 0; k < n; k++)
                count += v[k].level == l;
            if (!count)
                continue;
            tm_buf_printf(b, "<h3>%s</h3>\n<table><tr><th>first</th><th>last</th><th>rule</th><th>traces</th>"
                             "<th>records</th><th>example</th></tr>\n",
                          l >= 0 ? tm_rule_levels[l] : "no level");
            for (size_t k = 0; k < n; k++) {
                if (v[k].level != l)
                    continue;
                const tm_trace *t = &r->traces->t[v[k].first_index];
                tm_buf_puts(b, "<tr>");
                time_cell(b, v[k].first);
                time_cell(b, v[k].last);
                tm_buf_puts(b, "<td>");
                esc(b, v[k].rule->title);
                tm_buf_puts(b, "<br/><span class=\"small\">");
                esc(b, v[k].rule->id);
                tm_buf_puts(b, " by ");
                esc(b, v[k].rule->author ? v[k].rule->author : "unknown authors");
                tm_buf_printf(b, "</span></td><td>%zu</td><td>%zu</td><td class=\"ev\">", v[k].traces, v[k].records);
                esc(b, t->nev ? t->ev[0].summary : t->message);
                tm_buf_puts(b, "</td></tr>\n");
            }
            tm_buf_puts(b, "</table>\n");
        }
    }
    free(v);
}

static void coverage(tm_buf *b, const tm_report *r)
{
    tm_buf_puts(b, "<h2 id=\"coverage\">Coverage: what could be seen here</h2>\n");
    if (!r->coverage) {
        tm_buf_puts(b, "<p>Not computed.</p>\n");
        return;
    }
    tm_buf_puts(b, "<table><tr><th>source of evidence</th><th>here</th><th>why</th></tr>\n");
    for (int s = 0; s < TM_COV__COUNT; s++) {
        const char *why;
        bool on = tm_coverage_source(r->coverage, (tm_cov_source)s, &why);
        tm_buf_puts(b, "<tr>");
        td(b, tm_cov_name((tm_cov_source)s));
        tm_buf_printf(b, "<td class=\"%s\">%s</td>", on ? "yes" : "no", on ? "yes" : "no");
        td(b, why);
        tm_buf_puts(b, "</tr>\n");
    }
    tm_buf_puts(b, "</table>\n");
    const tm_log_window *logs;
    size_t nl = tm_coverage_logs(r->coverage, &logs);
    tm_buf_puts(b, "<p>Event logs: the window each covers. Outside it, no trace means nothing.</p>\n"
                   "<table><tr><th>channel</th><th>records</th><th>first</th><th>last</th><th>max size</th>"
                   "<th>cleared</th><th>gaps in record ids</th><th>unreadable</th></tr>\n");
    for (size_t i = 0; i < nl; i++) {
        const tm_log_window *l = &logs[i];
        tm_buf_puts(b, "<tr>");
        td(b, l->channel[0] ? l->channel : l->path);
        tm_buf_printf(b, "<td>%llu%s</td>", (unsigned long long)l->records, l->failed ? " (failed)" : "");
        time_cell(b, l->first);
        time_cell(b, l->last);
        if (l->max_size)
            tm_buf_printf(b, "<td>%llu MiB</td>", (unsigned long long)(l->max_size >> 20));
        else
            td(b, "?");
        tm_buf_printf(b, "<td class=\"%s\">%u</td><td>%llu (%llu ids)</td><td>%llu</td></tr>\n",
                      l->cleared ? "no" : "", l->cleared, (unsigned long long)l->id_gaps,
                      (unsigned long long)l->ids_missing, (unsigned long long)l->skipped);
    }
    tm_buf_puts(b, "</table>\n");
    const tm_tool_verdict *v;
    size_t nv = tm_coverage_verdicts(r->coverage, &v);
    tm_buf_puts(b, "<p>Per tool and role: detectable here from what, or why not.</p>\n<table><tr><th>tool</th>"
                   "<th>role</th><th>detectable</th><th>from</th><th>not available</th></tr>\n");
    for (size_t i = 0; i < nv; i++) {
        tm_buf_puts(b, "<tr>");
        td(b, v[i].tool);
        td(b, v[i].role);
        tm_buf_printf(b, "<td class=\"%s\">%s</td>", v[i].detectable ? "yes" : "no", v[i].detectable ? "yes" : "no");
        td(b, v[i].from);
        tm_buf_puts(b, "<td class=\"small\">");
        esc(b, v[i].missing);
        tm_buf_puts(b, "</td></tr>\n");
    }
    tm_buf_puts(b, "</table>\n");
}

static void errors(tm_buf *b, const tm_report *r)
{
    tm_buf_puts(b, "<h2>Errors</h2>\n");
    if (!r->errors || !r->errors->n) {
        tm_buf_puts(b, "<p>None: every artifact was read completely.</p>\n");
        return;
    }
    tm_buf_puts(b, "<table><tr><th>where</th><th>position</th><th>message</th></tr>\n");
    for (size_t i = 0; i < r->errors->n; i++) {
        const tm_error *e = &r->errors->e[i];
        tm_buf_puts(b, "<tr>");
        td(b, e->where);
        char pos[64];
        tm_pos_text(e->position_kind, e->position, pos, sizeof pos);
        td(b, pos);
        td(b, e->message);
        tm_buf_puts(b, "</tr>\n");
    }
    tm_buf_puts(b, "</table>\n");
}

static void write_html(tm_buf *b, const tm_report *r)
{
    tm_tool_tally *f;
    size_t *which = tm_xmalloc((r->traces->n ? r->traces->n : 1) * sizeof *which);
    size_t nf = tm_tally_tools(r->traces, &f, which);
    header(b, r);
    found(b, r, f, nf);
    chart(b, r, f, nf, which);
    phases(b, r);
    sigma(b, r);
    coverage(b, r);
    all_traces(b, r);
    errors(b, r);
    tm_buf_puts(b, "</body></html>\n");
    free(f);
    free(which);
}

const tm_output_format tm_format_html = {"html", "report.html", write_html, true};

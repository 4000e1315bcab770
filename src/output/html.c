/* report.html: one self-contained page per input for the examiner (no
 * scripts, fonts or anything fetched; inline CSS and SVG; a
 * Content-Security-Policy that allows nothing else). The markup is
 * well-formed XML (every element closed, every evidence string escaped), so
 * a command line holding "<script>" shows as text.
 *
 * It stays readable at scale: one row per tool or activity and role with
 * counts and first and last time, its traces in a collapsible list of at
 * most TRACES_PER_ROW; repeated commands as one row with their count; long
 * command lines cut, with the whole text one click away; the full list of
 * traces capped (the timeline files hold every one). Its size grows with the
 * number of distinct tools, activities and commands, not with the traces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/shared.h"
#include "util/msg.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/zone.h"

enum {
    TRACES_PER_ROW = 12,     /* traces listed under one tool or activity */
    EVIDENCE_PER_ROW = 4,    /* records shown for a row's first trace */
    COMMAND_ROWS = 400,      /* distinct commands in "Commands by phase" */
    ALL_TRACES_ROWS = 1000,  /* rows of "All traces" */
    LOG_ROWS = 200,          /* event logs in the coverage table */
    ERROR_ROWS = 200,        /* kinds of error */
    SHORT_TEXT = 200,        /* characters of a long text shown before the click */
    LONG_TEXT = 8192,        /* bytes of a long text kept on the page at all */
};

void tm_html_escape(tm_buf *b, const char *s)
{
    tm_put_escaped(b, s ? s : "", s ? strlen(s) : 0, &tm_escapes_html);
}

static void esc(tm_buf *b, const char *s)
{
    tm_html_escape(b, s);
}

static void escn(tm_buf *b, const char *s, size_t n)
{
    tm_put_escaped(b, s, n, &tm_escapes_html);
}

/* The bytes of s that hold at most max characters (whole UTF-8 sequences). */
static size_t chars_prefix(const char *s, size_t len, size_t max)
{
    size_t at = 0, chars = 0;
    while (at < len && chars < max) {
        size_t k = tm_utf8_seq_len((const unsigned char *)s + at, len - at);
        at += k ? k : 1;
        chars++;
    }
    return at;
}

/* A text that may be long (a command line, a base64 payload): shown whole
 * when short, else its start with the rest behind a click; past LONG_TEXT
 * bytes the page keeps only the start (the timeline files keep it all). */
static void long_text(tm_buf *b, const char *s, bool code)
{
    if (!s)
        return;
    size_t len = strlen(s);
    size_t shown = chars_prefix(s, len, SHORT_TEXT);
    const char *open = code ? "<code>" : "", *close = code ? "</code>" : "";
    if (shown >= len) {
        tm_buf_puts(b, open);
        esc(b, s);
        tm_buf_puts(b, close);
        return;
    }
    tm_buf_printf(b, "<details class=\"long\"><summary>%s", open);
    escn(b, s, shown);
    tm_buf_printf(b, "...%s <span class=\"small\">(%zu bytes)</span></summary>%s", close, len, open);
    size_t keep = len > LONG_TEXT ? chars_prefix(s, LONG_TEXT, LONG_TEXT) : len;
    escn(b, s, keep);
    tm_buf_puts(b, close);
    if (keep < len)
        tm_buf_printf(b, " <span class=\"small\">... %zu more bytes in traces.jsonl</span>", len - keep);
    tm_buf_puts(b, "</details>");
}

/* A text cut to max characters with "..." (lists inside a row, where the
 * whole text is one click away in the row above or in the files). */
static void short_text(tm_buf *b, const char *s, size_t max)
{
    if (!s)
        return;
    size_t len = strlen(s), shown = chars_prefix(s, len, max);
    escn(b, s, shown);
    if (shown < len)
        tm_buf_puts(b, "...");
}

static void td(tm_buf *b, const char *s)
{
    tm_buf_puts(b, "<td>");
    esc(b, s ? s : "");
    tm_buf_puts(b, "</td>");
}

static void time_cell(tm_buf *b, int64_t t)
{
    char s[40];
    if (t == TM_TIME_NONE) {
        td(b, "unknown");
        return;
    }
    tm_zone_short(t, s); /* seconds are enough to read; the zone is said once, on top */
    tm_buf_printf(b, "<td class=\"t\">%s</td>", s);
}

static const char css[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;"
    "border-bottom:1px solid #ccc}table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
    "td,th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;text-align:left;overflow-wrap:anywhere}"
    "th{background:#f3f3f3}td.t{white-space:nowrap;overflow-wrap:normal}"
    ".confirmed{color:#0a6b0a;font-weight:bold}.indicator{color:#8a5a00}.neutral{color:#555}.no{color:#a00}"
    ".yes{color:#0a6b0a}.ev{font-family:monospace;font-size:.9em;color:#555}.small{font-size:.85em;color:#555}"
    "code{font-size:.9em;word-break:break-all}details.long summary{cursor:pointer}details>summary{cursor:pointer}"
    ".num{text-align:right}";

static void header(tm_buf *b, const tm_report *r)
{
    tm_buf_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
                   "<meta charset=\"utf-8\"/>"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'\"/><title>toolmark: ");
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
    tm_buf_printf(b, ". %zu trace%s, %zu confirmed, %zu error%s. Times are in ", r->traces->n,
                  TM_PLURAL(r->traces->n), confirmed, nerr, TM_PLURAL(nerr));
    esc(b, tm_zone_name());
    tm_buf_puts(b, ".");
    if (r->run && (r->run->from != TM_TIME_NONE || r->run->to != TM_TIME_NONE)) {
        char a[40] = "the start", z[40] = "the end";
        if (r->run->from != TM_TIME_NONE)
            tm_zone_short(r->run->from, a);
        if (r->run->to != TM_TIME_NONE)
            tm_zone_short(r->run->to, z);
        tm_buf_printf(b, " Only traces from %s to %s (and those without a time); %zu outside left out.", a, z,
                      r->run->outside);
    }
    tm_buf_puts(b, "</p>\n");
}

/* The traces of each tally, in trace order: a counting sort by tally. */
typedef struct {
    size_t *start; /* nf + 1 */
    size_t *order;
} by_tally;

static void group_by_tally(const tm_report *r, size_t nf, const size_t *which, by_tally *g)
{
    size_t n = r->traces->n;
    g->start = tm_xcalloc(nf + 1, sizeof *g->start);
    g->order = tm_xmalloc((n ? n : 1) * sizeof *g->order);
    for (size_t i = 0; i < n; i++)
        g->start[which[i] + 1]++;
    for (size_t k = 0; k < nf; k++)
        g->start[k + 1] += g->start[k];
    size_t *fill = tm_xcalloc(nf ? nf : 1, sizeof *fill);
    for (size_t i = 0; i < n; i++)
        g->order[g->start[which[i]] + fill[which[i]]++] = i;
    free(fill);
}

static void confidence_cell(tm_buf *b, size_t confirmed, size_t n)
{
    if (confirmed == n)
        tm_buf_printf(b, "<td class=\"confirmed\">%s</td>", n == 1 ? "confirmed" : "all confirmed");
    else if (confirmed)
        tm_buf_printf(b, "<td class=\"confirmed\">%zu of %zu confirmed</td>", confirmed, n);
    else
        tm_buf_puts(b, "<td class=\"neutral\">indicator only</td>");
}

/* The traces of one row, behind a click. */
static void row_traces(tm_buf *b, const tm_report *r, const by_tally *g, size_t k)
{
    size_t n = g->start[k + 1] - g->start[k];
    tm_buf_printf(b, "<details><summary>%zu trace%s</summary><table><tr><th>time</th><th>confidence</th>"
                     "<th>user</th><th>peer</th><th>what</th></tr>",
                  n, TM_PLURAL(n));
    for (size_t j = g->start[k]; j < g->start[k + 1] && j - g->start[k] < TRACES_PER_ROW; j++) {
        const tm_trace *t = &r->traces->t[g->order[j]];
        tm_buf_puts(b, "<tr>");
        time_cell(b, t->time);
        tm_buf_printf(b, "<td class=\"%s\">%s</td>", t->confirmed ? "confirmed" : "neutral",
                      t->confirmed ? "confirmed" : "indicator");
        td(b, t->user);
        td(b, t->peer);
        tm_buf_puts(b, "<td>");
        short_text(b, t->message, 160);
        if (t->evidence_total > 1)
            tm_buf_printf(b, " <span class=\"small\">(%zu records)</span>", t->evidence_total);
        tm_buf_puts(b, "</td></tr>");
    }
    tm_buf_puts(b, "</table>");
    if (n > TRACES_PER_ROW)
        tm_buf_printf(b, "<p class=\"small\">... and %zu more in traces.jsonl and the other timeline files.</p>",
                      n - TRACES_PER_ROW);
    tm_buf_puts(b, "</details>");
}

/* One table of the tallies: the attributed tools (named) or the activities
 * whose tool is not recorded. */
static void found_table(tm_buf *b, const tm_report *r, const tm_tool_tally *f, size_t nf, const by_tally *g,
                        bool named)
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
        tm_buf_printf(b, "<td class=\"num\">%zu</td>", f[i].n);
        if (named) {
            confidence_cell(b, f[i].confirmed, f[i].n);
        } else {
            tm_buf cand;
            tm_buf_init(&cand);
            tm_trace_candidates_text(&cand, t);
            td(b, cand.len ? tm_buf_cstr(&cand) : "none of the sheet's tools");
            tm_buf_free(&cand);
        }
        tm_buf_puts(b, "<td>");
        long_text(b, t->message, false);
        tm_buf_puts(b, "<br/><span class=\"ev\">");
        for (size_t e = 0; e < t->nev && e < EVIDENCE_PER_ROW; e++) {
            if (e)
                tm_buf_puts(b, "<br/>");
            long_text(b, t->ev[e].summary, false);
        }
        size_t total = t->evidence_total > t->nev ? t->evidence_total : t->nev;
        if (total > EVIDENCE_PER_ROW)
            tm_buf_printf(b, "<br/>... %zu more records", total - EVIDENCE_PER_ROW);
        tm_buf_puts(b, "</span>");
        row_traces(b, r, g, i);
        tm_buf_puts(b, "</td></tr>\n");
    }
    tm_buf_puts(b, "</table>\n");
}

static void found(tm_buf *b, const tm_report *r, tm_tool_tally *f, size_t nf, const by_tally *g)
{
    size_t named = 0;
    for (size_t i = 0; i < nf; i++)
        named += f[i].tool != NULL;
    tm_buf_puts(b, "<h2>Tools found</h2>\n");
    if (!named)
        tm_buf_puts(b, "<p>No record names one of the tools toolmark knows. What that is worth here depends on the "
                       "evidence that was available: see <a href=\"#coverage\">coverage</a>.</p>\n");
    else
        found_table(b, r, f, nf, g, true);
    if (named < nf) {
        tm_buf_puts(b, "<h2>Activities, tool not recorded</h2>\n<p>What the records show happened where they do not "
                       "say which tool did it, with the tools of the sheet it fits.</p>\n");
        found_table(b, r, f, nf, g, false);
    }
}

/* ---- the time chart ------------------------------------------------------- */

/* A tick step for a span: the first of these that gives at most 8 ticks. */
static int64_t tick_step(int64_t span_s)
{
    static const int64_t steps[] = {1,     2,     5,      10,     15,     30,      60,      120,     300,
                                    600,   900,   1800,   3600,   7200,   10800,   21600,   43200,   86400,
                                    172800, 604800, 1209600, 2592000, 7776000, 15552000, 31536000};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span_s / steps[i] <= 8)
            return steps[i];
    int64_t years = span_s / 31536000 / 8 + 1;
    return years * 31536000;
}

/* The axis: ticks at round times of the display zone, each labelled with
 * its date (a day or more apart) or its time (and the date where it
 * changes). */
static void axis(tm_buf *b, int64_t lo, int64_t hi, int left, int width, int y0, int y1)
{
    int64_t lo_s = lo / 1000000, hi_s = (hi + 999999) / 1000000;
    if (hi_s <= lo_s)
        hi_s = lo_s + 1;
    int64_t step = tick_step(hi_s - lo_s);
    tm_local_time l0;
    tm_zone_local(lo, &l0);
    /* round in local time: the first multiple of step after lo (months and
     * years as 30 and 365 days: close enough for a tick) */
    int64_t local_lo = lo_s + l0.offset;
    int64_t first = (local_lo / step + (local_lo % step != 0)) * step - l0.offset;
    /* a month or more: ticks on the first of a month, every 1, 3, 6 or 12 months */
    int months = step >= 2592000 ? (int)(step / 2592000) : 0;
    int64_t ty = l0.year;
    unsigned tmo = l0.month;
    if (months) {
        months = months >= 12 ? (int)(step / 31536000) * 12 : months >= 6 ? 6 : months >= 3 ? 3 : 1;
        tmo = (unsigned)((((int)tmo - 1) / months + 1) * months) + 1; /* the next multiple after lo's month */
        while (tmo > 12) {
            tmo -= 12;
            ty++;
        }
        first = tm_days_from_civil(ty, tmo, 1) * 86400 - l0.offset;
    }
    char prev_date[16] = "";
    int n = 0;
    for (int64_t t = first; t <= hi_s && n < 14; n++) {
        int x = left + (int)((double)(t - lo_s) / (double)(hi_s - lo_s) * width);
        tm_local_time lt;
        tm_zone_local(t * 1000000, &lt);
        char date[16], clock[16], label[40];
        snprintf(date, sizeof date, "%04lld-%02u-%02u", (long long)lt.year, lt.month, lt.day);
        if (step < 60)
            snprintf(clock, sizeof clock, "%02u:%02u:%02u", lt.hour, lt.minute, lt.second);
        else
            snprintf(clock, sizeof clock, "%02u:%02u", lt.hour, lt.minute);
        if (months)
            snprintf(label, sizeof label, "%.7s", date);
        else if (step >= 86400)
            snprintf(label, sizeof label, "%s", date);
        else if (strcmp(date, prev_date) != 0)
            snprintf(label, sizeof label, "%s %s", date, clock);
        else
            snprintf(label, sizeof label, "%s", clock);
        snprintf(prev_date, sizeof prev_date, "%s", date);
        tm_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\"/>"
                         "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                      x, y0, x, y1, x, y0 - 4, label);
        if (months) {
            tmo += (unsigned)months;
            while (tmo > 12) {
                tmo -= 12;
                ty++;
            }
            t = tm_days_from_civil(ty, tmo, 1) * 86400 - l0.offset;
        } else {
            t += step;
        }
    }
}

/* A dot per trace on the time axis, a row per tool or activity and role.
 * Traces that fall on the same pixel are one dot, and dots a pixel or two
 * apart one stroke: each row is two SVG paths (confirmed, indicator) of
 * round-capped strokes, so the chart's size does not grow with the traces. */
static void row_path(tm_buf *b, const unsigned char *px, int width, unsigned char want, int left, int y,
                     const char *colour)
{
    bool any = false;
    for (int x = 0; x <= width;) {
        if (px[x] != want) {
            x++;
            continue;
        }
        int end = x;
        while (end + 1 <= width && (px[end + 1] == want || (end + 2 <= width && px[end + 2] == want)))
            end += px[end + 1] == want ? 1 : 2;
        if (!any)
            tm_buf_printf(b, "<path stroke=\"%s\" stroke-width=\"8\" stroke-linecap=\"round\" fill=\"none\" d=\"",
                          colour);
        tm_buf_printf(b, "M%d %dh%d", left + x, y, end - x);
        any = true;
        x = end + 1;
    }
    if (any)
        tm_buf_puts(b, "\"/>");
}

static void chart(tm_buf *b, const tm_report *r, tm_tool_tally *f, size_t nf, const by_tally *g)
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
    enum { LEFT = 280, WIDTH = 640, ROW = 18, TOP = 40 };
    int height = TOP + (int)nf * ROW + 10;
    tm_buf_puts(b, "<h2 id=\"chart\">Time chart</h2>\n");
    tm_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\" "
                     "font-family=\"sans-serif\">",
                  LEFT + WIDTH + 60, height);
    axis(b, lo, hi, LEFT, WIDTH, TOP - 8, height - 6);
    double span = hi > lo ? (double)(hi - lo) : 1.0;
    unsigned char *px = tm_xmalloc(WIDTH + 1); /* per pixel of a row: 0 none, 1 indicator, 2 confirmed */
    for (size_t k = 0; k < nf; k++) {
        int y = TOP + (int)k * ROW;
        tm_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LEFT - 8, y + 12);
        short_text(b, f[k].tool ? f[k].tool : f[k].activity, 40);
        tm_buf_printf(b, "%s (%s)</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>",
                      f[k].tool ? "" : "*", tm_role_name(f[k].role), LEFT, y + 8, LEFT + WIDTH, y + 8);
        memset(px, 0, WIDTH + 1);
        for (size_t j = g->start[k]; j < g->start[k + 1]; j++) {
            const tm_trace *t = &r->traces->t[g->order[j]];
            if (t->time == TM_TIME_NONE)
                continue;
            int x = (int)((double)(t->time - lo) / span * WIDTH);
            unsigned char v = t->confirmed ? 2 : 1;
            if (px[x] < v)
                px[x] = v;
        }
        row_path(b, px, WIDTH, 1, LEFT, y + 8, "#e0a040");
        row_path(b, px, WIDTH, 2, LEFT, y + 8, "#0a6b0a");
    }
    free(px);
    tm_buf_puts(b, "</svg>\n<p class=\"small\">Green: confirmed; orange: indicator; *: activity, tool not recorded. "
                   "Traces a pixel or two apart are drawn as one dot or stroke.</p>\n");
}

/* ---- commands by phase ------------------------------------------------------ */

/* One row per phase, command and command line: the same command run 159
 * times is one row with its count. */
typedef struct {
    size_t first_index, n;
    int64_t first, last;
} cmd_row;

static void phases(tm_buf *b, const tm_report *r)
{
    static const char *const order[] = {"initial investigation", "reconnaissance", "spread of infection",
                                        "deleting evidence"};
    tm_buf_puts(b, "<h2>Commands by phase</h2>\n");
    cmd_row *rows = NULL;
    size_t nrows = 0;
    tm_strmap ix;
    tm_strmap_init(&ix, false);
    tm_buf key;
    tm_buf_init(&key);
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        if (!t->phase)
            continue;
        char who[200];
        tm_buf_reset(&key);
        tm_buf_printf(&key, "%s\t%s\t%s\t%s", t->phase, tm_trace_who(t, who, sizeof who), t->user ? t->user : "",
                      t->command_line ? t->command_line : "");
        size_t k = tm_strmap_get(&ix, tm_buf_cstr(&key));
        if (k == TM_STRMAP_NONE) {
            TM_GROW(rows, nrows);
            rows[nrows] = (cmd_row){i, 0, TM_TIME_NONE, TM_TIME_NONE};
            tm_strmap_put(&ix, tm_buf_cstr(&key), nrows);
            k = nrows++;
        }
        rows[k].n++;
        if (t->time != TM_TIME_NONE) {
            if (rows[k].first == TM_TIME_NONE || t->time < rows[k].first)
                rows[k].first = t->time;
            if (rows[k].last == TM_TIME_NONE || t->time > rows[k].last)
                rows[k].last = t->time;
        }
    }
    tm_buf_free(&key);
    tm_strmap_free(&ix);
    if (!nrows) {
        tm_buf_puts(b, "<p>No command of the attackers' usual set was recorded.</p>\n");
        return;
    }
    tm_buf_puts(b, "<table><tr><th>phase</th><th>first</th><th>last</th><th>times</th><th>command</th>"
                   "<th>user</th><th>command line</th></tr>\n");
    size_t shown = 0;
    for (size_t p = 0; p < 4; p++)
        for (size_t k = 0; k < nrows; k++) {
            const tm_trace *t = &r->traces->t[rows[k].first_index];
            if (strcmp(t->phase, order[p]) != 0 || shown >= COMMAND_ROWS)
                continue;
            shown++;
            tm_buf_puts(b, "<tr>");
            td(b, t->phase);
            time_cell(b, rows[k].first);
            time_cell(b, rows[k].last);
            tm_buf_printf(b, "<td class=\"num\">%zu</td>", rows[k].n);
            char who[200];
            td(b, tm_trace_who(t, who, sizeof who));
            td(b, t->user);
            tm_buf_puts(b, "<td>");
            long_text(b, t->command_line, true);
            tm_buf_puts(b, "</td></tr>\n");
        }
    tm_buf_puts(b, "</table>\n");
    if (nrows > shown)
        tm_buf_printf(b, "<p class=\"small\">%zu more distinct commands in traces.jsonl (field phase).</p>\n",
                      nrows - shown);
    free(rows);
}

/* ---- every trace (capped) ---------------------------------------------------- */

static void all_traces(tm_buf *b, const tm_report *r)
{
    size_t n = r->traces->n, shown = n < ALL_TRACES_ROWS ? n : ALL_TRACES_ROWS;
    tm_buf_puts(b, "<h2>All traces</h2>\n");
    if (n > shown)
        tm_buf_printf(b, "<p>The first %zu of %zu traces, in time order; traces.jsonl, traces.csv, traces.l2tcsv "
                         "and traces.body hold every one.</p>\n",
                      shown, n);
    tm_buf_puts(b, "<table><tr><th>time</th><th>tool</th><th>role</th><th>confidence</th>"
                   "<th>user</th><th>peer</th><th>what</th><th>evidence</th></tr>\n");
    for (size_t i = 0; i < shown; i++) {
        const tm_trace *t = &r->traces->t[i];
        tm_buf_puts(b, "<tr>");
        time_cell(b, t->time);
        char who[200];
        td(b, tm_trace_who(t, who, sizeof who));
        td(b, tm_role_name(t->role));
        tm_buf_printf(b, "<td class=\"%s\">", t->confirmed ? "confirmed" : "neutral");
        tm_buf_puts(b, t->confirmed ? "confirmed" : "indicator");
        tm_buf_puts(b, "<br/><span class=\"small\">");
        long_text(b, t->reason, false);
        tm_buf_puts(b, "</span></td>");
        td(b, t->user);
        td(b, t->peer);
        tm_buf_puts(b, "<td>");
        long_text(b, t->message, false);
        if (t->command_line) {
            tm_buf_puts(b, "<br/>");
            long_text(b, t->command_line, true);
        }
        tm_buf_puts(b, "</td><td class=\"ev\">");
        for (size_t e = 0; e < t->nev && e < EVIDENCE_PER_ROW; e++) {
            const tm_evidence *ev = &t->ev[e];
            if (e)
                tm_buf_puts(b, "<br/>");
            esc(b, ev->kind);
            tm_buf_puts(b, " ");
            esc(b, ev->path);
            tm_buf_printf(b, " #%llu", (unsigned long long)ev->record);
            if (ev->event_id)
                tm_buf_printf(b, " (%u)", ev->event_id);
            const char *origin = tm_evidence_recovered_origin(ev);
            if (origin) {
                tm_buf_puts(b, " [");
                esc(b, origin);
                tm_buf_puts(b, "]");
            }
            tm_buf_puts(b, ": ");
            long_text(b, ev->summary, false);
        }
        size_t total = t->evidence_total > t->nev ? t->evidence_total : t->nev;
        if (total > EVIDENCE_PER_ROW)
            tm_buf_printf(b, "<br/>... and %zu more records", total - EVIDENCE_PER_ROW);
        tm_buf_puts(b, "</td></tr>\n");
    }
    tm_buf_puts(b, "</table>\n");
}

/* ---- Sigma ---------------------------------------------------------------------- */

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
                tm_buf_printf(b, "</span></td><td class=\"num\">%zu</td><td class=\"num\">%zu</td><td class=\"ev\">",
                              v[k].traces, v[k].records);
                long_text(b, t->nev ? t->ev[0].summary : t->message, false);
                tm_buf_puts(b, "</td></tr>\n");
            }
            tm_buf_puts(b, "</table>\n");
        }
    }
    free(v);
}

/* ---- coverage ----------------------------------------------------------------- */

static void log_row(tm_buf *b, const tm_log_window *l)
{
    tm_buf_puts(b, "<tr>");
    td(b, l->channel[0] ? l->channel : l->path);
    tm_buf_printf(b, "<td class=\"num\">%llu%s</td>", (unsigned long long)l->records, l->failed ? " (failed)" : "");
    time_cell(b, l->first);
    time_cell(b, l->last);
    if (l->max_size)
        tm_buf_printf(b, "<td>%llu MiB</td>", (unsigned long long)(l->max_size >> 20));
    else
        td(b, "?");
    tm_buf_printf(b, "<td class=\"%s\">%u</td><td>%llu (%llu ids)</td><td>%llu</td></tr>\n", l->cleared ? "no" : "",
                  l->cleared, (unsigned long long)l->id_gaps, (unsigned long long)l->ids_missing,
                  (unsigned long long)l->skipped);
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
    /* the logs that say something first (records, clearing, damage), then
     * the empty ones, up to LOG_ROWS rows */
    size_t shown = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < nl && shown < LOG_ROWS; i++) {
            const tm_log_window *l = &logs[i];
            bool telling = l->records || l->cleared || l->skipped || l->failed;
            if (telling != (pass == 0))
                continue;
            log_row(b, l);
            shown++;
        }
    tm_buf_puts(b, "</table>\n");
    if (nl > shown)
        tm_buf_printf(b, "<p class=\"small\">%zu more event logs (summary.json, coverage.event_logs, lists each).</p>\n",
                      nl - shown);
    const tm_tool_verdict *v;
    size_t nv = tm_coverage_verdicts(r->coverage, &v);
    tm_buf_puts(b, "<details><summary>Per tool and role: detectable here from what, or why not</summary>\n"
                   "<table><tr><th>tool</th><th>role</th><th>detectable</th><th>from</th><th>not available</th></tr>\n");
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
    tm_buf_puts(b, "</table></details>\n");
}

/* ---- errors ------------------------------------------------------------------- */

/* One row per place and kind of error (the message with its numbers taken
 * out), with its count and first position; errors.jsonl lists each. */
static void errors(tm_buf *b, const tm_report *r)
{
    tm_buf_puts(b, "<h2>Errors</h2>\n");
    if (!r->errors || !r->errors->n) {
        tm_buf_puts(b, "<p>None: every artifact was read completely.</p>\n");
        return;
    }
    typedef struct {
        size_t first, n;
    } kind;
    kind *kinds = NULL;
    size_t nk = 0;
    tm_strmap ix;
    tm_strmap_init(&ix, false);
    tm_buf key;
    tm_buf_init(&key);
    for (size_t i = 0; i < r->errors->n; i++) {
        const tm_error *e = &r->errors->e[i];
        tm_buf_reset(&key);
        tm_buf_printf(&key, "%s\t", e->where);
        tm_message_kind(&key, e->message);
        size_t k = tm_strmap_get(&ix, tm_buf_cstr(&key));
        if (k == TM_STRMAP_NONE) {
            TM_GROW(kinds, nk);
            kinds[nk] = (kind){i, 0};
            tm_strmap_put(&ix, tm_buf_cstr(&key), nk);
            k = nk++;
        }
        kinds[k].n++;
    }
    tm_buf_free(&key);
    tm_strmap_free(&ix);
    tm_buf_puts(b, "<table><tr><th>where</th><th>position</th><th>message</th><th>like it</th></tr>\n");
    for (size_t k = 0; k < nk && k < ERROR_ROWS; k++) {
        const tm_error *e = &r->errors->e[kinds[k].first];
        tm_buf_puts(b, "<tr>");
        td(b, e->where);
        char pos[64];
        tm_pos_text(e->position_kind, e->position, pos, sizeof pos);
        td(b, pos);
        tm_buf_puts(b, "<td>");
        long_text(b, e->message, false);
        tm_buf_printf(b, "</td><td class=\"num\">%zu</td></tr>\n", kinds[k].n);
    }
    tm_buf_puts(b, "</table>\n");
    if (nk > ERROR_ROWS)
        tm_buf_printf(b, "<p class=\"small\">%zu more kinds of error in errors.jsonl.</p>\n", nk - ERROR_ROWS);
    free(kinds);
}

static void write_html(tm_buf *b, const tm_report *r)
{
    tm_tool_tally *f;
    size_t *which = tm_xmalloc((r->traces->n ? r->traces->n : 1) * sizeof *which);
    size_t nf = tm_tally_tools(r->traces, &f, which);
    by_tally g;
    group_by_tally(r, nf, which, &g);
    header(b, r);
    found(b, r, f, nf, &g);
    chart(b, r, f, nf, &g);
    phases(b, r);
    sigma(b, r);
    coverage(b, r);
    all_traces(b, r);
    errors(b, r);
    tm_buf_puts(b, "</body></html>\n");
    free(g.start);
    free(g.order);
    free(f);
    free(which);
}

const tm_output_format tm_format_html = {"html", "report.html", write_html, true};

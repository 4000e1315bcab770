/* The case's own outputs: summary.json, lateral-movement.csv, hosts.dot and
 * report.html (the hosts, the graph of who moved where, the links with the
 * evidence on both ends and the clock offsets, the open ends to acquire
 * next, the tools per host). Their size grows with hosts, links and tools,
 * not with the traces; the merged timelines hold every trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case/case_int.h"
#include "output/outputs.h"
#include "util/csv.h"
#include "util/json.h"
#include "util/msg.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/zone.h"

static const char *kind_name(tm_link_kind k)
{
    switch (k) {
    case TM_LINK_BOTH: return "both ends";
    case TM_LINK_SOURCE_ONLY: return "source only";
    case TM_LINK_DEST_ONLY: return "destination only";
    }
    return "?";
}

static const char *what(const tm_link *l)
{
    const tm_case_trace *t = l->src ? l->src : l->dst;
    if (l->src && l->src->tool)
        return l->src->tool;
    if (l->dst && l->dst->tool)
        return l->dst->tool;
    return t->activity ? t->activity : "activity";
}

static const char *user_of(const tm_link *l)
{
    if (l->src && l->src->user)
        return l->src->user;
    return l->dst ? l->dst->user : NULL;
}

/* ---- edges: links between two hosts, summed --------------------------------------- */

typedef struct {
    size_t from, to, links;
    int64_t first, last;
    char tools[200];
} edge;

static size_t edges_of(const case_state *c, edge **out)
{
    edge *e = NULL;
    size_t n = 0;
    tm_strmap ix;
    tm_strmap_init(&ix, false);
    for (size_t i = 0; i < c->links.nlinks; i++) {
        const tm_link *l = &c->links.links[i];
        char key[64];
        snprintf(key, sizeof key, "%zu>%zu", l->from, l->to);
        size_t k = tm_strmap_get(&ix, key);
        if (k == TM_STRMAP_NONE) {
            TM_GROW(e, n);
            e[n] = (edge){l->from, l->to, 0, TM_TIME_NONE, TM_TIME_NONE, ""};
            tm_strmap_put(&ix, key, n);
            k = n++;
        }
        edge *x = &e[k];
        x->links++;
        int64_t t = l->src ? l->src->time : l->dst->time;
        if (t != TM_TIME_NONE) {
            if (x->first == TM_TIME_NONE || t < x->first)
                x->first = t;
            if (x->last == TM_TIME_NONE || t > x->last)
                x->last = t;
        }
        const char *w = what(l);
        /* each tool or activity once, in order of first link */
        char probe[96];
        snprintf(probe, sizeof probe, "%s", w);
        bool seen = false;
        for (const char *p = x->tools; *p && !seen;) {
            size_t len = strcspn(p, ",");
            seen = len == strlen(probe) && strncmp(p, probe, len) == 0;
            p += len + (p[len] == ',' ? 2 : 0);
        }
        if (!seen && strlen(x->tools) + strlen(probe) + 3 < sizeof x->tools)
            snprintf(x->tools + strlen(x->tools), sizeof x->tools - strlen(x->tools), "%s%s", x->tools[0] ? ", " : "",
                     probe);
    }
    tm_strmap_free(&ix);
    *out = e;
    return n;
}

/* ---- summary.json ------------------------------------------------------------------ */

void case_write_summary(tm_buf *b, const case_state *c)
{
    tm_json j;
    tm_json_init(&j, b);
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "toolmark_version", TM_VERSION);
    tm_json_kint(&j, "clock_skew_tolerance_s", c->skew_us / 1000000);
    tm_json_key(&j, "inputs");
    tm_json_arr_begin(&j);
    size_t incomplete = 0;
    for (size_t i = 0; i < c->nin; i++) {
        const case_input *in = &c->in[i];
        incomplete += !in->complete || in->problem;
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "id", in->id);
        tm_json_kstr(&j, "path", in->path);
        /* "done" whether this run or an earlier one (--resume) did it: the
         * case's outputs do not depend on how the run went */
        tm_json_kstr(&j, "status", in->complete                     ? "done"
                                   : in->status == TM_CASE_NOT_READ ? "not read"
                                                                    : "incomplete");
        tm_json_kstr(&j, "problem", in->problem);
        tm_json_kstr(&j, "computer", in->computer);
        tm_json_kstr(&j, "domain", in->domain);
        tm_json_key(&j, "addresses");
        tm_json_arr_begin(&j);
        for (size_t k = 0; k < in->nown; k++)
            tm_json_str(&j, in->addresses[k]);
        tm_json_arr_end(&j);
        tm_json_key(&j, "addresses_seen_elsewhere"); /* in other hosts' logons */
        tm_json_arr_begin(&j);
        for (size_t k = in->nown; k < in->naddresses; k++)
            tm_json_str(&j, in->addresses[k]);
        tm_json_arr_end(&j);
        tm_json_kuint(&j, "traces", in->traces);
        tm_json_kuint(&j, "attributed", in->attributed);
        tm_json_kuint(&j, "confirmed", in->confirmed);
        tm_json_kuint(&j, "errors", in->errors);
        tm_json_ktime(&j, "first", in->first);
        tm_json_ktime(&j, "last", in->last);
        tm_json_obj_end(&j);
    }
    tm_json_arr_end(&j);
    tm_json_kuint(&j, "inputs_incomplete", incomplete);
    tm_json_key(&j, "traces");
    tm_json_obj_begin(&j);
    tm_json_kuint(&j, "total", c->total);
    tm_json_kuint(&j, "attributed", c->attributed);
    tm_json_kuint(&j, "confirmed", c->confirmed);
    tm_json_obj_end(&j);
    tm_json_key(&j, "links");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < c->links.nlinks; i++) {
        const tm_link *l = &c->links.links[i];
        tm_json_obj_begin(&j);
        tm_json_ktime(&j, "time", l->src ? l->src->time : l->dst->time);
        tm_json_kstr(&j, "from", case_host_name(c, l->from));
        tm_json_kstr(&j, "to", case_host_name(c, l->to));
        tm_json_kstr(&j, "from_input", c->hosts[l->from].id);
        tm_json_kstr(&j, "to_input", c->hosts[l->to].id);
        tm_json_kstr(&j, "seen", kind_name(l->kind));
        tm_json_kstr(&j, "tool", l->src && l->src->tool ? l->src->tool : l->dst ? l->dst->tool : NULL);
        tm_json_kstr(&j, "activity", l->src ? l->src->activity : l->dst->activity);
        tm_json_kstr(&j, "destination_activity", l->dst ? l->dst->activity : NULL);
        tm_json_kstr(&j, "user", user_of(l));
        tm_json_kstr(&j, "source_evidence", l->src ? l->src->evidence : NULL);
        tm_json_kstr(&j, "destination_evidence", l->dst ? l->dst->evidence : NULL);
        tm_json_key(&j, "clock_offset_s");
        if (l->has_offset)
            tm_json_double(&j, (double)l->offset_us / 1e6);
        else
            tm_json_null(&j);
        tm_json_obj_end(&j);
    }
    tm_json_arr_end(&j);
    edge *e;
    size_t ne = edges_of(c, &e);
    tm_json_key(&j, "host_graph");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < ne; i++) {
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "from", case_host_name(c, e[i].from));
        tm_json_kstr(&j, "to", case_host_name(c, e[i].to));
        tm_json_kuint(&j, "links", e[i].links);
        tm_json_kstr(&j, "tools", e[i].tools);
        tm_json_ktime(&j, "first", e[i].first);
        tm_json_ktime(&j, "last", e[i].last);
        tm_json_obj_end(&j);
    }
    tm_json_arr_end(&j);
    free(e);
    tm_json_key(&j, "open_ends");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < c->links.nopen; i++) {
        const tm_open_end *o = &c->links.open[i];
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "host", case_host_name(c, o->host));
        tm_json_kstr(&j, "peer", o->peer);
        tm_json_kstr(&j, "peer_name_in_logons", case_name_seen_with(c, o->peer));
        tm_json_kstr(&j, "direction", o->outgoing ? "outgoing" : "incoming");
        tm_json_kuint(&j, "traces", o->traces);
        tm_json_kstr(&j, "example", o->example);
        tm_json_ktime(&j, "first", o->first);
        tm_json_ktime(&j, "last", o->last);
        tm_json_obj_end(&j);
    }
    tm_json_arr_end(&j);
    tm_json_obj_end(&j);
    tm_buf_putc(b, '\n');
}

/* ---- lateral-movement.csv ----------------------------------------------------------- */

void case_write_links_csv(tm_buf *b, const case_state *c)
{
    tm_buf_puts(b, "time,source_host,destination_host,tool_or_activity,destination_activity,user,source_evidence,"
                   "destination_evidence,clock_offset_s,seen\n");
    for (size_t i = 0; i < c->links.nlinks; i++) {
        const tm_link *l = &c->links.links[i];
        char iso[TM_TIME_ISO_LEN], off[32] = "";
        tm_time_iso(l->src ? l->src->time : l->dst->time, iso);
        if (l->has_offset)
            snprintf(off, sizeof off, "%.3f", (double)l->offset_us / 1e6);
        tm_csv_cell(b, iso, true);
        tm_csv_cell(b, case_host_name(c, l->from), false);
        tm_csv_cell(b, case_host_name(c, l->to), false);
        tm_csv_cell(b, what(l), false);
        tm_csv_cell(b, l->dst ? l->dst->activity : "", false);
        tm_csv_cell(b, user_of(l) ? user_of(l) : "", false);
        tm_csv_cell(b, l->src && l->src->evidence ? l->src->evidence : "", false);
        tm_csv_cell(b, l->dst && l->dst->evidence ? l->dst->evidence : "", false);
        tm_buf_printf(b, ",%s", off); /* a number of ours: not quoted, never a formula */
        tm_csv_cell(b, kind_name(l->kind), false);
        tm_buf_putc(b, '\n');
    }
}

/* ---- hosts.dot (Graphviz) -------------------------------------------------------------- */

static void dot_str(tm_buf *b, const char *s)
{
    tm_buf_putc(b, '"');
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            tm_buf_putc(b, '\\');
        if ((unsigned char)*p < 0x20)
            tm_buf_putc(b, ' ');
        else
            tm_buf_putc(b, *p);
    }
    tm_buf_putc(b, '"');
}

void case_write_dot(tm_buf *b, const case_state *c)
{
    tm_buf_puts(b, "digraph case {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (size_t h = 0; h < c->nhosts; h++) {
        tm_buf_puts(b, "  ");
        dot_str(b, case_host_name(c, h));
        tm_buf_puts(b, ";\n");
    }
    edge *e;
    size_t ne = edges_of(c, &e);
    for (size_t i = 0; i < ne; i++) {
        char label[300];
        snprintf(label, sizeof label, "%s (%zu)", e[i].tools, e[i].links);
        tm_buf_puts(b, "  ");
        dot_str(b, case_host_name(c, e[i].from));
        tm_buf_puts(b, " -> ");
        dot_str(b, case_host_name(c, e[i].to));
        tm_buf_puts(b, " [label=");
        dot_str(b, label);
        tm_buf_puts(b, "];\n");
    }
    free(e);
    for (size_t i = 0; i < c->links.nopen; i++) {
        const tm_open_end *o = &c->links.open[i];
        char node[300];
        snprintf(node, sizeof node, "%s (not in the case)", o->peer);
        tm_buf_puts(b, "  ");
        dot_str(b, node);
        tm_buf_puts(b, " [style=dashed];\n  ");
        dot_str(b, o->outgoing ? case_host_name(c, o->host) : node);
        tm_buf_puts(b, " -> ");
        dot_str(b, o->outgoing ? node : case_host_name(c, o->host));
        tm_buf_puts(b, " [style=dashed, label=");
        dot_str(b, o->example);
        tm_buf_puts(b, "];\n");
    }
    tm_buf_puts(b, "}\n");
}

/* ---- report.html ------------------------------------------------------------------------- */

static void esc(tm_buf *b, const char *s)
{
    tm_html_escape(b, s ? s : "");
}

static void td(tm_buf *b, const char *s)
{
    tm_buf_puts(b, "<td>");
    esc(b, s);
    tm_buf_puts(b, "</td>");
}

static void time_td(tm_buf *b, int64_t t)
{
    char s[40] = "unknown";
    if (t != TM_TIME_NONE)
        tm_zone_short(t, s);
    tm_buf_printf(b, "<td class=\"t\">%s</td>", s);
}

enum { LINK_ROWS = 500, GRAPH_COL = 420, GRAPH_ROW = 70 };

/* The host graph, laid out by toolmark: a column per step from the hosts
 * nothing reached (the first column) along the links; open ends as dashed
 * boxes beside their host. */
static void graph(tm_buf *b, const case_state *c)
{
    size_t n = c->nhosts + c->links.nopen;
    if (!n)
        return;
    int *depth = tm_xcalloc(n, sizeof *depth);
    edge *e;
    size_t ne = edges_of(c, &e);
    for (size_t pass = 0; pass < c->nhosts; pass++) { /* longest path, cut at the number of hosts (cycles) */
        bool changed = false;
        for (size_t i = 0; i < ne; i++)
            if (e[i].from != e[i].to && depth[e[i].to] < depth[e[i].from] + 1 && depth[e[i].from] + 1 < (int)c->nhosts) {
                depth[e[i].to] = depth[e[i].from] + 1;
                changed = true;
            }
        if (!changed)
            break;
    }
    /* open ends: outgoing one step right of their host, incoming one left (or the first column) */
    int mind = 0;
    for (size_t i = 0; i < c->links.nopen; i++) {
        const tm_open_end *o = &c->links.open[i];
        depth[c->nhosts + i] = depth[o->host] + (o->outgoing ? 1 : -1);
        if (depth[c->nhosts + i] < mind)
            mind = depth[c->nhosts + i];
    }
    int maxd = 0;
    for (size_t i = 0; i < n; i++) {
        depth[i] -= mind;
        if (depth[i] > maxd)
            maxd = depth[i];
    }
    int *row = tm_xcalloc(n, sizeof *row), *fill = tm_xcalloc((size_t)maxd + 1, sizeof *fill), rows = 1;
    for (size_t i = 0; i < n; i++) {
        row[i] = fill[depth[i]]++;
        if (fill[depth[i]] > rows)
            rows = fill[depth[i]];
    }
    int w = (maxd + 1) * GRAPH_COL + 40, h = rows * GRAPH_ROW + 30;
    tm_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\" "
                     "font-family=\"sans-serif\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
                     "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"#555\"/>"
                     "</marker></defs>",
                  w, h);
#define NODE_X(i) (20 + depth[i] * GRAPH_COL)
#define NODE_Y(i) (15 + row[i] * GRAPH_ROW)
    for (size_t i = 0; i < ne; i++) {
        size_t f = e[i].from, t = e[i].to;
        int x1 = NODE_X(f) + 150, y1 = NODE_Y(f) + 18, x2 = NODE_X(t), y2 = NODE_Y(t) + 18;
        if (depth[t] <= depth[f]) { /* backwards or within a column: leave from the box's bottom */
            x1 = NODE_X(f) + 75;
            y1 = NODE_Y(f) + 36;
            x2 = NODE_X(t) + 75;
            y2 = NODE_Y(t) + (y2 > y1 ? 0 : 36);
        }
        tm_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>"
                         "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#333\">",
                      x1, y1, x2, y2, (x1 + x2) / 2, (y1 + y2) / 2 - 5);
        /* above the arrow what moved, below it how often */
        char label[260];
        snprintf(label, sizeof label, "%.40s%s", e[i].tools, strlen(e[i].tools) > 40 ? "..." : "");
        esc(b, label);
        tm_buf_printf(b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\" font-size=\"9\">%zu "
                         "link%s</text>",
                      (x1 + x2) / 2, (y1 + y2) / 2 + 11, e[i].links, TM_PLURAL(e[i].links));
    }
    for (size_t i = 0; i < c->links.nopen; i++) {
        const tm_open_end *o = &c->links.open[i];
        size_t a = o->host, z = c->nhosts + i;
        size_t f = o->outgoing ? a : z, t = o->outgoing ? z : a;
        tm_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#a00\" stroke-dasharray=\"4 3\" "
                         "marker-end=\"url(#arrow)\"/>",
                      NODE_X(f) + 150, NODE_Y(f) + 18, NODE_X(t), NODE_Y(t) + 18);
    }
    for (size_t i = 0; i < n; i++) {
        bool open = i >= c->nhosts;
        tm_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"150\" height=\"36\" rx=\"6\" fill=\"%s\" stroke=\"%s\"%s/>"
                         "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
                      NODE_X(i), NODE_Y(i), open ? "#fff" : "#eef4ee", open ? "#a00" : "#0a6b0a",
                      open ? " stroke-dasharray=\"4 3\"" : "", NODE_X(i) + 75, NODE_Y(i) + 15);
        char label[80];
        snprintf(label, sizeof label, "%.24s", open ? c->links.open[i - c->nhosts].peer : case_host_name(c, i));
        esc(b, label);
        tm_buf_printf(b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\" font-size=\"9\">%s</text>",
                      NODE_X(i) + 75, NODE_Y(i) + 29, open ? "not in the case: acquire?" : "");
    }
#undef NODE_X
#undef NODE_Y
    tm_buf_puts(b, "</svg>\n");
    free(e);
    free(depth);
    free(row);
    free(fill);
}

void case_write_html(tm_buf *b, const case_state *c)
{
    tm_buf_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
                   "<meta charset=\"utf-8\"/><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'\"/><title>toolmark: case</title><style>"
                   "body{font-family:sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{font-size:1.15em;"
                   "margin-top:1.6em;border-bottom:1px solid #ccc}table{border-collapse:collapse;font-size:.85em;"
                   "margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;text-align:left;"
                   "overflow-wrap:anywhere}th{background:#f3f3f3}td.t{white-space:nowrap}.small{font-size:.85em;"
                   "color:#555}.no{color:#a00}.ev{font-family:monospace;font-size:.9em;color:#555}</style></head><body>\n"
                   "<h1>toolmark case report</h1>\n");
    tm_buf_printf(b, "<p class=\"small\">%zu input%s, %zu trace%s (%zu attributed, %zu confirmed), %zu link%s between "
                     "hosts, %zu open end%s. Links join a trace that names another host to the trace on that host's "
                     "image within %lld s. Times are in ",
                  c->nin, TM_PLURAL(c->nin), c->total, TM_PLURAL(c->total), c->attributed, c->confirmed,
                  c->links.nlinks, TM_PLURAL(c->links.nlinks), c->links.nopen, TM_PLURAL(c->links.nopen),
                  (long long)(c->skew_us / 1000000));
    esc(b, tm_zone_name());
    tm_buf_puts(b, ". The merged timelines (traces.jsonl, .csv, .l2tcsv, .body) hold every trace.</p>\n");

    tm_buf_puts(b, "<h2>Hosts</h2>\n<table><tr><th>input</th><th>host</th><th>domain</th><th>addresses</th>"
                   "<th>status</th><th>traces</th><th>confirmed</th><th>errors</th><th>first</th><th>last</th></tr>\n");
    for (size_t i = 0; i < c->nin; i++) {
        const case_input *in = &c->in[i];
        tm_buf_puts(b, "<tr>");
        td(b, in->id);
        td(b, in->computer);
        td(b, in->domain);
        tm_buf reg;
        tm_buf_init(&reg);
        for (size_t k = 0; k < in->naddresses; k++)
            tm_buf_printf(&reg, "%s%s%s", k ? ", " : "", in->addresses[k], k >= in->nown ? " (seen in logons)" : "");
        td(b, tm_buf_cstr(&reg));
        tm_buf_free(&reg);
        if (in->complete && !in->problem)
            td(b, "done");
        else {
            tm_buf_puts(b, "<td class=\"no\">");
            esc(b, in->problem ? in->problem : in->status == TM_CASE_NOT_READ ? "not read" : "incomplete");
            tm_buf_puts(b, "</td>");
        }
        tm_buf_printf(b, "<td>%zu</td><td>%zu</td><td>%zu</td>", in->traces, in->confirmed, in->errors);
        time_td(b, in->first);
        time_td(b, in->last);
        tm_buf_puts(b, "</tr>\n");
    }
    tm_buf_puts(b, "</table>\n<h2>Who moved where</h2>\n");
    if (!c->links.nlinks && !c->links.nopen)
        tm_buf_puts(b, "<p>No trace names another host.</p>\n");
    else
        graph(b, c);

    tm_buf_puts(b, "<h2>Lateral movement</h2>\n");
    if (c->links.nlinks) {
        tm_buf_puts(b, "<table><tr><th>time</th><th>from</th><th>to</th><th>tool or activity</th><th>user</th>"
                       "<th>seen</th><th>clock offset</th><th>source evidence</th><th>destination evidence</th></tr>\n");
        for (size_t i = 0; i < c->links.nlinks && i < LINK_ROWS; i++) {
            const tm_link *l = &c->links.links[i];
            tm_buf_puts(b, "<tr>");
            time_td(b, l->src ? l->src->time : l->dst->time);
            tm_buf_puts(b, "<td class=\"t\">");
            esc(b, case_host_name(c, l->from));
            tm_buf_puts(b, "</td><td class=\"t\">");
            esc(b, case_host_name(c, l->to));
            tm_buf_puts(b, "</td>");
            char w[300];
            snprintf(w, sizeof w, "%s%s%s", what(l), l->dst && l->dst->activity ? " / " : "",
                     l->dst && l->dst->activity ? l->dst->activity : "");
            td(b, w);
            td(b, user_of(l));
            td(b, kind_name(l->kind));
            char off[32] = "";
            if (l->has_offset)
                snprintf(off, sizeof off, "%+.1f s", (double)l->offset_us / 1e6);
            td(b, off);
            tm_buf_puts(b, "<td class=\"ev\">");
            esc(b, l->src ? l->src->evidence : "");
            tm_buf_puts(b, "</td><td class=\"ev\">");
            esc(b, l->dst ? l->dst->evidence : "");
            tm_buf_puts(b, "</td></tr>\n");
        }
        tm_buf_puts(b, "</table>\n");
        if (c->links.nlinks > LINK_ROWS)
            tm_buf_printf(b, "<p class=\"small\">%zu more links in lateral-movement.csv.</p>\n",
                          c->links.nlinks - LINK_ROWS);
    } else {
        tm_buf_puts(b, "<p>No link between the hosts of the case.</p>\n");
    }

    tm_buf_puts(b, "<h2>Open ends: hosts to acquire next</h2>\n");
    if (c->links.nopen) {
        tm_buf_puts(b, "<table><tr><th>host</th><th>peer (not in the case)</th><th>direction</th><th>traces</th>"
                       "<th>first</th><th>last</th><th>for example</th></tr>\n");
        for (size_t i = 0; i < c->links.nopen; i++) {
            const tm_open_end *o = &c->links.open[i];
            tm_buf_puts(b, "<tr>");
            td(b, case_host_name(c, o->host));
            char peer[300];
            const char *nm = case_name_seen_with(c, o->peer);
            snprintf(peer, sizeof peer, "%s%s%s%s", o->peer, nm ? " (" : "", nm ? nm : "", nm ? " in logons)" : "");
            td(b, peer);
            td(b, o->outgoing ? "it acted on the peer" : "the peer acted on it");
            tm_buf_printf(b, "<td>%zu</td>", o->traces);
            time_td(b, o->first);
            time_td(b, o->last);
            td(b, o->example);
            tm_buf_puts(b, "</tr>\n");
        }
        tm_buf_puts(b, "</table>\n");
    } else {
        tm_buf_puts(b, "<p>None: every host the traces name is in the case.</p>\n");
    }

    tm_buf_puts(b, "<h2>Tools and activities per host</h2>\n<table><tr><th>host</th><th>tool or activity</th>"
                   "<th>role</th><th>traces</th><th>confirmed</th><th>first</th><th>last</th></tr>\n");
    for (size_t i = 0; i < c->nin; i++) {
        const case_input *in = &c->in[i];
        for (size_t k = 0; k < in->ntallies; k++) {
            const case_tally *y = &in->tallies[k];
            tm_buf_puts(b, "<tr>");
            td(b, in->computer && *in->computer ? in->computer : in->id);
            if (y->tool)
                td(b, y->tool);
            else {
                char a[200];
                snprintf(a, sizeof a, "%s, tool not recorded", y->activity ? y->activity : "activity");
                td(b, a);
            }
            td(b, y->role);
            tm_buf_printf(b, "<td>%zu</td><td>%zu</td>", y->traces, y->confirmed);
            time_td(b, y->first);
            time_td(b, y->last);
            tm_buf_puts(b, "</tr>\n");
        }
    }
    tm_buf_puts(b, "</table>\n</body></html>\n");
}

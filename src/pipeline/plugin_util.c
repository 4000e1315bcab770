/* Helpers shared by the plugins: field access, citations, traces for runs. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cmdline.h"
#include "pipeline/plugin.h"
#include "util/buf.h"
#include "util/pathsafe.h"
#include "util/spill.h"
#include "util/strmap.h"
#include "util/timeutil.h"

void tm_account(const tm_record *r, const char *prefix, char *out, size_t n)
{
    char kn[64], kd[64];
    snprintf(kn, sizeof kn, "%sUserName", prefix);
    snprintf(kd, sizeof kd, "%sDomainName", prefix);
    const char *u = tm_data(r, kn), *d = tm_data(r, kd);
    if (!*u || strcmp(u, "-") == 0)
        snprintf(out, n, "%s", "");
    else if (*d && strcmp(d, "-") != 0)
        snprintf(out, n, "%s\\%s", d, u);
    else
        snprintf(out, n, "%s", u);
}

bool tm_icontains(const char *hay, const char *needle)
{
    return hay && needle && strcasestr(hay, needle) != NULL;
}

size_t tm_attribute_by_name(tm_trace *t, tm_attribution how, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nev; i++)
        if (tm_icontains(t->ev[i].summary, name)) {
            tm_trace_attribute(t, how, &t->ev[i]);
            n++;
        }
    return n;
}

void tm_text_pattern(const char *text, char *out, size_t n)
{
    size_t k = 0;
    if (!n)
        return;
    for (const char *p = text ? text : ""; *p && k + 1 < n; p++) {
        if (*p >= '0' && *p <= '9') {
            if (k == 0 || out[k - 1] != '#')
                out[k++] = '#';
            continue;
        }
        out[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    }
    out[k] = 0;
}

bool tm_is_local_address(const char *ip)
{
    static const char *const local[] = {"", "-", "::1", "127.0.0.1", "LOCAL", "0.0.0.0", "::"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (strcasecmp(ip, local[i]) == 0)
            return true;
    return false;
}

static void copy_host(const char *s, char *out, size_t n)
{
    size_t k = 0;
    while (*s == '"' || *s == '\'')
        s++;
    while (*s && k + 1 < n && !isspace((unsigned char)*s) && *s != '\\' && *s != '/' && *s != '"' && *s != '\'' &&
           *s != ',')
        out[k++] = *s++;
    out[k] = 0;
}

void tm_peer_from_cmdline(const char *cmd, char *out, size_t n)
{
    out[0] = 0;
    if (!cmd)
        return;
    /* \\host\share or \\host (psexec, net use, copy) */
    for (const char *p = strstr(cmd, "\\\\"); p; p = strstr(p + 2, "\\\\")) {
        if (p[2] == '?' || p[2] == '.' || p[2] == '\\' || !p[2])
            continue;
        copy_host(p + 2, out, n);
        if (out[0])
            return;
    }
    /* options naming a computer */
    static const char *const opts[] = {"/node:",   "-computername ", "-computername:", "-cn ",       "-r:",
                                       "-remote:", "/r:",            "/remote:",       "/s ",        "/server:",
                                       "/computer:", "-computer ",   "/v:",            "/v ",        "-v "};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const char *p = strcasestr(cmd, opts[i]);
        if (!p)
            continue;
        /* an option, not the middle of a word */
        if (p != cmd && !isspace((unsigned char)p[-1]))
            continue;
        p += strlen(opts[i]);
        while (*p == ' ')
            p++;
        copy_host(p, out, n);
        if (out[0] && out[0] != '-' && out[0] != '/')
            return;
        out[0] = 0;
    }
    /* http://host:5985/wsman */
    const char *h = strcasestr(cmd, "http://");
    if (!h)
        h = strcasestr(cmd, "https://");
    if (h) {
        h = strstr(h, "//") + 2;
        size_t k = 0;
        while (h[k] && h[k] != ':' && h[k] != '/' && !isspace((unsigned char)h[k]) && k + 1 < n) {
            out[k] = h[k];
            k++;
        }
        out[k] = 0;
    }
}

tm_evidence *tm_cite(tm_trace *t, const tm_record *r, const tm_artifact *a, const char *fmt, ...)
{
    /* Cite a record once per trace. */
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", a->path, a->stream ? ":" : "", a->stream ? a->stream : "");
    tm_evidence *have = tm_trace_find_evidence(t, path, r->position, tm_event_id(r));
    if (have)
        return have;
    char summary[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(summary, sizeof summary, fmt, ap);
    va_end(ap);
    tm_evidence ev = {0};
    ev.volume = a->volume;
    ev.kind = (char *)tm_art_kind_name((tm_art_kind)r->kind);
    ev.path = path;
    ev.record = r->position;
    ev.record_name = (char *)tm_pos_name(tm_kind((tm_art_kind)r->kind)->position);
    ev.channel = (char *)tm_record_str(r, "channel"); /* events only */
    ev.event_id = tm_event_id(r);
    ev.time = r->time;
    ev.summary = summary;
    char origin[TM_ORIGIN_TEXT_MAX];
    tm_origin_text(&a->origin, origin, sizeof origin);
    ev.origin = origin;
    ev.also = (char *)r->also;
    return tm_trace_add_evidence(t, &ev);
}

void tm_exec_summary(const tm_exec *e, char *out, size_t n)
{
    const char *cl = e->command_line && *e->command_line ? e->command_line : (e->image ? e->image : e->name);
    switch (e->kind) {
    case TM_EXEC_EXIT:
        if (e->has_status)
            snprintf(out, n, "%s exited, status 0x%x", e->image ? e->image : e->name, e->status);
        else
            snprintf(out, n, "%s exited", e->image ? e->image : e->name);
        break;
    case TM_EXEC_PREFETCH:
        snprintf(out, n, "%s ran (Prefetch, run count %u)", e->image ? e->image : e->name, e->run_count);
        break;
    case TM_EXEC_START:
        if (e->derived)
            snprintf(out, n, "command run by %s: %s", e->parent ? e->parent : "its parent", cl);
        else if (e->renamed)
            snprintf(out, n, "%s (a renamed %s: OriginalFileName) started: %s", e->image ? e->image : e->file_name,
                     e->name, cl);
        else
            snprintf(out, n, "%s started: %s", e->image ? e->image : e->name, cl);
        break;
    case TM_EXEC_HISTORY: snprintf(out, n, "typed in PowerShell: %s", cl); break;
    case TM_EXEC_SCRIPT: snprintf(out, n, "in a script block: %s", cl); break;
    case TM_EXEC_SCHEDULED: snprintf(out, n, "scheduled action: %s", cl); break;
    case TM_EXEC_SERVICE: snprintf(out, n, "service image: %s", cl); break;
    case TM_EXEC_CONSUMER: snprintf(out, n, "WMI consumer command: %s", cl); break;
    }
}

void tm_cite_exec(tm_trace *t, const tm_exec *e)
{
    char s[900];
    tm_exec_summary(e, s, sizeof s);
    tm_cite(t, e->r, e->art, "%s", s);
}

void tm_cite_run(tm_trace *t, const tm_run *run)
{
    for (size_t i = 0; i < run->n; i++)
        tm_cite_exec(t, run->e[i]);
}

void tm_confirm(tm_trace *t, bool confirmed, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    t->confirmed = confirmed;
    tm_trace_set(&t->reason, buf);
}

tm_trace *tm_trace_for_run(tm_traces *out, const tm_view *v, const tm_run *run, const char *tool,
                           const char *category, tm_role role)
{
    tm_trace *t = tm_trace_add(out, tool, category, role, run->time, run->time_desc);
    tm_trace_set(&t->host, v->host);
    for (size_t i = 0; i < run->n; i++) {
        const tm_exec *e = run->e[i];
        if (!t->user && e->user)
            tm_trace_set(&t->user, e->user);
        if (!t->user_sid && e->user_sid)
            tm_trace_set(&t->user_sid, e->user_sid);
        if (!t->logon_id && e->logon_id)
            tm_trace_set(&t->logon_id, e->logon_id);
    }
    if (run->best && run->best->command_line)
        tm_trace_set(&t->command_line, run->best->command_line);
    char peer[256];
    tm_peer_from_cmdline(t->command_line, peer, sizeof peer);
    if (peer[0])
        tm_trace_set(&t->peer, peer);
    if (run->exit && run->exit->has_status)
        tm_trace_setf(&t->outcome, "exit status 0x%x", run->exit->status);
    tm_cite_run(t, run);
    /* The run was chosen by its program's name: each of its records names it. */
    tm_trace_set(&t->activity, "program run");
    if (tool) {
        for (size_t i = 0; i < t->nev; i++)
            t->ev[i].attributes = true;
        t->attribution = tm_run_renamed(run) ? TM_ATTR_RENAMED : TM_ATTR_NAMED;
    }
    return t;
}

tm_trace *tm_trace_for_record(tm_traces *out, const tm_view *v, const tm_item *it, const char *tool,
                              const char *category, tm_role role, const char *time_desc)
{
    tm_trace *t = tm_trace_add(out, tool, category, role, it->r->time, time_desc);
    tm_trace_set(&t->host, v->host);
    return t;
}

void tm_view_runs(const tm_view *v, const char *const *names, tm_runs *out)
{
    const tm_exec **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_exec *e = v->items[i].exec;
        if (!e)
            continue;
        bool ok = !names;
        for (size_t k = 0; names && names[k] && !ok; k++)
            ok = tm_iglob(names[k], e->name);
        if (ok)
            sel[n++] = e;
    }
    tm_runs_build(out, tm_view_spill(v), sel, n);
    tm_view_free(v, sel);
}

size_t tm_clusters(const tm_item *const *items, size_t n, int64_t gap, tm_cluster **out)
{
    *out = NULL;
    size_t nc = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        tm_spill_tick(); /* a pass over items: the budget counts it (util/spill.h) */
        const tm_item *it = items[i];
        int64_t t = it->time;
        if (t == TM_TIME_NONE)
            continue;
        if (!nc || t - (*out)[nc - 1].last >= gap) {
            if (nc == cap) {
                cap = cap ? cap * 2 : 8;
                *out = tm_xrealloc(*out, cap * sizeof **out);
            }
            (*out)[nc++] = (tm_cluster){NULL, 0, 0, t, t};
        }
        tm_cluster *c = &(*out)[nc - 1];
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 8;
            c->it = tm_xrealloc(c->it, c->cap * sizeof *c->it);
        }
        c->it[c->n++] = it;
        if (t > c->last)
            c->last = t;
    }
    return nc;
}

void tm_clusters_free(tm_cluster *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].it);
    free(c);
}

const tm_command_claim *tm_command_claimed(const char *command, const tm_exec *e)
{
    for (size_t i = 0; i < tm_plugin_count; i++)
        for (const tm_command_claim *c = tm_plugins[i]->claims; c && c->command; c++) {
            if (strcmp(c->command, command) != 0)
                continue;
            if (c->verb && strcmp(e->verb, c->verb) != 0)
                continue;
            if (c->args && !tm_icontains(e->command_line, c->args))
                continue;
            return c;
        }
    return NULL;
}

const char *tm_command_sheet_tool(const char *command)
{
    for (size_t i = 0; i < tm_plugin_count; i++)
        for (const tm_command_claim *c = tm_plugins[i]->claims; c && c->command; c++)
            if (strcmp(c->command, command) == 0 && c->sheet_tool)
                return c->sheet_tool;
    return NULL;
}

const char *tm_run_phase(const tm_run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        const tm_exec *e = run->e[i];
        tm_cmd c = {0};
        snprintf(c.name, sizeof c.name, "%s", e->name);
        snprintf(c.verb, sizeof c.verb, "%s", e->verb);
        const tm_command_info *ci = tm_command_lookup(&c);
        if (ci)
            return ci->phase;
    }
    return NULL;
}

void tm_confirm_by_exit(tm_trace *t, const tm_run *run, const char *failure)
{
    if (tm_confirm_exit0(t, run))
        return;
    if (run->exit && run->exit->has_status)
        tm_confirm(t, false, "%s exited with status 0x%x: %s", run->exit->image, run->exit->status,
                   failure ? failure : "it ran but reported a failure");
    else
        tm_confirm(t, false, "no exit status 0x0 (Security 4689) for this run: seen in %s only",
                   tm_exec_kind_name(run->e[0]->kind));
}

size_t tm_exec_traces(const tm_view *v, tm_traces *out, const tm_exec_rule *rule)
{
    tm_runs runs;
    tm_view_runs(v, rule->names, &runs);
    size_t made = 0;
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        if (rule->filter && !rule->filter(run))
            continue;
        char peer[256] = "";
        if (run->best)
            tm_peer_from_cmdline(run->best->command_line, peer, sizeof peer);
        tm_trace *t = tm_trace_for_run(out, v, run, rule->tool, rule->category, peer[0] ? rule->role : rule->role_local);
        tm_trace_set(&t->phase, tm_run_phase(run));
        if (rule->confirm_by_exit)
            tm_confirm_by_exit(t, run, NULL);
        else
            tm_confirm(t, false, "%s", rule->success_note ? rule->success_note : "execution seen; no success evidence");
        const char *cl = t->command_line ? t->command_line : run->name;
        tm_trace_setf(&t->message, "%s ran%s%s: %s", rule->tool, peer[0] ? " against " : "", peer, cl);
        made++;
    }
    tm_runs_free(&runs);
    return made;
}

void tm_program_name_of(const char *path, char *out, size_t n)
{
    tm_program_name(path ? path : "", path ? strlen(path) : 0, out, n);
}

bool tm_benign_task(const char *name, const char *cmd)
{
    if (strncasecmp(name, "\\Microsoft\\", 11) != 0 || !cmd || !*cmd)
        return false;
    const char *c = cmd;
    while (*c == '"')
        c++;
    static const char *const dirs[] = {"%windir%\\system32\\", "%systemroot%\\system32\\", "C:\\Windows\\System32\\",
                                       "%ProgramFiles%\\", "C:\\Program Files\\", "C:\\Program Files (x86)\\",
                                       "%ProgramFiles(x86)%\\"};
    bool in_dir = false;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        in_dir |= strncasecmp(c, dirs[i], strlen(dirs[i])) == 0;
    char first[48];
    const char *end = strchr(c, '"');
    if (!end)
        end = strstr(c, ".exe ") ? strstr(c, ".exe ") + 4 : c + strlen(c);
    tm_program_name(c, (size_t)(end - c), first, sizeof first);
    static const char *const shells[] = {"cmd", "powershell", "pwsh", "rundll32", "regsvr32", "mshta", "wscript",
                                         "cscript", "bitsadmin", "certutil"};
    for (size_t i = 0; i < sizeof shells / sizeof shells[0]; i++)
        if (strcmp(first, shells[i]) == 0)
            return false;
    return in_dir;
}

/* ---- a pass's room ------------------------------------------------------- */

struct tm_view_scratch {
    tm_spill *spill;
    struct {
        void *p;
        size_t bytes;
    } *a; /* what is taken from the spill, to give back */
    size_t n;
};

tm_view_scratch *tm_view_scratch_new(tm_spill *s)
{
    tm_view_scratch *x = tm_xcalloc(1, sizeof *x);
    x->spill = s;
    return x;
}

void tm_view_scratch_free(tm_view_scratch *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++)
        tm_spill_release(x->spill, x->a[i].p, x->a[i].bytes);
    free(x->a);
    free(x);
}

void *tm_view_alloc(const tm_view *v, size_t n, size_t size)
{
    if (!n)
        n = 1;
    if (size && n > SIZE_MAX / size)
        return tm_xcalloc(n, size); /* ends the run, as any allocation that cannot be made */
    tm_view_scratch *x = v->scratch;
    size_t bytes = n * size;
    /* small arrays stay on the heap; the spill hands out zeroed room */
    tm_spill *room = x ? tm_spill_for(x->spill, bytes) : NULL;
    void *p = room ? tm_spill_alloc(room, bytes) : NULL;
    if (!p)
        return tm_xcalloc(n, size);
    TM_GROW(x->a, x->n);
    x->a[x->n].p = p;
    x->a[x->n++].bytes = bytes;
    return p;
}

void tm_view_free(const tm_view *v, void *p)
{
    tm_view_scratch *x = v ? v->scratch : NULL;
    for (size_t i = 0; x && p && i < x->n; i++)
        if (x->a[i].p == p) {
            tm_spill_release(x->spill, p, x->a[i].bytes); /* its pages leave the process */
            x->a[i] = x->a[--x->n];
            return;
        }
    free(p);
}

tm_spill *tm_view_spill(const tm_view *v)
{
    return v && v->scratch ? v->scratch->spill : NULL;
}

void tm_view_sort(const tm_view *v, void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    tm_spill_sort(tm_view_spill(v), base, n, size, cmp);
}

/* ---- indexes ---------------------------------------------------------------- */

typedef struct {
    uint64_t hash;
    const char *key;
    const tm_item *it;
} keyed;

static int cmp_keyed(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    return a->it < b->it ? -1 : a->it > b->it; /* items are in time order */
}

void tm_index_by(const tm_view *v, unsigned sub, const char *field, tm_item_index *ix)
{
    keyed *k = tm_view_alloc(v, v->n, sizeof *k);
    size_t n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++)
        if (v->items[i].sub == sub && !v->items[i].exec) {
            const char *key = tm_data(v->items[i].r, field);
            k[n++] = (keyed){tm_str_hash(key, false), key, &v->items[i]};
        }
    tm_view_sort(v, k, n, sizeof *k, cmp_keyed);
    ix->v = v;
    ix->it = tm_view_alloc(v, n, sizeof *ix->it);
    ix->key = tm_view_alloc(v, n, sizeof *ix->key);
    ix->hash = tm_view_alloc(v, n, sizeof *ix->hash);
    for (size_t i = 0; i < n; i++) {
        ix->it[i] = k[i].it;
        ix->key[i] = k[i].key;
        ix->hash[i] = k[i].hash;
    }
    ix->n = n;
    ix->field = field;
    tm_view_free(v, k);
}

size_t tm_index_find(const tm_item_index *ix, const char *value, size_t *count)
{
    uint64_t h = tm_str_hash(value, false);
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix->hash[mid] < h || (ix->hash[mid] == h && strcmp(ix->key[mid], value) < 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < ix->n && ix->hash[end] == h && strcmp(ix->key[end], value) == 0)
        end++;
    *count = end - lo;
    return lo;
}

void tm_index_free(tm_item_index *ix)
{
    tm_view_free(ix->v, ix->it);
    tm_view_free(ix->v, ix->key);
    tm_view_free(ix->v, ix->hash);
    ix->it = NULL;
    ix->key = NULL;
    ix->hash = NULL;
    ix->n = 0;
}

/* ---- correlations ---------------------------------------------------------- */

static int64_t item_time(const tm_item *it)
{
    return it->time; /* the view's own copy: no record read to search it */
}

/* First index whose time is >= t (items without a time sort last). */
static size_t lower_bound(const tm_view *v, int64_t t)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t m = item_time(&v->items[mid]);
        if (m != TM_TIME_NONE && m < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void tm_view_window(const tm_view *v, int64_t from, int64_t to, size_t *first, size_t *end)
{
    if (from == TM_TIME_NONE || to == TM_TIME_NONE || to < from) {
        *first = *end = 0;
        return;
    }
    *first = lower_bound(v, from);
    *end = to == INT64_MAX ? lower_bound(v, INT64_MAX) : lower_bound(v, to + 1);
    if (*end < *first)
        *end = *first;
}

void tm_view_around(const tm_view *v, int64_t t, int64_t before, int64_t after, size_t *first, size_t *end)
{
    if (t == TM_TIME_NONE || t < INT64_MIN / 2 || t > INT64_MAX / 2) {
        *first = *end = 0;
        return;
    }
    tm_view_window(v, t - before, t + after, first, end);
}

const tm_item *tm_network_logon_before(const tm_view *v, unsigned sub, int64_t t)
{
    if (t == TM_TIME_NONE)
        return NULL;
    size_t first, end;
    tm_view_around(v, t, TM_MIN, TM_SEC, &first, &end);
    const tm_item *best = NULL;
    for (size_t i = first; i < end; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub == sub && !it->exec && strcmp(tm_data(it->r, "LogonType"), "3") == 0)
            best = it;
    }
    return best;
}

void tm_trace_take_logon(tm_trace *t, const tm_record *logon)
{
    char acct[256];
    tm_account(logon, "Target", acct, sizeof acct);
    if (!t->user && acct[0])
        tm_trace_set(&t->user, acct);
    if (!t->peer) {
        const char *ip = tm_data(logon, "IpAddress");
        tm_trace_set(&t->peer, tm_is_local_address(ip) ? tm_data(logon, "WorkstationName") : ip);
    }
}

bool tm_confirm_exit0(tm_trace *t, const tm_run *run)
{
    if (!tm_run_succeeded(run))
        return false;
    tm_confirm(t, true, "%s exited with status 0x0 (Security 4689)", run->exit->image);
    return true;
}

void tm_cite_service(tm_trace *t, const tm_item *it)
{
    const tm_record *r = it->r;
    if (tm_event_id(r) == 7045)
        tm_cite(t, r, it->art, "service %s installed: %s", tm_data(r, "ServiceName"), tm_data(r, "ImagePath"));
    else
        tm_cite(t, r, it->art, "service %s entered the %s state", tm_data(r, "param1"), tm_data(r, "param2"));
}

size_t tm_view_clusters(const tm_view *v, bool (*keep)(const tm_item *it, void *ctx), void *ctx, int64_t gap,
                        tm_cluster **out)
{
    const tm_item **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++)
        if (keep(&v->items[i], ctx))
            sel[n++] = &v->items[i];
    size_t nc = tm_clusters(sel, n, gap, out);
    tm_view_free(v, sel);
    return nc;
}

void tm_bursts_init(tm_bursts *b, const tm_traces *out, int64_t gap)
{
    memset(b, 0, sizeof *b);
    tm_strmap_init(&b->open, true);
    b->gap = gap;
    b->first = out->n;
}

void tm_bursts_free(tm_bursts *b)
{
    tm_strmap_free(&b->open);
    free(b->count);
    memset(b, 0, sizeof *b);
}

tm_trace *tm_burst_find(tm_bursts *b, tm_traces *out, const char *key, int64_t t)
{
    size_t i = tm_strmap_get(&b->open, key);
    if (i == TM_STRMAP_NONE || t == TM_TIME_NONE || i >= out->n || !out->t[i].nev)
        return NULL;
    int64_t last = out->t[i].ev[out->t[i].nev - 1].time;
    return last != TM_TIME_NONE && t - last < b->gap ? &out->t[i] : NULL;
}

void tm_burst_begin(tm_bursts *b, const tm_traces *out, const char *key)
{
    tm_strmap_put(&b->open, key, out->n - 1);
}

size_t tm_burst_count(tm_bursts *b, const tm_traces *out, const tm_trace *t)
{
    size_t k = (size_t)(t - out->t) - b->first;
    if (k >= b->cap) {
        size_t cap = b->cap ? b->cap : 16;
        while (cap <= k)
            cap *= 2;
        b->count = tm_xrealloc(b->count, cap * sizeof *b->count);
        memset(b->count + b->cap, 0, (cap - b->cap) * sizeof *b->count);
        b->cap = cap;
    }
    return ++b->count[k];
}

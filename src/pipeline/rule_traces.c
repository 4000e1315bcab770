/* Rule hits into traces (rule_traces.h). */
#include "pipeline/rule_traces.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

void tm_rule_expand(const tm_rule_hook *h, const tm_record *r, const char *tmpl, size_t count, tm_buf *out)
{
    for (const char *p = tmpl; *p;) {
        const char *close = *p == '{' ? strchr(p + 1, '}') : NULL;
        if (!close || close == p + 1 || close - p > 128) {
            tm_buf_putc(out, *p++);
            continue;
        }
        char name[130], buf[64];
        memcpy(name, p + 1, (size_t)(close - p - 1));
        name[close - p - 1] = 0;
        p = close + 1;
        if (!strcmp(name, "$count")) {
            tm_buf_printf(out, "%zu", count);
            continue;
        }
        if (!strcmp(name, "$records")) {
            tm_buf_printf(out, "%zu record%s", count, count == 1 ? "" : "s");
            continue;
        }
        const char *v = h->field(h->ctx, r, name, buf, sizeof buf);
        tm_buf_puts(out, v && *v ? v : "-");
    }
}

/* A template's text for this record, or NULL when there is no template;
 * "" when every field it names is absent or "-". */
static char *expand_or_null(const tm_rule_hook *h, const tm_record *r, const char *tmpl)
{
    if (!tmpl || !*tmpl)
        return NULL;
    tm_buf b;
    tm_buf_init(&b);
    tm_rule_expand(h, r, tmpl, 0, &b);
    char *s = tm_xstrdup(tm_buf_cstr(&b));
    tm_buf_free(&b);
    return s;
}

/* A hit with what its sort compares, read once from the record: the
 * records may be in the spill file, and a sort that read them would fault
 * them in at random. */
typedef struct {
    tm_rule_hit hit;
    char *key;
    int64_t time;
    uint64_t position;
} keyed_hit;

static int cmp_hit(const void *pa, const void *pb)
{
    const keyed_hit *a = pa, *b = pb;
    if (a->hit.rule->order != b->hit.rule->order)
        return a->hit.rule->order < b->hit.rule->order ? -1 : 1;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    if (a->time != b->time) { /* records without a time last */
        if (a->time == TM_TIME_NONE || b->time == TM_TIME_NONE)
            return a->time == TM_TIME_NONE ? 1 : -1;
        return a->time < b->time ? -1 : 1;
    }
    c = strcmp(a->hit.a->path, b->hit.a->path);
    if (c)
        return c;
    return a->position < b->position ? -1 : a->position > b->position;
}

/* "account": the domain controller's role for a domain account (the
 * record's TargetDomainName is neither this host's name nor Builtin), the
 * host's for one of its own accounts. */
static tm_role account_role(const tm_rule_hook *h, const tm_record *r, const char *host)
{
    char buf[64];
    const char *dom = h->field(h->ctx, r, "TargetDomainName", buf, sizeof buf);
    size_t hn = host ? strcspn(host, ".") : 0;
    if (!dom || !*dom || !strcmp(dom, "-") || !strcasecmp(dom, "Builtin") ||
        (hn && strlen(dom) == hn && !strncasecmp(dom, host, hn)))
        return TM_ROLE_HOST;
    return TM_ROLE_DC;
}

static tm_role role_named(const char *s)
{
    if (!s)
        return TM_ROLE_HOST;
    if (!strcasecmp(s, "source"))
        return TM_ROLE_SOURCE;
    if (!strcasecmp(s, "destination"))
        return TM_ROLE_DESTINATION;
    if (!strcasecmp(s, "dc") || !strcasecmp(s, tm_role_name(TM_ROLE_DC)))
        return TM_ROLE_DC;
    return TM_ROLE_HOST;
}

static tm_attribution attribution_named(const char *s)
{
    if (!s)
        return TM_ATTR_NONE;
    if (!strcasecmp(s, "named"))
        return TM_ATTR_NAMED;
    if (!strcasecmp(s, "renamed"))
        return TM_ATTR_RENAMED;
    if (!strcasecmp(s, "behaviour") || !strcasecmp(s, "behavior"))
        return TM_ATTR_BEHAVIOUR;
    return TM_ATTR_NONE;
}

/* The first of these Sigma fields the record has (not "-"). */
static char *first_field(const tm_rule_hook *h, const tm_record *r, const char *const *names)
{
    char buf[64];
    for (; *names; names++) {
        const char *v = h->field(h->ctx, r, *names, buf, sizeof buf);
        if (v && *v && strcmp(v, "-") != 0)
            return tm_xstrdup(v);
    }
    return NULL;
}

/* A record's summary when the rule gives no `cite` template: its event and
 * the first data values, short enough for a timeline cell. */
static void default_cite(const tm_record *r, tm_buf *out)
{
    tm_buf_printf(out, "%s %u:", tm_str(r, "channel"), tm_event_id(r));
    size_t start = out->len;
    for (size_t i = 0; i < r->nfields && out->len - start < 300; i++) {
        const tm_field *f = &r->fields[i];
        if (strncmp(f->name, "data.", 5) != 0 || f->type != TM_F_STR || !f->v.str.len ||
            strcmp(f->v.str.s, "-") == 0)
            continue;
        tm_buf_printf(out, " %s=%.200s", f->name + 5, f->v.str.s);
    }
}

static void start_trace(const tm_rule_hook *h, const keyed_hit *k, const char *host, tm_traces *out)
{
    const tm_rule_info *ri = k->hit.rule;
    const tm_record *r = k->hit.r;
    tm_attribution how = ri->tool ? attribution_named(ri->attribution) : TM_ATTR_NONE;
    tm_role role = ri->role && !strcasecmp(ri->role, "account") ? account_role(h, r, host) : role_named(ri->role);
    tm_trace *t = tm_trace_add(out, how != TM_ATTR_NONE ? ri->tool : NULL, ri->category ? ri->category : "Sigma rule",
                               role, r->time, ri->time_desc ? ri->time_desc : "Event time (rule match)");
    t->generic = ri->generic;
    tm_trace_set_rule(t, &ri->rule);
    char *activity = expand_or_null(h, r, ri->activity);
    tm_trace_set(&t->activity, activity && *activity ? activity : ri->rule.title);
    free(activity);
    tm_trace_set(&t->host, host && *host ? host : NULL);
    static const char *const users[] = {"User", "SubjectUserName", "TargetUserName", "AccountName", NULL};
    static const char *const cmds[] = {"CommandLine", "ProcessCommandLine", NULL};
    char *user = ri->user ? expand_or_null(h, r, ri->user) : first_field(h, r, users);
    char *cmd = ri->command_line ? expand_or_null(h, r, ri->command_line) : first_field(h, r, cmds);
    char *peer = expand_or_null(h, r, ri->peer);
    char *outcome = expand_or_null(h, r, ri->outcome);
    t->user_sid = expand_or_null(h, r, ri->user_sid);
    t->logon_id = expand_or_null(h, r, ri->logon_id);
    t->user = user;
    t->command_line = cmd;
    t->peer = peer;
    t->outcome = outcome;
    if (how != TM_ATTR_NONE)
        t->attribution = how;
    /* the candidates, when the records do not name the tool */
    if (how == TM_ATTR_NONE && ri->tool)
        tm_trace_add_candidate(t, ri->tool);
    if (ri->candidates && how == TM_ATTR_NONE) {
        const char *p = ri->candidates;
        while (*p) {
            while (*p == ',' || *p == ' ')
                p++;
            size_t n = strcspn(p, ",");
            while (n && p[n - 1] == ' ')
                n--;
            if (n) {
                char *c = tm_xstrndup(p, n);
                tm_trace_add_candidate(t, c);
                free(c);
            }
            p += strcspn(p, ",");
        }
    }
    if (ri->confirm && !strncasecmp(ri->confirm, "yes", 3)) {
        const char *why = ri->confirm + 3;
        while (*why == ' ' || *why == ':' || *why == ',')
            why++;
        if (!*why)
            why = "the record itself shows the action succeeded";
        /* confirmed is said of a tool's run: an activity no record ties to
         * a tool stays an indicator, and says why */
        t->confirmed = t->tool != NULL;
        if (t->confirmed)
            tm_trace_set(&t->reason, why);
        else
            tm_trace_setf(&t->reason, "%s; no record names the tool", why);
    } else if (ri->reason) {
        tm_trace_set(&t->reason, ri->reason);
    } else {
        tm_trace_set(&t->reason, "a single-event rule matched: an indicator, not a confirmed execution; read the "
                                 "cited records");
    }
}

static void cite(const tm_rule_hook *h, tm_trace *t, const keyed_hit *k)
{
    const tm_rule_info *ri = k->hit.rule;
    tm_buf s;
    tm_buf_init(&s);
    if (ri->cite)
        tm_rule_expand(h, k->hit.r, ri->cite, 0, &s);
    else
        default_cite(k->hit.r, &s);
    tm_evidence *e = tm_cite(t, k->hit.r, k->hit.a, "%s", tm_buf_cstr(&s));
    if (e && t->tool)
        e->attributes = true; /* the rule's match is what names the tool */
    tm_buf_free(&s);
    t->evidence_total = t->nev;
}

/* The message, once the trace's records are all cited ({$count}). */
static void finish_trace(const tm_rule_hook *h, tm_trace *t, const keyed_hit *first)
{
    const tm_rule_info *ri = first->hit.rule;
    if (ri->message) {
        tm_buf b;
        tm_buf_init(&b);
        tm_rule_expand(h, first->hit.r, ri->message, t->nev, &b);
        tm_trace_set(&t->message, tm_buf_cstr(&b));
        tm_buf_free(&b);
    } else {
        tm_trace_setf(&t->message, "Sigma rule \"%s\" (%s) matched (%zu record%s)", ri->rule.title,
                      ri->rule.level ? ri->rule.level : "no level", t->nev, t->nev == 1 ? "" : "s");
    }
}

void tm_rule_traces(const tm_rule_hook *h, tm_rule_hit *hits, size_t n, const char *host, tm_traces *out)
{
    if (!n)
        return;
    keyed_hit *k = tm_xcalloc(n, sizeof *k);
    for (size_t i = 0; i < n; i++) {
        tm_spill_tick();
        k[i].hit = hits[i];
        k[i].time = hits[i].r->time;
        k[i].position = hits[i].r->position;
        char *key = expand_or_null(h, hits[i].r, hits[i].rule->key);
        k[i].key = key ? key : tm_xstrdup("");
    }
    tm_sort(k, n, sizeof *k, cmp_hit);
    tm_trace *t = NULL;
    int64_t last = 0;
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        const tm_rule_info *ri = k[i].hit.rule;
        int64_t gap = (int64_t)(ri->gap > 0 ? ri->gap : 600) * 1000000;
        bool same = i > 0 && k[i - 1].hit.rule == ri && strcmp(k[i - 1].key, k[i].key) == 0 &&
                    (k[i].time == TM_TIME_NONE || last == TM_TIME_NONE || k[i].time - last <= gap);
        if (!same) {
            if (t)
                finish_trace(h, t, &k[first]);
            start_trace(h, &k[i], host, out);
            t = &out->t[out->n - 1];
            first = i;
        }
        last = k[i].time;
        cite(h, t, &k[i]);
    }
    if (t)
        finish_trace(h, t, &k[first]);
    for (size_t i = 0; i < n; i++)
        free(k[i].key);
    free(k);
}

#include "pipeline/trace.h"

#include "util/strmap.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/spill.h"
#include "util/timeutil.h"

const char *tm_role_name(tm_role r)
{
    switch (r) {
    case TM_ROLE_SOURCE: return "source";
    case TM_ROLE_DESTINATION: return "destination";
    case TM_ROLE_DC: return "domain_controller";
    case TM_ROLE_HOST: return "host";
    }
    return "host";
}

void tm_traces_init(tm_traces *ts)
{
    memset(ts, 0, sizeof *ts);
}

/* What grows with the traces (their array, the strings not shared, the
 * citations and their index, a rule's copy) is kept in a spill file when
 * one is given (tm_traces_use_spill): a host's traces grow with its logs,
 * and --memory bounds the input's process whatever their number. Plugins
 * make traces on every core: the file's allocations take a lock. Memory
 * from the file is not freed one piece at a time; the file goes as a whole
 * (an array that moves gives its old pages back). */
static tm_spill *g_spill;
static pthread_mutex_t spill_lock = PTHREAD_MUTEX_INITIALIZER;

void tm_traces_use_spill(tm_spill *s)
{
    pthread_mutex_lock(&spill_lock);
    g_spill = s;
    pthread_mutex_unlock(&spill_lock);
}

static void *talloc(size_t n)
{
    void *p = NULL;
    pthread_mutex_lock(&spill_lock);
    if (g_spill)
        p = tm_spill_alloc(g_spill, n ? n : 1);
    pthread_mutex_unlock(&spill_lock);
    return p ? p : tm_xmalloc(n ? n : 1);
}

static void *tcalloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return tm_xcalloc(n, size); /* ends the run, as any allocation that cannot be made */
    void *p = talloc(n * size);
    memset(p, 0, n * size);
    return p;
}

static void tfree(void *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&spill_lock);
    bool in_file = g_spill && tm_spill_owns(g_spill, p);
    pthread_mutex_unlock(&spill_lock);
    if (!in_file)
        free(p);
}

/* Room for element n of an array of *cap elements (first: a new one's). */
static void *tgrow(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
    pthread_mutex_lock(&spill_lock);
    void *p = tm_spill_grow(g_spill, arr, n, cap, elem, first);
    pthread_mutex_unlock(&spill_lock);
    return p;
}

static char *dup0(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    return memcpy(talloc(n), s, n);
}

/* The strings traces repeat (host, activity, category, time description,
 * phase, tool; a citation's kind, path, record name and channel) are kept
 * once per process: a busy host gives tens of thousands of traces, each
 * with some fifteen strings, and most are the same few hundred. A trace
 * holds the pool's copy; drop() leaves those alone and frees the others. */
enum { SHARE_MAX = 160 }; /* longer ones (command lines, messages) are seldom repeated */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER; /* plugins make traces on every core */
static tm_strmap pool;

static char *share(const char *s)
{
    if (!s || strlen(s) > SHARE_MAX)
        return dup0(s);
    pthread_mutex_lock(&pool_lock);
    const char *k = tm_strmap_intern(&pool, s);
    pthread_mutex_unlock(&pool_lock);
    return (char *)k; /* never written through: traces only replace their strings (tm_trace_set) */
}

static void drop(char *s)
{
    if (!s)
        return;
    if (strlen(s) <= SHARE_MAX) {
        pthread_mutex_lock(&pool_lock);
        bool pooled = tm_strmap_key(&pool, s) == s;
        pthread_mutex_unlock(&pool_lock);
        if (pooled)
            return;
    }
    tfree(s);
}

void tm_evidence_copy(tm_evidence *d, const tm_evidence *s)
{
    d->volume = s->volume;
    d->kind = share(s->kind);
    d->path = share(s->path);
    d->record = s->record;
    d->record_name = share(s->record_name);
    d->channel = share(s->channel);
    d->event_id = s->event_id;
    d->time = s->time;
    d->summary = dup0(s->summary);
    d->attributes = s->attributes;
    d->origin = dup0(s->origin);
    d->also = dup0(s->also);
}

void tm_evidence_free(tm_evidence *e)
{
    drop(e->kind);
    drop(e->path);
    drop(e->record_name);
    drop(e->channel);
    tfree(e->summary);
    tfree(e->origin);
    tfree(e->also);
    memset(e, 0, sizeof *e);
}

static void trace_free(tm_trace *t)
{
    for (size_t i = 0; i < t->ncand; i++)
        drop(t->candidates[i]);
    char **strs[] = {&t->time_desc, &t->activity, &t->tool, &t->category, &t->outcome, &t->reason, &t->host, &t->user,
                     &t->user_sid, &t->logon_id, &t->peer, &t->command_line, &t->phase, &t->message};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        drop(*strs[i]);
    for (size_t i = 0; i < t->nev; i++)
        tm_evidence_free(&t->ev[i]);
    tfree(t->ev);
    tfree(t->ev_slots);
    if (t->rule) {
        tm_trace_rule *r = t->rule;
        char **rs[] = {&r->id, &r->title, &r->level, &r->status, &r->author, &r->file};
        for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
            tfree(*rs[i]);
        for (size_t i = 0; i < r->ntags; i++)
            tfree(r->tags[i]);
        tfree(r->tags);
        tfree(r);
    }
}

void tm_traces_free(tm_traces *ts)
{
    for (size_t i = 0; i < ts->n; i++)
        trace_free(&ts->t[i]);
    tfree(ts->t);
    tm_traces_init(ts);
}

void tm_traces_move(tm_traces *to, tm_traces *from)
{
    for (size_t k = 0; k < from->n; k++) {
        to->t = tgrow(to->t, to->n, &to->cap, sizeof *to->t, 32);
        to->t[to->n++] = from->t[k]; /* moved: from gives up its strings */
    }
    tfree(from->t);
    tm_traces_init(from);
}

tm_trace *tm_trace_add(tm_traces *ts, const char *tool, const char *category, tm_role role, int64_t time,
                       const char *time_desc)
{
    ts->t = tgrow(ts->t, ts->n, &ts->cap, sizeof *ts->t, 32);
    tm_trace *t = &ts->t[ts->n++];
    memset(t, 0, sizeof *t);
    t->tool = share(tool);
    t->category = share(category);
    t->role = role;
    t->time = time;
    t->time_desc = share(time_desc);
    return t;
}

void tm_trace_set(char **field, const char *value)
{
    char *old = *field;
    *field = share(value);
    drop(old); /* after: value may be the old string itself */
}

void tm_trace_set_rule(tm_trace *t, const tm_trace_rule *rule)
{
    tm_trace_rule *r = tcalloc(1, sizeof *r);
    r->id = dup0(rule->id);
    r->title = dup0(rule->title);
    r->level = dup0(rule->level);
    r->status = dup0(rule->status);
    r->author = dup0(rule->author);
    r->file = dup0(rule->file);
    r->toolmark = rule->toolmark;
    r->ntags = rule->ntags;
    r->tags = tcalloc(rule->ntags ? rule->ntags : 1, sizeof *r->tags);
    for (size_t i = 0; i < rule->ntags; i++)
        r->tags[i] = dup0(rule->tags[i]);
    t->rule = r;
}

const char *tm_attribution_name(tm_attribution a)
{
    switch (a) {
    case TM_ATTR_NONE: return NULL;
    case TM_ATTR_NAMED: return "named";
    case TM_ATTR_RENAMED: return "renamed";
    case TM_ATTR_BEHAVIOUR: return "behaviour";
    }
    return NULL;
}

void tm_trace_attribute(tm_trace *t, tm_attribution how, tm_evidence *by)
{
    t->attribution = how;
    if (by)
        by->attributes = true;
}

void tm_trace_add_candidate(tm_trace *t, const char *tool)
{
    if (!tool || t->ncand == TM_TRACE_MAX_CANDIDATES)
        return;
    for (size_t i = 0; i < t->ncand; i++)
        if (strcmp(t->candidates[i], tool) == 0)
            return;
    t->candidates[t->ncand++] = share(tool);
}

void tm_trace_unattribute(tm_trace *t, const char *const *candidates)
{
    if (t->tool) {
        tm_trace_add_candidate(t, t->tool);
        drop(t->tool);
        t->tool = NULL;
    }
    for (size_t i = 0; candidates && candidates[i]; i++)
        tm_trace_add_candidate(t, candidates[i]);
    t->attribution = TM_ATTR_NONE;
    t->confirmed = false;
    for (size_t i = 0; i < t->nev; i++)
        t->ev[i].attributes = false;
}

size_t tm_traces_enforce_attribution(tm_traces *ts)
{
    size_t turned = 0;
    for (size_t i = 0; i < ts->n; i++) {
        tm_trace *t = &ts->t[i];
        bool cited = false;
        for (size_t k = 0; k < t->nev && !cited; k++)
            cited = t->ev[k].attributes;
        if (!t->activity)
            tm_trace_set(&t->activity, "program run");
        if (!t->tool)
            t->confirmed = false; /* confirmed means attributed, and more */
        if (!t->tool || (t->attribution != TM_ATTR_NONE && cited))
            continue;
        char why[1200];
        snprintf(why, sizeof why, "the records do not name the tool%s%s", t->reason ? "; " : "",
                 t->reason ? t->reason : "");
        tm_trace_unattribute(t, NULL);
        tm_trace_set(&t->reason, why);
        turned++;
    }
    return turned;
}

static void evidence_key(const tm_evidence *e, char *k, size_t n)
{
    snprintf(k, n, "%s#%llu#%u", e->path ? e->path : "", (unsigned long long)e->record, e->event_id);
}

size_t tm_traces_drop_covered(tm_traces *ts)
{
    tm_strmap cited; /* records specific traces cite */
    tm_strmap_init(&cited, false);
    char k[1200];
    /* a command's run cites a service image or a logon as where the command
     * was seen, not as the install or the logon it is: it covers nothing */
    /* and a rule brought from outside (SigmaHQ's, --rules) explains nothing
     * in toolmark's terms: the plugins' traces stay what they are with or
     * without it */
    for (size_t i = 0; i < ts->n; i++)
        if (!ts->t[i].generic && !(ts->t[i].activity && strcmp(ts->t[i].activity, "program run") == 0) &&
            !(ts->t[i].rule && !ts->t[i].rule->toolmark))
            for (size_t e = 0; e < ts->t[i].nev; e++) {
                evidence_key(&ts->t[i].ev[e], k, sizeof k);
                tm_strmap_put(&cited, k, i);
            }
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < ts->n; i++) {
        tm_trace *t = &ts->t[i];
        bool covered = t->generic && t->nev > 0;
        for (size_t e = 0; e < t->nev && covered; e++) {
            evidence_key(&t->ev[e], k, sizeof k);
            covered = tm_strmap_get(&cited, k) != TM_STRMAP_NONE;
        }
        if (covered) {
            trace_free(t);
            dropped++;
        } else {
            ts->t[kept++] = *t;
        }
    }
    ts->n = kept;
    tm_strmap_free(&cited);
    return dropped;
}

void tm_traces_cap_evidence(tm_traces *ts, size_t max)
{
    for (size_t i = 0; i < ts->n; i++) {
        tm_trace *t = &ts->t[i];
        t->evidence_total = t->nev;
        if (t->nev <= max)
            continue;
        /* keep the attributing records (up to max), then the first others, in their order */
        size_t attributing = 0;
        for (size_t k = 0; k < t->nev; k++)
            attributing += t->ev[k].attributes;
        size_t others = attributing >= max ? 0 : max - attributing, kept = 0, keep_attr = max - others;
        for (size_t k = 0; k < t->nev; k++) {
            size_t *quota = t->ev[k].attributes ? &keep_attr : &others;
            bool keep = *quota > 0;
            if (keep)
                (*quota)--;
            if (keep)
                t->ev[kept++] = t->ev[k];
            else
                tm_evidence_free(&t->ev[k]);
        }
        t->nev = kept;
        tfree(t->ev_slots); /* the index is not needed after this */
        t->ev_slots = NULL;
        t->ev_nslots = 0;
    }
}

void tm_trace_setf(char **field, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    tm_trace_set(field, tmp);
}

static size_t ev_hash(const char *path, uint64_t record, uint32_t event_id)
{
    uint64_t h = 1469598103934665603ULL ^ record ^ ((uint64_t)event_id << 40);
    for (const char *p = path ? path : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

static bool ev_same(const tm_evidence *e, const char *path, uint64_t record, uint32_t event_id)
{
    return e->record == record && e->event_id == event_id && strcmp(e->path ? e->path : "", path ? path : "") == 0;
}

/* The slots are built once a trace cites more than a few records. */
#define EV_LINEAR 8

static void ev_insert(tm_trace *t, size_t index)
{
    const tm_evidence *e = &t->ev[index];
    size_t mask = t->ev_nslots - 1;
    for (size_t s = ev_hash(e->path, e->record, e->event_id) & mask;; s = (s + 1) & mask)
        if (!t->ev_slots[s]) {
            t->ev_slots[s] = index + 1;
            return;
        }
}

static void ev_rehash(tm_trace *t)
{
    tfree(t->ev_slots);
    t->ev_nslots = 64;
    while (t->ev_nslots < 2 * (t->nev + 1))
        t->ev_nslots *= 2;
    t->ev_slots = tcalloc(t->ev_nslots, sizeof *t->ev_slots);
    for (size_t i = 0; i < t->nev; i++)
        ev_insert(t, i);
}

tm_evidence *tm_trace_find_evidence(tm_trace *t, const char *path, uint64_t record, uint32_t event_id)
{
    if (!t->ev_slots) {
        for (size_t i = 0; i < t->nev; i++)
            if (ev_same(&t->ev[i], path, record, event_id))
                return &t->ev[i];
        return NULL;
    }
    size_t mask = t->ev_nslots - 1;
    for (size_t s = ev_hash(path, record, event_id) & mask; t->ev_slots[s]; s = (s + 1) & mask)
        if (ev_same(&t->ev[t->ev_slots[s] - 1], path, record, event_id))
            return &t->ev[t->ev_slots[s] - 1];
    return NULL;
}

tm_evidence *tm_trace_add_evidence(tm_trace *t, const tm_evidence *ev)
{
    /* The same record cited twice is cited once. */
    tm_evidence *have = tm_trace_find_evidence(t, ev->path, ev->record, ev->event_id);
    if (have)
        return have;
    /* from one, doubling (capacity implied by nev): most traces cite one
     * or two records, and a busy host has tens of thousands of traces */
    if ((t->nev & (t->nev - 1)) == 0) {
        size_t cap = t->nev;
        t->ev = tgrow(t->ev, t->nev, &cap, sizeof *t->ev, 1);
    }
    tm_evidence_copy(&t->ev[t->nev], ev);
    t->nev++;
    if (t->nev > EV_LINEAR && (!t->ev_slots || 2 * t->nev > t->ev_nslots))
        ev_rehash(t);
    else if (t->ev_slots)
        ev_insert(t, t->nev - 1);
    return &t->ev[t->nev - 1];
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_trace(const void *pa, const void *pb)
{
    const tm_trace *a = pa, *b = pb;
    /* Traces without a time sort last. */
    if (a->time != b->time) {
        if (a->time == TM_TIME_NONE)
            return 1;
        if (b->time == TM_TIME_NONE)
            return -1;
        return a->time < b->time ? -1 : 1;
    }
    int c = cmp_str(a->tool, b->tool);
    if (c)
        return c;
    c = cmp_str(a->activity, b->activity);
    if (c)
        return c;
    if (a->role != b->role)
        return (int)a->role - (int)b->role;
    c = cmp_str(a->command_line, b->command_line);
    if (c)
        return c;
    c = cmp_str(a->rule ? a->rule->id : NULL, b->rule ? b->rule->id : NULL);
    if (c)
        return c;
    if (a->nev && b->nev) {
        c = cmp_str(a->ev[0].path, b->ev[0].path);
        if (c)
            return c;
        if (a->ev[0].record != b->ev[0].record)
            return a->ev[0].record < b->ev[0].record ? -1 : 1;
    }
    return (int)(a->nev - b->nev);
}

void tm_traces_sort(tm_traces *ts)
{
    pthread_mutex_lock(&spill_lock);
    tm_spill *s = g_spill;
    pthread_mutex_unlock(&spill_lock);
    tm_spill_sort(s, ts->t, ts->n, sizeof *ts->t, cmp_trace);
}

size_t tm_traces_keep_window(tm_traces *ts, int64_t from, int64_t to)
{
    size_t w = 0, dropped = 0;
    for (size_t i = 0; i < ts->n; i++) {
        tm_trace *t = &ts->t[i];
        if (t->time != TM_TIME_NONE && ((from != TM_TIME_NONE && t->time < from) || (to != TM_TIME_NONE && t->time > to))) {
            trace_free(t);
            dropped++;
            continue;
        }
        ts->t[w++] = *t;
    }
    ts->n = w;
    return dropped;
}

#include "pipeline/pipeline.h"

#include <ctype.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/history_bounds.h"
#include "pipeline/runs.h"
#include "pipeline/toolspec.h"
#include "util/buf.h"
#include "util/pathsafe.h"
#include "util/spill.h"
#include "util/timeutil.h"

/* A subscription of one plugin, in the index. */
typedef struct {
    size_t plugin;
    unsigned sub;
} sub_ref;

typedef struct {
    uint32_t id;
    const char *channel; /* "*" any */
    sub_ref ref;
    const tm_sub *sub;
} evtx_sub;

static bool sub_keeps(const tm_sub *s, const tm_record *r)
{
    return !s->keep || s->keep(r, s->ctx);
}

typedef struct {
    const char *pattern;
    sub_ref ref;
    bool any;  /* "*": every name */
    char lead; /* the pattern's first character, lower case, when it is a literal one: a quick no */
} named_sub;

static bool named_match(const named_sub *n, const char *name)
{
    if (n->any)
        return true;
    if (n->lead && n->lead != (char)tolower((unsigned char)name[0]))
        return false;
    return tm_iglob(n->pattern, name);
}

typedef struct {
    tm_record *r; /* in the arena */
    const tm_artifact *a;
    uint64_t position; /* r's, so that sorting reads no record but the rare ties (the store may be on disk) */
    size_t order;      /* arrival, only to make the sort total */
} kept;

typedef struct {
    tm_item *items;
    size_t n, cap;
} item_list;

struct tm_pipeline {
    const tm_plugin *const *plugins;
    size_t nplugins;
    size_t threads; /* for the plugins' pass; 0: one per core */
    tm_sub **subs; /* per plugin: its subscriptions and those of its specs */
    /* index */
    evtx_sub *ev; /* sorted by id */
    size_t nev;
    bool evtx_any_id;    /* some subscription takes every id of a channel */
    named_sub *execs, *usns, *facts, *kinds;
    size_t nexecs, nusns, nfacts, nkinds;
    char *evtx_want, *reg_want;
    /* the host */
    kept *k;
    size_t nk, capk;
    tm_arena store;  /* the kept records */
    tm_strmap names; /* their field names, one copy each */
    tm_hostinfo host;
    tm_hist_writes hist;
    char computer_from_events[96];
    char computer_from_recovered[96]; /* used when no live event names the computer */
    /* the artifacts they come from: the first artifact (locator order)
     * that names one decides, not the first record to arrive */
    const tm_artifact *computer_art, *computer_recovered_art;
    tm_pipeline_stats stats;
    /* single-event rules and the host's hits */
    const tm_rule_hook *rules;
    tm_rule_hit *hits;
    size_t nhits, caphits;
    /* --memory: the store and the arrays that grow with it live in a file
     * (util/spill.h) under spill_dir, trimmed past the budget */
    char *spill_dir;
    size_t budget;
    tm_spill *spill;
};

/* Room for one more element in an array that grows with the records: on
 * the heap, or in the spill file (the old copy's room is released and
 * handed out again). */
static void *grow(tm_pipeline *p, void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
    return tm_spill_grow(p->spill, arr, n, cap, elem, first);
}

/* Each record of a pass over the store ticks the budget (tm_spill_tick: a
 * check from the pass itself every TM_SPILL_TICK_NS at most): a pass reads
 * the store faster than a governor thread on a busy machine looks, and
 * each page it faults in maps its neighbours too (the kernel's
 * fault-around: 64 KiB). */
static inline void pace(const tm_pipeline *p)
{
    if (p->spill)
        tm_spill_tick();
}

static void release(tm_pipeline *p, void *arr, size_t bytes)
{
    tm_spill_release(p->spill, arr, bytes);
}

/* Execution-bearing events the pipeline always wants (runs.c). */
static const struct {
    const char *channel;
    uint32_t id;
    bool (*keep)(const tm_record *r); /* NULL: every record */
} exec_events[] = {
    {"Security", 4688, NULL},
    {"Security", 4689, NULL},
    {"Microsoft-Windows-Sysmon/Operational", 1, NULL},
    {"Microsoft-Windows-Sysmon/Operational", 5, NULL},
    {"Microsoft-Windows-PowerShell/Operational", 4103, NULL},
    {"Microsoft-Windows-PowerShell/Operational", 4104, NULL},
    {"System", 7045, NULL},
    {"Security", 4697, NULL},
    {"Security", 4698, NULL},
    {"Microsoft-Windows-Sysmon/Operational", 13, tm_service_image_write}, /* only services' ImagePath */
    {"Microsoft-Windows-Sysmon/Operational", 20, NULL},
    {"Windows PowerShell", 400, NULL},
};

static int cmp_evsub(const void *a, const void *b)
{
    const evtx_sub *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    if (x->ref.plugin != y->ref.plugin)
        return x->ref.plugin < y->ref.plugin ? -1 : 1;
    return x->ref.sub < y->ref.sub ? -1 : x->ref.sub > y->ref.sub;
}

static void push_named(named_sub **arr, size_t *n, const char *pattern, sub_ref ref)
{
    TM_GROW(*arr, *n);
    char c = pattern[0];
    (*arr)[(*n)++] = (named_sub){pattern, ref, strcmp(pattern, "*") == 0,
                                 c && c != '*' && c != '?' ? (char)tolower((unsigned char)c) : 0};
}

tm_pipeline *tm_pipeline_new(const tm_plugin *const *plugins, size_t n)
{
    tm_pipeline *p = tm_xcalloc(1, sizeof *p);
    p->plugins = plugins;
    p->nplugins = n;
    tm_buf want, reg;
    tm_buf_init(&want);
    tm_buf_init(&reg);
    for (size_t i = 0; i < sizeof exec_events / sizeof exec_events[0]; i++)
        tm_buf_printf(&want, "%s\t%u\n", exec_events[i].channel, exec_events[i].id);
    p->subs = tm_xcalloc(n ? n : 1, sizeof *p->subs);
    for (size_t i = 0; i < n; i++) {
        size_t ns;
        const tm_sub *s = p->subs[i] = tm_plugin_subs(plugins[i], &ns);
        for (unsigned k = 0; k < ns; k++) {
            sub_ref ref = {i, k};
            switch (s[k].type) {
            case TM_SUB_EVTX:
                p->ev = tm_xrealloc(p->ev, (p->nev + 1) * sizeof *p->ev);
                p->ev[p->nev++] = (evtx_sub){s[k].id, s[k].a, ref, &s[k]};
                if (s[k].id == 0)
                    p->evtx_any_id = true;
                if (s[k].id)
                    tm_buf_printf(&want, "%s\t%u\n", s[k].a, s[k].id);
                else
                    tm_buf_printf(&want, "%s\t*\n", s[k].a);
                break;
            case TM_SUB_EXEC: push_named(&p->execs, &p->nexecs, s[k].a, ref); break;
            case TM_SUB_USN: push_named(&p->usns, &p->nusns, s[k].a, ref); break;
            case TM_SUB_FACT: push_named(&p->facts, &p->nfacts, s[k].a, ref); break;
            case TM_SUB_KIND: push_named(&p->kinds, &p->nkinds, s[k].a, ref); break;
            case TM_SUB_REGKEY:
                push_named(&p->kinds, &p->nkinds, "registry-key", ref);
                p->kinds[p->nkinds - 1].pattern = s[k].a;
                p->kinds[p->nkinds - 1].ref.sub |= 0x80000000u; /* marks a key pattern */
                tm_buf_printf(&reg, "%s\n", s[k].a);
                break;
            }
        }
    }
    if (p->nev > 1)
        tm_sort(p->ev, p->nev, sizeof *p->ev, cmp_evsub);
    p->evtx_want = tm_xstrdup(tm_buf_cstr(&want));
    p->reg_want = tm_xstrdup(reg.len ? tm_buf_cstr(&reg) : "");
    tm_buf_free(&want);
    tm_buf_free(&reg);
    tm_hostinfo_init(&p->host);
    tm_hist_init(&p->hist);
    tm_arena_init(&p->store);
    tm_strmap_init(&p->names, false);
    return p;
}

static void forget_host(tm_pipeline *p)
{
    tm_arena_free(&p->store);
    tm_arena_init(&p->store);
    tm_strmap_free(&p->names);
    tm_strmap_init(&p->names, false);
    release(p, p->k, p->capk * sizeof *p->k);
    p->k = NULL;
    p->nk = p->capk = 0;
    tm_hist_free(&p->hist);
    tm_hist_init(&p->hist);
    tm_hostinfo_init(&p->host);
    p->computer_from_events[0] = 0;
    p->computer_from_recovered[0] = 0;
    p->computer_art = p->computer_recovered_art = NULL;
    release(p, p->hits, p->caphits * sizeof *p->hits);
    p->hits = NULL;
    p->nhits = p->caphits = 0;
    if (p->spill) {
        p->stats.spill_file = tm_spill_file_size(p->spill);
        p->stats.spill_trims = tm_spill_trims(p->spill);
    }
    tm_spill_free(p->spill); /* the file goes with it */
    p->spill = NULL;
}

void tm_pipeline_free(tm_pipeline *p)
{
    if (!p)
        return;
    forget_host(p);
    for (size_t i = 0; i < p->nplugins; i++)
        free(p->subs[i]);
    free(p->subs);
    free(p->ev);
    free(p->execs);
    free(p->usns);
    free(p->facts);
    free(p->kinds);
    free(p->evtx_want);
    free(p->reg_want);
    free(p->spill_dir);
    tm_strmap_free(&p->names);
    free(p);
}

void tm_pipeline_memory(tm_pipeline *p, const char *dir, size_t budget)
{
    free(p->spill_dir);
    p->spill_dir = dir && budget ? tm_xstrdup(dir) : NULL;
    p->budget = budget;
}

/* The spill file, made when the first record is kept (a host with nothing
 * to keep makes none). */
static void start_spill(tm_pipeline *p)
{
    if (p->spill || !p->spill_dir)
        return;
    p->spill = tm_spill_new(p->spill_dir, 0);
    if (!p->spill) {
        free(p->spill_dir); /* on the heap, then, without a budget */
        p->spill_dir = NULL;
        return;
    }
    tm_arena_use_spill(&p->store, p->spill);
    tm_spill_govern(p->spill, p->budget);
}

size_t tm_pipeline_spilled(const tm_pipeline *p)
{
    return p->spill ? tm_spill_file_size(p->spill) : 0;
}

void tm_pipeline_set_rules(tm_pipeline *p, const tm_rule_hook *rules)
{
    p->rules = rules;
    if (rules && rules->want && *rules->want) {
        char *w = tm_xasprintf("%s%s", p->evtx_want, rules->want);
        free(p->evtx_want);
        p->evtx_want = w;
    }
}

void tm_pipeline_threads(tm_pipeline *p, size_t n)
{
    p->threads = n;
}

const char *tm_pipeline_want(const tm_pipeline *p, tm_art_kind k)
{
    const tm_kind_info *ki = tm_kind(k);
    switch (ki ? ki->want : TM_WANT_NONE) {
    case TM_WANT_EVENTS: return p->evtx_want;
    case TM_WANT_KEYS: return p->reg_want;
    case TM_WANT_NONE: break;
    }
    return NULL;
}

const tm_hostinfo *tm_pipeline_hostinfo(const tm_pipeline *p)
{
    return &p->host;
}

const char *tm_pipeline_host(const tm_pipeline *p)
{
    return p->host.computer[0]        ? p->host.computer
           : p->computer_from_events[0] ? p->computer_from_events
                                        : p->computer_from_recovered;
}

tm_pipeline_stats tm_pipeline_get_stats(const tm_pipeline *p)
{
    return p->stats;
}

/* First entry with this id (ev sorted by id), or nev. */
static size_t ev_lower(const tm_pipeline *p, uint32_t id)
{
    size_t lo = 0, hi = p->nev;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->ev[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool evtx_wanted(const tm_pipeline *p, const tm_record *r)
{
    uint64_t id = 0;
    tm_record_uint(r, "event_id", &id);
    const char *ch = tm_record_str(r, "channel");
    for (size_t i = 0; i < sizeof exec_events / sizeof exec_events[0]; i++)
        if (exec_events[i].id == id && ch && strcasecmp(ch, exec_events[i].channel) == 0 &&
            (!exec_events[i].keep || exec_events[i].keep(r)))
            return true;
    for (size_t i = ev_lower(p, (uint32_t)id); i < p->nev && p->ev[i].id == id; i++)
        if ((strcmp(p->ev[i].channel, "*") == 0 || (ch && strcasecmp(ch, p->ev[i].channel) == 0)) &&
            sub_keeps(p->ev[i].sub, r))
            return true;
    if (p->evtx_any_id)
        for (size_t i = 0; i < p->nev && p->ev[i].id == 0; i++)
            if (ch && strcasecmp(ch, p->ev[i].channel) == 0 && sub_keeps(p->ev[i].sub, r))
                return true;
    return false;
}

static bool usn_wanted(const tm_pipeline *p, const tm_record *r)
{
    const char *name = tm_record_str(r, "file_name");
    if (!name)
        return false;
    for (size_t i = 0; i < p->nusns; i++)
        if (named_match(&p->usns[i], name))
            return true;
    return false;
}

/* The rules a record hits, collected before the record is kept. */
typedef struct {
    const tm_rule_info *hit[16];
    size_t n;
    size_t total; /* with those beyond 16 (counted in the stats, not made traces of) */
} record_hits;

static void on_hit(void *arg, const tm_rule_info *rule)
{
    record_hits *h = arg;
    if (h->n < sizeof h->hit / sizeof h->hit[0])
        h->hit[h->n++] = rule;
    h->total++;
}

void tm_pipeline_record(tm_pipeline *p, const tm_artifact *a, const tm_record *r)
{
    p->stats.seen++;
    bool keep = false;
    record_hits hits = {.n = 0};
    switch (tm_kind((tm_art_kind)r->kind)->keep) {
    case TM_KEEP_BY_EVENT:
        keep = evtx_wanted(p, r);
        if (p->rules) {
            p->rules->match(p->rules->ctx, r, on_hit, &hits);
            keep |= hits.n > 0;
        }
        tm_hostinfo_observe_logon(&p->host, r); /* who came from where: the case links hosts by it */
        {
            /* the live logs name the computer (recovered ones only when no
             * live one does); of several logs, the first in locator order,
             * whichever worker delivers first */
            bool rec = tm_origin_recovered(&a->origin);
            char *to = rec ? p->computer_from_recovered : p->computer_from_events;
            const tm_artifact **from = rec ? &p->computer_recovered_art : &p->computer_art;
            const char *c = to[0] && *from <= a ? NULL : tm_record_str(r, "computer");
            if (c && *c) {
                snprintf(to, sizeof p->computer_from_events, "%s", c);
                *from = a;
            }
        }
        break;
    case TM_KEEP_BY_FILE_NAME:
        tm_hist_observe_usn(&p->hist, a->volume, r);
        keep = usn_wanted(p, r);
        break;
    case TM_KEEP_ALL:
        tm_hostinfo_observe(&p->host, r); /* host facts: time zone, computer name */
        keep = true;
        break;
    case TM_KEEP_NONE: break;
    }
    if (!keep)
        return;
    start_spill(p);
    p->k = grow(p, p->k, p->nk, &p->capk, sizeof *p->k, 1024);
    p->k[p->nk] = (kept){tm_record_store(r, &p->store, &p->names, tm_kind((tm_art_kind)r->kind)->kept_fields), a,
                         r->position, p->nk};
    for (size_t i = 0; i < hits.n; i++) {
        p->hits = grow(p, p->hits, p->nhits, &p->caphits, sizeof *p->hits, 64);
        p->hits[p->nhits++] = (tm_rule_hit){p->k[p->nk].r, a, hits.hit[i]};
    }
    p->stats.rule_hits += hits.total;
    pace(p);
    p->nk++;
    p->stats.kept++;
}

/* ---- finishing a host ---------------------------------------------------- */

static int cmp_fields(const tm_record *a, const tm_record *b)
{
    size_t n = a->nfields < b->nfields ? a->nfields : b->nfields;
    for (size_t i = 0; i < n; i++) {
        const tm_field *x = &a->fields[i], *y = &b->fields[i];
        int c = strcmp(x->name, y->name);
        if (c)
            return c;
        if (x->type != y->type)
            return x->type < y->type ? -1 : 1;
        if (x->type == TM_F_STR || x->type == TM_F_BYTES) {
            size_t l = x->v.str.len < y->v.str.len ? x->v.str.len : y->v.str.len;
            c = memcmp(x->v.str.s, y->v.str.s, l);
            if (c)
                return c;
            if (x->v.str.len != y->v.str.len)
                return x->v.str.len < y->v.str.len ? -1 : 1;
        } else if (x->v.u != y->v.u) {
            return x->v.u < y->v.u ? -1 : 1;
        }
    }
    return a->nfields < b->nfields ? -1 : a->nfields > b->nfields;
}

/* Artifact order, position, then content: independent of arrival. */
static int cmp_kept(const void *pa, const void *pb)
{
    const kept *a = pa, *b = pb;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1; /* artifacts live in one array, in locator order */
    if (a->position != b->position)
        return a->position < b->position ? -1 : 1;
    int c = cmp_fields(a->r, b->r);
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static bool hist_bounds_cb(void *ctx, const tm_artifact *a, size_t k, int64_t *nb, int64_t *na)
{
    tm_pipeline *p = ctx;
    return tm_hist_bounds(&p->hist, a, k, nb, na);
}

static bool local_cb(void *ctx, int64_t local, int64_t *utc)
{
    tm_pipeline *p = ctx;
    return tm_hostinfo_local_to_utc(&p->host, local, utc);
}

static void item_push(tm_pipeline *p, item_list *l, const tm_record *r, const tm_artifact *a, const tm_exec *e,
                      unsigned sub)
{
    l->items = grow(p, l->items, l->n, &l->cap, sizeof *l->items, 64);
    l->items[l->n++] = (tm_item){r, a, e, sub, e ? e->time : r->time};
}

static int cmp_item(const void *pa, const void *pb)
{
    const tm_item *a = pa, *b = pb;
    int64_t ta = a->time, tb = b->time;
    bool na = ta == TM_TIME_NONE, nb = tb == TM_TIME_NONE;
    if (na != nb)
        return na ? 1 : -1;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    /* records are in one sorted array, executions in another: both orders are deterministic */
    if ((a->exec != NULL) != (b->exec != NULL))
        return a->exec ? 1 : -1;
    if (a->exec)
        return a->exec < b->exec ? -1 : a->exec > b->exec;
    if (a->r != b->r)
        return 0; /* stable sort keeps record order */
    return a->sub < b->sub ? -1 : a->sub > b->sub;
}

/* The script block's account is the record's UserID (a SID). */
static void script_sid(tm_execs *x, size_t first, const tm_record *r)
{
    const char *sid = tm_record_str(r, "user_sid");
    for (size_t i = first; sid && i < x->n; i++)
        x->e[i].user_sid = tm_execs_strdup(x, sid);
}

/* A part of a split script block. */
typedef struct {
    const char *id;
    long number;
    const tm_record *r;
    const tm_artifact *a;
} sb_part;

static int cmp_part(const void *pa, const void *pb)
{
    const sb_part *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);
    if (c)
        return c;
    return a->number < b->number ? -1 : a->number > b->number;
}

static bool is_script_block(const tm_record *r)
{
    return tm_is_event(r, "Microsoft-Windows-PowerShell/Operational", 4104);
}

/* PowerShell 4104 script blocks split in parts: joined by ScriptBlockId and
 * MessageNumber (sorted once), the commands taken from the whole. */
static void script_blocks(tm_pipeline *p, tm_execs *x)
{
    sb_part *parts = NULL;
    size_t np = 0;
    for (size_t i = 0; i < p->nk; i++) {
        const tm_record *r = p->k[i].r;
        if (!is_script_block(r))
            continue;
        const char *sbid = tm_record_str(r, "data.ScriptBlockId");
        const char *num = tm_record_str(r, "data.MessageNumber");
        const char *tot = tm_record_str(r, "data.MessageTotal");
        long total = tot ? strtol(tot, NULL, 10) : 1;
        size_t first = x->n;
        if (total <= 1 || !sbid) {
            tm_execs_from_script(x, tm_record_str(r, "data.ScriptBlockText"), r->time, NULL, r, p->k[i].a);
            script_sid(x, first, r);
            continue;
        }
        TM_GROW(parts, np);
        parts[np++] = (sb_part){sbid, num ? strtol(num, NULL, 10) : 0, r, p->k[i].a};
    }
    if (np > 1)
        tm_sort(parts, np, sizeof *parts, cmp_part);
    tm_buf text;
    tm_buf_init(&text);
    size_t i = 0;
    while (i < np) {
        size_t j = i;
        tm_buf_reset(&text);
        for (; j < np && strcmp(parts[j].id, parts[i].id) == 0; j++) {
            if (j > i && parts[j].number == parts[j - 1].number)
                continue; /* the same part twice (a recovered copy) */
            const char *t = tm_record_str(parts[j].r, "data.ScriptBlockText");
            if (t)
                tm_buf_puts(&text, t);
        }
        /* cited by its first part (the lowest one that survived) */
        size_t first = x->n;
        tm_execs_from_script(x, tm_buf_cstr(&text), parts[i].r->time, NULL, parts[i].r, parts[i].a);
        script_sid(x, first, parts[i].r);
        i = j;
    }
    tm_buf_free(&text);
    free(parts);
}

static void derive_execs(tm_pipeline *p, tm_execs *x)
{
    tm_exec_env env = {hist_bounds_cb, p, local_cb};
    /* Each record with its place from the end of its artifact (PSReadLine
     * commands are numbered from the end of their file). */
    size_t i = 0;
    while (i < p->nk) {
        const tm_artifact *a = p->k[i].a;
        size_t j = i;
        while (j < p->nk && p->k[j].a == a)
            j++;
        for (size_t m = i; m < j; m++) {
            tm_execs_from_record(x, p->k[m].r, a, &env, j - m);
            pace(p);
        }
        i = j;
    }
    script_blocks(p, x);
    tm_execs_sort(x);
}

static void route(tm_pipeline *p, const tm_execs *x, item_list *lists)
{
    for (size_t i = 0; i < p->nk; i++) {
        pace(p);
        const tm_record *r = p->k[i].r;
        const tm_artifact *a = p->k[i].a;
        const char *kind = tm_art_kind_name((tm_art_kind)r->kind);
        for (size_t s = 0; s < p->nkinds; s++) {
            bool keypat = p->kinds[s].ref.sub & 0x80000000u;
            unsigned sub = p->kinds[s].ref.sub & 0x7fffffffu;
            if (keypat) {
                /* key records (not facts) go to key subscribers */
                if (tm_kind((tm_art_kind)r->kind)->want == TM_WANT_KEYS && !tm_record_str(r, "fact"))
                    item_push(p, &lists[p->kinds[s].ref.plugin], r, a, NULL, sub);
            } else if (strcmp(p->kinds[s].pattern, kind) == 0) {
                item_push(p, &lists[p->kinds[s].ref.plugin], r, a, NULL, sub);
            }
        }
        const tm_kind_info *ki = tm_kind((tm_art_kind)r->kind);
        if (ki->keep == TM_KEEP_BY_EVENT) {
            uint64_t id = 0;
            tm_record_uint(r, "event_id", &id);
            const char *ch = tm_record_str(r, "channel");
            /* the subscriptions to every id of a channel (sorted first), then those to this id */
            for (size_t e = 0; e < p->nev && p->ev[e].id == 0; e++)
                if ((strcmp(p->ev[e].channel, "*") == 0 || (ch && strcasecmp(ch, p->ev[e].channel) == 0)) &&
                    sub_keeps(p->ev[e].sub, r))
                    item_push(p, &lists[p->ev[e].ref.plugin], r, a, NULL, p->ev[e].ref.sub);
            for (size_t e = id ? ev_lower(p, (uint32_t)id) : p->nev; e < p->nev && p->ev[e].id == id; e++)
                if ((strcmp(p->ev[e].channel, "*") == 0 || (ch && strcasecmp(ch, p->ev[e].channel) == 0)) &&
                    sub_keeps(p->ev[e].sub, r))
                    item_push(p, &lists[p->ev[e].ref.plugin], r, a, NULL, p->ev[e].ref.sub);
        } else if (ki->keep == TM_KEEP_BY_FILE_NAME) {
            const char *name = tm_record_str(r, "file_name");
            for (size_t s = 0; name && s < p->nusns; s++)
                if (named_match(&p->usns[s], name))
                    item_push(p, &lists[p->usns[s].ref.plugin], r, a, NULL, p->usns[s].ref.sub);
        } else if (ki->want == TM_WANT_KEYS) {
            const char *fact = tm_record_str(r, "fact");
            for (size_t s = 0; fact && s < p->nfacts; s++)
                if (strcmp(p->facts[s].pattern, fact) == 0)
                    item_push(p, &lists[p->facts[s].ref.plugin], r, a, NULL, p->facts[s].ref.sub);
        }
    }
    for (size_t i = 0; i < x->n; i++) {
        pace(p);
        const tm_exec *e = &x->e[i];
        for (size_t s = 0; s < p->nexecs; s++)
            if (named_match(&p->execs[s], e->name))
                item_push(p, &lists[p->execs[s].ref.plugin], e->r, e->art, e, p->execs[s].ref.sub);
    }
}

/* The plugins' pass: threads take plugins in table order until none is left. */
typedef struct {
    tm_pipeline *p;
    item_list *lists;
    const tm_execs *x;
    const char *host;
    tm_traces *traces; /* per plugin */
    size_t next;
    pthread_mutex_t lock;
} plugin_run;

static void *run_plugins(void *arg)
{
    plugin_run *pr = arg;
    for (;;) {
        pthread_mutex_lock(&pr->lock);
        size_t i = pr->next++;
        pthread_mutex_unlock(&pr->lock);
        if (i >= pr->p->nplugins)
            return NULL;
        item_list *l = &pr->lists[i];
        tm_spill_sort(pr->p->spill, l->items, l->n, sizeof *l->items, cmp_item);
        tm_view v = {l->items, l->n, &pr->p->host, pr->host, pr->x, tm_view_scratch_new(pr->p->spill)};
        tm_traces *out = &pr->traces[i];
        tm_traces_init(out);
        for (const tm_tool_spec *s = pr->p->plugins[i]->specs; s && s->tool; s++)
            tm_tool_traces(&v, out, s);
        if (pr->p->plugins[i]->run)
            pr->p->plugins[i]->run(&v, out);
        tm_view_scratch_free(v.scratch);
        release(pr->p, l->items, l->cap * sizeof *l->items);
    }
}

static int cmp_ptr(const void *a, const void *b)
{
    const void *x = *(const void *const *)a, *y = *(const void *const *)b;
    return x < y ? -1 : x > y;
}

/* The rule hits of records dropped as copies go with them. Frees gone. */
static void forget_hits(tm_pipeline *p, const tm_record **gone, size_t ngone)
{
    if (ngone && p->nhits) {
        tm_sort(gone, ngone, sizeof *gone, cmp_ptr);
        size_t h = 0;
        for (size_t i = 0; i < p->nhits; i++)
            if (!bsearch(&p->hits[i].r, gone, ngone, sizeof *gone, cmp_ptr))
                p->hits[h++] = p->hits[i];
        p->nhits = h;
    }
    free(gone);
}

/* A record that arrived twice (a log whose chunk was copied keeps the same
 * records twice, live and in slack): one copy is kept, the live one if
 * either is, so that nothing is counted or reported twice. The store is
 * sorted, so copies are neighbours. Rule hits of a dropped copy go too. */
static void drop_copies(tm_pipeline *p)
{
    const tm_record **gone = NULL;
    size_t ngone = 0, w = 0;
    for (size_t i = 0; i < p->nk; i++) {
        kept *prev = w ? &p->k[w - 1] : NULL;
        if (prev && prev->a == p->k[i].a && prev->position == p->k[i].position &&
            prev->r->kind == p->k[i].r->kind && prev->r->time == p->k[i].r->time &&
            cmp_fields(prev->r, p->k[i].r) == 0) {
            const tm_record *drop = p->k[i].r;
            if ((prev->r->flags & TM_REC_RECOVERED) && !(p->k[i].r->flags & TM_REC_RECOVERED)) {
                drop = prev->r;
                *prev = p->k[i];
            }
            TM_GROW(gone, ngone);
            gone[ngone++] = drop;
            continue;
        }
        p->k[w++] = p->k[i];
    }
    p->stats.kept -= p->nk - w;
    p->nk = w;
    forget_hits(p, gone, ngone);
}

/* ---- records found in several places ------------------------------------- */

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001B3ULL;
    return h;
}

static uint64_t record_hash(const tm_record *r)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    h = mix(h, &r->kind, sizeof r->kind);
    h = mix(h, &r->position, sizeof r->position);
    h = mix(h, &r->time, sizeof r->time);
    for (size_t i = 0; i < r->nfields; i++) {
        const tm_field *f = &r->fields[i];
        h = mix(h, f->name, strlen(f->name));
        if (f->type == TM_F_STR || f->type == TM_F_BYTES)
            h = mix(h, f->v.str.s, f->v.str.len);
        else
            h = mix(h, &f->v.u, sizeof f->v.u);
    }
    return h;
}

static bool same_record(const tm_record *a, const tm_record *b)
{
    return a->kind == b->kind && a->position == b->position && a->time == b->time && cmp_fields(a, b) == 0;
}

#define ALSO_MAX 400 /* characters of other places named per record; past it "..." */

/* Adds origin to the places r was also found in (a string in the store). */
static void note_also(tm_pipeline *p, tm_record *r, const tm_artifact *a)
{
    char origin[TM_ORIGIN_TEXT_MAX];
    tm_origin_text(&a->origin, origin, sizeof origin);
    const char *have = r->also ? r->also : "";
    size_t hl = strlen(have);
    if (hl >= ALSO_MAX) {
        if (hl < 5 || strcmp(have + hl - 5, "; ...") != 0) {
            char *s = tm_arena_alloc(&p->store, hl + 6);
            memcpy(s, have, hl);
            memcpy(s + hl, "; ...", 6);
            r->also = s;
        }
        return;
    }
    if (strstr(have, origin)) /* one chunk's copies: the place once */
        return;
    size_t ol = strlen(origin);
    char *s = tm_arena_alloc(&p->store, hl + 2 + ol + 1);
    memcpy(s, have, hl);
    size_t k = hl;
    if (hl) {
        memcpy(s + k, "; ", 2);
        k += 2;
    }
    memcpy(s + k, origin, ol + 1);
    r->also = s;
}

/* A record found in a live log and again where recovery looked (a carved
 * chunk that is an old copy of the live log's, the same log in a shadow
 * copy) is kept once: the live copy, else the first recovered one in
 * artifact order, which names the other places in `also`. A record found
 * only where recovery looked is the evidence of deletion, and stays with
 * its origin. One hash table over the kept records: linear. */
static void drop_recovered_copies(tm_pipeline *p)
{
    bool any = false;
    for (size_t i = 0; i < p->nk && !any; i++)
        any = tm_origin_recovered(&p->k[i].a->origin);
    if (!any)
        return;
    size_t cap = 16;
    while (cap < p->nk * 2)
        cap *= 2;
    size_t *slot = tm_xcalloc(cap, sizeof *slot); /* index + 1 into p->k */
    uint64_t *hash = tm_xmalloc(p->nk * sizeof *hash);
    bool *drop = tm_xcalloc(p->nk, sizeof *drop);
    for (size_t i = 0; i < p->nk; i++) {
        hash[i] = record_hash(p->k[i].r);
        pace(p);
    }
    /* live records first, then the recovered ones in artifact order */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < p->nk; i++) {
            if (tm_origin_recovered(&p->k[i].a->origin) != (pass == 1))
                continue;
            size_t h = (size_t)hash[i] & (cap - 1);
            for (; slot[h]; h = (h + 1) & (cap - 1)) {
                size_t j = slot[h] - 1;
                if (hash[j] == hash[i] && same_record(p->k[j].r, p->k[i].r))
                    break;
            }
            if (!slot[h]) {
                slot[h] = i + 1;
            } else if (pass == 1) {
                drop[i] = true;
                note_also(p, p->k[slot[h] - 1].r, p->k[i].a);
            }
        }
    const tm_record **gone = NULL;
    size_t ngone = 0, w = 0;
    for (size_t i = 0; i < p->nk; i++) {
        if (drop[i]) {
            TM_GROW(gone, ngone);
            gone[ngone++] = p->k[i].r;
            continue;
        }
        p->k[w++] = p->k[i];
    }
    p->stats.kept -= p->nk - w;
    p->nk = w;
    forget_hits(p, gone, ngone);
    free(slot);
    free(hash);
    free(drop);
}

void tm_pipeline_finish(tm_pipeline *p, tm_traces *out)
{
    if (p->nk > 1)
        tm_spill_sort(p->spill, p->k, p->nk, sizeof *p->k, cmp_kept);
    drop_copies(p);
    drop_recovered_copies(p);
    tm_execs x;
    tm_execs_init(&x);
    if (p->spill)
        tm_execs_use_spill(&x, p->spill);
    derive_execs(p, &x);
    p->stats.execs = x.n;
    item_list *lists = tm_xcalloc(p->nplugins ? p->nplugins : 1, sizeof *lists);
    route(p, &x, lists);
    const char *host = tm_pipeline_host(p);
    size_t first = out->n;
    /* The plugins are independent (no I/O, no shared state, each its own
     * view and traces): they run on every core, and their traces are
     * appended in table order, as if they had run one after the other. */
    plugin_run run = {p, lists, &x, host, tm_xcalloc(p->nplugins ? p->nplugins : 1, sizeof(tm_traces)), 0,
                      PTHREAD_MUTEX_INITIALIZER};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = p->threads ? p->threads : cores > 0 ? (size_t)cores : 1;
    if (nthreads > p->nplugins)
        nthreads = p->nplugins;
    pthread_t *th = tm_xcalloc(nthreads ? nthreads : 1, sizeof *th);
    size_t started = 0;
    for (size_t i = 1; i < nthreads; i++)
        if (pthread_create(&th[started], NULL, run_plugins, &run) == 0)
            started++;
    run_plugins(&run); /* this thread works too (and alone, when no thread could start) */
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    malloc_trim(0); /* the plugins' indexes, freed in their threads' arenas */
    for (size_t i = 0; i < p->nplugins; i++)
        tm_traces_move(out, &run.traces[i]);
    free(run.traces);
    free(lists);
    if (p->rules)
        tm_rule_traces(p->rules, p->hits, p->nhits, host, out);
    /* This host's traces only: no tool without the record that names it,
     * then sorted. */
    tm_traces mine = {out->t ? out->t + first : NULL, out->n - first, out->n - first}; /* none yet: no array */
    tm_traces_drop_covered(&mine);
    out->n = first + mine.n;
    tm_traces_enforce_attribution(&mine);
    tm_traces_cap_evidence(&mine, TM_TRACE_MAX_CITED);
    tm_traces_sort(&mine);
    tm_execs_free(&x);
    forget_host(p);
    /* what the plugins' threads freed stays in their malloc arenas unless
     * given back: the outputs are written after this */
    malloc_trim(0);
}

/* A Sigma set as the pipeline's rule hook (sigma_hook.h). */
#include "rules/sigma_hook.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

static const char *const level_names[] = {"informational", "low", "medium", "high", "critical"};

const char *tm_sigma_level_name(tm_sigma_level l)
{
    return (unsigned)l < sizeof level_names / sizeof *level_names ? level_names[l] : "medium";
}

bool tm_sigma_level_parse(const char *s, tm_sigma_level *out)
{
    for (size_t i = 0; s && i < sizeof level_names / sizeof *level_names; i++)
        if (!strcasecmp(s, level_names[i])) {
            *out = (tm_sigma_level)i;
            return true;
        }
    return false;
}

struct tm_sigma_hook {
    const tm_sigma_set *set;
    tm_sigma_level min_level;
    tm_rule_info *info; /* one per rule of the set */
    size_t n;
    char *want;
    tm_rule_hook hook;
};

/* The record's field of this Sigma name: "data.<name>" for event data. */
static const tm_field *data_field(const tm_record *r, const char *name)
{
    char key[160];
    if (snprintf(key, sizeof key, "data.%s", name) >= (int)sizeof key)
        return NULL;
    return tm_record_get(r, key);
}

const char *tm_sigma_record_text(const tm_record *r, const char *sigma, char *buf, size_t n)
{
    if (!strcmp(sigma, "EventID")) {
        uint64_t id;
        if (!tm_record_uint(r, "event_id", &id))
            return NULL;
        snprintf(buf, n, "%" PRIu64, id);
        return buf;
    }
    if (!strcmp(sigma, "Channel"))
        return tm_record_str(r, "channel");
    if (!strcmp(sigma, "Provider_Name"))
        return tm_record_str(r, "provider");
    if (!strcmp(sigma, "Computer"))
        return tm_record_str(r, "computer");
    const tm_field *f = data_field(r, tm_sigma_record_field(tm_record_str(r, "channel"), tm_event_id(r), sigma));
    if (!f)
        return NULL;
    switch (f->type) {
    case TM_F_STR: return f->v.str.s;
    case TM_F_UINT: snprintf(buf, n, "%" PRIu64, f->v.u); return buf;
    case TM_F_INT: snprintf(buf, n, "%" PRId64, f->v.i); return buf;
    default: return NULL;
    }
}

/* ---- matching ---- */

/* The event given to the matcher: the record and a few buffers, one per
 * field a condition may hold at once (fieldref compares two). */
typedef struct {
    const tm_record *r;
    char buf[4][32];
    unsigned next;
} event_ctx;

static const char *ev_get(void *ctx, const char *field)
{
    event_ctx *e = ctx;
    char *b = e->buf[e->next++ % 4];
    return tm_sigma_record_text(e->r, field, b, sizeof e->buf[0]);
}

static bool ev_each(void *ctx, bool (*fn)(void *arg, const char *value), void *arg)
{
    const event_ctx *e = ctx;
    for (size_t i = 0; i < e->r->nfields; i++) {
        const tm_field *f = &e->r->fields[i];
        if (f->type == TM_F_STR && !strncmp(f->name, "data.", 5) && fn(arg, f->v.str.s))
            return true;
    }
    return false;
}

typedef struct {
    const tm_sigma_hook *h;
    void (*hit)(void *arg, const tm_rule_info *rule);
    void *arg;
} hit_ctx;

static void on_hit(void *arg, const tm_sigma_rule *r)
{
    const hit_ctx *x = arg;
    if (r->index < x->h->n)
        x->hit(x->arg, &x->h->info[r->index]);
}

static void hook_match(void *ctx, const tm_record *r, void (*hit)(void *arg, const tm_rule_info *rule), void *arg)
{
    const tm_sigma_hook *h = ctx;
    const char *channel = tm_record_str(r, "channel");
    uint64_t id;
    if (!channel || !tm_record_uint(r, "event_id", &id) || id > UINT32_MAX)
        return;
    event_ctx e = {.r = r};
    tm_sigma_event ev = {ev_get, ev_each, &e};
    hit_ctx x = {h, hit, arg};
    tm_sigma_scan(h->set, channel, (uint32_t)id, h->min_level, &ev, on_hit, &x);
}

static const char *hook_field(void *ctx, const tm_record *r, const char *sigma, char *buf, size_t n)
{
    (void)ctx;
    return tm_sigma_record_text(r, sigma, buf, n);
}

/* ---- the rules' information for traces ---- */

static const char *ext_get(const tm_sigma_rule *r, const char *key)
{
    for (size_t i = 0; i < r->next; i++)
        if (!strcmp(r->ext[i].key, key))
            return r->ext[i].value;
    return NULL;
}

static void fill_info(tm_rule_info *ri, const tm_sigma_rule *r)
{
    ri->rule = (tm_trace_rule){r->id, r->title, (char *)tm_sigma_level_name(r->level), r->status, r->author,
                               r->file, r->tags, r->ntags, r->next > 0};
    ri->level = (int)r->level;
    ri->order = r->index;
    ri->tool = ext_get(r, "tool");
    ri->attribution = ext_get(r, "attribution");
    ri->candidates = ext_get(r, "candidates");
    ri->activity = ext_get(r, "activity");
    ri->category = ext_get(r, "category");
    ri->role = ext_get(r, "role");
    ri->message = ext_get(r, "message");
    ri->cite = ext_get(r, "cite");
    ri->key = ext_get(r, "key");
    ri->user = ext_get(r, "user");
    ri->peer = ext_get(r, "peer");
    ri->command_line = ext_get(r, "command_line");
    ri->confirm = ext_get(r, "confirm");
    ri->outcome = ext_get(r, "outcome");
    ri->user_sid = ext_get(r, "user_sid");
    ri->logon_id = ext_get(r, "logon_id");
    ri->time_desc = ext_get(r, "time_desc");
    ri->reason = ext_get(r, "reason");
    const char *generic = ext_get(r, "generic");
    ri->generic = generic && (!strcasecmp(generic, "yes") || !strcasecmp(generic, "true"));
    const char *gap = ext_get(r, "gap");
    ri->gap = gap ? strtol(gap, NULL, 10) : 0;
}

tm_sigma_hook *tm_sigma_hook_new(const tm_sigma_set *set, tm_sigma_level min_level)
{
    tm_sigma_hook *h = tm_xcalloc(1, sizeof *h);
    h->set = set;
    h->min_level = min_level;
    h->n = tm_sigma_count(set);
    h->info = tm_xcalloc(h->n ? h->n : 1, sizeof *h->info);
    for (size_t i = 0; i < h->n; i++)
        fill_info(&h->info[i], tm_sigma_at(set, i));
    /* The subscription: the log sources of the rules that will run. A
     * source is wanted when a rule at or above the level needs it. */
    tm_buf w;
    tm_buf_init(&w);
    size_t ns;
    const tm_sigma_source *src = tm_sigma_sources(set, &ns);
    for (size_t i = 0; i < ns; i++) {
        size_t nc;
        const tm_sigma_rule *const *c = tm_sigma_candidates(set, src[i].channel, src[i].event_id, &nc);
        bool any = false;
        for (size_t k = 0; k < nc && !any; k++)
            any = c[k]->level >= min_level;
        if (!any && strcmp(src[i].channel, "*") != 0)
            continue;
        if (src[i].event_id)
            tm_buf_printf(&w, "%s\t%u\n", src[i].channel, src[i].event_id);
        else
            tm_buf_printf(&w, "%s\t*\n", src[i].channel);
    }
    h->want = tm_xstrdup(tm_buf_cstr(&w));
    tm_buf_free(&w);
    h->hook = (tm_rule_hook){hook_match, hook_field, h->want, h};
    return h;
}

const tm_rule_hook *tm_sigma_hook_get(const tm_sigma_hook *h)
{
    return &h->hook;
}

void tm_sigma_hook_free(tm_sigma_hook *h)
{
    if (!h)
        return;
    free(h->info);
    free(h->want);
    free(h);
}

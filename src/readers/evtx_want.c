/* The EVTX subscription as a lookup (evtx_want.h). */
#include "readers/evtx_want.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strmap.h"

/* The ids subscribed to in one channel (or in any channel). */
typedef struct {
    bool any_id;
    uint32_t *ids; /* sorted, without repeats once parsed */
    size_t n;
} chan_ids;

struct tm_evtx_want {
    tm_strmap names; /* channel (ASCII case folded) -> chans[] */
    chan_ids *chans;
    size_t nchans;
    chan_ids star; /* lines of channel `*` */
};

static void add_id(chan_ids *c, bool any, uint32_t id)
{
    if (any) {
        c->any_id = true;
        return;
    }
    TM_GROW(c->ids, c->n);
    c->ids[c->n++] = id;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void finish(chan_ids *c)
{
    if (c->n < 2)
        return;
    qsort(c->ids, c->n, sizeof *c->ids, cmp_u32);
    size_t k = 1;
    for (size_t i = 1; i < c->n; i++)
        if (c->ids[i] != c->ids[k - 1])
            c->ids[k++] = c->ids[i];
    c->n = k;
}

static bool has(const chan_ids *c, uint32_t id)
{
    if (c->any_id)
        return true;
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->ids[lo] == id;
}

tm_evtx_want *tm_evtx_want_parse(const char *want)
{
    tm_evtx_want *w = tm_xcalloc(1, sizeof *w);
    tm_strmap_init(&w->names, true);
    for (const char *p = want; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *tab = memchr(p, '\t', len);
        if (tab) {
            char channel[256];
            snprintf(channel, sizeof channel, "%.*s", (int)(tab - p), p);
            bool any_id = tab[1] == '*';
            uint32_t id = (uint32_t)strtoul(tab + 1, NULL, 10);
            if (!strcmp(channel, "*")) {
                add_id(&w->star, any_id, id);
            } else {
                size_t k = tm_strmap_get(&w->names, channel);
                if (k == TM_STRMAP_NONE) {
                    TM_GROW(w->chans, w->nchans);
                    w->chans[w->nchans] = (chan_ids){0};
                    k = w->nchans++;
                    tm_strmap_put(&w->names, channel, k);
                }
                add_id(&w->chans[k], any_id, id);
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    finish(&w->star);
    for (size_t i = 0; i < w->nchans; i++)
        finish(&w->chans[i]);
    return w;
}

bool tm_evtx_wanted(const tm_evtx_want *w, uint32_t id, const char *channel)
{
    if (!w)
        return false;
    if (has(&w->star, id))
        return true;
    size_t k = channel ? tm_strmap_get(&w->names, channel) : TM_STRMAP_NONE;
    return k != TM_STRMAP_NONE && has(&w->chans[k], id);
}

void tm_evtx_want_free(tm_evtx_want *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nchans; i++)
        free(w->chans[i].ids);
    free(w->chans);
    free(w->star.ids);
    tm_strmap_free(&w->names);
    free(w);
}

#include "case/links.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strmap.h"
#include "util/timeutil.h"

static bool is_hexish(const char *s)
{
    return strspn(s, "0123456789abcdefABCDEF") == strlen(s);
}

/* A peer as a lookup key: without "\\" and what follows a share or a port,
 * lower case; "::ffff:10.0.0.1" as "10.0.0.1". Empty for the local host. */
static void peer_key(const char *p, char *out, size_t n)
{
    out[0] = '\0';
    if (!p)
        return;
    while (*p == '\\' || *p == '/')
        p++;
    if (strncasecmp(p, "::ffff:", 7) == 0)
        p += 7;
    size_t k = 0;
    for (; *p && *p != '\\' && *p != '/' && k + 1 < n; p++) {
        out[k] = '\0';
        if (*p == ':' && strchr(p + 1, ':') == NULL && (strchr(out, '.') != NULL || !is_hexish(out)))
            break; /* "host:5985", "10.0.0.5:445" (not an IPv6 address) */
        out[k++] = (char)tolower((unsigned char)*p);
    }
    out[k] = '\0';
    if (!strcmp(out, "127.0.0.1") || !strcmp(out, "::1") || !strcmp(out, "localhost") || !strcmp(out, "-") ||
        !strcmp(out, "."))
        out[0] = '\0';
}

static bool is_address(const char *k)
{
    return k[0] && strspn(k, "0123456789.:abcdef") == strlen(k) && (strchr(k, '.') || strchr(k, ':')) &&
           !strchr(k, '-');
}

/* The names a host answers to: its computer name, the same with its
 * domain, and its addresses. */
static void index_hosts(const tm_case_host *hosts, size_t nhosts, tm_strmap *ix)
{
    char k[256];
    for (size_t h = 0; h < nhosts; h++) {
        if (hosts[h].computer && *hosts[h].computer) {
            peer_key(hosts[h].computer, k, sizeof k);
            if (*k && tm_strmap_get(ix, k) == TM_STRMAP_NONE)
                tm_strmap_put(ix, k, h);
            if (hosts[h].domain && *hosts[h].domain) {
                char fq[512];
                snprintf(fq, sizeof fq, "%s.%s", hosts[h].computer, hosts[h].domain);
                peer_key(fq, k, sizeof k);
                if (*k && tm_strmap_get(ix, k) == TM_STRMAP_NONE)
                    tm_strmap_put(ix, k, h);
            }
        }
        for (size_t a = 0; a < hosts[h].naddresses; a++) {
            peer_key(hosts[h].addresses[a], k, sizeof k);
            if (*k && tm_strmap_get(ix, k) == TM_STRMAP_NONE)
                tm_strmap_put(ix, k, h);
        }
    }
}

static size_t resolve(const tm_strmap *ix, const char *peer)
{
    char k[256];
    peer_key(peer, k, sizeof k);
    if (!*k)
        return SIZE_MAX;
    size_t h = tm_strmap_get(ix, k);
    if (h != TM_STRMAP_NONE)
        return h;
    if (!is_address(k)) { /* "srv01.corp.example" for a host known as "srv01" */
        char *dot = strchr(k, '.');
        if (dot) {
            *dot = '\0';
            h = tm_strmap_get(ix, k);
            if (h != TM_STRMAP_NONE)
                return h;
        }
    }
    return SIZE_MAX;
}

size_t tm_case_resolve(const tm_case_host *hosts, size_t nhosts, const char *peer)
{
    tm_strmap ix;
    tm_strmap_init(&ix, false);
    index_hosts(hosts, nhosts, &ix);
    size_t h = resolve(&ix, peer);
    tm_strmap_free(&ix);
    return h;
}

static bool named_in(const char *tool, const char *const *c, size_t n)
{
    for (size_t i = 0; tool && i < n; i++)
        if (strcmp(c[i], tool) == 0)
            return true;
    return false;
}

/* How well a destination trace answers a source one: 0 for not at all. The
 * destination must not name another host as its peer; it must name the
 * source, or be the same tool (or one the other's candidates allow). */
static int score(const tm_case_trace *s, const tm_case_trace *d, size_t src_host, size_t dst_peer_host)
{
    bool peer_ok = dst_peer_host == src_host;
    if (dst_peer_host != SIZE_MAX && !peer_ok)
        return 0;
    int tool = 0;
    if (s->tool && d->tool && strcmp(s->tool, d->tool) == 0)
        tool = 3;
    else if (named_in(s->tool, d->candidates, d->ncand) || named_in(d->tool, s->candidates, s->ncand))
        tool = 2;
    else if (s->activity && d->activity && strcmp(s->activity, d->activity) == 0)
        tool = 1;
    if (!peer_ok && tool < 2)
        return 0;
    return (peer_ok ? 4 : 0) + tool;
}

typedef struct {
    size_t s, d;
    int score;
    int64_t gap; /* |offset| */
} pair;

static int cmp_pair(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->gap != b->gap)
        return a->gap < b->gap ? -1 : 1;
    if (a->s != b->s)
        return a->s < b->s ? -1 : 1;
    return a->d < b->d ? -1 : a->d > b->d;
}

/* destination traces in (host, time) order */
static const tm_case_trace *g_sort_base;
static int cmp_dest(const void *pa, const void *pb)
{
    const tm_case_trace *a = &g_sort_base[*(const size_t *)pa], *b = &g_sort_base[*(const size_t *)pb];
    if (a->host != b->host)
        return a->host < b->host ? -1 : 1;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

static void open_end(tm_case_links *out, tm_strmap *ix, size_t host, const tm_case_trace *t, bool outgoing)
{
    char k[300], p[256];
    peer_key(t->peer, p, sizeof p);
    snprintf(k, sizeof k, "%zu\t%d\t%s", host, outgoing, p);
    size_t i = tm_strmap_get(ix, k);
    if (i == TM_STRMAP_NONE) {
        TM_GROW(out->open, out->nopen);
        i = out->nopen++;
        out->open[i] = (tm_open_end){host, t->peer, outgoing, 0, t->time, t->time, t->tool ? t->tool : t->activity};
        tm_strmap_put(ix, k, i);
    }
    tm_open_end *o = &out->open[i];
    o->traces++;
    if (t->time != TM_TIME_NONE) {
        if (o->first == TM_TIME_NONE || t->time < o->first)
            o->first = t->time;
        if (o->last == TM_TIME_NONE || t->time > o->last)
            o->last = t->time;
    }
}

static void add_link(tm_case_links *out, tm_link_kind kind, size_t from, size_t to, const tm_case_trace *s,
                     const tm_case_trace *d)
{
    TM_GROW(out->links, out->nlinks);
    tm_link *l = &out->links[out->nlinks++];
    *l = (tm_link){kind, from, to, s, d, false, 0};
    if (s && d && s->time != TM_TIME_NONE && d->time != TM_TIME_NONE) {
        l->has_offset = true;
        l->offset_us = d->time - s->time;
    }
}

static int64_t link_time(const tm_link *l)
{
    return l->src ? l->src->time : l->dst->time;
}

static int cmp_link(const void *pa, const void *pb)
{
    const tm_link *a = pa, *b = pb;
    int64_t x = link_time(a), y = link_time(b);
    if (x != y)
        return x < y ? -1 : 1;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    if (a->to != b->to)
        return a->to < b->to ? -1 : 1;
    const tm_case_trace *p = a->src ? a->src : a->dst, *q = b->src ? b->src : b->dst;
    return p < q ? -1 : p > q;
}

enum { BEST_PER_SOURCE = 8 };

void tm_case_link(const tm_case_host *hosts, size_t nhosts, const tm_case_trace *tr, size_t n, int64_t skew_us,
                  tm_case_links *out)
{
    memset(out, 0, sizeof *out);
    tm_strmap ix, ends;
    tm_strmap_init(&ix, false);
    tm_strmap_init(&ends, false);
    index_hosts(hosts, nhosts, &ix);
    /* each trace's peer, resolved once */
    size_t *peer_host = tm_xmalloc((n ? n : 1) * sizeof *peer_host);
    size_t *dest = tm_xmalloc((n ? n : 1) * sizeof *dest), nd = 0;
    for (size_t i = 0; i < n; i++) {
        peer_host[i] = resolve(&ix, tr[i].peer);
        if (peer_host[i] == tr[i].host)
            peer_host[i] = SIZE_MAX; /* itself */
        if (!tr[i].source && tr[i].time != TM_TIME_NONE)
            dest[nd++] = i;
    }
    g_sort_base = tr;
    if (nd > 1)
        qsort(dest, nd, sizeof *dest, cmp_dest);
    /* candidate pairs: per source trace, the best few in its window */
    pair *pairs = NULL;
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        const tm_case_trace *s = &tr[i];
        if (!s->source || peer_host[i] == SIZE_MAX || s->time == TM_TIME_NONE)
            continue;
        size_t b = peer_host[i];
        /* first destination trace of host b at or after time - skew */
        size_t lo = 0, hi = nd;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            const tm_case_trace *m = &tr[dest[mid]];
            if (m->host < b || (m->host == b && m->time < s->time - skew_us))
                lo = mid + 1;
            else
                hi = mid;
        }
        pair best[BEST_PER_SOURCE];
        size_t nb = 0;
        for (size_t k = lo; k < nd && tr[dest[k]].host == b && tr[dest[k]].time <= s->time + skew_us; k++) {
            size_t d = dest[k];
            int sc = score(s, &tr[d], s->host, peer_host[d]);
            if (!sc)
                continue;
            int64_t gap = tr[d].time - s->time;
            pair p = {i, d, sc, gap < 0 ? -gap : gap};
            if (nb < BEST_PER_SOURCE) {
                best[nb++] = p;
            } else {
                size_t worst = 0;
                for (size_t w = 1; w < nb; w++)
                    if (cmp_pair(&best[w], &best[worst]) > 0)
                        worst = w;
                if (cmp_pair(&p, &best[worst]) < 0)
                    best[worst] = p;
            }
        }
        for (size_t w = 0; w < nb; w++) {
            TM_GROW(pairs, np);
            pairs[np++] = best[w];
        }
    }
    if (np > 1)
        qsort(pairs, np, sizeof *pairs, cmp_pair);
    bool *used = tm_xcalloc(n ? n : 1, sizeof *used);
    for (size_t k = 0; k < np; k++)
        if (!used[pairs[k].s] && !used[pairs[k].d]) {
            used[pairs[k].s] = used[pairs[k].d] = true;
            add_link(out, TM_LINK_BOTH, tr[pairs[k].s].host, tr[pairs[k].d].host, &tr[pairs[k].s], &tr[pairs[k].d]);
        }
    /* what is left: one end seen, or a peer that is no host of the case */
    for (size_t i = 0; i < n; i++) {
        const tm_case_trace *t = &tr[i];
        if (used[i])
            continue;
        char k[256];
        peer_key(t->peer, k, sizeof k);
        if (peer_host[i] != SIZE_MAX) {
            if (t->source)
                add_link(out, TM_LINK_SOURCE_ONLY, t->host, peer_host[i], t, NULL);
            else
                add_link(out, TM_LINK_DEST_ONLY, peer_host[i], t->host, NULL, t);
        } else if (*k && resolve(&ix, t->peer) == SIZE_MAX) {
            open_end(out, &ends, t->host, t, t->source);
        }
    }
    if (out->nlinks > 1)
        qsort(out->links, out->nlinks, sizeof *out->links, cmp_link);
    free(used);
    free(pairs);
    free(dest);
    free(peer_host);
    tm_strmap_free(&ix);
    tm_strmap_free(&ends);
}

void tm_case_links_free(tm_case_links *l)
{
    free(l->links);
    free(l->open);
    memset(l, 0, sizeof *l);
}

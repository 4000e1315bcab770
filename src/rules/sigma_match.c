/* Sigma matching: a compiled rule against one event. Nothing here
 * allocates: patterns, regular expressions and numbers were compiled at
 * load time; a regular expression's match data is one per thread. */
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rules/sigma_int.h"

#define L(c) (unsigned char)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c))
#define L4(c) L(c), L(c + 1), L(c + 2), L(c + 3)
#define L16(c) L4(c), L4(c + 4), L4(c + 8), L4(c + 12)
#define L64(c) L16(c), L16(c + 16), L16(c + 32), L16(c + 48)
const unsigned char tm_sigma_lower[256] = {L64(0), L64(64), L64(128), L64(192)};
#define I4(c) (unsigned char)(c), (unsigned char)(c + 1), (unsigned char)(c + 2), (unsigned char)(c + 3)
#define I16(c) I4(c), I4(c + 4), I4(c + 8), I4(c + 12)
#define I64(c) I16(c), I16(c + 16), I16(c + 32), I16(c + 48)
static const unsigned char ident[256] = {I64(0), I64(64), I64(128), I64(192)};

/* ---- wildcard patterns ----
 * A pattern is its segments between stars. The first segment (without a
 * leading star) must match at the start, the last (without a trailing
 * star) at the end, and each segment between is found leftmost after the
 * one before: greedy leftmost placement is exact for `*`-only separators,
 * so no backtracking is ever needed. A segment of plain bytes is found with
 * KMP (linear); one holding `?` or a windash class is tried at each start,
 * in time bounded by the segment's length, which the rule fixes. */

static size_t utf8_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static bool is_dash3(const unsigned char *p)
{
    return p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x93 || p[2] == 0x94 || p[2] == 0x95);
}

/* Length the segment consumes at s[pos..end), or -1. */
static long seg_at(const tm_seg *g, const unsigned char *s, size_t pos, size_t end, const unsigned char *cm)
{
    size_t p = pos;
    for (uint32_t i = 0; i < g->n; i++) {
        uint16_t t = g->t[i];
        if (p >= end)
            return -1;
        if (t < 256) {
            if (cm[s[p]] != t)
                return -1;
            p++;
        } else if (t == TM_TOK_ANY1) {
            size_t k = utf8_len(s[p]);
            p++;
            for (size_t j = 1; j < k && p < end && (s[p] & 0xC0) == 0x80; j++)
                p++;
        } else { /* DASH */
            if (s[p] == '-' || s[p] == '/')
                p++;
            else if (end - p >= 3 && is_dash3(s + p))
                p += 3;
            else
                return -1;
        }
    }
    return (long)(p - pos);
}

/* Start of the segment when it ends exactly at end and starts at or after
 * lo, or -1. */
static long seg_back(const tm_seg *g, const unsigned char *s, size_t lo, size_t end, const unsigned char *cm)
{
    size_t p = end;
    for (uint32_t i = g->n; i-- > 0;) {
        uint16_t t = g->t[i];
        if (p <= lo)
            return -1;
        if (t < 256) {
            if (cm[s[p - 1]] != t)
                return -1;
            p--;
        } else if (t == TM_TOK_ANY1) {
            p--;
            for (int j = 0; j < 3 && p > lo && (s[p] & 0xC0) == 0x80; j++)
                p--;
        } else {
            if (s[p - 1] == '-' || s[p - 1] == '/')
                p--;
            else if (p - lo >= 3 && is_dash3(s + p - 3))
                p -= 3;
            else
                return -1;
        }
    }
    return (long)p;
}

/* Leftmost occurrence in s[pos..end): its start, *len set; or -1. */
static long seg_find(const tm_seg *g, const unsigned char *s, size_t pos, size_t end, const unsigned char *cm,
                     size_t *len)
{
    if (g->n == 0) {
        *len = 0;
        return (long)pos;
    }
    if (!g->special) {
        /* KMP over the folded bytes */
        uint32_t q = 0;
        uint16_t t0 = g->t[0];
        for (size_t i = pos; i < end; i++) {
            if (q == 0) {
                while (i < end && cm[s[i]] != t0)
                    i++;
                if (i == end)
                    break;
            }
            uint16_t c = cm[s[i]];
            while (q > 0 && g->t[q] != c)
                q = (uint32_t)g->fail[q - 1];
            if (g->t[q] == c)
                q++;
            if (q == g->n) {
                *len = g->n;
                return (long)(i + 1 - g->n);
            }
        }
        return -1;
    }
    for (size_t st = pos; st < end; st++) {
        long k = seg_at(g, s, st, end, cm);
        if (k >= 0) {
            *len = (size_t)k;
            return (long)st;
        }
    }
    return -1;
}

bool tm_glob_match(const tm_glob *g, const char *str, size_t n, bool cased)
{
    const unsigned char *s = (const unsigned char *)str, *cm = cased ? ident : tm_sigma_lower;
    size_t pos = 0, end = n;
    uint32_t i0 = 0, i1 = g->nseg;
    if (g->nseg == 0)
        return g->lead_star || g->trail_star || n == 0;
    if (!g->lead_star) {
        long k = seg_at(&g->segs[0], s, 0, n, cm);
        if (k < 0)
            return false;
        pos = (size_t)k;
        i0 = 1;
        if (g->nseg == 1 && !g->trail_star)
            return pos == n;
    }
    if (!g->trail_star && i1 > i0) {
        long st = seg_back(&g->segs[i1 - 1], s, pos, n, cm);
        if (st < 0)
            return false;
        end = (size_t)st;
        i1--;
    }
    for (uint32_t i = i0; i < i1; i++) {
        size_t len;
        long st = seg_find(&g->segs[i], s, pos, end, cm, &len);
        if (st < 0)
            return false;
        pos = (size_t)st + len;
    }
    return true;
}

/* ---- single values ---- */

/* PCRE2 match data and the pre-filter's bitmap, one per thread: made on a
 * thread's first use, freed when the thread ends (a pthread key's
 * destructor) or by tm_sigma_thread_cleanup. */
typedef struct {
    pcre2_match_data *md;
    pcre2_match_context *mc;
    uint64_t *marks;
    size_t nmarks;
} match_tls;

static _Thread_local match_tls *tls_cur;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_free(void *p)
{
    match_tls *t = p;
    if (!t)
        return;
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->mc);
    free(t->marks);
    free(t);
}

static void tls_init(void)
{
    pthread_key_create(&tls_key, tls_free);
}

void tm_sigma_thread_cleanup(void)
{
    if (!tls_cur)
        return;
    tls_free(tls_cur);
    tls_cur = NULL;
    pthread_setspecific(tls_key, NULL);
}

static match_tls *tls_get(void)
{
    if (!tls_cur) {
        pthread_once(&tls_once, tls_init);
        match_tls *t = tm_xcalloc(1, sizeof *t);
        pthread_setspecific(tls_key, t);
        tls_cur = t;
    }
    return tls_cur;
}

uint64_t *tm_sigma_tls_marks(size_t words)
{
    match_tls *t = tls_get();
    if (!t->marks || t->nmarks < words) {
        free(t->marks);
        t->nmarks = words < 16 ? 16 : words;
        t->marks = tm_xmalloc(t->nmarks * sizeof *t->marks);
    }
    return t->marks;
}

static bool re_match(const tm_sval *v, const char *s, size_t n)
{
    match_tls *t = tls_get();
    if (!t->md || !t->mc) {
        if (!t->md)
            t->md = pcre2_match_data_create(1, NULL);
        if (!t->mc) {
            t->mc = pcre2_match_context_create(NULL);
            if (t->mc) {
                pcre2_set_match_limit(t->mc, 100000);
                pcre2_set_depth_limit(t->mc, 1000);
                pcre2_set_heap_limit(t->mc, 4096); /* KiB */
            }
        }
        if (!t->md || !t->mc)
            return false;
    }
    int rc = pcre2_match(v->re, (PCRE2_SPTR)s, n, 0, 0, t->md, t->mc);
    return rc >= 0; /* no match, a limit or bad input: not a match */
}

static bool parse_num(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    char *e;
    double d = strtod(s, &e);
    if (e == s)
        return false;
    while (isspace((unsigned char)*e))
        e++;
    if (*e || isnan(d))
        return false;
    *out = d;
    return true;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The ISO week number of a date (1..53). */
static int iso_week(int y, int m, int d)
{
    static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int yday = cum[m - 1] + d + (leap && m > 2); /* 1-based */
    /* weekday, Monday = 1 (Sakamoto) */
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    int yy = m < 3 ? y - 1 : y;
    int wd = (yy + yy / 4 - yy / 100 + yy / 400 + t[m - 1] + d) % 7;
    if (wd == 0)
        wd = 7;
    int w = (yday - wd + 10) / 7;
    if (w < 1)
        return iso_week(y - 1, 12, 28);
    if (w == 53) {
        int jan1 = (wd - (yday - 1) % 7 + 7 + 6) % 7 + 1; /* weekday of Jan 1 */
        bool long_year = jan1 == 4 || (leap && jan1 == 3);
        if (!long_year)
            return 1;
    }
    return w;
}

/* A time part of "YYYY-MM-DD[ T]HH:MM..." */
static bool time_part(const char *s, tm_timepart tp, double *out)
{
    size_t n = strlen(s);
    if (n < 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    int h = -1, mi = -1;
    if (n >= 16 && (s[10] == 'T' || s[10] == ' ') && s[13] == ':') {
        h = digits(s + 11, 2);
        mi = digits(s + 14, 2);
    }
    int v;
    switch (tp) {
    case TM_TP_MINUTE: v = mi; break;
    case TM_TP_HOUR: v = h; break;
    case TM_TP_DAY: v = d; break;
    case TM_TP_WEEK: v = iso_week(y, mo, d); break;
    case TM_TP_MONTH: v = mo; break;
    case TM_TP_YEAR: v = y; break;
    default: return false;
    }
    if (v < 0)
        return false;
    *out = v;
    return true;
}

static bool parse_ip(const char *s, uint8_t out[16], bool *v6)
{
    char tmp[64];
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n > 0 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    const char *pct = memchr(s, '%', n); /* zone index */
    if (pct)
        n = (size_t)(pct - s);
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, out) == 1) {
        *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, tmp, out) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out, mapped, 12) == 0) { /* ::ffff:a.b.c.d is an IPv4 address */
            memmove(out, out + 12, 4);
            *v6 = false;
        } else {
            *v6 = true;
        }
        return true;
    }
    return false;
}

static bool in_net(const tm_sval *v, const uint8_t a[16], bool v6)
{
    if (v6 != v->v6)
        return false;
    int bits = v->bits, i = 0;
    for (; bits >= 8; bits -= 8, i++)
        if (a[i] != v->addr[i])
            return false;
    if (bits > 0) {
        uint8_t mask = (uint8_t)(0xFF << (8 - bits));
        if ((a[i] & mask) != (v->addr[i] & mask))
            return false;
    }
    return true;
}

static bool cmp_num(tm_cmp c, double a, double b)
{
    switch (c) {
    case TM_CMP_LT: return a < b;
    case TM_CMP_LTE: return a <= b;
    case TM_CMP_GT: return a > b;
    case TM_CMP_GTE: return a >= b;
    default: return a == b;
    }
}

static bool eq_fold(const char *a, const char *b, size_t n, bool cased)
{
    if (cased)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (tm_sigma_lower[(unsigned char)a[i]] != tm_sigma_lower[(unsigned char)b[i]])
            return false;
    return true;
}

/* Whether one value of test t matches field value s. */
static bool value_match(const tm_stest *t, const tm_sval *v, const char *s, size_t n, const tm_sigma_event *ev)
{
    switch (t->kind) {
    case TM_TK_GLOB: return tm_glob_match(&v->g, s, n, t->cased);
    case TM_TK_RE: return re_match(v, s, n);
    case TM_TK_NUM: {
        double d;
        if (t->tp != TM_TP_NONE ? !time_part(s, t->tp, &d) : !parse_num(s, &d))
            return false;
        return cmp_num(t->cmp, d, v->num);
    }
    case TM_TK_CIDR: {
        uint8_t a[16];
        bool v6;
        return parse_ip(s, a, &v6) && in_net(v, a, v6);
    }
    case TM_TK_FIELDREF: {
        const char *o = ev->get(ev->ctx, v->ref);
        if (!o)
            return false;
        size_t on = strlen(o);
        switch (t->ref) {
        case TM_REF_START: return on <= n && eq_fold(s, o, on, t->cased);
        case TM_REF_END: return on <= n && eq_fold(s + n - on, o, on, t->cased);
        default: return on == n && eq_fold(s, o, n, t->cased);
        }
    }
    default: return false;
    }
}

static bool ac_find(const tm_ac *ac, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    uint32_t st = 0, nc = ac->nc;
    for (size_t i = 0; i < n; i++) {
        st = ac->next[st * nc + ac->cls[s[i]]];
        if (ac->acc[st])
            return true;
    }
    return false;
}

/* Any value of t matches s (n bytes). */
static bool any_value(const tm_stest *t, const char *s, size_t n, const tm_sigma_event *ev)
{
    if (t->ac && ac_find(t->ac, s, n))
        return true;
    for (size_t i = 0; i < t->nv; i++)
        if (!t->v[i].in_ac && value_match(t, &t->v[i], s, n, ev))
            return true;
    return false;
}

static bool values_match(const tm_stest *t, const char *s, const tm_sigma_event *ev)
{
    size_t n = strlen(s);
    if (t->all) {
        for (size_t i = 0; i < t->nv; i++)
            if (!value_match(t, &t->v[i], s, n, ev))
                return false;
        return t->nv > 0;
    }
    return any_value(t, s, n, ev);
}

/* keyword search: one value (or, without `all`, any value) in any field */
typedef struct {
    const tm_stest *t;
    const tm_sval *v; /* NULL: any of t's values */
    const tm_sigma_event *ev;
} kw_arg;

static bool kw_fn(void *arg, const char *value)
{
    const kw_arg *k = arg;
    if (!value)
        return false;
    size_t n = strlen(value);
    if (k->v)
        return value_match(k->t, k->v, value, n, k->ev);
    return any_value(k->t, value, n, k->ev);
}

static bool keyword_match(const tm_stest *t, const tm_sigma_event *ev)
{
    if (!ev->each_value)
        return false;
    kw_arg k = {t, NULL, ev};
    if (!t->all)
        return ev->each_value(ev->ctx, kw_fn, &k);
    for (size_t i = 0; i < t->nv; i++) {
        k.v = &t->v[i];
        if (!ev->each_value(ev->ctx, kw_fn, &k))
            return false;
    }
    return t->nv > 0;
}

static bool test_match(const tm_stest *t, const tm_sigma_event *ev)
{
    bool r;
    if (!t->field) {
        r = keyword_match(t, ev);
    } else {
        const char *s = ev->get(ev->ctx, t->field);
        switch (t->kind) {
        case TM_TK_EXISTS: r = (s != NULL) == t->exists; break;
        case TM_TK_NULL: r = !s || !*s; break;
        default: r = s && values_match(t, s, ev); break;
        }
    }
    return t->neq ? !r : r;
}

static bool sel_match(const tm_ssel *s, const tm_sigma_event *ev)
{
    for (size_t a = 0; a < s->nalt; a++) {
        const tm_salt *al = &s->alts[a];
        size_t i = 0;
        while (i < al->n && test_match(&al->tests[i], ev))
            i++;
        if (i == al->n)
            return true;
    }
    return false;
}

/* Depth is bounded by the compiler (TM_SIGMA_MAX_DEPTH). */
static bool eval(const tm_sigma_matcher *m, uint32_t ni, const tm_sigma_event *ev)
{
    const tm_cnode *n = &m->nodes[ni];
    switch (n->op) {
    case TM_C_SEL: return sel_match(&m->sels[n->sel], ev);
    case TM_C_NOT: return !eval(m, n->kids[0], ev);
    case TM_C_AND:
        for (uint32_t i = 0; i < n->nkids; i++)
            if (!eval(m, n->kids[i], ev))
                return false;
        return true;
    case TM_C_OR:
        for (uint32_t i = 0; i < n->nkids; i++)
            if (eval(m, n->kids[i], ev))
                return true;
        return false;
    case TM_C_OF: {
        uint32_t need = n->count == UINT32_MAX ? n->nkids : n->count, got = 0;
        if (need == 0)
            return true;
        for (uint32_t i = 0; i < n->nkids; i++) {
            if (sel_match(&m->sels[n->kids[i]], ev)) {
                if (++got >= need)
                    return true;
            } else if (n->count == UINT32_MAX) {
                return false;
            }
        }
        return false;
    }
    }
    return false;
}

bool tm_sigma_match(const tm_sigma_rule *r, const tm_sigma_event *ev)
{
    if (!r || !r->m || !ev || !ev->get)
        return false;
    return eval(r->m, r->m->root, ev);
}

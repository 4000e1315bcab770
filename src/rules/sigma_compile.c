/* Sigma detection compiler: selections (field tests with their modifiers
 * applied once, here) and the condition, into a tm_sigma_matcher that lives
 * in the set's arena. */
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/sigma_int.h"

/* ---- results ---- */

__attribute__((format(printf, 3, 4))) static void fail(tm_compile_result *r, size_t line, const char *fmt, ...)
{
    if (r->status != TM_COMPILE_OK)
        return;
    r->status = TM_COMPILE_ERROR;
    r->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void skip(tm_compile_result *r, tm_sigma_skip why, size_t line,
                                                       const char *fmt, ...)
{
    if (r->status != TM_COMPILE_OK)
        return;
    r->status = TM_COMPILE_SKIP;
    r->skip = why;
    r->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

/* Text for a message: at most 60 bytes, printable ASCII. */
static const char *shown(const char *s, char buf[64])
{
    size_t i = 0;
    for (; s && s[i] && i < 60; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}

/* ---- token arrays (temporary, malloc'd) ---- */

typedef struct {
    uint16_t *t;
    size_t n, cap;
} toks;

typedef struct {
    toks *v;
    size_t n;
} tlist;

static void toks_put(toks *a, uint16_t t)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->t = tm_xrealloc(a->t, a->cap * sizeof *a->t);
    }
    a->t[a->n++] = t;
}

static void tlist_add(tlist *l, toks a)
{
    TM_GROW(l->v, l->n);
    l->v[l->n++] = a;
}

static void tlist_free(tlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].t);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* A value with Sigma's escapes: `\*` `\?` `\\` are the plain characters,
 * a backslash before anything else is itself; `*` and `?` are wildcards.
 * With expand, `\%` is a percent sign that starts no placeholder. */
static toks parse_value(const char *s, size_t n, bool expand)
{
    toks a = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n) {
            unsigned char d = (unsigned char)s[i + 1];
            if (d == '*' || d == '?' || d == '\\') {
                toks_put(&a, d);
                i++;
                continue;
            }
            if (d == '%' && expand) {
                toks_put(&a, TM_TOK_PCT);
                i++;
                continue;
            }
            toks_put(&a, '\\');
        } else if (c == '*') {
            toks_put(&a, TM_TOK_STAR);
        } else if (c == '?') {
            toks_put(&a, TM_TOK_ANY1);
        } else {
            toks_put(&a, c);
        }
    }
    return a;
}

static void wrap(toks *a, bool front, bool back)
{
    if (front && !(a->n > 0 && a->t[0] == TM_TOK_STAR)) {
        toks_put(a, 0);
        memmove(a->t + 1, a->t, (a->n - 1) * sizeof *a->t);
        a->t[0] = TM_TOK_STAR;
    }
    if (back && !(a->n > 0 && a->t[a->n - 1] == TM_TOK_STAR))
        toks_put(a, TM_TOK_STAR);
}

static bool word_tok(uint16_t t)
{
    return t < 256 && (isalnum(t) || t == '_' || t >= 0x80);
}

/* windash as pySigma does it: a `-` or `/` that starts a word (no word
 * character before, one after) matches any of - / en dash, em dash,
 * horizontal bar; one class token stands for all the permutations. */
static void windash(toks *a)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->t[i] != '-' && a->t[i] != '/')
            continue;
        bool before = i > 0 && word_tok(a->t[i - 1]);
        bool after = i + 1 < a->n && word_tok(a->t[i + 1]);
        if (!before && after)
            a->t[i] = TM_TOK_DASH;
    }
}

static uint8_t tok_byte(uint16_t t)
{
    switch (t) {
    case TM_TOK_STAR: return '*';
    case TM_TOK_ANY1: return '?';
    case TM_TOK_DASH: return '-';
    case TM_TOK_PCT: return '%';
    default: return (uint8_t)t;
    }
}

/* UTF-16 of the byte runs (read as UTF-8; a byte that starts no valid
 * sequence is taken as U+00XX); wildcard tokens stay as they are. */
static toks utf16(const toks *a, bool be, bool bom)
{
    toks o = {0};
    if (bom) {
        toks_put(&o, 0xFF);
        toks_put(&o, 0xFE);
    }
    for (size_t i = 0; i < a->n;) {
        uint16_t t = a->t[i];
        if (t >= 256 && t != TM_TOK_PCT) {
            toks_put(&o, t);
            i++;
            continue;
        }
        uint32_t cp = tok_byte(t);
        size_t k = 1;
        if (cp >= 0xC0) {
            size_t need = cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
            uint32_t v = cp & (need == 2 ? 0x1F : need == 3 ? 0x0F : 0x07);
            size_t j = 1;
            for (; j < need && i + j < a->n && a->t[i + j] < 256 && (a->t[i + j] & 0xC0) == 0x80; j++)
                v = (v << 6) | (a->t[i + j] & 0x3F);
            if (j == need && v <= 0x10FFFF) {
                cp = v;
                k = need;
            }
        }
        i += k;
        uint16_t u[2];
        int nu = 1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            u[0] = (uint16_t)(0xD800 | (cp >> 10));
            u[1] = (uint16_t)(0xDC00 | (cp & 0x3FF));
            nu = 2;
        } else {
            u[0] = (uint16_t)cp;
        }
        for (int j = 0; j < nu; j++) {
            uint8_t lo = (uint8_t)(u[j] & 0xFF), hi = (uint8_t)(u[j] >> 8);
            toks_put(&o, be ? hi : lo);
            toks_put(&o, be ? lo : hi);
        }
    }
    return o;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const uint8_t *p, size_t n, tm_buf *out)
{
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        tm_buf_putc(out, b64[(v >> 18) & 63]);
        tm_buf_putc(out, b64[(v >> 12) & 63]);
        tm_buf_putc(out, i + 1 < n ? b64[(v >> 6) & 63] : '=');
        tm_buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
    }
}

static toks from_bytes(const char *p, size_t n)
{
    toks o = {0};
    for (size_t i = 0; i < n; i++)
        toks_put(&o, (uint8_t)p[i]);
    return o;
}

/* base64 (offset 0), or base64offset's three variants as pySigma makes
 * them: the value shifted by 0, 1, 2 bytes, encoded, and the characters
 * that depend on the unknown neighbours cut (start 0/2/3, end by the
 * length's remainder). */
static void base64_variants(const toks *a, bool offsets, tlist *out)
{
    size_t n = a->n;
    uint8_t *raw = tm_xmalloc(n + 2);
    for (size_t i = 0; i < n; i++)
        raw[i + 2] = tok_byte(a->t[i]);
    raw[0] = raw[1] = ' ';
    if (!offsets) {
        tm_buf b;
        tm_buf_init(&b);
        b64_encode(raw + 2, n, &b);
        tlist_add(out, from_bytes(b.data ? b.data : "", b.len));
        tm_buf_free(&b);
        free(raw);
        return;
    }
    static const size_t start[3] = {0, 2, 3};
    static const long endcut[3] = {0, 3, 2}; /* characters cut from the end, by (len + shift) % 3 */
    for (size_t shift = 0; shift < 3; shift++) {
        tm_buf b;
        tm_buf_init(&b);
        b64_encode(raw + 2 - shift, n + shift, &b);
        size_t st = start[shift], en = b.len;
        long cut = endcut[(n + shift) % 3];
        en = (size_t)cut <= en ? en - (size_t)cut : 0;
        if (st > en)
            st = en;
        tlist_add(out, from_bytes(b.data ? b.data + st : "", en - st));
        tm_buf_free(&b);
    }
    free(raw);
}

/* ---- placeholders ---- */

static bool ph_lookup(const tm_sigma_cctx *c, const uint16_t *name, size_t n, size_t *idx)
{
    for (size_t i = 0; i < c->nph; i++) {
        const char *p = c->ph_names[i];
        if (strlen(p) != n)
            continue;
        size_t k = 0;
        while (k < n && (uint8_t)p[k] == name[k])
            k++;
        if (k == n) {
            *idx = i;
            return true;
        }
    }
    return false;
}

/* Replaces %name% in every array by each of the placeholder's values. */
static bool expand_all(const tm_sigma_cctx *c, tlist *l, tm_compile_result *res, size_t line)
{
    tlist out = {0};
    for (size_t vi = 0; vi < l->n; vi++) {
        /* the arrays built so far from this value's prefix */
        tlist cur = {0};
        tlist_add(&cur, (toks){0});
        const toks *a = &l->v[vi];
        for (size_t i = 0; i < a->n; i++) {
            size_t j = i + 1;
            if (a->t[i] == '%') {
                while (j < a->n && a->t[j] < 256 && a->t[j] != '%' && !isspace(a->t[j]))
                    j++;
            }
            if (a->t[i] == '%' && j < a->n && a->t[j] == '%' && j > i + 1) {
                size_t idx;
                if (!ph_lookup(c, a->t + i + 1, j - i - 1, &idx)) {
                    char nb[64], tmp[64];
                    size_t k = 0;
                    for (; k < j - i - 1 && k < 60; k++)
                        tmp[k] = (char)a->t[i + 1 + k];
                    tmp[k] = '\0';
                    skip(res, TM_SIGMA_SKIP_PLACEHOLDER, line, "placeholder %%%s%% has no value", shown(tmp, nb));
                    tlist_free(&cur);
                    tlist_free(&out);
                    return false;
                }
                size_t nv = c->ph_counts[idx];
                if (nv == 0 || cur.n * nv > TM_SIGMA_MAX_VARIANTS) {
                    if (nv == 0)
                        skip(res, TM_SIGMA_SKIP_PLACEHOLDER, line, "placeholder without values");
                    else
                        fail(res, line, "placeholders expand to more than %d values", TM_SIGMA_MAX_VARIANTS);
                    tlist_free(&cur);
                    tlist_free(&out);
                    return false;
                }
                tlist next = {0};
                for (size_t p = 0; p < cur.n; p++)
                    for (size_t q = 0; q < nv; q++) {
                        const char *val = c->ph_values[idx][q];
                        toks pv = parse_value(val, strlen(val), false);
                        toks nt = {0};
                        for (size_t k = 0; k < cur.v[p].n; k++)
                            toks_put(&nt, cur.v[p].t[k]);
                        for (size_t k = 0; k < pv.n; k++)
                            toks_put(&nt, pv.t[k]);
                        free(pv.t);
                        tlist_add(&next, nt);
                    }
                tlist_free(&cur);
                cur = next;
                i = j;
                continue;
            }
            for (size_t p = 0; p < cur.n; p++)
                toks_put(&cur.v[p], a->t[i]);
        }
        for (size_t p = 0; p < cur.n; p++)
            tlist_add(&out, cur.v[p]);
        free(cur.v);
        if (out.n > TM_SIGMA_MAX_VARIANTS) {
            fail(res, line, "placeholders expand to more than %d values", TM_SIGMA_MAX_VARIANTS);
            tlist_free(&out);
            return false;
        }
    }
    tlist_free(l);
    *l = out;
    return true;
}

/* ---- patterns into the arena ---- */

static tm_glob make_glob(tm_arena *ar, const toks *a, bool cased)
{
    tm_glob g = {0};
    size_t nseg = 0;
    for (size_t i = 0; i < a->n;) {
        while (i < a->n && a->t[i] == TM_TOK_STAR)
            i++;
        if (i < a->n)
            nseg++;
        while (i < a->n && a->t[i] != TM_TOK_STAR)
            i++;
    }
    g.lead_star = a->n > 0 && a->t[0] == TM_TOK_STAR;
    g.trail_star = a->n > 0 && a->t[a->n - 1] == TM_TOK_STAR;
    tm_seg *segs = nseg ? tm_arena_alloc(ar, nseg * sizeof *segs) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < a->n;) {
        while (i < a->n && a->t[i] == TM_TOK_STAR)
            i++;
        size_t st = i;
        while (i < a->n && a->t[i] != TM_TOK_STAR)
            i++;
        if (i == st)
            continue;
        size_t n = i - st;
        uint16_t *t = tm_arena_alloc(ar, n * sizeof *t);
        bool special = false;
        for (size_t j = 0; j < n; j++) {
            uint16_t v = a->t[st + j];
            if (v == TM_TOK_PCT)
                v = '%';
            if (v < 256 && !cased)
                v = tm_sigma_lower[v];
            if (v >= 256)
                special = true;
            t[j] = v;
        }
        int32_t *f = NULL;
        if (!special) {
            f = tm_arena_alloc(ar, n * sizeof *f);
            f[0] = 0;
            int32_t q = 0;
            for (size_t j = 1; j < n; j++) {
                while (q > 0 && t[j] != t[q])
                    q = f[q - 1];
                if (t[j] == t[q])
                    q++;
                f[j] = q;
            }
        }
        segs[k++] = (tm_seg){t, (uint32_t)n, f, special};
    }
    g.segs = segs;
    g.nseg = (uint32_t)nseg;
    return g;
}

static const char *arena_strdup(tm_arena *a, const char *s, size_t n)
{
    char *p = tm_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The automaton for a test's plain `contains` values (at least two, not
 * `all`): NULL when there are too few or the automaton would be too big. */
static const tm_ac *make_ac(tm_arena *ar, tm_sval *sv, size_t nv, bool cased)
{
    size_t np = 0, total = 0;
    for (size_t i = 0; i < nv; i++) {
        const tm_glob *g = &sv[i].g;
        if (g->lead_star && g->trail_star && g->nseg == 1 && !g->segs[0].special) {
            np++;
            total += g->segs[0].n;
        }
    }
    if (np < 2 || total + 1 > 60000)
        return NULL;
    /* byte classes: the pattern bytes (already folded) each a class, the
     * rest class 0; folding maps a byte to its lowercase's class */
    tm_ac *ac = tm_arena_alloc(ar, sizeof *ac);
    memset(ac->cls, 0, sizeof ac->cls);
    uint32_t nc = 1;
    for (size_t i = 0; i < nv; i++) {
        const tm_glob *g = &sv[i].g;
        if (!(g->lead_star && g->trail_star && g->nseg == 1 && !g->segs[0].special))
            continue;
        for (uint32_t k = 0; k < g->segs[0].n; k++) {
            uint16_t b = g->segs[0].t[k];
            if (!ac->cls[b])
                ac->cls[b] = (uint8_t)nc++;
            if (nc > 255)
                return NULL;
        }
    }
    ac->nc = nc;
    if (!cased)
        for (int b = 'A'; b <= 'Z'; b++)
            ac->cls[b] = ac->cls[b + 32];
    /* the trie, dense over classes (0 = none yet) */
    size_t cap = total + 1;
    uint32_t *go = tm_xcalloc(cap * nc, sizeof *go);
    uint8_t *acc = tm_arena_alloc(ar, cap);
    memset(acc, 0, cap);
    uint32_t ns = 1;
    for (size_t i = 0; i < nv; i++) {
        const tm_glob *g = &sv[i].g;
        if (!(g->lead_star && g->trail_star && g->nseg == 1 && !g->segs[0].special))
            continue;
        uint32_t st = 0;
        for (uint32_t k = 0; k < g->segs[0].n; k++) {
            uint32_t c = ac->cls[g->segs[0].t[k]];
            if (!go[st * nc + c])
                go[st * nc + c] = ns++;
            st = go[st * nc + c];
        }
        acc[st] = 1;
        sv[i].in_ac = true;
    }
    /* breadth first: failure links turn the trie into a DFA */
    uint32_t *fail = tm_xcalloc(ns, sizeof *fail), *queue = tm_xmalloc(ns * sizeof *queue);
    uint16_t *next = tm_arena_alloc(ar, (size_t)ns * nc * sizeof *next);
    size_t qh = 0, qt = 0;
    for (uint32_t c = 0; c < nc; c++) {
        uint32_t t = go[c];
        next[c] = (uint16_t)t;
        if (t) {
            fail[t] = 0;
            queue[qt++] = t;
        }
    }
    while (qh < qt) {
        uint32_t st = queue[qh++];
        if (acc[fail[st]])
            acc[st] = 1;
        for (uint32_t c = 0; c < nc; c++) {
            uint32_t t = go[st * nc + c];
            if (t) {
                fail[t] = next[fail[st] * nc + c];
                queue[qt++] = t;
                next[st * nc + c] = (uint16_t)t;
            } else {
                next[st * nc + c] = next[fail[st] * nc + c];
            }
        }
    }
    free(go);
    free(fail);
    free(queue);
    ac->ns = ns;
    ac->next = next;
    ac->acc = acc;
    return ac;
}

/* ---- modifiers ---- */

typedef enum {
    X_CONTAINS,
    X_STARTSWITH,
    X_ENDSWITH,
    X_WINDASH,
    X_BASE64,
    X_BASE64OFFSET,
    X_UTF16LE,
    X_UTF16BE,
    X_UTF16,
    X_EXPAND,
} xform;

typedef struct {
    xform x[16];
    size_t nx;
    bool have_kind, keyword, position;
    uint32_t re_flags;
    tm_stest t;
} mods;

static bool plain_true(const tm_ynode *v, bool *out)
{
    if (!v || v->kind != TM_YN_SCALAR)
        return false;
    const char *s = v->s;
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) {
        *out = false;
        return true;
    }
    return false;
}

/* Parses "Field|mod|mod"; false with res set on a bad or unknown modifier. */
static bool parse_mods(const char *key, size_t line, mods *m, tm_arena *ar, tm_compile_result *res)
{
    memset(m, 0, sizeof *m);
    m->t.kind = TM_TK_GLOB;
    const char *bar = strchr(key, '|');
    size_t flen = bar ? (size_t)(bar - key) : strlen(key);
    m->keyword = flen == 0;
    m->t.field = m->keyword ? NULL : arena_strdup(ar, key, flen);
    bool re_seen = false;
    char nb[64];
    for (const char *p = bar; p && *p == '|';) {
        const char *q = p + 1;
        const char *e = strchr(q, '|');
        size_t n = e ? (size_t)(e - q) : strlen(q);
        char mod[32];
        if (n == 0 || n >= sizeof mod) {
            char tmp[64];
            snprintf(tmp, sizeof tmp, "%.*s", (int)(n < 40 ? n : 40), q);
            if (n == 0)
                fail(res, line, "empty modifier in '%s'", shown(key, nb));
            else
                skip(res, TM_SIGMA_SKIP_MODIFIER, line, "unknown modifier '%s'", shown(tmp, nb));
            return false;
        }
        memcpy(mod, q, n);
        mod[n] = '\0';
        p = e;
        tm_tkind kind = TM_TK_GLOB;
        bool type = false;
        if (!strcmp(mod, "contains") || !strcmp(mod, "startswith") || !strcmp(mod, "endswith")) {
            m->position = true;
            if (m->nx < 16)
                m->x[m->nx++] = mod[0] == 'c' ? X_CONTAINS : mod[0] == 's' ? X_STARTSWITH : X_ENDSWITH;
        } else if (!strcmp(mod, "windash") || !strcmp(mod, "base64") || !strcmp(mod, "base64offset") ||
                   !strcmp(mod, "utf16le") || !strcmp(mod, "wide") || !strcmp(mod, "utf16be") ||
                   !strcmp(mod, "utf16") || !strcmp(mod, "expand")) {
            xform x = !strcmp(mod, "windash")        ? X_WINDASH
                      : !strcmp(mod, "base64")       ? X_BASE64
                      : !strcmp(mod, "base64offset") ? X_BASE64OFFSET
                      : !strcmp(mod, "utf16be")      ? X_UTF16BE
                      : !strcmp(mod, "utf16")        ? X_UTF16
                      : !strcmp(mod, "expand")       ? X_EXPAND
                                                     : X_UTF16LE;
            if (m->nx < 16)
                m->x[m->nx++] = x;
        } else if (!strcmp(mod, "all")) {
            m->t.all = true;
        } else if (!strcmp(mod, "cased")) {
            m->t.cased = true;
        } else if (!strcmp(mod, "neq")) {
            m->t.neq = true;
        } else if (!strcmp(mod, "re")) {
            kind = TM_TK_RE;
            type = true;
            re_seen = true;
        } else if (!strcmp(mod, "i") || !strcmp(mod, "m") || !strcmp(mod, "s")) {
            if (!re_seen) {
                fail(res, line, "modifier '%s' applies to re only", mod);
                return false;
            }
            m->re_flags |= mod[0] == 'i' ? PCRE2_CASELESS : mod[0] == 'm' ? PCRE2_MULTILINE : PCRE2_DOTALL;
        } else if (!strcmp(mod, "cidr")) {
            kind = TM_TK_CIDR;
            type = true;
        } else if (!strcmp(mod, "exists")) {
            kind = TM_TK_EXISTS;
            type = true;
        } else if (!strcmp(mod, "fieldref")) {
            kind = TM_TK_FIELDREF;
            type = true;
        } else if (!strcmp(mod, "lt") || !strcmp(mod, "lte") || !strcmp(mod, "gt") || !strcmp(mod, "gte")) {
            m->t.cmp = !strcmp(mod, "lt") ? TM_CMP_LT : !strcmp(mod, "lte") ? TM_CMP_LTE : !strcmp(mod, "gt") ? TM_CMP_GT : TM_CMP_GTE;
            if (m->t.kind == TM_TK_NUM)
                continue; /* a time part with a comparison */
            kind = TM_TK_NUM;
            type = true;
        } else if (!strcmp(mod, "minute") || !strcmp(mod, "hour") || !strcmp(mod, "day") || !strcmp(mod, "week") ||
                   !strcmp(mod, "month") || !strcmp(mod, "year")) {
            m->t.tp = !strcmp(mod, "minute") ? TM_TP_MINUTE
                      : !strcmp(mod, "hour") ? TM_TP_HOUR
                      : !strcmp(mod, "day")  ? TM_TP_DAY
                      : !strcmp(mod, "week") ? TM_TP_WEEK
                      : !strcmp(mod, "month") ? TM_TP_MONTH
                                             : TM_TP_YEAR;
            if (m->t.kind == TM_TK_NUM)
                continue; /* a comparison with a time part */
            kind = TM_TK_NUM;
            type = true;
        } else {
            skip(res, TM_SIGMA_SKIP_MODIFIER, line, "unknown modifier '%s'", shown(mod, nb));
            return false;
        }
        if (type) {
            if (m->have_kind) {
                fail(res, line, "modifier '%s' conflicts with an earlier type modifier", mod);
                return false;
            }
            m->have_kind = true;
            m->t.kind = kind;
        }
    }
    if (m->t.kind != TM_TK_GLOB && m->t.kind != TM_TK_FIELDREF && m->nx > 0) {
        fail(res, line, "string modifiers cannot apply to this value type");
        return false;
    }
    if (m->t.kind == TM_TK_FIELDREF) {
        for (size_t i = 0; i < m->nx; i++) {
            if (m->x[i] != X_STARTSWITH && m->x[i] != X_ENDSWITH) {
                fail(res, line, "fieldref takes only startswith, endswith, cased, neq");
                return false;
            }
            m->t.ref = m->x[i] == X_STARTSWITH ? TM_REF_START : TM_REF_END;
        }
    }
    if (m->keyword && (m->t.kind == TM_TK_EXISTS || m->t.kind == TM_TK_FIELDREF)) {
        fail(res, line, "exists and fieldref need a field name");
        return false;
    }
    return true;
}

/* Collects the scalar values of v (a scalar or a list of scalars). */
static bool collect(const tm_ynode *v, const tm_ynode ***out, size_t *n, tm_compile_result *res)
{
    if (v->kind == TM_YN_SCALAR) {
        *out = tm_xmalloc(sizeof **out);
        (*out)[0] = v;
        *n = 1;
        return true;
    }
    if (v->kind != TM_YN_SEQ) {
        fail(res, v->line, "a field's value must be a value or a list of values");
        return false;
    }
    *out = tm_xmalloc((v->n ? v->n : 1) * sizeof **out);
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->kind != TM_YN_SCALAR) {
            free(*out);
            *out = NULL;
            fail(res, v->items[i]->line, "a value list may hold only values");
            return false;
        }
        (*out)[i] = v->items[i];
    }
    *n = v->n;
    return true;
}

static bool event_id_of(const tm_ynode *v, int64_t *out)
{
    if (v->len == 0 || v->len > 9)
        return false;
    int64_t x = 0;
    for (size_t i = 0; i < v->len; i++) {
        if (v->s[i] < '0' || v->s[i] > '9')
            return false;
        x = x * 10 + (v->s[i] - '0');
    }
    *out = x;
    return true;
}

static bool parse_cidr(const char *s, tm_sval *v)
{
    char tmp[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n + 1);
    char *slash = strchr(tmp, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *e;
        bits = strtol(slash + 1, &e, 10);
        if (e == slash + 1 || *e)
            return false;
    }
    memset(v->addr, 0, sizeof v->addr);
    if (inet_pton(AF_INET, tmp, v->addr) == 1) {
        v->v6 = false;
        if (bits < 0)
            bits = 32;
        if (bits > 32)
            return false;
    } else if (inet_pton(AF_INET6, tmp, v->addr) == 1) {
        v->v6 = true;
        if (bits < 0)
            bits = 128;
        if (bits > 128)
            return false;
    } else {
        return false;
    }
    v->bits = (int)bits;
    return true;
}

/* One field test from key and value. */
static bool compile_test(tm_sigma_cctx *c, const char *key, size_t line, const tm_ynode *val, tm_stest *out,
                         tm_compile_result *res)
{
    mods m;
    if (!parse_mods(key, line, &m, c->arena, res))
        return false;
    tm_stest *t = &m.t;
    if (t->kind == TM_TK_EXISTS) {
        bool b;
        if (!plain_true(val, &b)) {
            fail(res, val->line, "exists takes true or false");
            return false;
        }
        t->exists = b;
        *out = *t;
        return true;
    }
    if (tm_ynode_is_null(val)) {
        if (m.keyword) {
            fail(res, val->line, "a keyword cannot be null");
            return false;
        }
        t->kind = TM_TK_NULL;
        *out = *t;
        return true;
    }
    const tm_ynode **vals;
    size_t nv;
    if (!collect(val, &vals, &nv, res))
        return false;
    for (size_t i = 0; i < nv; i++)
        if (tm_ynode_is_null(vals[i]) && nv > 1) {
            fail(res, vals[i]->line, "null cannot be part of a value list");
            free(vals);
            return false;
        }
    if (nv == 1 && tm_ynode_is_null(vals[0])) {
        free(vals);
        t->kind = TM_TK_NULL;
        *out = *t;
        return true;
    }
    bool ok = true;
    tm_sval *sv = NULL;
    size_t nsv = 0;
    if (t->kind != TM_TK_GLOB) {
        sv = tm_arena_alloc(c->arena, (nv ? nv : 1) * sizeof *sv);
        memset(sv, 0, (nv ? nv : 1) * sizeof *sv);
        for (size_t i = 0; i < nv && ok; i++) {
            const tm_ynode *v = vals[i];
            tm_sval *x = &sv[nsv];
            x->eid = -1;
            if (t->kind == TM_TK_NUM) {
                char *e;
                x->num = strtod(v->s, &e);
                if (e == v->s || *e || isnan(x->num)) {
                    fail(res, v->line, "not a number: '%.40s'", v->s);
                    ok = false;
                }
            } else if (t->kind == TM_TK_CIDR) {
                if (!parse_cidr(v->s, x)) {
                    fail(res, v->line, "not an address range: '%.40s'", v->s);
                    ok = false;
                }
            } else if (t->kind == TM_TK_FIELDREF) {
                x->ref = arena_strdup(c->arena, v->s, v->len);
            } else { /* RE */
                int err;
                PCRE2_SIZE off;
                pcre2_code *code = pcre2_compile((PCRE2_SPTR)v->s, v->len,
                                                 m.re_flags | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
                if (!code) {
                    PCRE2_UCHAR msg[120];
                    pcre2_get_error_message(err, msg, sizeof msg);
                    fail(res, v->line, "regular expression: %s at offset %zu", (const char *)msg, (size_t)off);
                    ok = false;
                } else {
                    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter when JIT is unavailable */
                    TM_GROW(*c->codes, *c->ncodes);
                    (*c->codes)[(*c->ncodes)++] = code;
                    x->re = code;
                }
            }
            nsv++;
        }
        free(vals);
        if (!ok)
            return false;
        t->v = sv;
        t->nv = nsv;
        *out = *t;
        return true;
    }
    /* strings: tokens, then the transformations in the order given */
    bool expand = false;
    for (size_t i = 0; i < m.nx; i++)
        expand |= m.x[i] == X_EXPAND;
    tlist l = {0};
    for (size_t i = 0; i < nv; i++)
        tlist_add(&l, parse_value(vals[i]->s, vals[i]->len, expand));
    for (size_t xi = 0; xi < m.nx && ok; xi++) {
        xform x = m.x[xi];
        if (x == X_EXPAND) {
            ok = expand_all(c, &l, res, line);
            continue;
        }
        tlist o = {0};
        for (size_t i = 0; i < l.n; i++) {
            toks *a = &l.v[i];
            switch (x) {
            case X_CONTAINS: wrap(a, true, true); break;
            case X_STARTSWITH: wrap(a, false, true); break;
            case X_ENDSWITH: wrap(a, true, false); break;
            case X_WINDASH: windash(a); break;
            case X_UTF16LE:
            case X_UTF16BE:
            case X_UTF16: {
                toks u = utf16(a, x == X_UTF16BE, x == X_UTF16);
                free(a->t);
                *a = u;
                break;
            }
            case X_BASE64:
            case X_BASE64OFFSET: base64_variants(a, x == X_BASE64OFFSET, &o); break;
            default: break;
            }
        }
        if (x == X_BASE64 || x == X_BASE64OFFSET) {
            tlist_free(&l);
            l = o;
            if (l.n > TM_SIGMA_MAX_VARIANTS) {
                fail(res, line, "a value expands to more than %d values", TM_SIGMA_MAX_VARIANTS);
                ok = false;
            }
        }
    }
    if (ok && m.keyword && !m.position)
        for (size_t i = 0; i < l.n; i++)
            wrap(&l.v[i], true, true);
    if (ok) {
        sv = tm_arena_alloc(c->arena, (l.n ? l.n : 1) * sizeof *sv);
        memset(sv, 0, (l.n ? l.n : 1) * sizeof *sv);
        bool plain_ids = m.nx == 0 && l.n == nv;
        for (size_t i = 0; i < l.n; i++) {
            sv[i].g = make_glob(c->arena, &l.v[i], t->cased);
            sv[i].eid = -1;
            int64_t id;
            if (plain_ids && event_id_of(vals[i], &id))
                sv[i].eid = id;
        }
        if (!t->all)
            t->ac = make_ac(c->arena, sv, l.n, t->cased);
        t->v = sv;
        t->nv = l.n;
        *out = *t;
    }
    tlist_free(&l);
    free(vals);
    return ok;
}

/* A keyword list (scalars of a list) as one test. */
static bool compile_keywords(tm_sigma_cctx *c, const tm_ynode *const *items, size_t n, size_t line, tm_stest *out,
                             tm_compile_result *res)
{
    /* a synthetic list node over the items */
    tm_ynode seq = {.kind = TM_YN_SEQ, .line = line, .items = (tm_ynode **)items, .n = n};
    for (size_t i = 0; i < n; i++)
        if (tm_ynode_is_null(items[i])) {
            fail(res, items[i]->line, "a keyword cannot be null");
            return false;
        }
    return compile_test(c, "", line, &seq, out, res);
}

static bool compile_map(tm_sigma_cctx *c, const tm_ynode *map, tm_salt *alt, tm_compile_result *res)
{
    if (map->n == 0) {
        fail(res, map->line, "empty selection");
        return false;
    }
    tm_stest *tests = tm_arena_alloc(c->arena, map->n * sizeof *tests);
    for (size_t i = 0; i < map->n; i++) {
        const tm_ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];
        if (k->kind != TM_YN_SCALAR) {
            fail(res, k->line, "a field name must be a string");
            return false;
        }
        if (!compile_test(c, k->s, k->line, v, &tests[i], res))
            return false;
    }
    alt->tests = tests;
    alt->n = map->n;
    return true;
}

static bool compile_sel(tm_sigma_cctx *c, const tm_ynode *v, tm_ssel *sel, tm_compile_result *res)
{
    if (v->kind == TM_YN_MAP) {
        tm_salt *alt = tm_arena_alloc(c->arena, sizeof *alt);
        if (!compile_map(c, v, alt, res))
            return false;
        sel->alts = alt;
        sel->nalt = 1;
        return true;
    }
    if (v->kind == TM_YN_SCALAR) {
        if (tm_ynode_is_null(v)) {
            fail(res, v->line, "empty selection");
            return false;
        }
        tm_salt *alt = tm_arena_alloc(c->arena, sizeof *alt);
        tm_stest *t = tm_arena_alloc(c->arena, sizeof *t);
        const tm_ynode *one = v;
        if (!compile_keywords(c, &one, 1, v->line, t, res))
            return false;
        *alt = (tm_salt){t, 1};
        sel->alts = alt;
        sel->nalt = 1;
        return true;
    }
    /* a list: maps are alternatives, the strings one keyword alternative */
    if (v->n == 0) {
        fail(res, v->line, "empty selection");
        return false;
    }
    size_t nmaps = 0, nstr = 0;
    for (size_t i = 0; i < v->n; i++) {
        const tm_ynode *it = v->items[i];
        if (it->kind == TM_YN_MAP)
            nmaps++;
        else if (it->kind == TM_YN_SCALAR)
            nstr++;
        else {
            fail(res, it->line, "a selection list holds maps or strings");
            return false;
        }
    }
    tm_salt *alts = tm_arena_alloc(c->arena, (nmaps + (nstr > 0)) * sizeof *alts);
    size_t na = 0;
    if (nstr) {
        const tm_ynode **kw = tm_xmalloc(nstr * sizeof *kw);
        size_t k = 0;
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i]->kind == TM_YN_SCALAR)
                kw[k++] = v->items[i];
        tm_stest *t = tm_arena_alloc(c->arena, sizeof *t);
        bool ok = compile_keywords(c, kw, nstr, v->line, t, res);
        free(kw);
        if (!ok)
            return false;
        alts[na++] = (tm_salt){t, 1};
    }
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->kind == TM_YN_MAP && !compile_map(c, v->items[i], &alts[na++], res))
            return false;
    sel->alts = alts;
    sel->nalt = na;
    return true;
}

/* ---- the condition ---- */

typedef struct {
    const char *s;
    size_t n;
} ctok;

typedef struct {
    ctok *t;
    size_t n, pos;
    tm_cnode *nodes;
    size_t nnodes;
    int depth;
    const tm_ssel *sels;
    size_t nsel;
    tm_arena *ar;
    tm_compile_result *res;
    size_t line;
} cparser;

static bool tok_is(const ctok *t, const char *w)
{
    return t && t->n == strlen(w) && strncasecmp(t->s, w, t->n) == 0;
}

static ctok *peek(cparser *p)
{
    return p->pos < p->n ? &p->t[p->pos] : NULL;
}

static uint32_t add_node(cparser *p, tm_cnode nd)
{
    TM_GROW(p->nodes, p->nnodes);
    p->nodes[p->nnodes] = nd;
    return (uint32_t)p->nnodes++;
}

static uint32_t *arena_u32(tm_arena *a, const uint32_t *v, size_t n)
{
    uint32_t *p = tm_arena_alloc(a, (n ? n : 1) * sizeof *p);
    if (n)
        memcpy(p, v, n * sizeof *p);
    return p;
}

/* Selection-name patterns: `*` any run of characters (names are short). */
static bool name_match(const char *pat, size_t pn, const char *s)
{
    size_t sn = strlen(s), pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && pat[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && pat[pi] == s[si]) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && pat[pi] == '*')
        pi++;
    return pi == pn;
}

#define BAD UINT32_MAX
static uint32_t parse_or(cparser *p);

static uint32_t parse_primary(cparser *p)
{
    ctok *t = peek(p);
    char nb[64], tmp[64];
    if (!t) {
        fail(p->res, p->line, "condition ends too early");
        return BAD;
    }
    if (t->n == 1 && t->s[0] == '(') {
        if (++p->depth > TM_SIGMA_MAX_DEPTH) {
            fail(p->res, p->line, "condition nested deeper than %d", TM_SIGMA_MAX_DEPTH);
            return BAD;
        }
        p->pos++;
        uint32_t r = parse_or(p);
        if (r == BAD)
            return BAD;
        t = peek(p);
        if (!t || t->n != 1 || t->s[0] != ')') {
            fail(p->res, p->line, "condition misses ')'");
            return BAD;
        }
        p->pos++;
        p->depth--;
        return r;
    }
    bool num = t->n > 0 && t->n < 10 && strspn(t->s, "0123456789") >= t->n;
    if ((num || tok_is(t, "all")) && p->pos + 1 < p->n && tok_is(&p->t[p->pos + 1], "of")) {
        uint32_t count = num ? (uint32_t)strtoul(t->s, NULL, 10) : UINT32_MAX;
        p->pos += 2;
        ctok *pat = peek(p);
        if (!pat || (pat->n == 1 && (pat->s[0] == '(' || pat->s[0] == ')'))) {
            fail(p->res, p->line, "'of' needs 'them' or a selection pattern");
            return BAD;
        }
        p->pos++;
        bool them = tok_is(pat, "them");
        uint32_t *kids = tm_xmalloc((p->nsel ? p->nsel : 1) * sizeof *kids);
        uint32_t nk = 0;
        for (size_t i = 0; i < p->nsel; i++) {
            const char *nm = p->sels[i].name;
            if (them ? nm[0] != '_' : name_match(pat->s, pat->n, nm))
                kids[nk++] = (uint32_t)i;
        }
        if (nk == 0 && !them) {
            snprintf(tmp, sizeof tmp, "%.*s", (int)(pat->n < 60 ? pat->n : 60), pat->s);
            fail(p->res, p->line, "no selection matches '%s'", shown(tmp, nb));
            free(kids);
            return BAD;
        }
        tm_cnode nd = {.op = TM_C_OF, .kids = arena_u32(p->ar, kids, nk), .nkids = nk, .count = count};
        free(kids);
        return add_node(p, nd);
    }
    if (tok_is(t, "and") || tok_is(t, "or") || tok_is(t, "of") || (t->n == 1 && t->s[0] == ')')) {
        snprintf(tmp, sizeof tmp, "%.*s", (int)(t->n < 60 ? t->n : 60), t->s);
        fail(p->res, p->line, "unexpected '%s' in condition", shown(tmp, nb));
        return BAD;
    }
    for (size_t i = 0; i < p->nsel; i++)
        if (strlen(p->sels[i].name) == t->n && memcmp(p->sels[i].name, t->s, t->n) == 0) {
            p->pos++;
            return add_node(p, (tm_cnode){.op = TM_C_SEL, .sel = (uint32_t)i});
        }
    snprintf(tmp, sizeof tmp, "%.*s", (int)(t->n < 60 ? t->n : 60), t->s);
    fail(p->res, p->line, "condition names unknown selection '%s'", shown(tmp, nb));
    return BAD;
}

static uint32_t parse_not(cparser *p)
{
    if (tok_is(peek(p), "not")) {
        if (++p->depth > TM_SIGMA_MAX_DEPTH) {
            fail(p->res, p->line, "condition nested deeper than %d", TM_SIGMA_MAX_DEPTH);
            return BAD;
        }
        p->pos++;
        uint32_t k = parse_not(p);
        p->depth--;
        if (k == BAD)
            return BAD;
        return add_node(p, (tm_cnode){.op = TM_C_NOT, .kids = arena_u32(p->ar, &k, 1), .nkids = 1});
    }
    return parse_primary(p);
}

static uint32_t parse_nary(cparser *p, const char *op, uint32_t (*sub)(cparser *), tm_cop cop)
{
    uint32_t first = sub(p);
    if (first == BAD || !tok_is(peek(p), op))
        return first;
    uint32_t *kids = NULL;
    size_t nk = 0;
    TM_GROW(kids, nk);
    kids[nk++] = first;
    while (tok_is(peek(p), op)) {
        p->pos++;
        uint32_t k = sub(p);
        if (k == BAD) {
            free(kids);
            return BAD;
        }
        TM_GROW(kids, nk);
        kids[nk++] = k;
    }
    tm_cnode nd = {.op = cop, .kids = arena_u32(p->ar, kids, nk), .nkids = (uint32_t)nk};
    free(kids);
    return add_node(p, nd);
}

static uint32_t parse_and(cparser *p)
{
    return parse_nary(p, "and", parse_not, TM_C_AND);
}

static uint32_t parse_or(cparser *p)
{
    return parse_nary(p, "or", parse_and, TM_C_OR);
}

static uint32_t parse_condition(cparser *p, const tm_ynode *cond)
{
    p->line = cond->line;
    const char *s = cond->s;
    if (memchr(s, '|', cond->len)) {
        skip(p->res, TM_SIGMA_SKIP_CORRELATION, cond->line, "aggregation in the condition (Sigma 1 correlation)");
        return BAD;
    }
    free(p->t);
    p->t = NULL;
    p->n = p->pos = 0;
    p->depth = 0;
    for (size_t i = 0; i < cond->len;) {
        if (isspace((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t st = i;
        if (s[i] == '(' || s[i] == ')')
            i++;
        else
            while (i < cond->len && !isspace((unsigned char)s[i]) && s[i] != '(' && s[i] != ')')
                i++;
        TM_GROW(p->t, p->n);
        p->t[p->n++] = (ctok){s + st, i - st};
    }
    if (p->n == 0) {
        fail(p->res, cond->line, "empty condition");
        return BAD;
    }
    uint32_t r = parse_or(p);
    if (r != BAD && p->pos < p->n) {
        char nb[64], tmp[64];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(p->t[p->pos].n < 60 ? p->t[p->pos].n : 60), p->t[p->pos].s);
        fail(p->res, cond->line, "unexpected '%s' in condition", shown(tmp, nb));
        return BAD;
    }
    return r;
}

tm_sigma_matcher *tm_sigma_compile(tm_sigma_cctx *c, const tm_ynode *det, tm_compile_result *res)
{
    memset(res, 0, sizeof *res);
    res->status = TM_COMPILE_OK;
    if (!det || det->kind != TM_YN_MAP) {
        fail(res, det ? det->line : 0, "detection must be a map");
        return NULL;
    }
    const tm_ynode *cond = tm_ynode_get(det, "condition");
    if (!cond || tm_ynode_is_null(cond)) {
        fail(res, det->line, "detection has no condition");
        return NULL;
    }
    size_t nsel = 0;
    tm_ssel *sels = tm_arena_alloc(c->arena, (det->n ? det->n : 1) * sizeof *sels);
    for (size_t i = 0; i < det->n; i++) {
        const tm_ynode *k = det->items[2 * i], *v = det->items[2 * i + 1];
        if (k->kind != TM_YN_SCALAR) {
            fail(res, k->line, "a selection name must be a string");
            return NULL;
        }
        if (!strcmp(k->s, "condition") || !strcmp(k->s, "timeframe"))
            continue;
        sels[nsel].name = arena_strdup(c->arena, k->s, k->len);
        if (!compile_sel(c, v, &sels[nsel], res))
            return NULL;
        nsel++;
    }
    if (nsel == 0) {
        fail(res, det->line, "detection has no selection");
        return NULL;
    }
    cparser p = {.sels = sels, .nsel = nsel, .ar = c->arena, .res = res};
    uint32_t root = BAD;
    if (cond->kind == TM_YN_SCALAR) {
        root = parse_condition(&p, cond);
    } else if (cond->kind == TM_YN_SEQ && cond->n > 0) {
        /* a list of conditions: OR */
        uint32_t *kids = tm_xmalloc(cond->n * sizeof *kids);
        size_t i = 0;
        for (; i < cond->n; i++) {
            if (cond->items[i]->kind != TM_YN_SCALAR) {
                fail(res, cond->items[i]->line, "a condition must be a string");
                break;
            }
            kids[i] = parse_condition(&p, cond->items[i]);
            if (kids[i] == BAD)
                break;
        }
        if (i == cond->n)
            root = add_node(&p, (tm_cnode){.op = TM_C_OR, .kids = arena_u32(c->arena, kids, cond->n),
                                           .nkids = (uint32_t)cond->n});
        free(kids);
    } else {
        fail(res, cond->line, "condition must be a string or a list of strings");
    }
    free(p.t);
    if (root == BAD) {
        free(p.nodes);
        if (res->status == TM_COMPILE_OK)
            fail(res, cond->line, "bad condition");
        return NULL;
    }
    tm_sigma_matcher *m = tm_arena_alloc(c->arena, sizeof *m);
    memset(m, 0, sizeof *m);
    m->sels = sels;
    m->nsel = nsel;
    tm_cnode *nodes = tm_arena_alloc(c->arena, p.nnodes * sizeof *nodes);
    memcpy(nodes, p.nodes, p.nnodes * sizeof *nodes);
    free(p.nodes);
    m->nodes = nodes;
    m->nnode = p.nnodes;
    m->root = root;
    return m;
}

/* ---- event ids the detection fixes ---- */

#define MAX_IDS 32
typedef struct {
    bool any;
    uint32_t n;
    uint32_t v[MAX_IDS];
} idset;

static void ids_add(idset *s, uint32_t id)
{
    if (s->any)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->v[i] == id)
            return;
    if (s->n == MAX_IDS) {
        s->any = true;
        return;
    }
    s->v[s->n++] = id;
}

static idset ids_union(idset a, const idset *b)
{
    if (a.any || b->any)
        return (idset){.any = true};
    for (uint32_t i = 0; i < b->n; i++)
        ids_add(&a, b->v[i]);
    return a;
}

static idset ids_inter(const idset *a, const idset *b)
{
    if (a->any)
        return *b;
    if (b->any)
        return *a;
    idset r = {0};
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t j = 0; j < b->n; j++)
            if (a->v[i] == b->v[j])
                ids_add(&r, a->v[i]);
    return r;
}

static idset sel_ids(const tm_ssel *s)
{
    idset r = {0};
    for (size_t a = 0; a < s->nalt; a++) {
        idset alt = {.any = true};
        for (size_t i = 0; i < s->alts[a].n; i++) {
            const tm_stest *t = &s->alts[a].tests[i];
            if (!t->field || strcmp(t->field, "EventID") != 0 || t->kind != TM_TK_GLOB || t->neq ||
                (t->all && t->nv > 1) || t->nv == 0)
                continue;
            idset x = {0};
            bool ok = true;
            for (size_t k = 0; k < t->nv && ok; k++) {
                if (t->v[k].eid < 0)
                    ok = false;
                else
                    ids_add(&x, (uint32_t)t->v[k].eid);
            }
            if (ok)
                alt = ids_inter(&alt, &x);
        }
        r = ids_union(r, &alt);
        if (r.any)
            break;
    }
    return r;
}

static idset node_ids(const tm_sigma_matcher *m, uint32_t ni)
{
    const tm_cnode *n = &m->nodes[ni];
    switch (n->op) {
    case TM_C_SEL: return sel_ids(&m->sels[n->sel]);
    case TM_C_NOT: return (idset){.any = true};
    case TM_C_AND: {
        idset r = {.any = true};
        for (uint32_t i = 0; i < n->nkids; i++) {
            idset k = node_ids(m, n->kids[i]);
            r = ids_inter(&r, &k);
        }
        return r;
    }
    case TM_C_OR: {
        idset r = {0};
        for (uint32_t i = 0; i < n->nkids && !r.any; i++) {
            idset k = node_ids(m, n->kids[i]);
            r = ids_union(r, &k);
        }
        return n->nkids ? r : (idset){.any = true};
    }
    case TM_C_OF: {
        if (n->nkids == 0)
            return (idset){.any = true};
        idset r = n->count == UINT32_MAX ? (idset){.any = true} : (idset){0};
        for (uint32_t i = 0; i < n->nkids; i++) {
            idset k = sel_ids(&m->sels[n->kids[i]]);
            r = n->count == UINT32_MAX ? ids_inter(&r, &k) : ids_union(r, &k);
        }
        return r;
    }
    }
    return (idset){.any = true};
}

void tm_sigma_narrow_sources(tm_sigma_matcher *m, tm_arena *a, const tm_sigma_source *ls, size_t nls)
{
    idset ids = node_ids(m, m->root);
    size_t cap = nls * (ids.any ? 1 : (ids.n ? ids.n : 1));
    tm_sigma_source *out = tm_arena_alloc(a, (cap ? cap : 1) * sizeof *out);
    size_t n = 0;
    for (size_t i = 0; i < nls; i++) {
        if (ids.any || !strcmp(ls[i].channel, TM_SIGMA_ANY_CHANNEL)) {
            out[n++] = ls[i];
        } else if (ls[i].event_id == 0) {
            for (uint32_t k = 0; k < ids.n; k++)
                out[n++] = (tm_sigma_source){ls[i].channel, ids.v[k]};
        } else {
            for (uint32_t k = 0; k < ids.n; k++)
                if (ids.v[k] == ls[i].event_id)
                    out[n++] = ls[i];
        }
    }
    if (n == 0) { /* the detection contradicts its log source: keep the log source */
        for (size_t i = 0; i < nls && n < cap; i++)
            out[n++] = ls[i];
    }
    m->src = out;
    m->nsrc = n;
}

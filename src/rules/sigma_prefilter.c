/* The literal pre-filter: most rules can match an event only when some
 * literal of theirs occurs in one of its fields (`Image|endswith:
 * '\whoami.exe'` needs "\whoami.exe" in Image). From each compiled rule
 * this file derives such a set of literals (the rule needs one of them; a
 * rule without one is always tested), and for each candidate list of the
 * index one Aho-Corasick automaton per field over the literals of its
 * rules. An event's fields are scanned once; only the rules whose literal
 * occurred, and those that need none, are then tested. The filter only
 * skips rules that cannot match, so the hits are the same as without it.
 *
 * Why a literal is necessary: a wildcard pattern's plain bytes between
 * `*`, `?` and windash classes must appear contiguously in the value it
 * matches (sigma_match.c places each byte at one position). The automaton
 * folds ASCII case always: a `cased` literal that occurs also occurs
 * folded, so folding only lets more rules through, never fewer. */
#include <stdlib.h>
#include <string.h>

#include "rules/sigma_int.h"
#include "util/strmap.h"

/* Longer literals are cut to their last bytes (a path's or name's tail is
 * its telling part): a part of a needed literal is needed too, and the
 * automaton stays small. */
#define MAX_LIT 16
/* A rule needing one of more literals than this is always tested. */
#define MAX_ALTS 4096

/* One literal a rule may need: bytes (folded) in a field's value, or in
 * any value of the event (field NULL: a keyword search). */
typedef struct {
    const char *field;
    const uint16_t *t; /* pattern tokens, all < 256 */
    uint32_t n;
    bool cased;        /* tokens not yet folded */
} lit;

/* What a rule or part of it needs: one of v[0..n), or nothing (none). */
typedef struct {
    bool none;
    lit *v;
    size_t n;
    double cost;
} need;

static need need_none(void)
{
    return (need){.none = true};
}

static void need_free(need *x)
{
    free(x->v);
    *x = need_none();
}

/* ---- the literal of one value ---- */

/* The longest run of plain bytes of a pattern (at most MAX_LIT, its tail);
 * false when it has none. */
static bool glob_literal(const tm_glob *g, const uint16_t **t, uint32_t *n)
{
    uint32_t best = 0;
    const uint16_t *bt = NULL;
    for (uint32_t s = 0; s < g->nseg; s++) {
        const tm_seg *sg = &g->segs[s];
        uint32_t i = 0;
        while (i < sg->n) {
            while (i < sg->n && sg->t[i] >= 256)
                i++;
            uint32_t st = i;
            while (i < sg->n && sg->t[i] < 256)
                i++;
            if (i - st > best) {
                best = i - st;
                bt = sg->t + st;
            }
        }
    }
    if (!best)
        return false;
    if (best > MAX_LIT) {
        bt += best - MAX_LIT;
        best = MAX_LIT;
    }
    *t = bt;
    *n = best;
    return true;
}

static uint8_t fold(uint16_t t, bool cased)
{
    return cased ? tm_sigma_lower[t & 0xFF] : (uint8_t)t;
}

/* "field\x1f" and the literal's folded bytes (a NUL as 0x01: the key is a
 * weight's, a rare collision only changes a choice). */
static void lit_key(const lit *l, char *key, size_t cap)
{
    size_t k = 0;
    const char *f = l->field ? l->field : "";
    while (*f && k + 2 < cap)
        key[k++] = *f++;
    key[k++] = '\x1f';
    for (uint32_t i = 0; i < l->n && k + 1 < cap; i++) {
        uint8_t b = fold(l->t[i], l->cased);
        key[k++] = (char)(b ? b : 1);
    }
    key[k] = '\0';
}

/* ---- what a rule needs ----
 * A test needs one of its values' literals (with `all`, any one value's
 * literal is needed: the best); a test with a value without literal, a
 * negated test and every other kind need nothing. An alternative (AND)
 * needs what its best test needs; a selection (OR) the union of its
 * alternatives. The condition: AND and `all of` the best part, OR and
 * `N of` the union, NOT nothing. The best is the cheapest: a literal costs
 * the number of rules of the set that use it in that field (a proxy for
 * how often events carry it), more when it is short or part of an everyday
 * value; a union costs the sum. The costs choose, they never decide
 * whether a rule is tested: any choice gives the same hits. */

typedef struct {
    const tm_strmap *df; /* literal key -> rules using it */
    const size_t *dfv;
} coster;

/* Everyday values of process, file and registry fields (lowercase): a
 * literal they contain occurs in most events and is a poor filter. */
static const char everyday[] =
    "c:\\windows\\system32\\svchost.exe -k netsvcs -p -s schedule\n"
    "c:\\windows\\system32\\services.exe\nc:\\windows\\explorer.exe\n"
    "c:\\windows\\system32\\cmd.exe /c \n"
    "c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe -noprofile -executionpolicy bypass -file \n"
    "\\??\\c:\\windows\\system32\\conhost.exe 0xffffffff -forcev1\n"
    "c:\\windows\\system32\\rundll32.exe c:\\windows\\system32\\shell32.dll,control_rundll\n"
    "c:\\windows\\system32\\wbem\\wmiprvse.exe -secured -embedding\n"
    "c:\\windows\\system32\\dllhost.exe /processid:{}\nc:\\windows\\system32\\taskhostw.exe\n"
    "c:\\windows\\system32\\msiexec.exe /v\nc:\\windows\\syswow64\\\n"
    "c:\\program files\\microsoft office\\root\\office16\\winword.exe\n"
    "c:\\program files (x86)\\google\\chrome\\application\\chrome.exe --type=renderer\n"
    "c:\\programdata\\microsoft\\windows defender\\platform\\\n"
    "c:\\users\\user\\appdata\\local\\temp\\\nc:\\users\\user\\appdata\\roaming\\\n"
    "c:\\users\\user\\desktop\\\nc:\\users\\user\\downloads\\\n"
    "nt authority\\system\nnt authority\\network service\nnt authority\\local service\n"
    "microsoft corporation\nmicrosoft\xc2\xae windows\xc2\xae operating system\n"
    "windows command processor\nhost process for windows services\n"
    "hklm\\software\\microsoft\\windows\\currentversion\\\n"
    "hku\\s-1-5-21-1-2-3-1001\\software\\microsoft\\windows\\currentversion\\explorer\\\n"
    "hklm\\system\\currentcontrolset\\services\\\n"
    ".exe .dll .txt .log .tmp .dat .ini .xml .json\nhttp:// https://\n";

static double lit_cost(const coster *c, const lit *l)
{
    static const double short_pen[] = {0, 1000, 200, 40, 8};
    double w = l->n < 5 ? short_pen[l->n] : 0;
    if (l->field) {
        char b[MAX_LIT];
        for (uint32_t i = 0; i < l->n; i++)
            b[i] = (char)fold(l->t[i], l->cased);
        if (memmem(everyday, sizeof everyday - 1, b, l->n))
            w += 50;
    }
    if (c->df) {
        char key[256 + MAX_LIT + 2];
        lit_key(l, key, sizeof key);
        size_t k = tm_strmap_get(c->df, key);
        if (k != TM_STRMAP_NONE)
            w += (double)c->dfv[k];
    }
    if (!l->field)
        w += 4; /* searched in every value */
    return w + 1;
}

static need need_of_test(const coster *c, const tm_stest *t)
{
    if (t->neq || t->kind != TM_TK_GLOB || t->nv == 0)
        return need_none();
    need r = {0};
    if (t->all) { /* every value: the cheapest one's literal */
        lit best = {0};
        double bc = 0;
        for (size_t i = 0; i < t->nv; i++) {
            lit l = {t->field, NULL, 0, t->cased};
            if (!glob_literal(&t->v[i].g, &l.t, &l.n))
                continue;
            double lc = lit_cost(c, &l);
            if (!best.t || lc < bc) {
                best = l;
                bc = lc;
            }
        }
        if (!best.t)
            return need_none();
        r.v = tm_xmalloc(sizeof *r.v);
        r.v[0] = best;
        r.n = 1;
        r.cost = bc;
        return r;
    }
    if (t->nv > MAX_ALTS)
        return need_none();
    r.v = tm_xmalloc(t->nv * sizeof *r.v);
    for (size_t i = 0; i < t->nv; i++) {
        lit l = {t->field, NULL, 0, t->cased};
        if (!glob_literal(&t->v[i].g, &l.t, &l.n)) {
            need_free(&r);
            return need_none();
        }
        r.v[r.n++] = l;
        r.cost += lit_cost(c, &l);
    }
    return r;
}

/* a := the cheaper of a and b (b consumed) */
static void need_best(need *a, need *b)
{
    if (b->none)
        return;
    if (a->none || b->cost < a->cost) {
        need_free(a);
        *a = *b;
        *b = need_none();
        return;
    }
    need_free(b);
}

/* a := a or b (b consumed); nothing when either needs nothing */
static void need_union(need *a, need *b, bool first)
{
    if (first) {
        *a = *b;
        *b = need_none();
        return;
    }
    if (a->none || b->none || a->n + b->n > MAX_ALTS) {
        need_free(a);
        need_free(b);
        return;
    }
    a->v = tm_xrealloc(a->v, (a->n + b->n) * sizeof *a->v);
    memcpy(a->v + a->n, b->v, b->n * sizeof *b->v);
    a->n += b->n;
    a->cost += b->cost;
    need_free(b);
}

static need need_of_sel(const coster *c, const tm_ssel *s)
{
    need r = need_none();
    for (size_t a = 0; a < s->nalt; a++) {
        const tm_salt *al = &s->alts[a];
        need x = need_none();
        for (size_t i = 0; i < al->n; i++) {
            need y = need_of_test(c, &al->tests[i]);
            need_best(&x, &y);
        }
        need_union(&r, &x, a == 0);
        if (r.none)
            break;
    }
    return r;
}

/* Depth is bounded by the compiler (TM_SIGMA_MAX_DEPTH). */
static need need_of_node(const coster *c, const tm_sigma_matcher *m, uint32_t ni)
{
    const tm_cnode *n = &m->nodes[ni];
    switch (n->op) {
    case TM_C_SEL: return need_of_sel(c, &m->sels[n->sel]);
    case TM_C_NOT: return need_none();
    case TM_C_AND: {
        need r = need_none();
        for (uint32_t i = 0; i < n->nkids; i++) {
            need k = need_of_node(c, m, n->kids[i]);
            need_best(&r, &k);
        }
        return r;
    }
    case TM_C_OR: {
        need r = need_none();
        for (uint32_t i = 0; i < n->nkids; i++) {
            need k = need_of_node(c, m, n->kids[i]);
            need_union(&r, &k, i == 0);
            if (r.none)
                break;
        }
        return r;
    }
    case TM_C_OF: {
        need r = need_none();
        if (n->nkids == 0 || n->count == 0)
            return r; /* `all of` nothing is true; `0 of` too */
        for (uint32_t i = 0; i < n->nkids; i++) {
            need k = need_of_sel(c, &m->sels[n->kids[i]]);
            if (n->count == UINT32_MAX) {
                need_best(&r, &k);
            } else {
                need_union(&r, &k, i == 0);
                if (r.none)
                    break;
            }
        }
        return r;
    }
    }
    return need_none();
}

/* ---- the needs of a whole set ---- */

struct tm_pf_needs {
    need *v; /* by rule index */
    size_t n;
};

/* Counts, for every literal any test offers, the rules that offer it. */
static void count_literals(const tm_sigma_matcher *m, tm_strmap *df, size_t **dfv, size_t *ndf, size_t rule)
{
    char key[256 + MAX_LIT + 2];
    tm_strmap seen; /* this rule's literals, counted once */
    tm_strmap_init(&seen, false);
    for (size_t s = 0; s < m->nsel; s++)
        for (size_t a = 0; a < m->sels[s].nalt; a++)
            for (size_t i = 0; i < m->sels[s].alts[a].n; i++) {
                const tm_stest *t = &m->sels[s].alts[a].tests[i];
                if (t->neq || t->kind != TM_TK_GLOB)
                    continue;
                for (size_t v = 0; v < t->nv; v++) {
                    lit l = {t->field, NULL, 0, t->cased};
                    if (!glob_literal(&t->v[v].g, &l.t, &l.n))
                        continue;
                    lit_key(&l, key, sizeof key);
                    if (tm_strmap_get(&seen, key) != TM_STRMAP_NONE)
                        continue;
                    tm_strmap_put(&seen, key, rule);
                    size_t k = tm_strmap_get(df, key);
                    if (k == TM_STRMAP_NONE) {
                        TM_GROW(*dfv, *ndf);
                        (*dfv)[*ndf] = 0;
                        k = (*ndf)++;
                        tm_strmap_put(df, key, k);
                    }
                    (*dfv)[k]++;
                }
            }
    tm_strmap_free(&seen);
}

tm_pf_needs *tm_pf_needs_new(tm_sigma_rule *const *rules, size_t n)
{
    tm_pf_needs *x = tm_xcalloc(1, sizeof *x);
    x->v = tm_xcalloc(n ? n : 1, sizeof *x->v);
    x->n = n;
    tm_strmap df;
    tm_strmap_init(&df, false);
    size_t *dfv = NULL, ndf = 0;
    for (size_t i = 0; i < n; i++)
        count_literals(rules[i]->m, &df, &dfv, &ndf, i);
    coster c = {&df, dfv};
    for (size_t i = 0; i < n; i++)
        x->v[i] = need_of_node(&c, rules[i]->m, rules[i]->m->root);
    tm_strmap_free(&df);
    free(dfv);
    return x;
}

void tm_pf_needs_free(tm_pf_needs *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++)
        need_free(&x->v[i]);
    free(x->v);
    free(x);
}

/* ---- automata ---- */

/* One field's Aho-Corasick automaton over folded bytes. States are
 * numbered breadth first, so a state's children are consecutive (kids[u]
 * to kids[u + 1], their bytes ascending) and the shallow states come first:
 * states below ndense have a full transition row over byte classes (a
 * DFA there), deeper ones follow their failure links until a child or a
 * shallow state takes the byte. Rows for all states of the process_creation
 * literals would take tens of MiB; this takes about what the literals do.
 * Per state, the rules (positions in the candidate list) whose literal ends
 * there, and links to the shorter suffix states that have some. */
typedef struct {
    const char *field; /* NULL: every value of the event */
    uint16_t cls[256]; /* folded byte -> class, 0: in no literal */
    uint32_t nc, ns, ndense;
    uint32_t *dense;  /* ndense * nc */
    uint32_t *kids;   /* state -> its first child; kids[ns] = ns */
    uint8_t *inbyte;  /* state -> the byte of the edge into it */
    uint32_t *fail;
    uint32_t *report; /* state -> itself or its nearest suffix state with rules, 0: none */
    uint32_t *dict;   /* state -> nearest proper suffix state with rules, 0: none */
    uint32_t *first;  /* state -> start in out */
    uint32_t *count;  /* state -> number of rules in out */
    uint32_t *out;
    size_t nout;
} pf_ac;

/* Shallow states get full rows within this many bytes per automaton. */
#define DENSE_BYTES (16u << 10)

struct tm_sigma_pf {
    size_t nrules;
    uint64_t *always; /* rules that need no literal */
    pf_ac *ac;
    size_t nac;
};

/* (literal, rule) pairs, sorted by field, then by the folded bytes */
typedef struct {
    const lit *l;
    uint32_t rule;
    uint8_t b[MAX_LIT];
} entry;

static int cmp_field(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = cmp_field(x->l->field, y->l->field);
    if (c)
        return c;
    uint32_t n = x->l->n < y->l->n ? x->l->n : y->l->n;
    c = memcmp(x->b, y->b, n);
    if (c)
        return c;
    if (x->l->n != y->l->n)
        return x->l->n < y->l->n ? -1 : 1;
    return (x->rule > y->rule) - (x->rule < y->rule);
}

/* The child of st by byte b, or 0. */
static uint32_t child(const pf_ac *ac, uint32_t st, uint8_t b)
{
    uint32_t lo = ac->kids[st], hi = ac->kids[st + 1];
    while (hi - lo > 8) { /* many children: narrow [lo, hi) to hold b's place */
        uint32_t mid = lo + (hi - lo) / 2;
        if (ac->inbyte[mid] < b)
            lo = mid + 1;
        else
            hi = mid + 1;
    }
    for (; lo < hi; lo++)
        if (ac->inbyte[lo] == b)
            return lo;
    return 0;
}

/* The state after st on (folded) byte b. */
static uint32_t step(const pf_ac *ac, uint32_t st, uint8_t b)
{
    uint32_t c = ac->cls[b];
    if (!c)
        return 0; /* a byte no literal holds: back to the root */
    for (;;) {
        if (st < ac->ndense)
            return ac->dense[(size_t)st * ac->nc + c];
        uint32_t k = child(ac, st, b);
        if (k)
            return k;
        st = ac->fail[st];
    }
}

/* The same before the rows exist (the failure links are being made). */
static uint32_t step_sparse(const pf_ac *ac, uint32_t st, uint8_t b)
{
    for (;;) {
        uint32_t k = child(ac, st, b);
        if (k || st == 0)
            return k;
        st = ac->fail[st];
    }
}

static void ac_build(pf_ac *ac, const entry *e, size_t ne)
{
    /* the trie (provisional numbers): entries come sorted, so a state's
     * child by a byte, when it exists, is the last child made for it, and
     * its children are made in ascending byte order */
    size_t cap = 1;
    for (size_t i = 0; i < ne; i++)
        cap += e[i].l->n;
    uint32_t *last = tm_xcalloc(cap, sizeof *last), *from = tm_xmalloc(cap * sizeof *from);
    uint8_t *lastb = tm_xcalloc(cap, 1), *byte = tm_xmalloc(cap);
    uint32_t *end = tm_xmalloc((ne ? ne : 1) * sizeof *end);
    uint32_t ns = 1;
    memset(ac->cls, 0, sizeof ac->cls);
    ac->nc = 1;
    for (size_t i = 0; i < ne; i++) {
        uint32_t st = 0;
        for (uint32_t k = 0; k < e[i].l->n; k++) {
            uint8_t b = e[i].b[k];
            if (!ac->cls[b])
                ac->cls[b] = (uint16_t)ac->nc++;
            if (!last[st] || lastb[st] != b) {
                from[ns] = st;
                byte[ns] = b;
                last[st] = ns;
                lastb[st] = b;
                ns++;
            }
            st = last[st];
        }
        end[i] = st;
    }
    free(last);
    free(lastb);
    /* children by parent (provisional), in the order made */
    uint32_t *okids = tm_xcalloc((size_t)ns + 1, sizeof *okids), *oto = tm_xmalloc((size_t)ns * sizeof *oto);
    for (uint32_t v = 1; v < ns; v++)
        okids[from[v] + 1]++;
    for (uint32_t u = 0; u < ns; u++)
        okids[u + 1] += okids[u];
    uint32_t *fill = tm_xcalloc(ns, sizeof *fill);
    for (uint32_t v = 1; v < ns; v++)
        oto[okids[from[v]] + fill[from[v]]++] = v;
    free(fill);
    free(from);
    /* breadth first numbering: order[new] = provisional */
    uint32_t *order = tm_xmalloc((size_t)ns * sizeof *order), *newid = tm_xmalloc((size_t)ns * sizeof *newid);
    uint8_t *depth = tm_xcalloc(ns, 1);
    size_t qh = 0, qt = 0;
    order[qt++] = 0;
    ac->ns = ns;
    ac->kids = tm_xmalloc(((size_t)ns + 1) * sizeof *ac->kids);
    ac->inbyte = tm_xcalloc(ns, 1);
    while (qh < qt) {
        uint32_t u = order[qh];
        newid[u] = (uint32_t)qh;
        ac->kids[qh] = (uint32_t)qt;
        for (uint32_t k = okids[u]; k < okids[u + 1]; k++) {
            uint32_t v = oto[k];
            ac->inbyte[qt] = byte[v];
            depth[qt] = (uint8_t)(depth[qh] + 1);
            order[qt++] = v;
        }
        qh++;
    }
    ac->kids[ns] = ns;
    free(okids);
    free(oto);
    free(byte);
    free(order);
    /* the rules per state */
    ac->count = tm_xcalloc(ns, sizeof *ac->count);
    ac->first = tm_xcalloc(ns, sizeof *ac->first);
    for (size_t i = 0; i < ne; i++)
        ac->count[newid[end[i]]]++;
    uint32_t acc = 0;
    for (uint32_t u = 0; u < ns; u++) {
        ac->first[u] = acc;
        acc += ac->count[u];
    }
    ac->out = tm_xmalloc((ne ? ne : 1) * sizeof *ac->out);
    ac->nout = ne;
    uint32_t *put = tm_xcalloc(ns, sizeof *put);
    for (size_t i = 0; i < ne; i++) {
        uint32_t u = newid[end[i]];
        ac->out[ac->first[u] + put[u]++] = e[i].rule;
    }
    free(put);
    free(end);
    free(newid);
    /* failure, report and dict links, in breadth first order */
    ac->fail = tm_xcalloc(ns, sizeof *ac->fail);
    ac->report = tm_xcalloc(ns, sizeof *ac->report);
    ac->dict = tm_xcalloc(ns, sizeof *ac->dict);
    for (uint32_t u = 0; u < ns; u++) {
        if (u) {
            ac->dict[u] = ac->report[ac->fail[u]];
            ac->report[u] = ac->count[u] ? u : ac->dict[u];
        }
        for (uint32_t v = ac->kids[u]; v < ac->kids[u + 1]; v++)
            ac->fail[v] = u ? step_sparse(ac, ac->fail[u], ac->inbyte[v]) : 0;
    }
    /* full rows for the shallowest states, depth by depth, within the budget */
    uint32_t nd = 1;
    for (uint8_t d = 1; nd < ns; d++) {
        uint32_t k = nd;
        while (k < ns && depth[k] == d)
            k++;
        if ((size_t)k * ac->nc * sizeof *ac->dense > DENSE_BYTES)
            break;
        nd = k;
    }
    free(depth);
    ac->ndense = nd;
    uint8_t rep[257] = {0}; /* class -> a byte of it */
    for (int b = 255; b >= 0; b--)
        rep[ac->cls[b]] = (uint8_t)b;
    ac->dense = tm_xmalloc((size_t)nd * ac->nc * sizeof *ac->dense);
    for (uint32_t u = 0; u < nd; u++) {
        ac->dense[(size_t)u * ac->nc] = 0;
        for (uint32_t c = 1; c < ac->nc; c++) {
            uint32_t k = child(ac, u, rep[c]);
            ac->dense[(size_t)u * ac->nc + c] = k ? k : u ? ac->dense[(size_t)ac->fail[u] * ac->nc + c] : 0;
        }
    }
}

tm_sigma_pf *tm_pf_build(const tm_pf_needs *needs, const tm_sigma_rule *const *list, size_t n)
{
    tm_sigma_pf *pf = tm_xcalloc(1, sizeof *pf);
    pf->nrules = n;
    size_t nw = (n + 63) / 64;
    pf->always = tm_xcalloc(nw ? nw : 1, sizeof *pf->always);
    size_t nent = 0;
    for (size_t i = 0; i < n; i++) {
        const need *x = list[i]->index < needs->n ? &needs->v[list[i]->index] : NULL;
        if (!x || x->none)
            pf->always[i / 64] |= 1ull << (i % 64);
        else
            nent += x->n;
    }
    entry *fe = tm_xmalloc((nent ? nent : 1) * sizeof *fe);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const need *x = list[i]->index < needs->n ? &needs->v[list[i]->index] : NULL;
        if (x && !x->none)
            for (size_t j = 0; j < x->n; j++) {
                entry *en = &fe[k++];
                en->l = &x->v[j];
                en->rule = (uint32_t)i;
                for (uint32_t q = 0; q < en->l->n; q++)
                    en->b[q] = fold(en->l->t[q], en->l->cased);
            }
    }
    qsort(fe, nent, sizeof *fe, cmp_entry);
    for (size_t i = 0; i < nent;) {
        size_t j = i;
        while (j < nent && cmp_field(fe[j].l->field, fe[i].l->field) == 0)
            j++;
        TM_GROW(pf->ac, pf->nac);
        pf_ac *ac = &pf->ac[pf->nac++];
        memset(ac, 0, sizeof *ac);
        ac->field = fe[i].l->field;
        ac_build(ac, fe + i, j - i);
        i = j;
    }
    free(fe);
    return pf;
}

void tm_pf_free(tm_sigma_pf *pf)
{
    if (!pf)
        return;
    for (size_t i = 0; i < pf->nac; i++) {
        pf_ac *ac = &pf->ac[i];
        free(ac->dense);
        free(ac->kids);
        free(ac->inbyte);
        free(ac->fail);
        free(ac->report);
        free(ac->dict);
        free(ac->first);
        free(ac->count);
        free(ac->out);
    }
    free(pf->ac);
    free(pf->always);
    free(pf);
}

size_t tm_pf_bytes(const tm_sigma_pf *pf)
{
    size_t b = sizeof *pf + tm_pf_words(pf) * sizeof *pf->always;
    for (size_t i = 0; i < pf->nac; i++) {
        const pf_ac *ac = &pf->ac[i];
        /* per state: kids, fail, report, dict, first, count and a byte;
         * the rows; per rule of a literal: 4 bytes */
        b += sizeof *ac + (size_t)ac->ns * (6 * 4 + 1) + (size_t)ac->ndense * ac->nc * sizeof *ac->dense +
             ac->nout * sizeof *ac->out;
    }
    return b;
}

/* ---- an event ---- */

static void ac_scan(const pf_ac *ac, const char *str, uint64_t *marks)
{
    const unsigned char *s = (const unsigned char *)str;
    uint32_t st = 0;
    for (; *s; s++) {
        st = step(ac, st, tm_sigma_lower[*s]);
        for (uint32_t r = ac->report[st]; r; r = ac->dict[r])
            for (uint32_t i = 0; i < ac->count[r]; i++) {
                uint32_t rule = ac->out[ac->first[r] + i];
                marks[rule / 64] |= 1ull << (rule % 64);
            }
    }
}

typedef struct {
    const pf_ac *ac;
    uint64_t *marks;
} kw_scan;

static bool kw_scan_fn(void *arg, const char *value)
{
    const kw_scan *k = arg;
    if (value)
        ac_scan(k->ac, value, k->marks);
    return false; /* every value */
}

size_t tm_pf_words(const tm_sigma_pf *pf)
{
    return (pf->nrules + 63) / 64;
}

void tm_pf_mark(const tm_sigma_pf *pf, const tm_sigma_event *ev, uint64_t *marks)
{
    memcpy(marks, pf->always, tm_pf_words(pf) * sizeof *marks);
    for (size_t i = 0; i < pf->nac; i++) {
        const pf_ac *ac = &pf->ac[i];
        if (ac->field) {
            const char *v = ev->get(ev->ctx, ac->field);
            if (v)
                ac_scan(ac, v, marks);
        } else if (ev->each_value) {
            kw_scan k = {ac, marks};
            ev->each_value(ev->ctx, kw_scan_fn, &k);
        }
    }
}

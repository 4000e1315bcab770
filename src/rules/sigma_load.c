/* Sigma loading: YAML text (libyaml's event API) into a small tree with
 * line numbers, one document at a time; each document into a rule (its
 * metadata, its log source, its compiled detection) or a counted skip or
 * error; the set's index by (channel, event id). */
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "rules/sigma_int.h"
#include "util/strmap.h"

typedef struct {
    const tm_sigma_rule **v;
    size_t n;
} rlist;

typedef struct {
    char *name;
    char **values;
    size_t n;
} placeholder;

struct tm_sigma_set {
    tm_arena arena; /* rules and their matchers */
    tm_sigma_rule **rules;
    size_t n;
    void **codes; /* PCRE2 */
    size_t ncodes;
    placeholder *ph;
    size_t nph;
    /* the index */
    tm_strmap keys; /* "channel\x1fid" -> lists[] */
    rlist *lists;
    tm_sigma_source *sources; /* one per key, in first-seen order */
    size_t nkeys;
    rlist any; /* rules of every channel */
    bool indexed;
    /* the literal pre-filter of each list (lists[k] -> pf[k], any -> any_pf) */
    tm_sigma_pf **pf, *any_pf;
    bool no_prefilter;
};

const char *tm_sigma_skip_name(tm_sigma_skip s)
{
    switch (s) {
    case TM_SIGMA_SKIP_CORRELATION: return "correlation rule";
    case TM_SIGMA_SKIP_FILTER: return "filter";
    case TM_SIGMA_SKIP_LOGSOURCE: return "log source";
    case TM_SIGMA_SKIP_MODIFIER: return "unknown modifier";
    case TM_SIGMA_SKIP_PLACEHOLDER: return "placeholder without value";
    case TM_SIGMA_SKIP_COLLECTION: return "rule collection";
    default: return "unknown";
    }
}

/* ---- the set ---- */

tm_sigma_set *tm_sigma_set_new(void)
{
    tm_sigma_set *s = tm_xcalloc(1, sizeof *s);
    tm_arena_init(&s->arena);
    tm_strmap_init(&s->keys, true);
    return s;
}

static void index_free(tm_sigma_set *s)
{
    for (size_t i = 0; i < s->nkeys; i++) {
        free(s->lists[i].v);
        if (s->pf)
            tm_pf_free(s->pf[i]);
    }
    free(s->pf);
    s->pf = NULL;
    tm_pf_free(s->any_pf);
    s->any_pf = NULL;
    free(s->lists);
    free(s->sources);
    free(s->any.v);
    tm_strmap_free(&s->keys);
    tm_strmap_init(&s->keys, true);
    s->lists = NULL;
    s->sources = NULL;
    s->any = (rlist){0};
    s->nkeys = 0;
    s->indexed = false;
}

void tm_sigma_set_free(tm_sigma_set *s)
{
    if (!s)
        return;
    index_free(s);
    tm_strmap_free(&s->keys);
    for (size_t i = 0; i < s->ncodes; i++)
        pcre2_code_free(s->codes[i]);
    free(s->codes);
    for (size_t i = 0; i < s->nph; i++) {
        for (size_t k = 0; k < s->ph[i].n; k++)
            free(s->ph[i].values[k]);
        free(s->ph[i].values);
        free(s->ph[i].name);
    }
    free(s->ph);
    free(s->rules);
    tm_arena_free(&s->arena);
    free(s);
    tm_sigma_thread_cleanup();
}

void tm_sigma_set_placeholder(tm_sigma_set *s, const char *name, const char *const *values, size_t n)
{
    if (!s || !name)
        return;
    placeholder *p = NULL;
    for (size_t i = 0; i < s->nph; i++)
        if (!strcmp(s->ph[i].name, name))
            p = &s->ph[i];
    if (p) {
        for (size_t k = 0; k < p->n; k++)
            free(p->values[k]);
        free(p->values);
    } else {
        TM_GROW(s->ph, s->nph);
        p = &s->ph[s->nph++];
        p->name = tm_xstrdup(name);
    }
    p->values = tm_xmalloc((n ? n : 1) * sizeof *p->values);
    p->n = 0;
    for (size_t k = 0; k < n; k++)
        if (values[k])
            p->values[p->n++] = tm_xstrdup(values[k]);
}

size_t tm_sigma_count(const tm_sigma_set *s)
{
    return s ? s->n : 0;
}

const tm_sigma_rule *tm_sigma_at(const tm_sigma_set *s, size_t i)
{
    return s && i < s->n ? s->rules[i] : NULL;
}

/* ---- the report ---- */

void tm_sigma_report_free(tm_sigma_report *r)
{
    if (!r)
        return;
    free(r->log);
    r->log = NULL;
    r->log_len = r->log_cap = 0;
}

__attribute__((format(printf, 4, 5))) static void report(tm_sigma_report *r, const char *file, size_t line,
                                                         const char *fmt, ...)
{
    if (!r)
        return;
    tm_buf b;
    tm_buf_init(&b);
    b.data = r->log;
    b.len = r->log_len;
    b.cap = r->log_cap;
    tm_buf_printf(&b, "%s:%zu: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    tm_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    tm_buf_putc(&b, '\n');
    tm_buf_cstr(&b);
    r->log = b.data;
    r->log_len = b.len;
    r->log_cap = b.cap;
}

/* ---- the YAML tree ---- */

const tm_ynode *tm_ynode_get(const tm_ynode *map, const char *key)
{
    if (!map || map->kind != TM_YN_MAP)
        return NULL;
    for (size_t i = map->n; i-- > 0;) {
        const tm_ynode *k = map->items[2 * i];
        if (k->kind == TM_YN_SCALAR && !strcmp(k->s, key))
            return map->items[2 * i + 1];
    }
    return NULL;
}

bool tm_ynode_is_null(const tm_ynode *n)
{
    if (!n || n->kind != TM_YN_SCALAR || !n->plain)
        return false;
    return n->len == 0 || !strcmp(n->s, "~") || !strcmp(n->s, "null") || !strcmp(n->s, "Null") ||
           !strcmp(n->s, "NULL");
}

typedef struct {
    tm_ynode *node;
    tm_ynode **kids;
    size_t n;
} frame;

typedef struct {
    tm_sigma_set *set;
    tm_sigma_report *rep;
    const char *file;
    tm_arena tree; /* the current document's nodes */
} loader;

static char *adup(tm_arena *a, const char *s, size_t n)
{
    char *p = tm_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *scalar_dup(tm_arena *a, const tm_ynode *n)
{
    return n && n->kind == TM_YN_SCALAR && !tm_ynode_is_null(n) ? adup(a, n->s, n->len) : NULL;
}

static char *lower_dup(tm_arena *a, const tm_ynode *n)
{
    char *p = scalar_dup(a, n);
    for (char *q = p; q && *q; q++)
        *q = (char)tm_sigma_lower[(unsigned char)*q];
    return p;
}

/* Scalars of a node, lists joined by ", " (maps as "key: value"). */
static void flatten(const tm_ynode *n, tm_buf *b)
{
    if (!n)
        return;
    if (n->kind == TM_YN_SCALAR) {
        if (!tm_ynode_is_null(n))
            tm_buf_put(b, n->s, n->len);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        if (i)
            tm_buf_puts(b, ", ");
        if (n->kind == TM_YN_MAP) {
            flatten(n->items[2 * i], b);
            tm_buf_puts(b, ": ");
            flatten(n->items[2 * i + 1], b);
        } else {
            flatten(n->items[i], b);
        }
    }
}

static char *flat_dup(tm_arena *a, const tm_ynode *n)
{
    if (!n || tm_ynode_is_null(n))
        return NULL;
    tm_buf b;
    tm_buf_init(&b);
    flatten(n, &b);
    char *p = adup(a, b.data ? b.data : "", b.len);
    tm_buf_free(&b);
    return p;
}

static tm_sigma_level parse_level(const char *s)
{
    if (!s)
        return TM_SIGMA_MEDIUM;
    if (!strcasecmp(s, "informational"))
        return TM_SIGMA_INFORMATIONAL;
    if (!strcasecmp(s, "low"))
        return TM_SIGMA_LOW;
    if (!strcasecmp(s, "high"))
        return TM_SIGMA_HIGH;
    if (!strcasecmp(s, "critical"))
        return TM_SIGMA_CRITICAL;
    return TM_SIGMA_MEDIUM;
}

static const char *title_of(const tm_ynode *root)
{
    const tm_ynode *t = tm_ynode_get(root, "title");
    return t && t->kind == TM_YN_SCALAR ? t->s : "(no title)";
}

static void skipped(loader *L, tm_sigma_skip why, size_t line, const char *msg, const tm_ynode *root)
{
    if (!L->rep)
        return;
    L->rep->skipped[why]++;
    char t[120];
    snprintf(t, sizeof t, "%s", title_of(root));
    report(L->rep, L->file, line, "skipped (%s): %s [%s]", tm_sigma_skip_name(why), msg, t);
}

static void error(loader *L, size_t line, const char *msg)
{
    if (!L->rep)
        return;
    L->rep->errors++;
    report(L->rep, L->file, line, "%s", msg);
}

/* One document: a rule, a skip or an error. */
static void load_doc(loader *L, const tm_ynode *root)
{
    if (!root || tm_ynode_is_null(root))
        return; /* an empty document (a trailing ---) */
    if (root->kind != TM_YN_MAP) {
        error(L, root->line, "a Sigma document must be a map");
        return;
    }
    const tm_ynode *action = tm_ynode_get(root, "action");
    if (action) {
        char msg[96];
        snprintf(msg, sizeof msg, "action: %.40s", action->kind == TM_YN_SCALAR ? action->s : "?");
        skipped(L, TM_SIGMA_SKIP_COLLECTION, root->line, msg, root);
        return;
    }
    if (tm_ynode_get(root, "correlation")) {
        skipped(L, TM_SIGMA_SKIP_CORRELATION, root->line, "correlation rules need several events", root);
        return;
    }
    if (tm_ynode_get(root, "filter")) {
        skipped(L, TM_SIGMA_SKIP_FILTER, root->line, "filters apply to other rules", root);
        return;
    }
    const tm_ynode *title = tm_ynode_get(root, "title");
    if (!title || title->kind != TM_YN_SCALAR || tm_ynode_is_null(title)) {
        error(L, root->line, "rule has no title");
        return;
    }
    const tm_ynode *ls = tm_ynode_get(root, "logsource");
    if (!ls || ls->kind != TM_YN_MAP) {
        error(L, ls ? ls->line : root->line, "rule has no logsource map");
        return;
    }
    const tm_ynode *det = tm_ynode_get(root, "detection");
    if (!det) {
        error(L, root->line, "rule has no detection");
        return;
    }
    tm_sigma_set *s = L->set;
    const char *const *names = NULL;
    const char *const **vals = NULL;
    size_t *counts = NULL;
    if (s->nph) {
        names = tm_xmalloc(s->nph * sizeof *names);
        vals = tm_xmalloc(s->nph * sizeof *vals);
        counts = tm_xmalloc(s->nph * sizeof *counts);
        for (size_t i = 0; i < s->nph; i++) {
            ((const char **)names)[i] = s->ph[i].name;
            vals[i] = (const char *const *)s->ph[i].values;
            counts[i] = s->ph[i].n;
        }
    }
    tm_sigma_cctx c = {&s->arena, &s->codes, &s->ncodes, names, (const char *const *const *)vals, counts, s->nph};
    tm_compile_result res;
    tm_sigma_matcher *m = tm_sigma_compile(&c, det, &res);
    free((void *)names);
    free(vals);
    free(counts);
    if (!m) {
        if (res.status == TM_COMPILE_SKIP)
            skipped(L, res.skip, res.line ? res.line : det->line, res.msg, root);
        else
            error(L, res.line ? res.line : det->line, res.msg);
        return;
    }
    char *product = lower_dup(&s->arena, tm_ynode_get(ls, "product"));
    char *service = lower_dup(&s->arena, tm_ynode_get(ls, "service"));
    char *category = lower_dup(&s->arena, tm_ynode_get(ls, "category"));
    tm_sigma_source src[TM_SIGMA_MAX_LS];
    size_t nsrc = tm_sigma_logsource(product, service, category, src, TM_SIGMA_MAX_LS);
    if (nsrc == 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "product %.40s, service %.40s, category %.40s is not a Windows event log",
                 product ? product : "-", service ? service : "-", category ? category : "-");
        skipped(L, TM_SIGMA_SKIP_LOGSOURCE, ls->line, msg, root);
        return;
    }
    tm_sigma_narrow_sources(m, &s->arena, src, nsrc);

    tm_sigma_rule *r = tm_arena_alloc(&s->arena, sizeof *r);
    memset(r, 0, sizeof *r);
    r->id = scalar_dup(&s->arena, tm_ynode_get(root, "id"));
    r->title = scalar_dup(&s->arena, title);
    r->status = scalar_dup(&s->arena, tm_ynode_get(root, "status"));
    r->description = scalar_dup(&s->arena, tm_ynode_get(root, "description"));
    r->author = flat_dup(&s->arena, tm_ynode_get(root, "author"));
    r->file = adup(&s->arena, L->file, strlen(L->file));
    r->line = root->line;
    const tm_ynode *lv = tm_ynode_get(root, "level");
    r->level = parse_level(lv && lv->kind == TM_YN_SCALAR ? lv->s : NULL);
    const tm_ynode *tags = tm_ynode_get(root, "tags");
    if (tags && tags->kind == TM_YN_SEQ && tags->n) {
        r->tags = tm_arena_alloc(&s->arena, tags->n * sizeof *r->tags);
        for (size_t i = 0; i < tags->n; i++)
            if (tags->items[i]->kind == TM_YN_SCALAR)
                r->tags[r->ntags++] = adup(&s->arena, tags->items[i]->s, tags->items[i]->len);
    } else if (tags && tags->kind == TM_YN_SCALAR && !tm_ynode_is_null(tags)) {
        r->tags = tm_arena_alloc(&s->arena, sizeof *r->tags);
        r->tags[r->ntags++] = adup(&s->arena, tags->s, tags->len);
    }
    r->product = product;
    r->service = service;
    r->category = category;
    const tm_ynode *ext = tm_ynode_get(root, "toolmark");
    if (ext && ext->kind == TM_YN_MAP && ext->n) {
        r->ext = tm_arena_alloc(&s->arena, ext->n * sizeof *r->ext);
        for (size_t i = 0; i < ext->n; i++) {
            const tm_ynode *k = ext->items[2 * i];
            if (k->kind != TM_YN_SCALAR)
                continue;
            char *v = flat_dup(&s->arena, ext->items[2 * i + 1]);
            r->ext[r->next++] = (tm_sigma_kv){adup(&s->arena, k->s, k->len), v ? v : adup(&s->arena, "", 0)};
        }
    }
    r->m = m;
    TM_GROW(s->rules, s->n);
    r->index = s->n;
    s->rules[s->n++] = r;
    s->indexed = false;
    if (L->rep)
        L->rep->loaded++;
}

static tm_ynode *new_node(loader *L, tm_yn_kind k, size_t line)
{
    tm_ynode *n = tm_arena_alloc(&L->tree, sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = k;
    n->line = line;
    n->s = "";
    return n;
}

void tm_sigma_load_text(tm_sigma_set *s, const char *name, const char *text, size_t len, tm_sigma_report *rep)
{
    if (!s)
        return;
    loader L = {s, rep, name ? name : "(text)", {0}};
    tm_arena_init(&L.tree);
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        error(&L, 0, "cannot initialise the YAML parser");
        return;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)(text ? text : ""), text ? len : 0);
    frame st[TM_SIGMA_MAX_DEPTH + 1];
    size_t depth = 0;
    tm_ynode *root = NULL;
    bool done = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            char msg[300];
            snprintf(msg, sizeof msg, "invalid YAML: %s%s%s", p.problem ? p.problem : "parse error",
                     p.context ? " " : "", p.context ? p.context : "");
            error(&L, p.problem_mark.line + 1, msg);
            break;
        }
        size_t line = ev.start_mark.line + 1;
        tm_ynode *node = NULL;
        bool open = false, bad = false;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            root = NULL;
            depth = 0;
            break;
        case YAML_DOCUMENT_END_EVENT:
            load_doc(&L, root);
            root = NULL;
            tm_arena_free(&L.tree);
            tm_arena_init(&L.tree);
            break;
        case YAML_ALIAS_EVENT:
            error(&L, line, "YAML aliases are not supported in rules");
            bad = true;
            break;
        case YAML_SCALAR_EVENT:
            node = new_node(&L, TM_YN_SCALAR, line);
            node->s = adup(&L.tree, (const char *)ev.data.scalar.value, ev.data.scalar.length);
            node->len = ev.data.scalar.length;
            node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev.data.scalar.plain_implicit;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            node = new_node(&L, ev.type == YAML_SEQUENCE_START_EVENT ? TM_YN_SEQ : TM_YN_MAP, line);
            open = true;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            if (depth == 0)
                break;
            frame *f = &st[--depth];
            f->node->items = tm_arena_alloc(&L.tree, (f->n ? f->n : 1) * sizeof *f->node->items);
            if (f->n)
                memcpy(f->node->items, f->kids, f->n * sizeof *f->kids);
            f->node->n = f->node->kind == TM_YN_MAP ? f->n / 2 : f->n;
            free(f->kids);
            break;
        }
        default: break;
        }
        yaml_event_delete(&ev);
        if (node) {
            if (depth == 0) {
                root = node;
            } else {
                frame *f = &st[depth - 1];
                TM_GROW(f->kids, f->n);
                f->kids[f->n++] = node;
            }
            if (open) {
                if (depth == TM_SIGMA_MAX_DEPTH) {
                    error(&L, line, "YAML nested deeper than 64 levels");
                    bad = true;
                } else {
                    st[depth++] = (frame){node, NULL, 0};
                }
            }
        }
        if (bad)
            break;
    }
    while (depth > 0)
        free(st[--depth].kids);
    yaml_parser_delete(&p);
    tm_arena_free(&L.tree);
}

/* ---- files and folders ---- */

static bool load_file(tm_sigma_set *s, const char *path, tm_sigma_report *rep)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    tm_buf b;
    tm_buf_init(&b);
    char chunk[65536];
    size_t n;
    bool big = false;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > TM_SIGMA_MAX_FILE) {
            big = true;
            break;
        }
        tm_buf_put(&b, chunk, n);
    }
    bool rerr = ferror(f) != 0;
    fclose(f);
    if (big || rerr) {
        if (rep) {
            rep->errors++;
            report(rep, path, 0, big ? "file larger than 16 MiB" : "read error");
        }
    } else {
        tm_sigma_load_text(s, path, b.data ? b.data : "", b.len, rep);
    }
    tm_buf_free(&b);
    return !rerr;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *n)
{
    size_t l = strlen(n);
    return (l > 4 && !strcmp(n + l - 4, ".yml")) || (l > 5 && !strcmp(n + l - 5, ".yaml"));
}

static bool load_dir(tm_sigma_set *s, const char *path, tm_sigma_report *rep, int depth)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* ., .., hidden */
        TM_GROW(names, nn);
        names[nn++] = tm_xstrdup(e->d_name);
    }
    closedir(d);
    tm_sort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn; i++) {
        char *p = tm_xasprintf("%s/%s", path, names[i]);
        struct stat sb;
        if (stat(p, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                if (depth < 32)
                    load_dir(s, p, rep, depth + 1);
            } else if (S_ISREG(sb.st_mode) && yaml_name(names[i])) {
                if (!load_file(s, p, rep) && rep) {
                    rep->errors++;
                    report(rep, p, 0, "cannot read: %s", strerror(errno));
                }
            }
        }
        free(p);
        free(names[i]);
    }
    free(names);
    return true;
}

bool tm_sigma_load_path(tm_sigma_set *s, const char *path, tm_sigma_report *rep)
{
    struct stat sb;
    if (!s || !path || stat(path, &sb) != 0)
        return false;
    if (S_ISDIR(sb.st_mode))
        return load_dir(s, path, rep, 0);
    return load_file(s, path, rep);
}

/* ---- the index ---- */

static bool make_key(char *buf, size_t cap, const char *channel, uint32_t id)
{
    int n = snprintf(buf, cap, "%s\x1f%u", channel, (unsigned)id);
    return n > 0 && (size_t)n < cap;
}

static bool rule_has(const tm_sigma_rule *r, const char *channel, uint32_t id)
{
    for (size_t i = 0; i < r->m->nsrc; i++) {
        const tm_sigma_source *x = &r->m->src[i];
        if (!strcmp(x->channel, TM_SIGMA_ANY_CHANNEL))
            return true;
        if (!strcasecmp(x->channel, channel) && (x->event_id == 0 || x->event_id == id))
            return true;
    }
    return false;
}

void tm_sigma_set_index(tm_sigma_set *s)
{
    if (!s)
        return;
    index_free(s);
    char key[512];
    for (size_t i = 0; i < s->n; i++) {
        const tm_sigma_matcher *m = s->rules[i]->m;
        for (size_t k = 0; k < m->nsrc; k++) {
            if (!make_key(key, sizeof key, m->src[k].channel, m->src[k].event_id) ||
                tm_strmap_get(&s->keys, key) != TM_STRMAP_NONE)
                continue;
            tm_strmap_put(&s->keys, key, s->nkeys);
            TM_GROW(s->sources, s->nkeys);
            s->sources[s->nkeys++] = m->src[k];
        }
    }
    s->lists = tm_xcalloc(s->nkeys ? s->nkeys : 1, sizeof *s->lists);
    for (size_t k = 0; k < s->nkeys; k++) {
        rlist *l = &s->lists[k];
        const tm_sigma_source *src = &s->sources[k];
        bool anych = !strcmp(src->channel, TM_SIGMA_ANY_CHANNEL);
        for (size_t i = 0; i < s->n; i++)
            if (anych ? rule_has(s->rules[i], "\x1f", 0) : rule_has(s->rules[i], src->channel, src->event_id)) {
                TM_GROW(l->v, l->n);
                l->v[l->n++] = s->rules[i];
            }
    }
    for (size_t i = 0; i < s->n; i++)
        if (rule_has(s->rules[i], "\x1f", 0)) { /* matches no channel name: the every-channel rules */
            TM_GROW(s->any.v, s->any.n);
            s->any.v[s->any.n++] = s->rules[i];
        }
    tm_pf_needs *needs = tm_pf_needs_new(s->rules, s->n);
    s->pf = tm_xcalloc(s->nkeys ? s->nkeys : 1, sizeof *s->pf);
    for (size_t k = 0; k < s->nkeys; k++)
        s->pf[k] = tm_pf_build(needs, s->lists[k].v, s->lists[k].n);
    s->any_pf = tm_pf_build(needs, s->any.v, s->any.n);
    tm_pf_needs_free(needs);
    s->indexed = true;
}

size_t tm_sigma_prefilter_bytes(const tm_sigma_set *s)
{
    if (!s || !s->indexed)
        return 0;
    size_t b = tm_pf_bytes(s->any_pf);
    for (size_t k = 0; k < s->nkeys; k++)
        b += tm_pf_bytes(s->pf[k]);
    return b;
}

void tm_sigma_set_prefilter(tm_sigma_set *s, bool on)
{
    if (s)
        s->no_prefilter = !on;
}

const tm_sigma_source *tm_sigma_sources(const tm_sigma_set *s, size_t *n)
{
    *n = s && s->indexed ? s->nkeys : 0;
    return s && s->indexed ? s->sources : NULL;
}

/* The candidate list of (channel, event id) and its pre-filter. */
static const rlist *find_list(const tm_sigma_set *s, const char *channel, uint32_t event_id, const tm_sigma_pf **pf)
{
    char key[512];
    if (make_key(key, sizeof key, channel, event_id)) {
        size_t k = tm_strmap_get(&s->keys, key);
        if (k == TM_STRMAP_NONE && event_id != 0 && make_key(key, sizeof key, channel, 0))
            k = tm_strmap_get(&s->keys, key);
        if (k != TM_STRMAP_NONE) {
            *pf = s->pf[k];
            return &s->lists[k];
        }
    }
    *pf = s->any_pf;
    return &s->any;
}

const tm_sigma_rule *const *tm_sigma_candidates(const tm_sigma_set *s, const char *channel, uint32_t event_id,
                                                  size_t *n)
{
    *n = 0;
    if (!s || !s->indexed || !channel)
        return NULL;
    const tm_sigma_pf *pf;
    const rlist *l = find_list(s, channel, event_id, &pf);
    *n = l->n;
    return (const tm_sigma_rule *const *)l->v;
}

size_t tm_sigma_scan(const tm_sigma_set *s, const char *channel, uint32_t event_id, tm_sigma_level min_level,
                     const tm_sigma_event *ev, void (*hit)(void *arg, const tm_sigma_rule *r), void *arg)
{
    if (!s || !s->indexed || !channel || !ev || !ev->get)
        return 0;
    const tm_sigma_pf *pf;
    const rlist *l = find_list(s, channel, event_id, &pf);
    size_t tested = 0;
    if (!l->n)
        return 0;
    if (s->no_prefilter || !pf) {
        for (size_t i = 0; i < l->n; i++)
            if (l->v[i]->level >= min_level) {
                tested++;
                if (tm_sigma_match(l->v[i], ev))
                    hit(arg, l->v[i]);
            }
        return tested;
    }
    size_t nw = tm_pf_words(pf);
    uint64_t *marks = tm_sigma_tls_marks(nw);
    tm_pf_mark(pf, ev, marks);
    for (size_t w = 0; w < nw; w++)
        for (uint64_t b = marks[w]; b; b &= b - 1) {
            const tm_sigma_rule *r = l->v[w * 64 + (size_t)__builtin_ctzll(b)];
            if (r->level >= min_level) {
                tested++;
                if (tm_sigma_match(r, ev))
                    hit(arg, r);
            }
        }
    return tested;
}

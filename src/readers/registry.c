/* Registry hive reader (libregf). Records:
 *  - host facts (always; registry_facts.c): computer name, time zone,
 *    services, audit policy, logging policies ... one record per fact;
 *  - keys: with `all` (dump) every key, otherwise the keys matching the
 *    job's subscription patterns. One record per key: its path, last-written
 *    time, and its values as typed fields "value.<name>".
 * A hive whose base block sequence numbers differ was not closed cleanly:
 * its transaction logs were not applied, which is reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readers/bfio_bridge.h"
#include "readers/regf_guard.h"
#include "readers/registry_int.h"
#include "util/yal_message.h"
#include "util/pathsafe.h"
#include "util/timeutil.h"

#define MAX_BINARY (64u << 10)
#define MAX_STRING (1u << 20)
#define PROGRESS_EVERY 8192

static void regf_errmsg(libregf_error_t **err, char *out, size_t n)
{
    out[0] = '\0';
    if (*err) {
        libregf_error_backtrace_sprint(*err, out, n);
        libregf_error_free(err);
    }
    tm_yal_message(out, n);
}

bool tm_reg_key_name(libregf_key_t *k, char *buf, size_t n)
{
    size_t sz = 0;
    libregf_error_t *err = NULL;
    if (libregf_key_get_utf8_name_size(k, &sz, &err) != 1 || sz == 0 || sz > n) {
        libregf_error_free(&err);
        return false;
    }
    bool ok = libregf_key_get_utf8_name(k, (uint8_t *)buf, sz, &err) == 1;
    libregf_error_free(&err);
    buf[sz - 1] = '\0';
    return ok;
}

int64_t tm_reg_key_time(libregf_key_t *k)
{
    uint64_t ft = 0;
    libregf_error_t *err = NULL;
    if (libregf_key_get_last_written_time(k, &ft, &err) != 1)
        ft = 0;
    libregf_error_free(&err);
    return tm_time_from_filetime(ft);
}

uint64_t tm_reg_key_offset(libregf_key_t *k)
{
    off64_t o = 0;
    libregf_error_t *err = NULL;
    if (libregf_key_get_offset(k, &o, &err) != 1 || o < 0)
        o = 0;
    libregf_error_free(&err);
    return (uint64_t)o;
}

bool tm_reg_value_name(libregf_value_t *v, char *buf, size_t n)
{
    size_t sz = 0;
    libregf_error_t *err = NULL;
    buf[0] = '\0';
    if (libregf_value_get_utf8_name_size(v, &sz, &err) != 1) {
        libregf_error_free(&err);
        return false;
    }
    if (sz == 0)
        return true; /* the default value */
    if (sz > n) {
        libregf_error_free(&err);
        return false;
    }
    bool ok = libregf_value_get_utf8_name(v, (uint8_t *)buf, sz, &err) == 1;
    libregf_error_free(&err);
    buf[sz - 1] = '\0';
    return ok;
}

static void put_string(tm_fields_enc *e, const char *name, libregf_value_t *v)
{
    size_t sz = 0;
    libregf_error_t *err = NULL;
    if (libregf_value_get_value_utf8_string_size(v, &sz, &err) != 1 || sz == 0 || sz > MAX_STRING) {
        libregf_error_free(&err);
        return;
    }
    char *s = tm_xmalloc(sz);
    if (libregf_value_get_value_utf8_string(v, (uint8_t *)s, sz, &err) == 1) {
        s[sz - 1] = '\0';
        tm_fenc_str(e, name, s);
    }
    libregf_error_free(&err);
    free(s);
}

static void put_multi(tm_fields_enc *e, const char *name, libregf_value_t *v)
{
    libregf_multi_string_t *m = NULL;
    libregf_error_t *err = NULL;
    if (libregf_value_get_value_multi_string(v, &m, &err) != 1) {
        libregf_error_free(&err);
        return;
    }
    int n = 0;
    libregf_multi_string_get_number_of_strings(m, &n, NULL);
    tm_buf b;
    tm_buf_init(&b);
    for (int i = 0; i < n && b.len < MAX_STRING; i++) {
        size_t sz = 0;
        if (libregf_multi_string_get_utf8_string_size(m, i, &sz, NULL) != 1 || sz == 0 || sz > MAX_STRING)
            continue;
        if (b.len)
            tm_buf_putc(&b, '\n');
        tm_buf_reserve(&b, sz);
        if (libregf_multi_string_get_utf8_string(m, i, (uint8_t *)b.data + b.len, sz, NULL) == 1)
            b.len += strnlen(b.data + b.len, sz);
    }
    tm_fenc_strn(e, name, b.data ? b.data : "", b.len);
    tm_buf_free(&b);
    libregf_multi_string_free(&m, NULL);
}

void tm_reg_put_value(tm_fields_enc *e, const char *name, libregf_value_t *v)
{
    uint32_t type = 0;
    libregf_error_t *err = NULL;
    if (libregf_value_get_value_type(v, &type, &err) != 1) {
        libregf_error_free(&err);
        return;
    }
    switch (type) {
    case LIBREGF_VALUE_TYPE_STRING:
    case LIBREGF_VALUE_TYPE_EXPANDABLE_STRING:
    case LIBREGF_VALUE_TYPE_SYMBOLIC_LINK:
        put_string(e, name, v);
        return;
    case LIBREGF_VALUE_TYPE_MULTI_VALUE_STRING:
        put_multi(e, name, v);
        return;
    case LIBREGF_VALUE_TYPE_INTEGER_32BIT_LITTLE_ENDIAN:
    case LIBREGF_VALUE_TYPE_INTEGER_32BIT_BIG_ENDIAN: {
        uint32_t x;
        if (libregf_value_get_value_32bit(v, &x, &err) == 1)
            tm_fenc_uint(e, name, x);
        libregf_error_free(&err);
        return;
    }
    case LIBREGF_VALUE_TYPE_INTEGER_64BIT_LITTLE_ENDIAN: {
        uint64_t x;
        if (libregf_value_get_value_64bit(v, &x, &err) == 1)
            tm_fenc_uint(e, name, x);
        libregf_error_free(&err);
        return;
    }
    default: {
        size_t sz = 0;
        if (libregf_value_get_value_data_size(v, &sz, &err) != 1) {
            libregf_error_free(&err);
            return;
        }
        if (sz > MAX_BINARY) {
            char key[300];
            snprintf(key, sizeof key, "%.280s.size", name);
            tm_fenc_uint(e, key, sz);
            return;
        }
        uint8_t *d = tm_xmalloc(sz ? sz : 1);
        if (sz == 0 || libregf_value_get_value_data(v, d, sz, &err) == 1)
            tm_fenc_bytes(e, name, d, sz);
        libregf_error_free(&err);
        free(d);
        return;
    }
    }
}

libregf_value_t *tm_reg_value(libregf_key_t *k, const char *name)
{
    libregf_error_t *err = NULL;
    libregf_value_t *v = NULL;
    if (*name) {
        int rc = libregf_key_get_value_by_utf8_name(k, (const uint8_t *)name, strlen(name), &v, &err);
        libregf_error_free(&err);
        return rc == 1 ? v : NULL;
    }
    /* The default value has no name: find it by walking the values. */
    int nv = 0;
    if (libregf_key_get_number_of_values(k, &nv, &err) != 1)
        nv = 0;
    libregf_error_free(&err);
    for (int i = 0; i < nv && i < 4096; i++) {
        char vn[8];
        size_t sz = 1;
        if (libregf_key_get_value(k, i, &v, &err) != 1) {
            libregf_error_free(&err);
            continue;
        }
        if (libregf_value_get_utf8_name_size(v, &sz, &err) == 1 && sz <= 1 && tm_reg_value_name(v, vn, sizeof vn))
            return v;
        libregf_error_free(&err);
        libregf_value_free(&v, NULL);
    }
    return NULL;
}

libregf_key_t *tm_reg_child(libregf_key_t *k, const char *name)
{
    libregf_error_t *err = NULL;
    libregf_key_t *sub = NULL;
    /* libregf's own lookup compares case-insensitively, like Windows. */
    int rc = libregf_key_get_sub_key_by_utf8_name(k, (const uint8_t *)name, strlen(name), &sub, &err);
    libregf_error_free(&err);
    return rc == 1 ? sub : NULL;
}

libregf_key_t *tm_reg_key(tm_hive *h, const char *path)
{
    libregf_key_t *k = h->root;
    if (!k)
        return NULL;
    char *copy = tm_xstrdup(path);
    char *save = NULL;
    for (char *t = strtok_r(copy, "\\", &save); t && k; t = strtok_r(NULL, "\\", &save)) {
        if (tm_ieq(t, "CurrentControlSet") && h->control_set[0])
            t = h->control_set;
        libregf_key_t *next = tm_reg_child(k, t);
        if (k != h->root)
            libregf_key_free(&k, NULL);
        k = next;
    }
    free(copy);
    /* The caller frees what it gets: never hand out the shared root. */
    return k == h->root ? NULL : k;
}

/* One record for a key with all its values. */
static void emit_key(tm_hive *h, libregf_key_t *k, const char *path)
{
    libregf_error_t *err = NULL;
    int nv = 0, ns = 0;
    if (libregf_key_get_number_of_values(k, &nv, &err) != 1)
        nv = 0;
    libregf_error_free(&err);
    if (libregf_key_get_number_of_sub_keys(k, &ns, &err) != 1)
        ns = 0;
    libregf_error_free(&err);
    tm_fields_enc *e = tm_emit_begin(h->out, TM_ART_REGISTRY, 0, tm_reg_key_offset(k), tm_reg_key_time(k));
    tm_fenc_str(e, "key", path);
    tm_fenc_uint(e, "subkeys", (uint64_t)ns);
    tm_fenc_uint(e, "values", (uint64_t)nv);
    for (int i = 0; i < nv && i < 4096; i++) {
        libregf_value_t *v = NULL;
        if (libregf_key_get_value(k, i, &v, &err) != 1) {
            libregf_error_free(&err);
            continue;
        }
        char vn[256], field[300];
        if (tm_reg_value_name(v, vn, sizeof vn)) {
            snprintf(field, sizeof field, "value.%s", vn[0] ? vn : "(default)");
            tm_reg_put_value(e, field, v);
        }
        libregf_value_free(&v, NULL);
    }
    tm_emit_end(h->out);
    h->st->records++;
    if (h->st->records % PROGRESS_EVERY == 0)
        tm_emit_progress(h->out, h->st->records);
}

/* Subscription patterns: '\\'-separated key paths below the root; a '*'
 * component matches one key, a trailing '**' the key and everything below.
 * Components are case-insensitive globs. */
typedef struct {
    char *parts[64];
    size_t n;
} pattern;

static void walk(tm_hive *h, libregf_key_t *k, char *path, size_t plen, size_t depth, const pattern *pats,
                 size_t npat)
{
    if (depth > TM_REG_MAX_DEPTH)
        return;
    /* Does this key match a pattern, and may anything below it? */
    bool match = npat == 0, descend = npat == 0;
    for (size_t i = 0; i < npat && (!match || !descend); i++) {
        const pattern *p = &pats[i];
        /* Compare path components with pattern components. */
        size_t c = 0;
        bool ok = true, deep = false;
        const char *s = path;
        while (*s && ok) {
            const char *e = strchr(s, '\\');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if (c < p->n && strcmp(p->parts[c], "**") == 0) {
                deep = true;
                break;
            }
            if (c >= p->n) {
                ok = false;
                break;
            }
            char comp[512];
            snprintf(comp, sizeof comp, "%.*s", (int)len, s);
            ok = tm_iglob(p->parts[c], comp);
            c++;
            s = e ? e + 1 : s + len;
        }
        if (!ok)
            continue;
        if (deep || (c < p->n && strcmp(p->parts[c], "**") == 0)) {
            match = descend = true;
        } else if (c == p->n) {
            match = true;
        } else {
            descend = true;
        }
    }
    if (match && depth > 0)
        emit_key(h, k, path);
    if (!descend)
        return;
    libregf_error_t *err = NULL;
    int ns = 0;
    if (libregf_key_get_number_of_sub_keys(k, &ns, &err) != 1)
        ns = 0;
    libregf_error_free(&err);
    for (int i = 0; i < ns; i++) {
        libregf_key_t *sub = NULL;
        if (libregf_key_get_sub_key(k, i, &sub, &err) != 1) {
            libregf_error_free(&err);
            libregf_key_free(&sub, NULL);
            h->keys_unreadable++;
            continue;
        }
        char name[512];
        if (tm_reg_key_name(sub, name, sizeof name)) {
            size_t nl = strlen(name);
            if (plen + nl + 2 < 8192) {
                size_t np = plen;
                if (np)
                    path[np++] = '\\';
                memcpy(path + np, name, nl + 1);
                walk(h, sub, path, np + nl, depth + 1, pats, npat);
                path[plen] = '\0';
            }
        } else {
            h->keys_unreadable++;
        }
        libregf_key_free(&sub, NULL);
    }
}

static size_t parse_patterns(tm_hive *h, const char *want, pattern **out)
{
    size_t n = 0, cap = 0;
    pattern *p = NULL;
    char *copy = tm_xstrdup(want);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            p = tm_xrealloc(p, cap * sizeof *p);
        }
        pattern *pt = &p[n++];
        pt->n = 0;
        char *s2 = NULL;
        for (char *c = strtok_r(line, "\\", &s2); c && pt->n < 64; c = strtok_r(NULL, "\\", &s2)) {
            if (tm_ieq(c, "CurrentControlSet") && h->control_set[0])
                c = h->control_set;
            pt->parts[pt->n++] = tm_xstrdup(c);
        }
    }
    free(copy);
    *out = p;
    return n;
}

static bool base_block_dirty(tm_source *src, uint32_t *s1, uint32_t *s2)
{
    uint8_t b[12];
    if (tm_source_pread(src, 0, b, sizeof b) != (ssize_t)sizeof b || memcmp(b, "regf", 4) != 0)
        return false;
    *s1 = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
    *s2 = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
    return *s1 != *s2;
}

static int read_hive(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st);

int tm_read_registry(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    size_t clamped;
    tm_source *view = tm_regf_guard(src, out, &clamped);
    int rc = read_hive(job, view, out, st);
    if (view != src)
        tm_source_close(view);
    st->skipped += clamped; /* a key whose cell is damaged */
    st->total += clamped;
    return rc;
}

static int read_hive(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    libregf_error_t *err = NULL;
    char msg[512];
    tm_hive h = {0};
    h.subtype = job->subtype;
    h.out = out;
    h.st = st;
    libbfio_handle_t *bfio = tm_bfio_from_source(src);
    if (!bfio || libregf_file_initialize(&h.file, &err) != 1) {
        regf_errmsg(&err, msg, sizeof msg);
        tm_emit_problem(out, TM_POS_NONE, 0, true, "cannot initialise libregf: %s", msg);
        tm_bfio_free(&bfio);
        return -1;
    }
    if (libregf_file_open_file_io_handle(h.file, bfio, LIBREGF_OPEN_READ, &err) != 1) {
        regf_errmsg(&err, msg, sizeof msg);
        tm_emit_problem(out, TM_POS_NONE, 0, true, "not a readable registry hive: %s", msg);
        libregf_file_free(&h.file, NULL);
        tm_bfio_free(&bfio);
        return -1;
    }
    /* The root key, once: every lookup starts there. */
    int root = libregf_file_get_root_key(h.file, &h.root, &err);
    if (root != 1) {
        regf_errmsg(&err, msg, sizeof msg);
        if (root == 0) /* the base block points at no root key */
            tm_emit_problem(out, TM_POS_NONE, 0, true, "hive has no root key (its base block points at none)");
        else
            tm_emit_problem(out, TM_POS_NONE, 0, true, "hive's root key cannot be read: %s", msg);
        h.root = NULL;
    }
    uint32_t s1 = 0, s2 = 0;
    if (base_block_dirty(src, &s1, &s2)) {
        st->dirty = true;
        tm_emit_problem(out, TM_POS_OFFSET, 4, false,
                        "hive not closed cleanly (sequence numbers %u and %u): changes in its transaction logs "
                        "(.LOG1/.LOG2) are not applied, so recent changes may be missing",
                        s1, s2);
    }
    /* The control set in use (SYSTEM hive). */
    libregf_key_t *sel = tm_reg_key(&h, "Select");
    if (sel) {
        libregf_value_t *v = NULL;
        uint32_t cur = 0;
        if (libregf_key_get_value_by_utf8_name(sel, (const uint8_t *)"Current", 7, &v, &err) == 1 &&
            libregf_value_get_value_32bit(v, &cur, &err) == 1 && cur > 0 && cur < 1000)
            snprintf(h.control_set, sizeof h.control_set, "ControlSet%03u", cur);
        libregf_error_free(&err);
        libregf_value_free(&v, NULL);
        libregf_key_free(&sel, NULL);
    }
    tm_reg_facts(&h);
    if (job->all || (job->want && *job->want)) {
        pattern *pats = NULL;
        size_t npat = job->all ? 0 : parse_patterns(&h, job->want, &pats);
        if (h.root) {
            char *path = tm_xcalloc(1, 8192);
            walk(&h, h.root, path, 0, 0, pats, npat);
            free(path);
        }
        for (size_t i = 0; i < npat; i++)
            for (size_t c = 0; c < pats[i].n; c++)
                free(pats[i].parts[c]);
        free(pats);
    }
    if (h.keys_unreadable) {
        st->skipped += h.keys_unreadable;
        tm_emit_problem(out, TM_POS_NONE, 0, false, "%llu keys could not be read (corrupt cells?)",
                        (unsigned long long)h.keys_unreadable);
    }
    st->total = st->records + st->skipped;
    libregf_key_free(&h.root, NULL);
    libregf_file_close(h.file, NULL);
    libregf_file_free(&h.file, NULL);
    tm_bfio_free(&bfio);
    return 0;
}

#include "model/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "util/timeutil.h"
#include "model/kind.h"
#include "util/arena.h"
#include "util/spill.h"
#include "util/strmap.h"

#define MAX_FIELDS 65535

void tm_fields_begin(tm_fields_enc *e, tm_buf *b)
{
    e->b = b;
    e->count_at = b->len;
    e->count = 0;
    tm_buf_put_u16(b, 0);
}

void tm_fields_end(tm_fields_enc *e)
{
    e->b->data[e->count_at] = (char)(uint8_t)e->count;
    e->b->data[e->count_at + 1] = (char)(uint8_t)(e->count >> 8);
}

static bool field_head(tm_fields_enc *e, tm_ftype t, const char *name, size_t vlen)
{
    size_t nl = strlen(name) + 1;
    if (e->count >= MAX_FIELDS || nl > 255 || vlen > TM_FIELD_VALUE_MAX)
        return false;
    tm_buf_put_u8(e->b, (uint8_t)t);
    tm_buf_put_u8(e->b, (uint8_t)nl);
    tm_buf_put(e->b, name, nl);
    tm_buf_put_u32(e->b, (uint32_t)vlen);
    e->count++;
    return true;
}

void tm_fenc_strn(tm_fields_enc *e, const char *name, const char *s, size_t n)
{
    if (!s)
        return;
    if (field_head(e, TM_F_STR, name, n + 1)) {
        tm_buf_put(e->b, s, n);
        tm_buf_put_u8(e->b, 0);
    }
}

void tm_fenc_str(tm_fields_enc *e, const char *name, const char *s)
{
    if (s)
        tm_fenc_strn(e, name, s, strlen(s));
}

static void put64(tm_fields_enc *e, tm_ftype t, const char *name, uint64_t v)
{
    if (field_head(e, t, name, 8))
        tm_buf_put_u64(e->b, v);
}

void tm_fenc_int(tm_fields_enc *e, const char *name, int64_t v) { put64(e, TM_F_INT, name, (uint64_t)v); }
void tm_fenc_uint(tm_fields_enc *e, const char *name, uint64_t v) { put64(e, TM_F_UINT, name, v); }

void tm_fenc_time(tm_fields_enc *e, const char *name, int64_t us)
{
    if (us != TM_TIME_NONE)
        put64(e, TM_F_TIME, name, (uint64_t)us);
}

void tm_fenc_localtime(tm_fields_enc *e, const char *name, int64_t us)
{
    if (us != TM_TIME_NONE)
        put64(e, TM_F_LOCALTIME, name, (uint64_t)us);
}

void tm_fenc_bool(tm_fields_enc *e, const char *name, bool v)
{
    if (field_head(e, TM_F_BOOL, name, 1))
        tm_buf_put_u8(e->b, v ? 1 : 0);
}

void tm_fenc_bytes(tm_fields_enc *e, const char *name, const void *p, size_t n)
{
    if (field_head(e, TM_F_BYTES, name, n))
        tm_buf_put(e->b, p, n);
}

void tm_record_begin(tm_fields_enc *e, tm_buf *b, uint8_t kind, uint8_t flags, uint64_t position, int64_t time)
{
    tm_buf_put_u8(b, kind);
    tm_buf_put_u8(b, flags);
    tm_buf_put_u64(b, position);
    tm_buf_put_u64(b, (uint64_t)time);
    tm_fields_begin(e, b);
}

void tm_fields_scratch_free(tm_fields_scratch *s)
{
    free(s->fields);
    s->fields = NULL;
    s->cap = 0;
}

bool tm_fields_decode(const uint8_t *p, size_t n, tm_fields_scratch *s, size_t *nfields, size_t *used)
{
    tm_span sp = {p, n, false};
    uint16_t count = tm_span_u16(&sp);
    /* A field takes at least 7 bytes (type, name length, the name's NUL, value
     * length): a count the bytes cannot hold is refused before the scratch
     * grows, so a short hostile frame cannot make us allocate 2 MB. */
    if (sp.bad || count > sp.n / 7)
        return false;
    if (count > s->cap) {
        s->fields = tm_xrealloc(s->fields, count * sizeof *s->fields);
        s->cap = count;
    }
    for (uint16_t i = 0; i < count; i++) {
        tm_field *f = &s->fields[i];
        uint8_t type = tm_span_u8(&sp);
        uint8_t nl = tm_span_u8(&sp);
        const uint8_t *name = tm_span_bytes(&sp, nl);
        uint32_t vl = tm_span_u32(&sp);
        const uint8_t *val = tm_span_bytes(&sp, vl);
        if (sp.bad || nl == 0 || name[nl - 1] != 0)
            return false;
        f->name = (const char *)name;
        f->type = (tm_ftype)type;
        tm_span v = {val, vl, false};
        switch (type) {
        case TM_F_STR:
            if (vl == 0 || val[vl - 1] != 0)
                return false;
            f->v.str.s = (const char *)val;
            f->v.str.len = vl - 1;
            break;
        case TM_F_BYTES:
            f->v.str.s = (const char *)val;
            f->v.str.len = vl;
            break;
        case TM_F_INT:
        case TM_F_TIME:
        case TM_F_LOCALTIME:
            if (vl != 8)
                return false;
            f->v.i = (int64_t)tm_span_u64(&v);
            break;
        case TM_F_UINT:
            if (vl != 8)
                return false;
            f->v.u = tm_span_u64(&v);
            break;
        case TM_F_BOOL:
            if (vl != 1)
                return false;
            f->v.b = val[0] != 0;
            break;
        default:
            return false;
        }
    }
    *nfields = count;
    *used = n - sp.n;
    return true;
}

bool tm_record_decode(const uint8_t *p, size_t n, tm_fields_scratch *s, tm_record *r)
{
    tm_span sp = {p, n, false};
    r->kind = tm_span_u8(&sp);
    r->flags = tm_span_u8(&sp);
    r->position = tm_span_u64(&sp);
    r->time = (int64_t)tm_span_u64(&sp);
    r->also = NULL;
    if (sp.bad)
        return false;
    size_t used;
    if (!tm_fields_decode(sp.p, sp.n, s, &r->nfields, &used) || used != sp.n)
        return false;
    r->fields = s->fields;
    return true;
}

const tm_field *tm_field_get(const tm_field *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

const tm_field *tm_record_get(const tm_record *r, const char *name)
{
    tm_spill_tick(); /* the record may be in the spill file: reading it counts against the budget */
    return tm_field_get(r->fields, r->nfields, name);
}

const char *tm_record_str(const tm_record *r, const char *name)
{
    const tm_field *f = tm_record_get(r, name);
    return (f && f->type == TM_F_STR) ? f->v.str.s : NULL;
}

bool tm_record_uint(const tm_record *r, const char *name, uint64_t *out)
{
    const tm_field *f = tm_record_get(r, name);
    if (!f)
        return false;
    if (f->type == TM_F_UINT)
        *out = f->v.u;
    else if (f->type == TM_F_INT && f->v.i >= 0)
        *out = (uint64_t)f->v.i;
    else
        return false;
    return true;
}

const char *tm_str(const tm_record *r, const char *name)
{
    const char *s = tm_record_str(r, name);
    return s ? s : "";
}

const char *tm_field_text(const tm_record *r, const char *name, char *buf, size_t n)
{
    const tm_field *f = tm_record_get(r, name);
    buf[0] = 0;
    if (!f)
        return buf;
    switch (f->type) {
    case TM_F_STR: return f->v.str.s;
    case TM_F_INT: snprintf(buf, n, "%lld", (long long)f->v.i); break;
    case TM_F_UINT: snprintf(buf, n, "%llu", (unsigned long long)f->v.u); break;
    case TM_F_BOOL: snprintf(buf, n, "%s", f->v.b ? "true" : "false"); break;
    case TM_F_TIME:
    case TM_F_LOCALTIME: {
        char iso[TM_TIME_ISO_LEN];
        tm_time_iso(f->v.i, iso);
        snprintf(buf, n, "%s", iso);
        break;
    }
    case TM_F_BYTES: snprintf(buf, n, "(%zu bytes)", f->v.str.len); break;
    }
    return buf;
}

const char *tm_data(const tm_record *r, const char *name)
{
    /* "data." + name, compared in place (this runs for every field a plugin reads) */
    tm_spill_tick();
    for (size_t i = 0; i < r->nfields; i++) {
        const tm_field *f = &r->fields[i];
        const char *n = f->name;
        if (n[0] == 'd' && n[1] == 'a' && n[2] == 't' && n[3] == 'a' && n[4] == '.' && strcmp(n + 5, name) == 0)
            return f->type == TM_F_STR ? f->v.str.s : "";
    }
    return "";
}

uint32_t tm_event_id(const tm_record *r)
{
    uint64_t id = 0;
    if (r->kind != TM_ART_EVTX)
        return 0;
    tm_record_uint(r, "event_id", &id);
    return (uint32_t)id;
}

const char *tm_channel(const tm_record *r)
{
    return tm_str(r, "channel");
}

bool tm_is_event(const tm_record *r, const char *channel, uint32_t id)
{
    return r->kind == TM_ART_EVTX && tm_event_id(r) == id && strcasecmp(tm_channel(r), channel) == 0;
}

void tm_event_summary(const tm_record *r, char *out, size_t n)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < r->nfields && k + 1 < n; i++) {
        const tm_field *f = &r->fields[i];
        if (strncmp(f->name, "data.", 5) != 0 || f->type != TM_F_STR || !f->v.str.len)
            continue;
        int w = snprintf(out + k, n - k, "%s%s=%.*s", k ? ", " : "", f->name + 5,
                         (int)(f->v.str.len > 160 ? 160 : f->v.str.len), f->v.str.s);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    if (k >= n)
        out[n - 1] = 0;
}

void tm_json_field_value(tm_json *j, const tm_field *f)
{
    static const char hex[] = "0123456789abcdef";
    switch (f->type) {
    case TM_F_STR: tm_json_strn(j, f->v.str.s, f->v.str.len); break;
    case TM_F_INT: tm_json_int(j, f->v.i); break;
    case TM_F_UINT: tm_json_uint(j, f->v.u); break;
    case TM_F_TIME: tm_json_time(j, f->v.i); break;
    case TM_F_LOCALTIME: {
        /* Local wall-clock time: ISO without offset, so nobody mistakes it for UTC. */
        char iso[TM_TIME_ISO_LEN];
        tm_time_iso(f->v.i, iso);
        char *plus = strstr(iso, "+00:00");
        if (plus)
            *plus = '\0';
        tm_json_str(j, iso);
        break;
    }
    case TM_F_BOOL: tm_json_bool(j, f->v.b); break;
    case TM_F_BYTES: {
        tm_buf h;
        tm_buf_init(&h);
        for (size_t i = 0; i < f->v.str.len; i++) {
            unsigned char c = (unsigned char)f->v.str.s[i];
            tm_buf_putc(&h, hex[c >> 4]);
            tm_buf_putc(&h, hex[c & 15]);
        }
        tm_json_strn(j, h.data ? h.data : "", h.len);
        tm_buf_free(&h);
        break;
    }
    }
}

/* The bytes of s[0..n) that are not NUL. */
static size_t strnlen_nul(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] != 0;
    return k;
}

tm_record *tm_record_clone(const tm_record *r)
{
    size_t size = sizeof(tm_record) + r->nfields * sizeof(tm_field);
    for (size_t i = 0; i < r->nfields; i++) {
        size += strlen(r->fields[i].name) + 1;
        if (r->fields[i].type == TM_F_STR || r->fields[i].type == TM_F_BYTES)
            size += r->fields[i].v.str.len + 1;
    }
    char *block = tm_xmalloc(size);
    tm_record *c = (tm_record *)(void *)block;
    *c = *r;
    c->fields = (tm_field *)(void *)(block + sizeof(tm_record));
    char *p = block + sizeof(tm_record) + r->nfields * sizeof(tm_field);
    for (size_t i = 0; i < r->nfields; i++) {
        const tm_field *f = &r->fields[i];
        tm_field *d = &c->fields[i];
        *d = *f;
        size_t nl = strlen(f->name) + 1;
        memcpy(p, f->name, nl);
        d->name = p;
        p += nl;
        if (f->type == TM_F_STR || f->type == TM_F_BYTES) {
            if (f->v.str.len)
                memcpy(p, f->v.str.s, f->v.str.len);
            p[f->v.str.len] = 0;
            d->v.str.s = p;
            p += f->v.str.len + 1;
        }
    }
    return c;
}

tm_record *tm_record_store(const tm_record *r, tm_arena *arena, tm_strmap *names, const char *const *kept)
{
    size_t nkeep = 0, size = sizeof(tm_record);
    for (size_t i = 0; i < r->nfields; i++) {
        if (!tm_record_field_kept(r->fields[i].name, kept))
            continue;
        nkeep++;
        size += sizeof(tm_field);
        if (r->fields[i].type == TM_F_STR || r->fields[i].type == TM_F_BYTES)
            size += r->fields[i].v.str.len + 1;
        if (r->fields[i].type == TM_F_STR) /* each NUL becomes the 3 bytes of TM_NUL_MARK */
            size += 2 * (r->fields[i].v.str.len - strnlen_nul(r->fields[i].v.str.s, r->fields[i].v.str.len));
    }
    char *block = tm_arena_alloc(arena, size);
    tm_record *c = (tm_record *)(void *)block;
    *c = *r;
    c->nfields = nkeep;
    c->fields = (tm_field *)(void *)(block + sizeof(tm_record));
    char *p = block + sizeof(tm_record) + nkeep * sizeof(tm_field);
    size_t k = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const tm_field *f = &r->fields[i];
        if (!tm_record_field_kept(f->name, kept))
            continue;
        tm_field *d = &c->fields[k++];
        *d = *f;
        d->name = tm_strmap_intern(names, f->name);
        if (f->type == TM_F_STR) {
            size_t n = 0;
            for (size_t j = 0; j < f->v.str.len; j++)
                if (f->v.str.s[j])
                    p[n++] = f->v.str.s[j];
                else {
                    memcpy(p + n, TM_NUL_MARK, 3);
                    n += 3;
                }
            p[n] = 0;
            d->v.str.s = p;
            d->v.str.len = n;
            p += n + 1;
        } else if (f->type == TM_F_BYTES) {
            if (f->v.str.len)
                memcpy(p, f->v.str.s, f->v.str.len);
            p[f->v.str.len] = 0;
            d->v.str.s = p;
            p += f->v.str.len + 1;
        }
    }
    return c;
}

bool tm_record_field_kept(const char *name, const char *const *kept)
{
    if (!kept || strncmp(name, "data.", 5) == 0 || strncmp(name, "userdata", 8) == 0)
        return true;
    for (size_t i = 0; kept[i]; i++)
        if (strcmp(kept[i], name) == 0)
            return true;
    return false;
}

/* Native EVTX decoding: chunks, records and binary XML (see evtx_native.h
 * for why it exists). Everything read from the file is bounds-checked
 * against the 64 KiB chunk image; recursion (elements, templates, nested
 * binary XML values) is depth-limited. */
#include "readers/evtx_native.h"
#include "util/crc32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/utf16.h"

#define CHUNK 65536u
#define CHUNK_HDR 512u
#define FILE_HDR 4096u
#define MAX_DEPTH 48
#define MAX_VALUES 1024

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* ---- decoding context ------------------------------------------------------ */

typedef struct {
    uint8_t type;
    uint32_t off; /* chunk offset of the value bytes */
    uint32_t len;
} val_t;

typedef struct {
    char name[64];
    char data_name[256];
    tm_buf text;
    bool omit;      /* an optional substitution without value: no element */
    tm_buf items;   /* an array substitution: one element per item (NUL-separated) */
    unsigned nitems;
} frame;

typedef struct {
    const uint8_t *c;
    size_t clen;
    tm_fields_enc *e;
    frame st[MAX_DEPTH];
    int depth;
    int nest; /* templates / nested binary XML */
    unsigned unnamed;
    uint32_t event_id;
    bool have_eid;
    char *channel;
    size_t channel_len;
    tm_buf attr; /* value of the attribute being read */
    char provider_name[256], provider_source[256];
    bool attr_null;
    bool failed;
} bx;

static bool name_at(bx *x, uint32_t off, size_t *pos, char *out, size_t n)
{
    if ((size_t)off + 8 > x->clen)
        return false;
    size_t chars = rd16(x->c + off + 6);
    if ((size_t)off + 8 + 2 * chars + 2 > x->clen)
        return false;
    tm_utf16le_to_utf8(x->c + off + 8, chars, out, n);
    if (pos && off == *pos)
        *pos += 8 + 2 * chars + 2; /* the name is stored inline, here */
    return true;
}

/* ---- values ------------------------------------------------------------------- */

static void put_hex(tm_buf *b, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        tm_buf_putc(b, hex[p[i] >> 4]);
        tm_buf_putc(b, hex[p[i] & 15]);
    }
}

static void put_filetime(tm_buf *b, uint64_t ft)
{
    int64_t us = tm_time_from_filetime(ft);
    if (us == TM_TIME_NONE) {
        tm_buf_puts(b, "0");
        return;
    }
    char iso[TM_TIME_ISO_LEN];
    tm_time_iso(us, iso);
    /* "2017-04-28T12:27:03.123456+00:00" -> "...03.123456700Z", as libevtx writes */
    iso[26] = '\0';
    tm_buf_printf(b, "%s%u00Z", iso, (unsigned)(ft % 10));
}

static bool put_sid(tm_buf *b, const uint8_t *p, size_t n)
{
    if (n < 8 || p[0] != 1 || (size_t)8 + 4u * p[1] > n)
        return false;
    uint64_t auth = 0;
    for (int i = 2; i < 8; i++)
        auth = auth << 8 | p[i];
    tm_buf_printf(b, "S-1-%llu", (unsigned long long)auth);
    for (unsigned i = 0; i < p[1]; i++)
        tm_buf_printf(b, "-%u", rd32(p + 8 + 4 * i));
    return true;
}

static bool parse_fragment(bx *x, size_t *pos, size_t end, const val_t *vals, size_t nvals);

/* UTF-16LE text of any length as UTF-8 (at most 3 bytes per unit). */
static void put_utf16(tm_buf *b, const uint8_t *p, size_t units)
{
    tm_buf_reserve(b, units * 3 + 1);
    b->len += tm_utf16le_to_utf8(p, units, b->data + b->len, units * 3 + 1);
}

/* Appends the value as text (or, for binary XML, decodes it in place). */
static void value_text(bx *x, const val_t *v, tm_buf *b)
{
    const uint8_t *p = x->c + v->off;
    size_t n = v->len;
    uint8_t base = v->type & 0x7F;
    if (v->type & 0x80) {
        /* Arrays: strings are NUL-separated, others fixed width; joined with ", ". */
        size_t width = base == 0x03 || base == 0x04 ? 1 : base == 0x05 || base == 0x06 ? 2
                       : base == 0x07 || base == 0x08 || base == 0x0b || base == 0x14 ? 4
                       : base == 0x09 || base == 0x0a || base == 0x0c || base == 0x11 || base == 0x15 ? 8
                       : base == 0x0f || base == 0x12 ? 16 : 0;
        if (base == 0x01) {
            size_t start = 0;
            for (size_t i = 0; i + 1 < n; i += 2) {
                if (rd16(p + i) == 0) {
                    if (b->len)
                        tm_buf_puts(b, ", ");
                    put_utf16(b, p + start, (i - start) / 2);
                    start = i + 2;
                }
            }
            return;
        }
        if (!width)
            return;
        for (size_t i = 0; i + width <= n; i += width) {
            if (i)
                tm_buf_puts(b, ", ");
            val_t one = {base, v->off + (uint32_t)i, (uint32_t)width};
            value_text(x, &one, b);
        }
        return;
    }
    switch (base) {
    case 0x00: return;
    case 0x01: {
        size_t units = n / 2;
        while (units > 0 && rd16(p + 2 * (units - 1)) == 0)
            units--;
        /* every unit up to the terminator: a NUL inside the text is kept
         * (a forged command line must not be cut at it) */
        put_utf16(b, p, units);
        return;
    }
    case 0x02: tm_buf_put(b, p, strnlen((const char *)p, n)); return;
    case 0x03: if (n >= 1) tm_buf_printf(b, "%d", (int8_t)p[0]); return;
    case 0x04: if (n >= 1) tm_buf_printf(b, "%u", p[0]); return;
    case 0x05: if (n >= 2) tm_buf_printf(b, "%d", (int16_t)rd16(p)); return;
    case 0x06: if (n >= 2) tm_buf_printf(b, "%u", rd16(p)); return;
    case 0x07: if (n >= 4) tm_buf_printf(b, "%d", (int32_t)rd32(p)); return;
    case 0x08: if (n >= 4) tm_buf_printf(b, "%u", rd32(p)); return;
    case 0x09: if (n >= 8) tm_buf_printf(b, "%lld", (long long)(int64_t)rd64(p)); return;
    case 0x0a: if (n >= 8) tm_buf_printf(b, "%llu", (unsigned long long)rd64(p)); return;
    case 0x0b: if (n >= 4) { float f; memcpy(&f, p, 4); tm_buf_printf(b, "%g", (double)f); } return;
    case 0x0c: if (n >= 8) { double d; memcpy(&d, p, 8); tm_buf_printf(b, "%g", d); } return;
    case 0x0d: if (n >= 4) tm_buf_puts(b, rd32(p) ? "true" : "false"); return;
    case 0x0e: put_hex(b, p, n); return;
    case 0x0f:
        if (n >= 16)
            tm_buf_printf(b, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", rd32(p), rd16(p + 4), rd16(p + 6),
                          p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
        return;
    case 0x10:
        if (n == 4)
            tm_buf_printf(b, "0x%08x", rd32(p));
        else if (n >= 8)
            tm_buf_printf(b, "0x%016llx", (unsigned long long)rd64(p));
        return;
    case 0x11: if (n >= 8) put_filetime(b, rd64(p)); return;
    case 0x12:
        if (n >= 16)
            tm_buf_printf(b, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", rd16(p), rd16(p + 2), rd16(p + 6), rd16(p + 8),
                          rd16(p + 10), rd16(p + 12), rd16(p + 14));
        return;
    case 0x13: put_sid(b, p, n); return;
    case 0x14: if (n >= 4) tm_buf_printf(b, "0x%08x", rd32(p)); return;
    case 0x15: if (n >= 8) tm_buf_printf(b, "0x%016llx", (unsigned long long)rd64(p)); return;
    default: put_hex(b, p, n); return;
    }
}

/* ---- turning elements into fields ------------------------------------------------ */

static const char *parent_name(bx *x, int up)
{
    int i = x->depth - 1 - up;
    return i >= 0 ? x->st[i].name : "";
}

static void put_str(bx *x, const char *name, const char *v)
{
    tm_fenc_str(x->e, name, v);
}

static void on_attribute(bx *x, const char *attr)
{
    const char *el = parent_name(x, 0);
    const char *v = tm_buf_cstr(&x->attr);
    if (x->attr_null)
        return;
    if (strcmp(el, "Provider") == 0) {
        /* "provider" is the event source name when there is one, else
         * the provider's name (what libevtx calls the source name). */
        if (strcmp(attr, "Name") == 0)
            snprintf(x->provider_name, sizeof x->provider_name, "%s", v);
        else if (strcmp(attr, "Guid") == 0)
            put_str(x, "provider_guid", v);
        else if (strcmp(attr, "EventSourceName") == 0) {
            snprintf(x->provider_source, sizeof x->provider_source, "%s", v);
            put_str(x, "event_source", v);
        }
    } else if (strcmp(el, "EventID") == 0 && strcmp(attr, "Qualifiers") == 0 && *v) {
        tm_fenc_uint(x->e, "qualifiers", strtoull(v, NULL, 0));
    } else if (strcmp(el, "TimeCreated") == 0 && strcmp(attr, "SystemTime") == 0) {
        int64_t us;
        if (tm_time_parse_iso(v, &us))
            tm_fenc_time(x->e, "time_created", us);
    } else if (strcmp(el, "Execution") == 0) {
        if (strcmp(attr, "ProcessID") == 0)
            put_str(x, "process_id", v);
        else if (strcmp(attr, "ThreadID") == 0)
            put_str(x, "thread_id", v);
    } else if (strcmp(el, "Security") == 0 && strcmp(attr, "UserID") == 0) {
        if (*v)
            put_str(x, "user_sid", v);
    } else if (strcmp(el, "Correlation") == 0 && strcmp(attr, "ActivityID") == 0) {
        put_str(x, "activity_id", v);
    } else if (strcmp(attr, "Name") == 0 && x->depth > 0) {
        snprintf(x->st[x->depth - 1].data_name, sizeof x->st[0].data_name, "%s", v);
    }
}

static void on_element_end(bx *x)
{
    frame *f = &x->st[x->depth - 1];
    if (f->omit && f->text.len == 0 && f->nitems == 0)
        return;
    if (f->nitems) {
        /* One element per array item, as if written out one by one. */
        unsigned n = f->nitems;
        const char *item = f->items.data;
        f->nitems = 0;
        for (unsigned i = 0; i < n; i++) {
            tm_buf_reset(&f->text);
            tm_buf_puts(&f->text, item);
            on_element_end(x);
            item += strlen(item) + 1;
        }
        return;
    }
    const char *v = tm_buf_cstr(&f->text);
    const char *up1 = parent_name(x, 1), *up2 = parent_name(x, 2);
    char key[300];
    if (strcmp(up1, "System") == 0) {
        if (strcmp(f->name, "Provider") == 0) {
            const char *p = x->provider_source[0] ? x->provider_source : x->provider_name;
            if (*p)
                put_str(x, "provider", p);
        } else if (strcmp(f->name, "EventID") == 0) {
            x->event_id = (uint32_t)strtoul(v, NULL, 10);
            x->have_eid = *v != '\0';
            if (x->have_eid)
                tm_fenc_uint(x->e, "event_id", x->event_id);
        } else if (strcmp(f->name, "Level") == 0 && *v) {
            tm_fenc_uint(x->e, "level", strtoull(v, NULL, 10));
        } else if (strcmp(f->name, "Channel") == 0) {
            put_str(x, "channel", v);
            if (x->channel)
                snprintf(x->channel, x->channel_len, "%s", v);
        } else if (strcmp(f->name, "Computer") == 0) {
            put_str(x, "computer", v);
        } else if (strcmp(f->name, "Version") == 0 || strcmp(f->name, "Task") == 0 || strcmp(f->name, "Opcode") == 0 ||
                   strcmp(f->name, "Keywords") == 0) {
            char lower[16];
            snprintf(lower, sizeof lower, "%.15s", f->name);
            lower[0] = (char)(lower[0] + 32);
            if (*v)
                put_str(x, lower, v);
        }
    } else if (strcmp(up1, "EventData") == 0) {
        if (strcmp(f->name, "Data") == 0 && f->data_name[0])
            snprintf(key, sizeof key, "data.%.250s", f->data_name);
        else if (strcmp(f->name, "Data") == 0)
            snprintf(key, sizeof key, "data.%u", ++x->unnamed);
        else
            snprintf(key, sizeof key, "data.%.250s", f->name);
        tm_fenc_strn(x->e, key, v, f->text.len); /* with its length: a NUL inside is kept */
    } else if (strcmp(up2, "UserData") == 0) {
        snprintf(key, sizeof key, "data.%.250s", f->name);
        tm_fenc_strn(x->e, key, v, f->text.len);
    } else if (strcmp(up1, "UserData") == 0) {
        put_str(x, "userdata", f->name);
    }
}

/* ---- tokens --------------------------------------------------------------------------- */

/* Text-producing tokens of element content or attribute values. Returns
 * false on malformed input. */
static bool value_token(bx *x, size_t *pos, size_t end, const val_t *vals, size_t nvals, tm_buf *out, bool *null)
{
    uint8_t t = x->c[*pos] & 0x1F;
    switch (t) {
    case 0x05: { /* value text */
        if (*pos + 4 > end)
            return false;
        size_t chars = rd16(x->c + *pos + 2);
        if (*pos + 4 + 2 * chars > end)
            return false;
        char *s = tm_xmalloc(chars * 3 + 1);
        tm_utf16le_to_utf8(x->c + *pos + 4, chars, s, chars * 3 + 1);
        tm_buf_puts(out, s);
        free(s);
        *pos += 4 + 2 * chars;
        return true;
    }
    case 0x0d:
    case 0x0e: { /* substitution */
        if (*pos + 4 > end)
            return false;
        uint16_t idx = rd16(x->c + *pos + 1);
        bool optional = t == 0x0e;
        *pos += 4;
        if (!vals || idx >= nvals)
            return true; /* a substitution without values: empty */
        const val_t *v = &vals[idx];
        if (optional && (v->type == 0x00 || v->len == 0)) {
            if (null)
                *null = true;
            return true;
        }
        if ((v->type & 0x80) && x->depth > 0 && out == &x->st[x->depth - 1].text) {
            /* An array in element content repeats the element per item. */
            frame *f = &x->st[x->depth - 1];
            tm_buf one;
            tm_buf_init(&one);
            val_t item = *v;
            uint8_t base = v->type & 0x7F;
            if (base == 0x01) {
                const uint8_t *p = x->c + v->off;
                size_t start = 0;
                for (size_t i = 0; i + 1 < v->len; i += 2) {
                    if (rd16(p + i) != 0)
                        continue;
                    put_utf16(&f->items, p + start, (i - start) / 2);
                    tm_buf_putc(&f->items, '\0');
                    f->nitems++;
                    start = i + 2;
                }
            } else {
                tm_buf_reset(&one);
                item.type = v->type;
                value_text(x, &item, &one);
                tm_buf_put(&f->items, one.data ? one.data : "", one.len);
                tm_buf_putc(&f->items, '\0');
                f->nitems++;
            }
            tm_buf_free(&one);
            return true;
        }
        if (v->type == 0x21) {
            size_t vp = v->off;
            if (x->nest > 8)
                return false;
            x->nest++;
            bool ok = parse_fragment(x, &vp, (size_t)v->off + v->len, NULL, 0);
            x->nest--;
            return ok;
        }
        value_text(x, v, out);
        return true;
    }
    case 0x07: { /* CDATA */
        if (*pos + 3 > end)
            return false;
        size_t chars = rd16(x->c + *pos + 1);
        if (*pos + 3 + 2 * chars > end)
            return false;
        char *s = tm_xmalloc(chars * 3 + 1);
        tm_utf16le_to_utf8(x->c + *pos + 3, chars, s, chars * 3 + 1);
        tm_buf_puts(out, s);
        free(s);
        *pos += 3 + 2 * chars;
        return true;
    }
    case 0x08: /* character reference */
        if (*pos + 3 > end)
            return false;
        {
            unsigned ch = rd16(x->c + *pos + 1);
            uint8_t u[2] = {(uint8_t)ch, (uint8_t)(ch >> 8)};
            char s[8];
            tm_utf16le_to_utf8(u, 1, s, sizeof s);
            tm_buf_puts(out, s);
        }
        *pos += 3;
        return true;
    case 0x09: { /* entity reference: &amp; &lt; ... */
        if (*pos + 5 > end)
            return false;
        uint32_t off = rd32(x->c + *pos + 1);
        *pos += 5;
        char name[32];
        if (!name_at(x, off, pos, name, sizeof name))
            return false;
        const char *rep = strcmp(name, "amp") == 0 ? "&" : strcmp(name, "lt") == 0 ? "<" : strcmp(name, "gt") == 0 ? ">"
                          : strcmp(name, "quot") == 0 ? "\"" : strcmp(name, "apos") == 0 ? "'" : "";
        tm_buf_puts(out, rep);
        return true;
    }
    default:
        return false;
    }
}

static bool is_value_token(uint8_t t)
{
    t &= 0x1F;
    return t == 0x05 || t == 0x0d || t == 0x0e || t == 0x07 || t == 0x08 || t == 0x09;
}

/* Reads an element start's size and name offset, with or without the
 * dependency identifier (which libevtx 20181227 always expects). */
static bool element_header(bx *x, size_t pos, size_t end, size_t *after, uint32_t *name_off)
{
    for (int with_dep = 1; with_dep >= 0; with_dep--) {
        size_t h = pos + 1 + (with_dep ? 2 : 0);
        if (h + 8 > end)
            continue;
        uint32_t size = rd32(x->c + h), noff = rd32(x->c + h + 4);
        size_t next = h + 8;
        bool name_ok = (noff == next || noff < pos) && (size_t)noff + 8 <= x->clen;
        bool size_ok = size >= 4 && h + 4 + size <= end;
        if (name_ok && size_ok) {
            *after = next;
            *name_off = noff;
            return true;
        }
    }
    return false;
}

static bool parse_element(bx *x, size_t *pos, size_t end, const val_t *vals, size_t nvals)
{
    if (x->depth >= MAX_DEPTH)
        return false;
    bool has_attrs = (x->c[*pos] & 0x40) != 0;
    size_t p;
    uint32_t noff;
    if (!element_header(x, *pos, end, &p, &noff))
        return false;
    frame *f = &x->st[x->depth++];
    f->data_name[0] = '\0';
    tm_buf_reset(&f->text);
    tm_buf_reset(&f->items);
    f->nitems = 0;
    f->omit = false;
    if (!name_at(x, noff, &p, f->name, sizeof f->name))
        return false;
    if (has_attrs) {
        if (p + 4 > end)
            return false;
        size_t list_end = p + 4 + rd32(x->c + p);
        p += 4;
        if (list_end > end)
            return false;
        while (p < list_end && (x->c[p] & 0x1F) == 0x06) {
            if (p + 5 > list_end)
                return false;
            uint32_t aoff = rd32(x->c + p + 1);
            p += 5;
            char aname[64];
            if (!name_at(x, aoff, &p, aname, sizeof aname))
                return false;
            tm_buf_reset(&x->attr);
            x->attr_null = false;
            while (p < list_end && is_value_token(x->c[p]))
                if (!value_token(x, &p, list_end, vals, nvals, &x->attr, &x->attr_null))
                    return false;
            on_attribute(x, aname);
        }
        p = list_end;
    }
    if (p >= end)
        return false;
    uint8_t t = x->c[p];
    if (t == 0x03) { /* empty element */
        p++;
    } else if (t == 0x02) {
        p++;
        for (;;) {
            if (p >= end)
                return false;
            uint8_t c = x->c[p];
            if (c == 0x04) {
                p++;
                break;
            }
            if ((c & 0x1F) == 0x01) {
                if (!parse_element(x, &p, end, vals, nvals))
                    return false;
            } else if (is_value_token(c)) {
                if (!value_token(x, &p, end, vals, nvals, &x->st[x->depth - 1].text, &x->st[x->depth - 1].omit))
                    return false;
            } else if (c == 0x0a) { /* processing instruction target */
                p += 5;
            } else if (c == 0x0b) {
                if (p + 3 > end)
                    return false;
                p += 3 + 2 * (size_t)rd16(x->c + p + 1);
            } else if (c == 0x0c) {
                return false; /* a template inside content is not valid */
            } else {
                return false;
            }
        }
    } else {
        return false;
    }
    on_element_end(x);
    x->depth--;
    *pos = p;
    return true;
}

static bool parse_template(bx *x, size_t *pos, size_t end)
{
    size_t p = *pos;
    if (p + 10 > end || x->nest > 8)
        return false;
    uint32_t def = rd32(x->c + p + 6);
    p += 10;
    if ((size_t)def + 24 > x->clen)
        return false;
    uint32_t dsize = rd32(x->c + def + 20);
    size_t dstart = (size_t)def + 24, dend = dstart + dsize;
    if (dend > x->clen)
        return false;
    if (def == p) /* the definition is stored inline: the instance data follows it */
        p = dend;
    else if (def > p)
        return false;
    if (p + 4 > end)
        return false;
    uint32_t n = rd32(x->c + p);
    p += 4;
    if (n > MAX_VALUES || p + 4 * (size_t)n > end)
        return false;
    val_t *vals = tm_xcalloc(n ? n : 1, sizeof *vals);
    size_t data = p + 4 * (size_t)n;
    for (uint32_t i = 0; i < n; i++) {
        vals[i].len = rd16(x->c + p + 4 * i);
        vals[i].type = x->c[p + 4 * i + 2];
        vals[i].off = (uint32_t)data;
        data += vals[i].len;
    }
    if (data > end) {
        free(vals);
        return false;
    }
    x->nest++;
    size_t tp = dstart;
    bool ok = parse_fragment(x, &tp, dend, vals, n);
    x->nest--;
    free(vals);
    *pos = data;
    return ok;
}

static bool parse_fragment(bx *x, size_t *pos, size_t end, const val_t *vals, size_t nvals)
{
    while (*pos < end && !x->failed) {
        uint8_t t = x->c[*pos];
        if (t == 0x00) {
            (*pos)++;
            return true;
        } else if (t == 0x0f) {
            *pos += 4;
        } else if (t == 0x0c) {
            if (!parse_template(x, pos, end))
                return false;
        } else if ((t & 0x1F) == 0x01) {
            if (!parse_element(x, pos, end, vals, nvals))
                return false;
        } else if (is_value_token(t) && x->depth > 0) {
            if (!value_token(x, pos, end, vals, nvals, &x->st[x->depth - 1].text, NULL))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

bool tm_evtx_decode_binxml(const uint8_t *chunk, size_t chunk_len, size_t start, size_t end, tm_fields_enc *e,
                           uint32_t *event_id, char *channel, size_t channel_len)
{
    bx *x = tm_xcalloc(1, sizeof *x);
    x->c = chunk;
    x->clen = chunk_len;
    x->e = e;
    x->channel = channel;
    x->channel_len = channel_len;
    if (channel && channel_len)
        channel[0] = '\0';
    for (int i = 0; i < MAX_DEPTH; i++) {
        tm_buf_init(&x->st[i].text);
        tm_buf_init(&x->st[i].items);
    }
    tm_buf_init(&x->attr);
    size_t pos = start;
    bool ok = end <= chunk_len && parse_fragment(x, &pos, end, NULL, 0) && x->have_eid;
    if (event_id)
        *event_id = x->event_id;
    for (int i = 0; i < MAX_DEPTH; i++) {
        tm_buf_free(&x->st[i].text);
        tm_buf_free(&x->st[i].items);
    }
    tm_buf_free(&x->attr);
    free(x);
    return ok;
}

/* ---- chunks and records ------------------------------------------------------------ */

static bool record_at(const uint8_t *c, uint32_t p)
{
    if (p + 28 > CHUNK || memcmp(c + p, "\x2a\x2a\x00\x00", 4) != 0)
        return false;
    uint32_t size = rd32(c + p + 4);
    return size >= 28 && size <= CHUNK - p && rd32(c + p + size - 4) == size;
}

bool tm_evtx_is_chunk(const uint8_t *c)
{
    return memcmp(c, "ElfChnk", 8) == 0;
}

size_t tm_evtx_chunk_records(const uint8_t *c, uint32_t **out, uint32_t *slack_from)
{
    *out = NULL;
    *slack_from = CHUNK_HDR;
    if (!tm_evtx_is_chunk(c))
        return 0;
    uint32_t free_off = rd32(c + 48);
    if (free_off > CHUNK || free_off < CHUNK_HDR)
        free_off = CHUNK;
    uint32_t *rec = NULL;
    size_t n = 0, cap = 0;
    uint32_t p = CHUNK_HDR;
    while (p + 28 <= free_off && record_at(c, p)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 128;
            rec = tm_xrealloc(rec, cap * sizeof *rec);
        }
        rec[n++] = p;
        p += rd32(c + p + 4);
    }
    *slack_from = p;
    *out = rec;
    return n;
}

size_t tm_evtx_chunk_slack(const uint8_t *c, uint32_t from, uint32_t **out)
{
    uint32_t *rec = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t p = (from + 7) & ~7u; p + 28 <= CHUNK; p += 8) {
        if (!record_at(c, p))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rec = tm_xrealloc(rec, cap * sizeof *rec);
        }
        rec[n++] = p;
        p += rd32(c + p + 4) - 8;
    }
    *out = rec;
    return n;
}

bool tm_evtx_chunk_checksums_ok(const uint8_t *c)
{
    uint32_t h = tm_crc32(0, c, 120);
    h = tm_crc32(h, c + 128, CHUNK_HDR - 128);
    uint32_t free_off = rd32(c + 48);
    if (h != rd32(c + 124) || free_off < CHUNK_HDR || free_off > CHUNK)
        return false;
    return tm_crc32(0, c + CHUNK_HDR, free_off - CHUNK_HDR) == rd32(c + 52);
}

bool tm_evtx_record_header(const uint8_t *c, uint32_t off, uint64_t *id, int64_t *written)
{
    if (!record_at(c, off))
        return false;
    *id = rd64(c + off + 8);
    *written = tm_time_from_filetime(rd64(c + off + 16));
    return true;
}

bool tm_evtx_decode_record(const uint8_t *c, uint32_t off, uint64_t chunk_offset, tm_fields_enc *e, uint32_t *event_id,
                           char *channel, size_t channel_len)
{
    if (!record_at(c, off))
        return false;
    uint32_t size = rd32(c + off + 4);
    tm_fenc_uint(e, "record_id", rd64(c + off + 8));
    tm_fenc_uint(e, "offset", chunk_offset + off);
    return tm_evtx_decode_binxml(c, CHUNK, off + 24, off + size - 4, e, event_id, channel, channel_len);
}

#include "util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/timeutil.h"

size_t tm_utf8_seq_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void tm_json_quote(tm_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    tm_buf_reserve(out, n + 2);
    tm_buf_putc(out, '"');
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            /* Fast path: copy a run of plain printable ASCII. */
            size_t j = i + 1;
            while (j < n && p[j] >= 0x20 && p[j] < 0x7F && p[j] != '"' && p[j] != '\\')
                j++;
            tm_buf_put(out, s + i, j - i);
            i = j;
            continue;
        }
        switch (c) {
        case '"': tm_buf_puts(out, "\\\""); i++; continue;
        case '\\': tm_buf_puts(out, "\\\\"); i++; continue;
        case '\n': tm_buf_puts(out, "\\n"); i++; continue;
        case '\r': tm_buf_puts(out, "\\r"); i++; continue;
        case '\t': tm_buf_puts(out, "\\t"); i++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            char e[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            tm_buf_puts(out, e);
            i++;
            continue;
        }
        size_t len = tm_utf8_seq_len(p + i, n - i);
        if (len == 0) {
            tm_buf_puts(out, "\xEF\xBF\xBD"); /* U+FFFD */
            i++;
        } else {
            tm_buf_put(out, s + i, len);
            i += len;
        }
    }
    tm_buf_putc(out, '"');
}

void tm_json_init(tm_json *j, tm_buf *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
}

static void pre_value(tm_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0) {
        if (j->need_comma[j->depth])
            tm_buf_putc(j->out, ',');
        j->need_comma[j->depth] = true;
    }
}

static void open_container(tm_json *j, char c)
{
    pre_value(j);
    tm_buf_putc(j->out, c);
    if (j->depth < TM_JSON_MAX_DEPTH - 1)
        j->depth++;
    j->need_comma[j->depth] = false;
}

void tm_json_obj_begin(tm_json *j) { open_container(j, '{'); }
void tm_json_arr_begin(tm_json *j) { open_container(j, '['); }

void tm_json_obj_end(tm_json *j)
{
    tm_buf_putc(j->out, '}');
    if (j->depth > 0)
        j->depth--;
}

void tm_json_arr_end(tm_json *j)
{
    tm_buf_putc(j->out, ']');
    if (j->depth > 0)
        j->depth--;
}

void tm_json_key(tm_json *j, const char *key)
{
    pre_value(j);
    tm_json_quote(j->out, key, strlen(key));
    tm_buf_putc(j->out, ':');
    j->after_key = true;
}

void tm_json_strn(tm_json *j, const char *s, size_t n)
{
    pre_value(j);
    if (!s)
        tm_buf_puts(j->out, "null");
    else
        tm_json_quote(j->out, s, n);
}

void tm_json_str(tm_json *j, const char *s)
{
    tm_json_strn(j, s, s ? strlen(s) : 0);
}

void tm_json_int(tm_json *j, int64_t v)
{
    pre_value(j);
    tm_buf_printf(j->out, "%" PRId64, v);
}

void tm_json_uint(tm_json *j, uint64_t v)
{
    pre_value(j);
    tm_buf_printf(j->out, "%" PRIu64, v);
}

void tm_json_bool(tm_json *j, bool v)
{
    pre_value(j);
    tm_buf_puts(j->out, v ? "true" : "false");
}

void tm_json_null(tm_json *j)
{
    pre_value(j);
    tm_buf_puts(j->out, "null");
}

void tm_json_time(tm_json *j, int64_t us)
{
    if (us == TM_TIME_NONE) {
        tm_json_null(j);
        return;
    }
    char iso[TM_TIME_ISO_LEN];
    tm_time_iso(us, iso);
    tm_json_str(j, iso);
}

void tm_json_kstr(tm_json *j, const char *key, const char *s)
{
    tm_json_key(j, key);
    tm_json_str(j, s);
}

void tm_json_kint(tm_json *j, const char *key, int64_t v)
{
    tm_json_key(j, key);
    tm_json_int(j, v);
}

void tm_json_kuint(tm_json *j, const char *key, uint64_t v)
{
    tm_json_key(j, key);
    tm_json_uint(j, v);
}

void tm_json_kbool(tm_json *j, const char *key, bool v)
{
    tm_json_key(j, key);
    tm_json_bool(j, v);
}

void tm_json_ktime(tm_json *j, const char *key, int64_t us)
{
    tm_json_key(j, key);
    tm_json_time(j, us);
}

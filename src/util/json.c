#include "util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/text.h"
#include "util/timeutil.h"

void tm_json_quote(tm_buf *out, const char *s, size_t n)
{
    tm_buf_reserve(out, n + 2);
    tm_buf_putc(out, '"');
    tm_put_escaped(out, s, n, &tm_escapes_json);
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

void tm_json_double(tm_json *j, double v)
{
    pre_value(j);
    if (v != v || v > 1e300 || v < -1e300)
        tm_buf_puts(j->out, "null"); /* JSON has no NaN or infinity */
    else
        tm_buf_printf(j->out, "%.3f", v);
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

/* Streaming JSON writer. Every string that reaches it may come from evidence
 * (attacker-controlled): control characters are escaped and invalid UTF-8 is
 * replaced by U+FFFD, so the output is always valid JSON and valid UTF-8. */
#ifndef TM_JSON_H
#define TM_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

#define TM_JSON_MAX_DEPTH 32

typedef struct {
    tm_buf *out;
    int depth;
    bool need_comma[TM_JSON_MAX_DEPTH];
    bool after_key;
} tm_json;

void tm_json_init(tm_json *j, tm_buf *out);
void tm_json_obj_begin(tm_json *j);
void tm_json_obj_end(tm_json *j);
void tm_json_arr_begin(tm_json *j);
void tm_json_arr_end(tm_json *j);
void tm_json_key(tm_json *j, const char *key);

void tm_json_str(tm_json *j, const char *s);          /* NULL writes null */
void tm_json_strn(tm_json *j, const char *s, size_t n);
void tm_json_int(tm_json *j, int64_t v);
void tm_json_uint(tm_json *j, uint64_t v);
/* A number with three decimals (null for NaN or infinity). */
void tm_json_double(tm_json *j, double v);
void tm_json_bool(tm_json *j, bool v);
void tm_json_null(tm_json *j);
/* Microseconds since the Unix epoch as ISO 8601 with offset; TM_TIME_NONE as null. */
void tm_json_time(tm_json *j, int64_t us);

/* Convenience: key + value. */
void tm_json_kstr(tm_json *j, const char *key, const char *s);
void tm_json_kint(tm_json *j, const char *key, int64_t v);
void tm_json_kuint(tm_json *j, const char *key, uint64_t v);
void tm_json_kbool(tm_json *j, const char *key, bool v);
void tm_json_ktime(tm_json *j, const char *key, int64_t us);

/* Append s[0..n) to out as a quoted JSON string (escaping, U+FFFD repair). */
void tm_json_quote(tm_buf *out, const char *s, size_t n);

#endif

/* Normalised records and the field-list codec they travel in.
 *
 * Wire form of a field list: u16 count, then per field
 *   u8 type, u8 name length (incl. NUL), name + NUL, u32 value length, value
 * Strings travel with a trailing NUL (counted in the value length) so a
 * decoded field can be used as a C string in place; the decoder checks it.
 * A record is: u8 kind, u8 flags, u64 position, i64 time (us), field list. */
#ifndef TM_RECORD_H
#define TM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/strmap.h"

typedef enum {
    TM_F_STR = 1,
    TM_F_INT = 2,
    TM_F_UINT = 3,
    TM_F_TIME = 4, /* i64 microseconds since the Unix epoch, UTC */
    TM_F_BOOL = 5,
    TM_F_BYTES = 6,
    TM_F_LOCALTIME = 7, /* i64 microseconds, wall-clock time of the host's zone */
} tm_ftype;

typedef struct {
    const char *name;
    tm_ftype type;
    union {
        struct {
            const char *s; /* NUL-terminated; len excludes the NUL */
            size_t len;
        } str;
        int64_t i;
        uint64_t u;
        bool b;
    } v;
} tm_field;

/* The largest value a field carries (half a protocol frame, worker/proto.h). */
#define TM_FIELD_VALUE_MAX (8u << 20)

/* Record flags. */
#define TM_REC_RECOVERED 0x01 /* recovered from slack / unallocated space */

typedef struct tm_record {
    uint8_t kind; /* tm_art_kind */
    uint8_t flags;
    uint64_t position;
    int64_t time;
    size_t nfields;
    tm_field *fields; /* points into the decode scratch */
    /* Coordinator only, never on the wire: the other places (origins, "; "-
     * separated) an identical record was found in, set when the pipeline
     * reports copies once (pipeline.c, drop_copies); NULL for none. */
    const char *also;
} tm_record;

/* ---- encoding (writers append to a buffer) ---- */
typedef struct {
    tm_buf *b;
    size_t count_at; /* offset of the u16 count */
    unsigned count;
} tm_fields_enc;

void tm_fields_begin(tm_fields_enc *e, tm_buf *b);
void tm_fields_end(tm_fields_enc *e);
void tm_fenc_str(tm_fields_enc *e, const char *name, const char *s);
void tm_fenc_strn(tm_fields_enc *e, const char *name, const char *s, size_t n);
void tm_fenc_int(tm_fields_enc *e, const char *name, int64_t v);
void tm_fenc_uint(tm_fields_enc *e, const char *name, uint64_t v);
void tm_fenc_time(tm_fields_enc *e, const char *name, int64_t us);
void tm_fenc_localtime(tm_fields_enc *e, const char *name, int64_t us);
void tm_fenc_bool(tm_fields_enc *e, const char *name, bool v);
void tm_fenc_bytes(tm_fields_enc *e, const char *name, const void *p, size_t n);

void tm_record_begin(tm_fields_enc *e, tm_buf *b, uint8_t kind, uint8_t flags, uint64_t position, int64_t time);
#define tm_record_end tm_fields_end

/* ---- decoding ---- */
typedef struct {
    tm_field *fields;
    size_t cap;
} tm_fields_scratch;

void tm_fields_scratch_free(tm_fields_scratch *s);
/* Decodes a field list; false on any malformation (never reads outside
 * p[0..n)). *used gets the bytes consumed. */
bool tm_fields_decode(const uint8_t *p, size_t n, tm_fields_scratch *s, size_t *nfields, size_t *used);
bool tm_record_decode(const uint8_t *p, size_t n, tm_fields_scratch *s, tm_record *r);

const tm_field *tm_field_get(const tm_field *f, size_t n, const char *name);
const tm_field *tm_record_get(const tm_record *r, const char *name);
/* String value or NULL when absent or not a string. */
const char *tm_record_str(const tm_record *r, const char *name);
bool tm_record_uint(const tm_record *r, const char *name, uint64_t *out);

/* An owned copy of a record in one allocation (free() it). */
tm_record *tm_record_clone(const tm_record *r);

/* The copy the pipeline keeps for its plugins: in the arena, field names
 * shared through names, and only the fields tm_record_field_kept accepts.
 * A NUL inside a text field becomes TM_NUL_MARK: plugins read C strings, and
 * a NUL planted in a command line must not cut it ("net view <NUL>\\peer"
 * would lose its peer); traces show it, dump and events.jsonl keep \u0000. */
#define TM_NUL_MARK "\xE2\x90\x80" /* U+2400 SYMBOL FOR NULL */
tm_record *tm_record_store(const tm_record *r, tm_arena *arena, tm_strmap *names, const char *const *kept);
/* A field worth keeping: every field when kept is NULL, else the event
 * data (data.*, userdata*) and the names in kept. */
bool tm_record_field_kept(const char *name, const char *const *kept);

/* ---- accessors for readers of records (plugins, outputs) ---- */

/* A string field, "" when absent (tm_record_str gives NULL). */
const char *tm_str(const tm_record *r, const char *name);
/* An event's EventData/UserData field ("data.<name>"), "" when absent. */
const char *tm_data(const tm_record *r, const char *name);
/* Any field as text (numbers in decimal, times in ISO 8601), "" when absent;
 * uses buf. */
const char *tm_field_text(const tm_record *r, const char *name, char *buf, size_t n);
/* An event record's id and channel (0 and "" for other records). */
uint32_t tm_event_id(const tm_record *r);
const char *tm_channel(const tm_record *r);
bool tm_is_event(const tm_record *r, const char *channel, uint32_t id);
/* A one-line summary of an event's data fields ("Name=value, ..."). */
void tm_event_summary(const tm_record *r, char *out, size_t n);

/* Writes the field's value as JSON. */
void tm_json_field_value(tm_json *j, const tm_field *f);

#endif

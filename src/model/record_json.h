/* One record as one JSON line (toolmark dump, toolmark-parse standalone). */
#ifndef TM_RECORD_JSON_H
#define TM_RECORD_JSON_H

#include "model/record.h"

typedef struct {
    const char *input, *input_id, *volume, *path, *stream;
    const char *origin; /* tm_origin_text of the artifact ("live", "carved:N" ...); NULL: not written */
} tm_record_origin;

/* A field the coordinator adds to a record (e.g. a USN parent path from the
 * MFT); value NULL is written as null. */
typedef struct {
    const char *name;
    const char *value;
} tm_kv;

void tm_record_json(tm_buf *out, const tm_record *r, const tm_record_origin *o, const tm_kv *extra, size_t nextra);

#endif

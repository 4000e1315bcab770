/* toolmark's own EVTX record decoder: the fallback for records Debian's
 * libevtx (20181227) cannot parse. That version assumes every element start
 * in binary XML carries a dependency identifier; records written without
 * templates and without those identifiers (as in many collected or
 * re-exported logs) fail with "unsupported type: 0x05". This decoder walks
 * chunks and records itself and decodes binary XML with and without
 * templates, with and without dependency identifiers. */
#ifndef TM_EVTX_NATIVE_H
#define TM_EVTX_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "readers/reader.h"

typedef struct tm_evtx_walk tm_evtx_walk;

/* Indexes the records of every chunk with a valid header, in file order
 * (the order libevtx indexes them). NULL when there is no chunk. */
tm_evtx_walk *tm_evtx_walk_open(tm_source *src);
void tm_evtx_walk_close(tm_evtx_walk *w);
size_t tm_evtx_walk_count(const tm_evtx_walk *w);
/* Record identifier of record i (0 when unreadable). */
uint64_t tm_evtx_walk_id(tm_evtx_walk *w, size_t i);
/* Identifier and written time of record i; false when unreadable. */
bool tm_evtx_walk_header(tm_evtx_walk *w, size_t i, uint64_t *id, int64_t *written);
/* Decodes record i into e (the fields the libevtx path gives). Returns false
 * when the record's binary XML cannot be decoded either. */
bool tm_evtx_walk_decode(tm_evtx_walk *w, size_t i, tm_fields_enc *e, uint64_t *id, int64_t *written,
                         uint32_t *event_id, char *channel, size_t channel_len);

/* Records in slack space (recovered). Decoding begins a record frame on
 * out flagged recovered; the caller ends it (or aborts it). */
size_t tm_evtx_walk_slack_count(const tm_evtx_walk *w);
bool tm_evtx_walk_slack_decode(tm_evtx_walk *w, size_t j, tm_emit *out, uint64_t *id, uint32_t *event_id,
                               char *channel, size_t channel_len);

/* Decodes one record's binary XML held in a 64 KiB chunk image; exposed for
 * the fuzzer. */
bool tm_evtx_decode_binxml(const uint8_t *chunk, size_t chunk_len, size_t start, size_t end, tm_fields_enc *e,
                           uint32_t *event_id, char *channel, size_t channel_len);

#endif

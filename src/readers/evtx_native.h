/* toolmark's own EVTX decoder: chunks, records and binary XML, with and
 * without templates, with and without dependency identifiers. The EVTX
 * reader's first choice (docs/readers.md: it agrees with libevtx on every
 * record libevtx decodes in the shared samples, decodes those Debian's
 * libevtx 20181227 cannot, and is an order of magnitude faster); libevtx
 * reads what it cannot. */
#ifndef TM_EVTX_NATIVE_H
#define TM_EVTX_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "readers/reader.h"

#define TM_EVTX_FILE_HEADER 4096u
#define TM_EVTX_CHUNK 65536u

/* A 64 KiB chunk image as read from the file. */
bool tm_evtx_is_chunk(const uint8_t *chunk);
/* Both CRC32s of the chunk header hold (the header's and the records'). */
bool tm_evtx_chunk_checksums_ok(const uint8_t *chunk);
/* The records of a chunk, in order: offsets of records with a valid
 * signature and size up to the free-space offset (malloc'd, in *offsets);
 * *slack_from is where the space after them begins. 0 when the image is not
 * a chunk. */
size_t tm_evtx_chunk_records(const uint8_t *chunk, uint32_t **offsets, uint32_t *slack_from);
/* Record signatures from `from` to the end of the image, 8-byte aligned: the
 * records left in slack (after a clear or roll-over, or in a chunk whose
 * header is gone). */
size_t tm_evtx_chunk_slack(const uint8_t *chunk, uint32_t from, uint32_t **offsets);
/* The identifier and written time of the record at off. */
bool tm_evtx_record_header(const uint8_t *chunk, uint32_t off, uint64_t *id, int64_t *written);
/* Decodes the record at off (of a chunk at file offset chunk_offset) into e:
 * record_id, offset, then what libevtx's path gives (event_id, provider,
 * channel, computer, data.* ...). False when its binary XML cannot be
 * decoded. */
bool tm_evtx_decode_record(const uint8_t *chunk, uint32_t off, uint64_t chunk_offset, tm_fields_enc *e,
                           uint32_t *event_id, char *channel, size_t channel_len);

/* Decodes one record's binary XML held in a 64 KiB chunk image; exposed for
 * the fuzzer. */
bool tm_evtx_decode_binxml(const uint8_t *chunk, size_t chunk_len, size_t start, size_t end, tm_fields_enc *e,
                           uint32_t *event_id, char *channel, size_t channel_len);

#endif

/* EVTX chunks outside any file: the checks that tell a real chunk from a
 * chance "ElfChnk" in unallocated space, and the file header that makes one
 * chunk an EVTX file the EVTX reader takes as it is. No libtsk here (the
 * unit test and the fuzz target link it alone). */
#ifndef TM_EVTX_CHUNK_H
#define TM_EVTX_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TM_CHUNK_SIZE 65536u
#define TM_CHUNK_FILE_HEADER 4096u
#define TM_CHUNK_STEP 512u /* chunks begin on sector boundaries */

typedef enum {
    TM_CHUNK_NONE,       /* no signature */
    TM_CHUNK_BAD_HEADER, /* signature, but the header's CRC32 or its offsets are wrong: not a chunk */
    TM_CHUNK_EMPTY,      /* a valid header with no record */
    TM_CHUNK_SALVAGE,    /* valid header, records' CRC32 wrong (cut by a fragment boundary, partly
                            overwritten): its complete records are read */
    TM_CHUNK_OK,         /* both CRC32s hold */
} tm_chunk_verdict;

/* Checks the n bytes of a candidate chunk (n < TM_CHUNK_SIZE: the rest is
 * missing, as at the end of a volume, and can only be salvaged). */
tm_chunk_verdict tm_evtx_chunk_check(const uint8_t *c, size_t n);

/* What identifies a chunk's content for deduplication: both stored CRC32s
 * and its first and last record identifiers. */
typedef struct {
    uint32_t header_crc, records_crc;
    uint64_t first_id, last_id;
} tm_chunk_key;
tm_chunk_key tm_evtx_chunk_key(const uint8_t *c);

/* The 4096-byte EVTX file header of a file holding this one chunk. */
void tm_evtx_chunk_file_header(const uint8_t *chunk, uint8_t out[TM_CHUNK_FILE_HEADER]);

/* Offsets (multiples of TM_CHUNK_STEP below limit, limit <= n) of buf at
 * which a chunk signature begins; cb gets each with the bytes available
 * from there (at most TM_CHUNK_SIZE). Returns how many were found. */
size_t tm_evtx_chunk_scan(const uint8_t *buf, size_t n, size_t limit,
                          void (*cb)(void *ctx, size_t at, const uint8_t *c, size_t avail), void *ctx);

#endif

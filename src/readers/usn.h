/* USN journal record parsing, shared by the reader and its tests/fuzzer. */
#ifndef TM_USN_H
#define TM_USN_H

#include <stddef.h>
#include <stdint.h>

/* Checks the record at p (avail bytes): 1 plausible (sets *len, *version),
 * 2 plausible but its length field says more than its file name needs
 * (damaged: *len is where the record really ends), 0 needs more bytes, -1
 * not a record. */
int tm_usn_check(const uint8_t *p, size_t avail, uint32_t *len, unsigned *version);
/* "FILE_CREATE|DATA_EXTEND|CLOSE"; unknown bits as hex. */
void tm_usn_reason_string(uint32_t flags, char *out, size_t n);

#endif

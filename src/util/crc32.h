/* CRC-32 (ISO-HDLC: zlib's, and what EVTX file and chunk headers store). */
#ifndef TM_CRC32_H
#define TM_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 to start) over p[0..n). */
uint32_t tm_crc32(uint32_t crc, const void *p, size_t n);

#endif

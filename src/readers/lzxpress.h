/* LZXPRESS Huffman (MS-XCA) and the MAM container of Windows 10/11 Prefetch. */
#ifndef TM_LZXPRESS_H
#define TM_LZXPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/buf.h"

/* Decompresses exactly out_size bytes; false on any malformation. */
bool tm_lzxpress_huffman(const uint8_t *in, size_t n, uint8_t *out, size_t out_size);
/* "MAM\x04" files: 0 and a malloc'd buffer, -1 malformed, -2 another method. */
int tm_mam_decompress(const uint8_t *in, size_t n, uint8_t **out, size_t *out_size);

#endif

/* libFuzzer target: LZXPRESS Huffman / MAM decompression (Windows 10/11
 * Prefetch), hand-written. */
#include <stdint.h>
#include <stdlib.h>

#include "readers/lzxpress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t n = 0;
    if (tm_mam_decompress(data, size, &out, &n) == 0)
        free(out);
    if (size > 4) {
        size_t want = (size_t)(data[0] | data[1] << 8) * 4;
        uint8_t *buf = malloc(want ? want : 1);
        tm_lzxpress_huffman(data + 2, size - 2, buf, want);
        free(buf);
    }
    return 0;
}

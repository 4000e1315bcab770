/* libFuzzer target: the MFT record check (image/mft_check.c), hand-written.
 * The first byte picks the record size (512 to 4096). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/mft_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = 512u * (1u + data[0] % 8u);
    if (size - 1 < len)
        len = size - 1; /* odd sizes are refused, and must be */
    uint8_t *rec = malloc(len ? len : 1); /* exact size: ASan sees any overread */
    memcpy(rec, data + 1, len);
    char why[96];
    tm_mft_record_ok(rec, len, why, sizeof why);
    free(rec);
    return 0;
}

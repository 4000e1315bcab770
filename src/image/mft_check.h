/* One NTFS file record (MFT entry) checked for the damage that makes TSK
 * drop the file it describes from every directory listing without a word:
 * a bad signature, update-sequence (fixup) values that do not match, or an
 * attribute that runs out of the record. Pure function of the bytes; the
 * image layer runs it over each volume's allocated entries (image_tsk.c). */
#ifndef TM_MFT_CHECK_H
#define TM_MFT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TM_MFT_MAX_RECORD 4096u

/* true when rec (len bytes, one whole record) is sound; else why (a short
 * phrase) says what is wrong. */
bool tm_mft_record_ok(const uint8_t *rec, size_t len, char *why, size_t n);

#endif

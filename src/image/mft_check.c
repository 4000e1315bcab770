/* Layout: libyal's New Technologies File System (NTFS) documentation, "MFT
 * entry" and "MFT attribute". The update sequence stride is 512 bytes
 * whatever the sector size. */
#include "image/mft_check.h"

#include <stdio.h>
#include <string.h>

#define FIXUP_STRIDE 512u

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool bad(char *why, size_t n, const char *what)
{
    snprintf(why, n, "%s", what);
    return false;
}

bool tm_mft_record_ok(const uint8_t *rec, size_t len, char *why, size_t n)
{
    if (len < FIXUP_STRIDE || len > TM_MFT_MAX_RECORD || len % FIXUP_STRIDE)
        return bad(why, n, "record size not a multiple of 512 up to 4096");
    if (memcmp(rec, "BAAD", 4) == 0)
        return bad(why, n, "marked BAAD (a failed multi-sector write)");
    if (memcmp(rec, "FILE", 4) != 0)
        return bad(why, n, "no FILE signature");
    uint16_t usa_off = le16(rec + 4), usa_count = le16(rec + 6);
    if (usa_count != len / FIXUP_STRIDE + 1 || usa_off < 0x28 || usa_off % 2 ||
        (size_t)usa_off + 2u * usa_count > len)
        return bad(why, n, "update sequence array out of place");
    /* The record as NTFS reads it: each sector's last two bytes checked
     * against the update sequence number and replaced by the saved ones. */
    uint8_t r[TM_MFT_MAX_RECORD];
    memcpy(r, rec, len);
    for (uint16_t i = 1; i < usa_count; i++) {
        size_t at = (size_t)i * FIXUP_STRIDE - 2;
        if (memcmp(r + at, r + usa_off, 2) != 0)
            return bad(why, n, "update sequence mismatch (a torn or damaged sector)");
        memcpy(r + at, r + usa_off + 2u * i, 2);
    }
    uint16_t first = le16(r + 0x14);
    uint32_t used = le32(r + 0x18), alloc = le32(r + 0x1C);
    if (alloc != len || used > len || used < 0x30)
        return bad(why, n, "record sizes out of range");
    if (first < (size_t)usa_off + 2u * usa_count || first % 8 || (size_t)first + 8 > used)
        return bad(why, n, "first attribute out of place");
    size_t at = first;
    for (;;) {
        if (at + 4 > used)
            return bad(why, n, "attribute list runs past the record's end");
        uint32_t type = le32(r + at);
        if (type == 0xFFFFFFFFu)
            return true;
        if (at + 0x18 > used)
            return bad(why, n, "attribute header runs past the record's end");
        uint32_t alen = le32(r + at + 4);
        if (alen < 0x18 || alen % 8 || alen > used - at)
            return bad(why, n, "attribute length out of range");
        uint8_t nonresident = r[at + 8], name_len = r[at + 9];
        uint16_t name_off = le16(r + at + 10);
        if (name_len && (size_t)name_off + 2u * name_len > alen)
            return bad(why, n, "attribute name runs past the attribute");
        if (nonresident > 1)
            return bad(why, n, "attribute form neither resident nor non-resident");
        if (nonresident) {
            if (alen < 0x40)
                return bad(why, n, "non-resident attribute header too short");
            uint16_t runs = le16(r + at + 0x20);
            if (runs < 0x40 || runs > alen)
                return bad(why, n, "data runs out of place");
        } else {
            uint32_t size = le32(r + at + 0x10);
            uint16_t off = le16(r + at + 0x14);
            if (off < 0x18 || (uint64_t)off + size > alen)
                return bad(why, n, "resident data runs past the attribute");
        }
        at += alen;
    }
}

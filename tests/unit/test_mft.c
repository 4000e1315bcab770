/* Unit tests: the MFT record check (image/mft_check.c). */
#include <stdint.h>

#include "check.h"
#include "image/mft_check.h"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

/* A sound 1 KiB record as NTFS writes it: update sequence at 0x30 (number
 * 0x0007, the saved sector tails after it), a resident $STANDARD_INFORMATION
 * and a non-resident $DATA, then the end marker. */
static void sound(uint8_t *r)
{
    memset(r, 0, 1024);
    memcpy(r, "FILE", 4);
    put16(r + 4, 0x30);
    put16(r + 6, 3);
    put16(r + 0x14, 0x38);
    put32(r + 0x18, 0x38 + 0x60 + 0x48 + 8);
    put32(r + 0x1C, 1024);
    put16(r + 0x30, 7);           /* update sequence number */
    put16(r + 0x32, 0xAAAA);      /* saved tail of sector 1 */
    put16(r + 0x34, 0xBBBB);      /* saved tail of sector 2 */
    put16(r + 510, 7);
    put16(r + 1022, 7);
    uint8_t *a = r + 0x38;        /* resident */
    put32(a, 0x10);
    put32(a + 4, 0x60);
    put32(a + 0x10, 0x48);
    put16(a + 0x14, 0x18);
    a += 0x60;                    /* non-resident */
    put32(a, 0x80);
    put32(a + 4, 0x48);
    a[8] = 1;
    put16(a + 0x20, 0x40);
    put32(a + 0x48, 0xFFFFFFFFu);
}

static void expect(const uint8_t *r, const char *want)
{
    char why[96] = "";
    bool ok = tm_mft_record_ok(r, 1024, why, sizeof why);
    if (!want) {
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  (said: %s)\n", why);
    } else {
        CHECK(!ok);
        CHECK_STR(why, want);
    }
}

int main(void)
{
    uint8_t r[1024];
    sound(r);
    expect(r, NULL);
    sound(r);
    memcpy(r, "BAAD", 4);
    expect(r, "marked BAAD (a failed multi-sector write)");
    sound(r);
    memset(r, 0, 4);
    expect(r, "no FILE signature");
    sound(r);
    put16(r + 1022, 8); /* a sector from another write */
    expect(r, "update sequence mismatch (a torn or damaged sector)");
    sound(r);
    put16(r + 6, 9);
    expect(r, "update sequence array out of place");
    sound(r);
    put16(r + 0x38 + 0x14, 0x218); /* resident data past its attribute */
    expect(r, "resident data runs past the attribute");
    sound(r);
    put32(r + 0x38 + 4, 0x2000); /* attribute longer than the record */
    expect(r, "attribute length out of range");
    sound(r);
    put32(r + 0x38 + 0x60 + 0x48, 0x30); /* no end marker: another attribute would start at the end */
    expect(r, "attribute header runs past the record's end");
    sound(r);
    put16(r + 0x38 + 0x60 + 0x20, 0x100); /* data runs beyond the attribute */
    expect(r, "data runs out of place");
    sound(r);
    put32(r + 0x18, 0x10);
    expect(r, "record sizes out of range");
    sound(r); /* not a whole number of sectors */
    CHECK(!tm_mft_record_ok(r, 1000, (char[8]){0}, 8));
    return CHECK_DONE();
}

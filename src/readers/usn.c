/* USN journal reader ($Extend/$UsnJrnl:$J). Hand-written: USN_RECORD_V2 and
 * V3 are parsed, V4 (range tracking) counted and skipped. Sparse extents are
 * never read. After bytes that are not a plausible record the reader
 * resynchronises on the next 8-byte boundary that is, and reports the
 * stretch it skipped once. Parent paths are resolved by the coordinator,
 * which has the MFT (src/image/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readers/reader.h"
#include "readers/usn.h"
#include "util/timeutil.h"
#include "util/utf16.h"

#define WINDOW (1u << 20)
#define MAX_RECORD 65536u
#define PROGRESS_EVERY 16384

static const struct {
    uint32_t bit;
    const char *name;
} reason_names[] = {
    {0x00000001, "DATA_OVERWRITE"},
    {0x00000002, "DATA_EXTEND"},
    {0x00000004, "DATA_TRUNCATION"},
    {0x00000010, "NAMED_DATA_OVERWRITE"},
    {0x00000020, "NAMED_DATA_EXTEND"},
    {0x00000040, "NAMED_DATA_TRUNCATION"},
    {0x00000100, "FILE_CREATE"},
    {0x00000200, "FILE_DELETE"},
    {0x00000400, "EA_CHANGE"},
    {0x00000800, "SECURITY_CHANGE"},
    {0x00001000, "RENAME_OLD_NAME"},
    {0x00002000, "RENAME_NEW_NAME"},
    {0x00004000, "INDEXABLE_CHANGE"},
    {0x00008000, "BASIC_INFO_CHANGE"},
    {0x00010000, "HARD_LINK_CHANGE"},
    {0x00020000, "COMPRESSION_CHANGE"},
    {0x00040000, "ENCRYPTION_CHANGE"},
    {0x00080000, "OBJECT_ID_CHANGE"},
    {0x00100000, "REPARSE_POINT_CHANGE"},
    {0x00200000, "STREAM_CHANGE"},
    {0x00400000, "TRANSACTED_CHANGE"},
    {0x00800000, "INTEGRITY_CHANGE"},
    {0x80000000, "CLOSE"},
};

static const struct {
    uint32_t bit;
    const char *name;
} attr_names[] = {
    {0x0001, "READONLY"},  {0x0002, "HIDDEN"},        {0x0004, "SYSTEM"},   {0x0010, "DIRECTORY"},
    {0x0020, "ARCHIVE"},   {0x0040, "DEVICE"},        {0x0080, "NORMAL"},   {0x0100, "TEMPORARY"},
    {0x0200, "SPARSE_FILE"}, {0x0400, "REPARSE_POINT"}, {0x0800, "COMPRESSED"}, {0x1000, "OFFLINE"},
    {0x2000, "NOT_CONTENT_INDEXED"}, {0x4000, "ENCRYPTED"},
};

void tm_usn_reason_string(uint32_t flags, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof reason_names / sizeof reason_names[0]; i++) {
        if (!(flags & reason_names[i].bit))
            continue;
        int w = snprintf(out + k, n - k, "%s%s", k ? "|" : "", reason_names[i].name);
        if (w < 0 || (size_t)w >= n - k)
            return;
        k += (size_t)w;
        flags &= ~reason_names[i].bit;
    }
    if (flags && k + 12 < n)
        snprintf(out + k, n - k, "%s0x%x", k ? "|" : "", flags);
}

static void attr_string(uint32_t flags, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++) {
        if (!(flags & attr_names[i].bit))
            continue;
        int w = snprintf(out + k, n - k, "%s%s", k ? "|" : "", attr_names[i].name);
        if (w < 0 || (size_t)w >= n - k)
            return;
        k += (size_t)w;
    }
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* FILETIME range a journal can hold: 1995..2100. Anything else is not a record. */
static bool plausible_time(uint64_t ft)
{
    return ft >= 124717536000000000ULL && ft <= 159725952000000000ULL;
}

int tm_usn_check(const uint8_t *p, size_t avail, uint32_t *len_out, unsigned *version)
{
    if (avail < 8)
        return 0;
    uint32_t len = rd32(p);
    uint16_t major = rd16(p + 4), minor = rd16(p + 6);
    if (len < 8 || len > MAX_RECORD || len % 8 != 0 || minor != 0 || major < 2 || major > 4)
        return -1;
    if (len > avail)
        return 0; /* need more bytes */
    *len_out = len;
    *version = major;
    if (major == 4)
        return len >= 56 ? 1 : -1;
    uint32_t hdr = major == 2 ? 60 : 76;
    if (len < hdr)
        return -1;
    const uint8_t *t = p + (major == 2 ? 32 : 48);
    uint16_t name_len = rd16(p + hdr - 4), name_off = rd16(p + hdr - 2);
    if (name_off != hdr || name_len % 2 != 0 || (uint32_t)name_off + name_len > len || name_len == 0)
        return -1;
    if (!plausible_time(rd64(t)))
        return -1;
    /* Windows writes a record's length as its file name's end, rounded up
     * to 8 bytes. A length past that is a damaged length field: trusting it
     * would skip the records after this one without a word. */
    uint32_t natural = ((uint32_t)name_off + name_len + 7u) & ~7u;
    if (len > natural) {
        *len_out = natural;
        return 2;
    }
    return 1;
}

static void emit_usn(tm_emit *out, const uint8_t *p, uint32_t len, unsigned version, uint64_t offset)
{
    uint64_t fref, pref;
    const uint8_t *q;
    if (version == 2) {
        fref = rd64(p + 8);
        pref = rd64(p + 16);
        q = p + 24;
    } else {
        /* 128-bit file ids: on NTFS the low 64 bits are the MFT reference. */
        fref = rd64(p + 8);
        pref = rd64(p + 24);
        q = p + 40;
    }
    uint64_t usn = rd64(q);
    uint64_t ft = rd64(q + 8);
    uint32_t reason = rd32(q + 16), source = rd32(q + 20), secid = rd32(q + 24), attrs = rd32(q + 28);
    uint32_t hdr = version == 2 ? 60 : 76;
    uint16_t name_len = rd16(p + hdr - 4);
    char name[1024];
    tm_utf16le_to_utf8(p + hdr, name_len / 2u, name, sizeof name);
    char reasons[512], attr[256];
    tm_usn_reason_string(reason, reasons, sizeof reasons);
    attr_string(attrs, attr, sizeof attr);

    tm_fields_enc *e = tm_emit_begin(out, TM_ART_USN, 0, usn, tm_time_from_filetime(ft));
    tm_fenc_uint(e, "usn", usn);
    tm_fenc_uint(e, "offset", offset);
    tm_fenc_uint(e, "version", version);
    tm_fenc_str(e, "file_name", name);
    tm_fenc_str(e, "reasons", reasons);
    tm_fenc_uint(e, "reason_flags", reason);
    tm_fenc_uint(e, "mft_entry", fref & 0xFFFFFFFFFFFFULL);
    tm_fenc_uint(e, "mft_sequence", fref >> 48);
    tm_fenc_uint(e, "parent_mft_entry", pref & 0xFFFFFFFFFFFFULL);
    tm_fenc_uint(e, "parent_mft_sequence", pref >> 48);
    tm_fenc_str(e, "attributes", attr);
    tm_fenc_uint(e, "attribute_flags", attrs);
    if (source)
        tm_fenc_uint(e, "source_info", source);
    tm_fenc_uint(e, "security_id", secid);
    tm_emit_end(out);
}

typedef struct {
    uint64_t bad_start; /* start of the current unparseable stretch, or UINT64_MAX */
    uint64_t bad_bytes;
} resync;

static void bad_begin(resync *rs, uint64_t at)
{
    if (rs->bad_start == UINT64_MAX)
        rs->bad_start = at;
}

static void bad_end(resync *rs, tm_emit *out, uint64_t at, tm_read_stats *st)
{
    if (rs->bad_start == UINT64_MAX)
        return;
    uint64_t n = at - rs->bad_start;
    rs->bad_bytes += n;
    st->skipped++;
    tm_emit_problem(out, TM_POS_OFFSET, rs->bad_start, false, "%llu bytes at offset %llu are not USN records; resynchronised at %llu",
                    (unsigned long long)n, (unsigned long long)rs->bad_start, (unsigned long long)at);
    rs->bad_start = UINT64_MAX;
}

/* Parses the data extent [start, end). */
static int parse_extent(tm_source *src, uint64_t start, uint64_t end, tm_emit *out, tm_read_stats *st, resync *rs,
                        uint64_t *v4)
{
    uint8_t *buf = tm_xmalloc(WINDOW + MAX_RECORD);
    uint64_t pos = start; /* file offset of buf[0] */
    size_t have = 0, at = 0;
    int rc = 0;
    for (;;) {
        /* Refill: keep the unconsumed tail, read up to a window more. */
        if (have - at < MAX_RECORD && pos + have < end) {
            memmove(buf, buf + at, have - at);
            pos += at;
            have -= at;
            at = 0;
            size_t want = WINDOW;
            if (want > end - (pos + have))
                want = (size_t)(end - (pos + have));
            ssize_t n = tm_source_pread(src, pos + have, buf + have, want);
            if (n < 0) {
                tm_emit_problem(out, TM_POS_OFFSET, pos + have, true, "read error in $J at offset %llu: %s",
                                (unsigned long long)(pos + have), src->err);
                rc = -1;
                break;
            }
            if (n == 0)
                end = pos + have; /* shorter than its extents said */
            have += (size_t)n;
        }
        if (at + 8 > have) {
            /* A tail too short for a record: damage unless it is padding. */
            for (size_t k = at; k < have; k++)
                if (buf[k]) {
                    bad_begin(rs, pos + at);
                    at = have;
                    break;
                }
            break;
        }
        uint32_t first = rd32(buf + at);
        if (first == 0) {
            /* Zero padding (Windows pads journal pages): skip quickly. */
            bad_end(rs, out, pos + at, st);
            at += 8;
            continue;
        }
        uint32_t len;
        unsigned ver;
        int c = tm_usn_check(buf + at, have - at, &len, &ver);
        if (c == 0 && pos + have >= end) {
            c = -1; /* a record cut short at the end of the data */
        }
        if (c == 0)
            continue; /* refill happens above */
        if (c < 0) {
            bad_begin(rs, pos + at);
            at += 8;
            continue;
        }
        bad_end(rs, out, pos + at, st);
        if (c == 2)
            tm_emit_problem(out, TM_POS_OFFSET, pos + at, false,
                            "USN record at offset %llu: its length field says %u bytes, its file name ends after %u: "
                            "read on from there",
                            (unsigned long long)(pos + at), rd32(buf + at), len);
        if (ver == 4) {
            (*v4)++;
        } else {
            emit_usn(out, buf + at, len, ver, pos + at);
            st->records++;
            if (st->records % PROGRESS_EVERY == 0)
                tm_emit_progress(out, st->records);
        }
        at += len;
    }
    bad_end(rs, out, pos + at, st);
    free(buf);
    return rc;
}

int tm_read_usn(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    resync rs = {UINT64_MAX, 0};
    uint64_t v4 = 0;
    tm_extent whole = {0, src->size, false};
    const tm_extent *ext = job->extents && job->nextents ? job->extents : &whole;
    size_t next = job->extents && job->nextents ? job->nextents : 1;
    uint64_t data_bytes = 0;
    for (size_t i = 0; i < next; i++) {
        if (ext[i].sparse)
            continue;
        uint64_t s = ext[i].offset, e = ext[i].offset + ext[i].length;
        if (e > src->size)
            e = src->size;
        if (s >= e)
            continue;
        data_bytes += e - s;
        if (parse_extent(src, s, e, out, st, &rs, &v4) != 0)
            return st->records ? 0 : -1;
    }
    if (v4)
        tm_emit_problem(out, TM_POS_NONE, 0, false, "%llu USN_RECORD_V4 (range tracking) records skipped", (unsigned long long)v4);
    st->total = st->records + v4;
    (void)data_bytes;
    return 0;
}

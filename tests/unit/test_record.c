/* Unit tests: record codec and frames, including hostile inputs. */
#include <stdlib.h>

#include "check.h"
#include "worker/job.h"
#include "worker/proto.h"
#include "model/record.h"

/* A record's head written by hand (kind 1, no flags, position and time 0)
 * and a field count of our choosing, which the encoder would not write. */
static void record_head(tm_buf *b, uint16_t count)
{
    tm_buf_init(b);
    tm_buf_put_u8(b, 1);
    tm_buf_put_u8(b, 0);
    tm_buf_put_u64(b, 0);
    tm_buf_put_u64(b, 0);
    tm_buf_put_u16(b, count);
}

static void test_roundtrip(void)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_fields_enc e;
    tm_record_begin(&e, &b, 3, TM_REC_RECOVERED, 42, 1234567);
    tm_fenc_str(&e, "name", "value with \"quotes\"");
    tm_fenc_uint(&e, "u", 18446744073709551615ULL);
    tm_fenc_int(&e, "i", -5);
    tm_fenc_bool(&e, "b", true);
    tm_fenc_bytes(&e, "raw", "\x00\x01\xff", 3);
    tm_fenc_time(&e, "t", 99);
    tm_record_end(&e);

    tm_fields_scratch s = {0};
    tm_record r;
    CHECK(tm_record_decode((const uint8_t *)b.data, b.len, &s, &r));
    CHECK(r.kind == 3 && r.flags == TM_REC_RECOVERED && r.position == 42 && r.time == 1234567);
    CHECK(r.nfields == 6);
    CHECK_STR(tm_record_str(&r, "name"), "value with \"quotes\"");
    uint64_t u;
    CHECK(tm_record_uint(&r, "u", &u) && u == 18446744073709551615ULL);
    CHECK(tm_record_get(&r, "i")->v.i == -5);
    CHECK(tm_record_get(&r, "raw")->v.str.len == 3);
    CHECK(tm_record_get(&r, "missing") == NULL);

    /* Every truncation must be rejected, never read past the end. */
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b.data, n);
        CHECK(!tm_record_decode(copy, n, &s, &r));
        free(copy);
    }
    /* A string without its NUL is rejected. */
    tm_buf bad;
    record_head(&bad, 1);
    tm_buf_put_u8(&bad, TM_F_STR);
    tm_buf_put_u8(&bad, 2);
    tm_buf_put(&bad, "n", 2);
    tm_buf_put_u32(&bad, 1);
    tm_buf_put_u8(&bad, 'x');
    CHECK(!tm_record_decode((const uint8_t *)bad.data, bad.len, &s, &r));
    tm_buf_free(&bad);
    /* A count of fields the bytes cannot hold is refused before the scratch
     * grows (a worker's 20-byte frame must not cost 2 MB). */
    tm_buf big;
    record_head(&big, 65535);
    tm_buf_put(&big, "\x01\x01\0\0\0\0\0", 7); /* room for one field, not 65,535 */
    tm_fields_scratch fresh = {0};
    CHECK(!tm_record_decode((const uint8_t *)big.data, big.len, &fresh, &r));
    CHECK(fresh.cap == 0);
    tm_fields_scratch_free(&fresh);
    tm_buf_free(&big);
    tm_fields_scratch_free(&s);
    tm_buf_free(&b);
}

static void test_frames(void)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_frame_put(&b, 7, "abc", 3);
    tm_frame_put(&b, 8, "", 0);
    tm_framer f;
    tm_framer_init(&f);
    /* Feed byte by byte: frames appear only when complete. */
    uint32_t type, len;
    const uint8_t *p;
    int got = 0;
    for (size_t i = 0; i < b.len; i++) {
        tm_buf_put(&f.in, b.data + i, 1);
        while (tm_framer_next(&f, &type, &p, &len) == 1) {
            got++;
            CHECK((got == 1 && type == 7 && len == 3 && memcmp(p, "abc", 3) == 0) || (got == 2 && type == 8 && len == 0));
        }
    }
    CHECK(got == 2);
    /* An oversized length is malformed. */
    tm_buf_reset(&f.in);
    f.pos = 0;
    tm_buf_put_u32(&f.in, 1);
    tm_buf_put_u32(&f.in, TM_FRAME_MAX + 1);
    CHECK(tm_framer_next(&f, &type, &p, &len) == -1);
    tm_framer_free(&f);
    tm_buf_free(&b);
}

static void test_job(void)
{
    tm_extent ext[2] = {{0, 1048576, true}, {1048576, 416, false}};
    tm_job job = {.kind = TM_ART_USN, .path = "$Extend/$UsnJrnl", .name = "$UsnJrnl", .size = 1048992,
                  .extents = ext, .nextents = 2, .part = 2, .parts = 4, .all = true, .want = "Security\t4624",
                  .crtime = 1000, .mtime = INT64_MIN};
    tm_buf b;
    tm_buf_init(&b);
    tm_job_encode(&b, &job, TM_JOB_BYTES_FD);
    tm_job_owned o;
    CHECK(tm_job_decode((const uint8_t *)b.data, b.len, &o));
    CHECK(o.job.kind == TM_ART_USN && o.mode == TM_JOB_BYTES_FD && o.job.size == 1048992 && o.job.part == 2 &&
          o.job.parts == 4 && o.job.all && o.job.crtime == 1000 && o.job.mtime == INT64_MIN);
    CHECK_STR(o.job.want, "Security\t4624");
    CHECK(o.job.nextents == 2 && o.job.extents[0].sparse && !o.job.extents[1].sparse &&
          o.job.extents[1].offset == 1048576);
    CHECK_STR(o.job.path, "$Extend/$UsnJrnl");
    CHECK(o.job.user == NULL);
    tm_job_owned_free(&o);
    tm_buf_free(&b);
}

int main(void)
{
    test_roundtrip();
    test_frames();
    test_job();
    return CHECK_DONE();
}

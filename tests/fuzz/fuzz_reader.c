/* libFuzzer target for one artifact reader, chosen at build time with
 * -DFUZZ_KIND=TM_ART_... : the reader runs on arbitrary bytes through the
 * same memory source and record sink the worker uses, then every record it
 * emits is decoded again (what the coordinator would do). */
#include <stddef.h>
#include <stdint.h>

#include <libxml/parser.h>

#include "readers/reader.h"
#include "worker/proto.h"
#include "model/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frames(tm_emit *e)
{
    tm_fields_scratch s = {0};
    tm_span sp = {(const uint8_t *)e->out.data, e->out.len, false};
    while (sp.n >= TM_FRAME_HDR) {
        uint32_t type = tm_span_u32(&sp), len = tm_span_u32(&sp);
        const uint8_t *p = tm_span_bytes(&sp, len);
        if (!p)
            __builtin_trap();
        tm_record r;
        if (type == TM_MSG_RECORD && !tm_record_decode(p, len, &s, &r))
            __builtin_trap(); /* a reader must never emit a malformed record */
    }
    tm_fields_scratch_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        xmlInitParser();
        tm_evtx_contain_fallback(false); /* the glue in this process, where coverage is counted */
        init = 1;
    }
    const tm_reader *rd = tm_reader_for(FUZZ_KIND);
    tm_source *src = tm_source_mem(data, size);
    tm_emit emit = {0};
    tm_buf_init(&emit.out);
    emit.flush = check_frames;
    tm_extent ext[2] = {{0, size / 2, true}, {size / 2, size - size / 2, false}};
    tm_job job = {.kind = FUZZ_KIND, .path = "fuzz", .name = "fuzz", .size = size, .all = true,
                  .subtype = "SYSTEM", .crtime = INT64_MIN, .mtime = INT64_MIN};
    if (FUZZ_KIND == TM_ART_USN && size > 64 && data[0] & 1) {
        job.extents = ext; /* sometimes with a hole before the data */
        job.nextents = 2;
    }
    tm_read_stats st;
    tm_read_stats_init(&st);
    rd->run(&job, src, &emit, &st);
    tm_emit_flush(&emit);
    tm_buf_free(&emit.out);
    tm_source_close(src);
    return 0;
}

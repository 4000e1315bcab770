/* libFuzzer target: the EVTX reader (our glue around libevtx and libxml2)
 * on arbitrary bytes, through the same memory source and record sink the
 * worker uses. */
#include <stddef.h>
#include <stdint.h>

#include <libxml/parser.h>

#include "readers/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(tm_emit *e)
{
    (void)e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        xmlInitParser();
        tm_evtx_contain_fallback(false); /* the glue in this process, where coverage is counted */
        init = 1;
    }
    tm_source *src = tm_source_mem(data, size);
    tm_emit emit = {0};
    tm_buf_init(&emit.out);
    emit.flush = discard;
    tm_job job = {.kind = TM_ART_EVTX, .path = "fuzz.evtx", .name = "fuzz.evtx", .size = size, .all = true};
    tm_read_stats st;
    tm_read_stats_init(&st);
    tm_read_evtx(&job, src, &emit, &st);
    tm_emit_flush(&emit);
    tm_buf_free(&emit.out);
    tm_source_close(src);
    return 0;
}

/* The record sink of the readers (readers/reader.h): records and problems
 * framed for the worker protocol, batched, and handed to a flush callback
 * (the socket in a worker, stdout or a counter for toolmark-parse run by
 * hand). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "readers/reader.h"
#include "worker/proto.h"

#define FLUSH_AT (256u << 10)

void tm_emit_flush(tm_emit *e)
{
    if (e->out.len && e->flush)
        e->flush(e);
    tm_buf_reset(&e->out);
    e->whole = 0;
}

tm_fields_enc *tm_emit_begin(tm_emit *e, tm_art_kind kind, uint8_t flags, uint64_t position, int64_t time)
{
    e->frame_start = tm_frame_begin(&e->out, TM_MSG_RECORD);
    tm_record_begin(&e->enc, &e->out, (uint8_t)kind, flags, position, time);
    return &e->enc;
}

void tm_emit_end(tm_emit *e)
{
    tm_record_end(&e->enc);
    tm_frame_end(&e->out, e->frame_start);
    e->whole = e->out.len;
    e->records++;
    if (e->fault_at && e->records == e->fault_at)
        raise(SIGSEGV); /* a library's fault mid-artifact, for tests */
    if (e->out.len >= FLUSH_AT)
        tm_emit_flush(e);
}

void tm_emit_abort(tm_emit *e)
{
    e->out.len = e->frame_start;
}

void tm_emit_problem(tm_emit *e, tm_pos_kind kind, uint64_t position, bool fatal, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t start = tm_frame_begin(&e->out, TM_MSG_PROBLEM);
    tm_fields_enc enc;
    tm_fields_begin(&enc, &e->out);
    if (kind != TM_POS_NONE) {
        tm_fenc_uint(&enc, "position", position);
        tm_fenc_uint(&enc, "position_kind", (uint64_t)kind);
    }
    tm_fenc_bool(&enc, "fatal", fatal);
    tm_fenc_str(&enc, "message", msg);
    tm_fields_end(&enc);
    tm_frame_end(&e->out, start);
    e->whole = e->out.len;
    e->problems++;
}

void tm_emit_progress(tm_emit *e, uint64_t seen)
{
    size_t start = tm_frame_begin(&e->out, TM_MSG_PROGRESS);
    tm_buf_put_u64(&e->out, seen);
    tm_frame_end(&e->out, start);
    tm_emit_flush(e);
}

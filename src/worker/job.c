#include "worker/job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/proto.h"

#define MAX_EXTENTS (1u << 20)

void tm_job_encode(tm_buf *b, const tm_job *job, tm_job_bytes mode)
{
    tm_fields_enc e;
    tm_fields_begin(&e, b);
    tm_fenc_uint(&e, "kind", (uint64_t)job->kind);
    tm_fenc_uint(&e, "mode", (uint64_t)mode);
    tm_fenc_str(&e, "path", job->path);
    tm_fenc_str(&e, "name", job->name);
    tm_fenc_str(&e, "user", job->user);
    tm_fenc_str(&e, "subtype", job->subtype);
    tm_fenc_uint(&e, "size", job->size);
    tm_fenc_uint(&e, "part", job->part);
    tm_fenc_uint(&e, "parts", job->parts);
    tm_fenc_bool(&e, "all", job->all);
    tm_fenc_str(&e, "want", job->want);
    tm_fenc_time(&e, "crtime", job->crtime);
    tm_fenc_time(&e, "mtime", job->mtime);
    if (job->extents && job->nextents <= MAX_EXTENTS) {
        tm_buf x;
        tm_buf_init(&x);
        for (size_t i = 0; i < job->nextents; i++) {
            tm_buf_put_u64(&x, job->extents[i].offset);
            tm_buf_put_u64(&x, job->extents[i].length);
            tm_buf_put_u8(&x, job->extents[i].sparse ? 1 : 0);
        }
        tm_fenc_bytes(&e, "extents", x.data, x.len);
        tm_buf_free(&x);
    }
    tm_fields_end(&e);
}

static char *dup_field(const tm_field *f, size_t n, const char *name)
{
    const tm_field *x = tm_field_get(f, n, name);
    return (x && x->type == TM_F_STR) ? tm_xstrdup(x->v.str.s) : NULL;
}

static uint64_t uint_field(const tm_field *f, size_t n, const char *name)
{
    const tm_field *x = tm_field_get(f, n, name);
    return (x && x->type == TM_F_UINT) ? x->v.u : 0;
}

bool tm_job_decode(const uint8_t *p, size_t n, tm_job_owned *out)
{
    memset(out, 0, sizeof *out);
    tm_fields_scratch s = {0};
    size_t nf, used;
    if (!tm_fields_decode(p, n, &s, &nf, &used)) {
        tm_fields_scratch_free(&s);
        return false;
    }
    uint64_t kind = uint_field(s.fields, nf, "kind");
    if (kind >= TM_ART__COUNT) {
        tm_fields_scratch_free(&s);
        return false;
    }
    out->job.kind = (tm_art_kind)kind;
    out->mode = uint_field(s.fields, nf, "mode") == TM_JOB_BYTES_FD ? TM_JOB_BYTES_FD : TM_JOB_BYTES_REMOTE;
    out->path = dup_field(s.fields, nf, "path");
    out->name = dup_field(s.fields, nf, "name");
    out->user = dup_field(s.fields, nf, "user");
    out->subtype = dup_field(s.fields, nf, "subtype");
    out->job.path = out->path ? out->path : "";
    out->job.name = out->name;
    out->job.user = out->user;
    out->job.subtype = out->subtype;
    out->job.size = uint_field(s.fields, nf, "size");
    out->job.part = (uint32_t)uint_field(s.fields, nf, "part");
    out->job.parts = (uint32_t)uint_field(s.fields, nf, "parts");
    if (out->job.parts > 4096 || (out->job.parts && out->job.part >= out->job.parts)) {
        tm_fields_scratch_free(&s);
        tm_job_owned_free(out);
        return false;
    }
    out->want = dup_field(s.fields, nf, "want");
    out->job.want = out->want;
    const tm_field *t = tm_field_get(s.fields, nf, "crtime");
    out->job.crtime = t && t->type == TM_F_TIME ? t->v.i : INT64_MIN;
    t = tm_field_get(s.fields, nf, "mtime");
    out->job.mtime = t && t->type == TM_F_TIME ? t->v.i : INT64_MIN;
    const tm_field *all = tm_field_get(s.fields, nf, "all");
    out->job.all = all && all->type == TM_F_BOOL && all->v.b;
    const tm_field *ex = tm_field_get(s.fields, nf, "extents");
    if (ex && ex->type == TM_F_BYTES && ex->v.str.len % 17 == 0) {
        size_t cnt = ex->v.str.len / 17;
        out->extents = tm_xcalloc(cnt ? cnt : 1, sizeof *out->extents);
        tm_span sp = {(const uint8_t *)ex->v.str.s, ex->v.str.len, false};
        for (size_t i = 0; i < cnt; i++) {
            out->extents[i].offset = tm_span_u64(&sp);
            out->extents[i].length = tm_span_u64(&sp);
            out->extents[i].sparse = tm_span_u8(&sp) != 0;
        }
        out->job.extents = out->extents;
        out->job.nextents = cnt;
    }
    tm_fields_scratch_free(&s);
    return true;
}

void tm_job_owned_free(tm_job_owned *j)
{
    free(j->extents);
    free(j->path);
    free(j->name);
    free(j->user);
    free(j->subtype);
    free(j->want);
    memset(j, 0, sizeof *j);
}

/* The statistics in a DONE frame, one field each. */
#define STATS_U64(X)                                                                                                   \
    X(records) X(recovered) X(skipped) X(total) X(filtered) X(fragments) X(first_id) X(last_id) X(id_gaps) X(ids_missing)

void tm_done_encode(tm_buf *b, int status, const tm_read_stats *st)
{
    tm_fields_enc e;
    tm_fields_begin(&e, b);
    tm_fenc_int(&e, "status", status);
#define ENC(name) tm_fenc_uint(&e, #name, st->name);
    STATS_U64(ENC)
#undef ENC
    tm_fenc_bool(&e, "dirty", st->dirty);
    if (st->label[0])
        tm_fenc_str(&e, "label", st->label);
    tm_fenc_time(&e, "first_time", st->first_time);
    tm_fenc_time(&e, "last_time", st->last_time);
    tm_fields_end(&e);
}

bool tm_done_decode(const uint8_t *p, size_t n, tm_fields_scratch *scratch, int *status, tm_read_stats *st)
{
    size_t nf, used;
    if (!tm_fields_decode(p, n, scratch, &nf, &used))
        return false;
    tm_read_stats_init(st);
    const tm_field *fs = scratch->fields, *f;
#define DEC(name)                                                                                                      \
    if ((f = tm_field_get(fs, nf, #name)) && f->type == TM_F_UINT)                                                    \
        st->name = f->v.u;
    STATS_U64(DEC)
#undef DEC
    if ((f = tm_field_get(fs, nf, "dirty")) && f->type == TM_F_BOOL)
        st->dirty = f->v.b;
    if ((f = tm_field_get(fs, nf, "label")) && f->type == TM_F_STR)
        snprintf(st->label, sizeof st->label, "%s", f->v.str.s);
    if ((f = tm_field_get(fs, nf, "first_time")) && f->type == TM_F_TIME)
        st->first_time = f->v.i;
    if ((f = tm_field_get(fs, nf, "last_time")) && f->type == TM_F_TIME)
        st->last_time = f->v.i;
    f = tm_field_get(fs, nf, "status");
    *status = f && f->type == TM_F_INT ? (int)f->v.i : 0;
    return true;
}

#include "model/artifact.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void tm_input_add_problem(tm_input *in, const char *scope, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (!where)
        where = "";
    /* One damaged directory is met by every path rule that descends
     * through it: say it once (the repeats come in a row). */
    for (size_t i = in->nproblems, seen = 0; i > 0 && seen < 16; i--, seen++) {
        const tm_problem *q = &in->problems[i - 1];
        if (strcmp(q->scope, scope) == 0 && strcmp(q->where, where) == 0 && strcmp(q->message, tmp) == 0)
            return;
    }
    in->problems = tm_xrealloc(in->problems, (in->nproblems + 1) * sizeof *in->problems);
    tm_problem *p = &in->problems[in->nproblems++];
    p->scope = tm_xstrdup(scope);
    p->where = tm_xstrdup(where);
    p->message = tm_xstrdup(tmp);
}

tm_artifact *tm_input_add_artifact(tm_input *in)
{
    in->arts = tm_xrealloc(in->arts, (in->narts + 1) * sizeof *in->arts);
    tm_artifact *a = &in->arts[in->narts++];
    memset(a, 0, sizeof *a);
    a->times.crtime = a->times.mtime = a->times.atime = a->times.ctime = INT64_MIN;
    a->times.fn_crtime = a->times.fn_mtime = a->times.fn_atime = a->times.fn_ctime = INT64_MIN;
    return a;
}

tm_volume *tm_input_add_volume(tm_input *in)
{
    in->vols = tm_xrealloc(in->vols, (in->nvols + 1) * sizeof *in->vols);
    tm_volume *v = &in->vols[in->nvols++];
    memset(v, 0, sizeof *v);
    v->index = -1;
    return v;
}

void tm_artifact_free(tm_artifact *a)
{
    free(a->subtype);
    free(a->path);
    free(a->win_path);
    free(a->stream);
    free(a->user);
}

void tm_artifact_inode_str(const tm_artifact *a, char *out, size_t n)
{
    if (!a->has_inode) {
        if (n)
            out[0] = '\0';
        return;
    }
    snprintf(out, n, "%" PRIu64 "-%" PRIu32 "-%u", a->inode, a->attr_type, (unsigned)a->attr_id);
}

void tm_volume_label(const tm_input *in, const tm_volume *v, char *out, size_t n)
{
    if (in->type == TM_INPUT_FOLDER)
        snprintf(out, n, "folder");
    else if (v->recovered) /* "vol-s2048": named by its first sector */
        snprintf(out, n, "vol-s%llu", (unsigned long long)(v->offset / 512));
    else if (v->index < 0)
        snprintf(out, n, "vol");
    else
        snprintf(out, n, "vol%ld", v->index);
}

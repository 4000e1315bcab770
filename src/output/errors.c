/* errors.jsonl: every problem of the run, one JSON object per line; and the
 * run's list of them. */
#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

void tm_errors_add(tm_errors *es, const char *scope, const char *where, int volume, tm_pos_kind pos_kind,
                   uint64_t pos, bool fatal, const char *message)
{
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 16;
        es->e = tm_xrealloc(es->e, es->cap * sizeof *es->e);
    }
    tm_error *e = &es->e[es->n++];
    e->scope = tm_xstrdup(scope);
    e->where = tm_xstrdup(where ? where : "");
    e->volume = volume;
    e->position_kind = pos_kind;
    e->position = pos_kind != TM_POS_NONE ? pos : 0;
    e->fatal = fatal;
    e->message = tm_xstrdup(message ? message : "");
}

void tm_errors_free(tm_errors *es)
{
    for (size_t i = 0; i < es->n; i++) {
        free(es->e[i].scope);
        free(es->e[i].where);
        free(es->e[i].message);
    }
    free(es->e);
    memset(es, 0, sizeof *es);
}

/* The input's own problems first, then by artifact, position and message:
 * workers report in the order they happen to finish, the file must not. */
static int cmp_error(const void *pa, const void *pb)
{
    const tm_error *a = *(const tm_error *const *)pa, *b = *(const tm_error *const *)pb;
    if ((a->volume < 0) != (b->volume < 0))
        return a->volume < 0 ? -1 : 1;
    if (a->volume != b->volume)
        return a->volume < b->volume ? -1 : 1;
    int c = strcmp(a->where, b->where);
    if (c)
        return c;
    if (a->position_kind != b->position_kind)
        return a->position_kind < b->position_kind ? -1 : 1;
    if (a->position != b->position)
        return a->position < b->position ? -1 : 1;
    c = strcmp(a->message, b->message);
    return c ? c : (a < b ? -1 : a > b); /* the input's problems keep their order */
}

static void write_errors(tm_buf *b, const tm_report *r)
{
    char **labels = tm_volume_labels(r->in);
    const tm_error **order = tm_xmalloc((r->errors->n ? r->errors->n : 1) * sizeof *order);
    for (size_t i = 0; i < r->errors->n; i++)
        order[i] = &r->errors->e[i];
    if (r->errors->n > 1)
        tm_sort(order, r->errors->n, sizeof *order, cmp_error);
    for (size_t i = 0; i < r->errors->n; i++) {
        const tm_error *e = order[i];
        tm_json j;
        tm_json_init(&j, b);
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "input", r->in->path);
        tm_json_kstr(&j, "input_id", r->in->id);
        tm_json_kstr(&j, "scope", e->scope);
        tm_json_kstr(&j, "volume", e->volume >= 0 && (size_t)e->volume < r->in->nvols ? labels[e->volume] : NULL);
        tm_json_kstr(&j, "where", e->where);
        tm_json_key(&j, "position");
        if (e->position_kind != TM_POS_NONE)
            tm_json_uint(&j, e->position);
        else
            tm_json_null(&j);
        tm_json_kstr(&j, "position_kind", tm_pos_name(e->position_kind));
        tm_json_kbool(&j, "fatal", e->fatal);
        tm_json_kstr(&j, "message", e->message);
        tm_json_obj_end(&j);
        tm_buf_putc(b, '\n');
    }
    free(order);
    tm_volume_labels_free(r->in, labels);
}

const tm_output_format tm_format_errors = {"errors", "errors.jsonl", write_errors, true};

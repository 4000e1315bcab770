/* errors.jsonl: every problem of the run, one JSON object per line; and the
 * run's list of them. */
#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

void tm_errors_add(tm_errors *es, const char *scope, const char *where, int volume, bool has_pos, uint64_t pos,
                   bool fatal, const char *message)
{
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 16;
        es->e = tm_xrealloc(es->e, es->cap * sizeof *es->e);
    }
    tm_error *e = &es->e[es->n++];
    e->scope = tm_xstrdup(scope);
    e->where = tm_xstrdup(where ? where : "");
    e->volume = volume;
    e->has_position = has_pos;
    e->position = pos;
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

static void write_errors(tm_buf *b, const tm_report *r)
{
    char **labels = tm_volume_labels(r->in);
    for (size_t i = 0; i < r->errors->n; i++) {
        const tm_error *e = &r->errors->e[i];
        tm_json j;
        tm_json_init(&j, b);
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "input", r->in->path);
        tm_json_kstr(&j, "input_id", r->in->id);
        tm_json_kstr(&j, "scope", e->scope);
        tm_json_kstr(&j, "volume", e->volume >= 0 && (size_t)e->volume < r->in->nvols ? labels[e->volume] : NULL);
        tm_json_kstr(&j, "where", e->where);
        tm_json_key(&j, "position");
        if (e->has_position)
            tm_json_uint(&j, e->position);
        else
            tm_json_null(&j);
        tm_json_kbool(&j, "fatal", e->fatal);
        tm_json_kstr(&j, "message", e->message);
        tm_json_obj_end(&j);
        tm_buf_putc(b, '\n');
    }
    tm_volume_labels_free(r->in, labels);
}

const tm_output_format tm_format_errors = {"errors", "errors.jsonl", write_errors, true};

#include "model/record_json.h"

#include <string.h>

#include "model/artifact.h"

void tm_record_json(tm_buf *out, const tm_record *r, const tm_record_origin *o, const tm_kv *extra, size_t nextra)
{
    tm_json j;
    tm_json_init(&j, out);
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "kind", tm_art_kind_name((tm_art_kind)r->kind));
    if (o) {
        if (o->input)
            tm_json_kstr(&j, "input", o->input);
        if (o->input_id)
            tm_json_kstr(&j, "input_id", o->input_id);
        if (o->volume)
            tm_json_kstr(&j, "volume", o->volume);
        tm_json_kstr(&j, "path", o->path);
        if (o->stream)
            tm_json_kstr(&j, "stream", o->stream);
        if (o->origin)
            tm_json_kstr(&j, "origin", o->origin);
    }
    tm_json_kuint(&j, "position", r->position);
    tm_json_kbool(&j, "recovered", (r->flags & TM_REC_RECOVERED) != 0);
    tm_json_ktime(&j, "time", r->time);
    /* Fields named "data.X" (EVTX EventData/UserData) are grouped under
     * "data"; all others are top-level, in the reader's order. */
    bool has_data = false;
    for (size_t i = 0; i < r->nfields; i++) {
        const tm_field *f = &r->fields[i];
        if (strncmp(f->name, "data.", 5) == 0) {
            has_data = true;
            continue;
        }
        tm_json_key(&j, f->name);
        tm_json_field_value(&j, f);
    }
    for (size_t i = 0; i < nextra; i++)
        tm_json_kstr(&j, extra[i].name, extra[i].value);
    if (has_data) {
        tm_json_key(&j, "data");
        tm_json_obj_begin(&j);
        for (size_t i = 0; i < r->nfields; i++) {
            const tm_field *f = &r->fields[i];
            if (strncmp(f->name, "data.", 5) != 0)
                continue;
            tm_json_key(&j, f->name + 5);
            tm_json_field_value(&j, f);
        }
        tm_json_obj_end(&j);
    }
    tm_json_obj_end(&j);
    tm_buf_putc(out, '\n');
}

#include "model/artifact_json.h"

#include <inttypes.h>
#include <stdio.h>

static const char *status_name(tm_vol_status s)
{
    switch (s) {
    case TM_VOL_OK: return "ok";
    case TM_VOL_SKIPPED: return "skipped";
    case TM_VOL_UNREADABLE: return "unreadable";
    }
    return "unknown";
}

void tm_json_input(tm_json *j, const tm_input *in)
{
    tm_json_kstr(j, "input", in->path);
    tm_json_kstr(j, "input_id", in->id);
}

void tm_json_input_media(tm_json *j, const tm_input *in)
{
    tm_json_kstr(j, "format", in->format);
    tm_json_kstr(j, "partition_table", in->vs_type);
    tm_json_kuint(j, "size", in->size);
    tm_json_kuint(j, "segments", in->segments);
    tm_json_kbool(j, "opened", in->opened);
    tm_json_kbool(j, "damaged", in->damaged);
}

void tm_json_volume(tm_json *j, const tm_input *in, const tm_volume *v)
{
    tm_json_obj_begin(j);
    tm_json_kstr(j, "type", "volume");
    tm_json_input(j, in);
    char label[32];
    tm_volume_label(in, v, label, sizeof label);
    tm_json_kstr(j, "volume", label);
    tm_json_key(j, "partition");
    if (v->index >= 0)
        tm_json_int(j, v->index);
    else
        tm_json_null(j);
    tm_json_kuint(j, "offset", v->offset);
    tm_json_kuint(j, "length", v->length);
    tm_json_kstr(j, "description", v->desc);
    tm_json_kstr(j, "fs", v->fs_type);
    tm_json_key(j, "serial");
    if (v->has_serial) {
        char s[20];
        snprintf(s, sizeof s, "%016" PRIX64, v->serial);
        tm_json_str(j, s);
    } else {
        tm_json_null(j);
    }
    tm_json_kstr(j, "status", status_name(v->status));
    tm_json_kstr(j, "reason", v->reason);
    if (v->recovery.deleted_logs || v->recovery.deleted_logs_reused || v->recovery.chunks ||
        v->recovery.chunks_salvaged || v->recovery.signatures_rejected || v->recovery.chunks_repeated) {
        /* only where recovery met something: other outputs stay as they were */
        tm_json_key(j, "recovery");
        tm_json_obj_begin(j);
        tm_json_kuint(j, "deleted_logs", v->recovery.deleted_logs);
        tm_json_kuint(j, "deleted_logs_reused", v->recovery.deleted_logs_reused);
        tm_json_kuint(j, "chunks", v->recovery.chunks);
        tm_json_kuint(j, "chunks_salvaged", v->recovery.chunks_salvaged);
        tm_json_kuint(j, "signatures_rejected", v->recovery.signatures_rejected);
        tm_json_kuint(j, "chunks_repeated", v->recovery.chunks_repeated);
        tm_json_obj_end(j);
    }
    if (v->nshadows) { /* written only where there are some: other outputs stay as they were */
        tm_json_key(j, "shadow_copies");
        tm_json_arr_begin(j);
        for (size_t i = 0; i < v->nshadows; i++) {
            tm_json_obj_begin(j);
            tm_json_kstr(j, "id", v->shadows[i].id);
            tm_json_ktime(j, "created", v->shadows[i].created);
            tm_json_kbool(j, "opened", v->shadows[i].opened);
            tm_json_obj_end(j);
        }
        tm_json_arr_end(j);
    }
    tm_json_obj_end(j);
}

static void times_obj(tm_json *j, int64_t cr, int64_t m, int64_t a, int64_t c)
{
    tm_json_obj_begin(j);
    tm_json_ktime(j, "crtime", cr);
    tm_json_ktime(j, "mtime", m);
    tm_json_ktime(j, "atime", a);
    tm_json_ktime(j, "ctime", c);
    tm_json_obj_end(j);
}

void tm_json_artifact(tm_json *j, const tm_input *in, const tm_artifact *a)
{
    tm_json_obj_begin(j);
    tm_json_kstr(j, "type", "artifact");
    tm_json_input(j, in);
    const tm_volume *v = &in->vols[a->volume];
    char label[32];
    tm_volume_label(in, v, label, sizeof label);
    tm_json_kstr(j, "volume", label);
    tm_json_kuint(j, "volume_offset", v->offset);
    tm_json_kstr(j, "kind", tm_art_kind_name(a->kind));
    char origin[TM_ORIGIN_TEXT_MAX];
    tm_origin_text(&a->origin, origin, sizeof origin);
    tm_json_kstr(j, "origin", origin);
    tm_json_kstr(j, "subtype", a->subtype);
    tm_json_kstr(j, "path", a->path);
    tm_json_kstr(j, "win_path", a->win_path);
    tm_json_kstr(j, "stream", a->stream);
    tm_json_kstr(j, "user", a->user);
    tm_json_key(j, "inode");
    if (a->has_inode) {
        char ino[64];
        tm_artifact_inode_str(a, ino, sizeof ino);
        tm_json_str(j, ino);
    } else {
        tm_json_null(j);
    }
    tm_json_key(j, "mft_entry");
    if (a->has_inode)
        tm_json_uint(j, a->inode);
    else
        tm_json_null(j);
    tm_json_key(j, "mft_sequence");
    if (a->has_inode)
        tm_json_uint(j, a->seq);
    else
        tm_json_null(j);
    tm_json_kuint(j, "size", a->size);
    tm_json_kbool(j, "by_signature", a->signature_match);
    tm_json_key(j, "si_times");
    times_obj(j, a->times.crtime, a->times.mtime, a->times.atime, a->times.ctime);
    tm_json_key(j, "fn_times");
    if (a->times.has_fn)
        times_obj(j, a->times.fn_crtime, a->times.fn_mtime, a->times.fn_atime, a->times.fn_ctime);
    else
        tm_json_null(j);
    tm_json_obj_end(j);
}

void tm_json_problem(tm_json *j, const tm_input *in, const tm_problem *p)
{
    tm_json_obj_begin(j);
    tm_json_kstr(j, "type", "problem");
    tm_json_input(j, in);
    tm_json_kstr(j, "scope", p->scope);
    tm_json_kstr(j, "where", p->where);
    tm_json_kstr(j, "message", p->message);
    tm_json_obj_end(j);
}


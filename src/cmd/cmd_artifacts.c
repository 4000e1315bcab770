/* toolmark artifacts: what the image layer finds, per input and volume. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/msg.h"

static const char usage[] =
    "Usage: toolmark artifacts [--json] [--verify] INPUT...\n"
    "\n"
    "List the Windows artifacts found in each INPUT (disk image or folder of\n"
    "collected files), with a line per volume that was skipped or unreadable.\n"
    "\n"
    "  --json      one JSON object per line (type: input, volume, artifact, problem)\n"
    "  --verify    read the whole image and check it against the hashes an E01\n"
    "              stored at acquisition (a mismatch is damage)\n"
    "  -h, --help  this help\n";

typedef struct {
    bool json;
    bool verify;
} opts;

static const char *vol_status(tm_vol_status s)
{
    return s == TM_VOL_OK ? "ok" : s == TM_VOL_SKIPPED ? "skipped" : "unreadable";
}

static void human(tm_input *in)
{
    tm_buf b;
    tm_buf_init(&b);
    /* every line escaped for the terminal: names are evidence */
    char geometry[160] = "";
    if (in->type == TM_INPUT_IMAGE)
        snprintf(geometry, sizeof geometry, ", %u segment%s, %" PRIu64 " bytes, partition table: %s", in->segments,
                 in->segments == 1 ? "" : "s", in->size, in->vs_type ? in->vs_type : "?");
    tm_buf_term_line(&b, "== %s  [%s%s]", in->path, in->format ? in->format : "?", geometry);
    if (in->type == TM_INPUT_IMAGE && in->nvols) {
        tm_buf_term_line(&b, "  %-10s %12s %-6s %-16s %s\n", "volume", "offset", "fs", "serial", "status");
        for (size_t i = 0; i < in->nvols; i++) {
            tm_volume *v = &in->vols[i];
            char label[32], serial[20] = "-";
            tm_volume_label(in, v, label, sizeof label);
            if (v->has_serial)
                snprintf(serial, sizeof serial, "%016" PRIX64, v->serial);
            tm_buf_term_line(&b, "  %-10s %12" PRIu64 " %-6s %-16s %s%s%s\n", label, v->offset,
                          v->fs_type ? v->fs_type : "-", serial, vol_status(v->status), v->reason ? ": " : "",
                          v->reason ? v->reason : "");
        }
    }
    if (in->narts) {
        tm_buf_term_line(&b, "  %-12s %-8s %10s  %-26s %s\n", "kind", "subtype", "size", "modified (UTC)", "path");
        for (size_t i = 0; i < in->narts; i++) {
            tm_artifact *a = &in->arts[i];
            char iso[TM_TIME_ISO_LEN], label[32];
            tm_time_iso(a->times.mtime, iso);
            tm_volume_label(in, &in->vols[a->volume], label, sizeof label);
            tm_buf_term_line(&b, "  %-12s %-8s %10" PRIu64 "  %-26.26s %s:%s%s%s%s\n", tm_art_kind_name(a->kind),
                          a->subtype ? a->subtype : "-", a->size, *iso ? iso : "-", label, a->path,
                          a->stream ? ":" : "", a->stream ? a->stream : "",
                          a->signature_match ? "  (by signature)" : "");
        }
    } else if (in->opened) {
        tm_buf_term_line(&b, "  no artifacts found");
    }
    for (size_t i = 0; i < in->nproblems; i++) {
        tm_problem *p = &in->problems[i];
        tm_buf_term_line(&b, "  problem (%s) %s: %s\n", p->scope, p->where, p->message);
    }
    tm_flush_stdout(&b);
    tm_buf_free(&b);
}

static void json(tm_input *in)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_json j;
    tm_json_init(&j, &b);
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "type", "input");
    tm_json_input(&j, in);
    tm_json_input_media(&j, in);
    tm_json_kstr(&j, "stored_md5", in->stored_md5);
    tm_json_kstr(&j, "stored_sha1", in->stored_sha1);
    tm_json_kstr(&j, "computed_md5", in->computed_md5);
    tm_json_kstr(&j, "computed_sha1", in->computed_sha1);
    tm_json_kuint(&j, "ewf_checksum_errors", in->checksum_errors);
    tm_json_kbool(&j, "access_times_kept", in->noatime);
    tm_json_obj_end(&j);
    tm_buf_putc(&b, '\n');
    for (size_t i = 0; i < in->nvols; i++) {
        tm_json_init(&j, &b);
        tm_json_volume(&j, in, &in->vols[i]);
        tm_buf_putc(&b, '\n');
    }
    for (size_t i = 0; i < in->narts; i++) {
        tm_json_init(&j, &b);
        tm_json_artifact(&j, in, &in->arts[i]);
        tm_buf_putc(&b, '\n');
        if (b.len > 1 << 16)
            tm_flush_stdout(&b);
    }
    for (size_t i = 0; i < in->nproblems; i++) {
        tm_json_init(&j, &b);
        tm_json_problem(&j, in, &in->problems[i]);
        tm_buf_putc(&b, '\n');
    }
    tm_flush_stdout(&b);
    tm_buf_free(&b);
}

static int per_input(tm_input *in, void *ctx)
{
    opts *o = ctx;
    /* before the listing, which shows what they find */
    if (o->verify && in->opened && tm_input_verify(in) < 0)
        tm_msg("%s: --verify: the input stores no acquisition hash; nothing to verify against", in->path);
    tm_input_recheck(in);
    if (o->json)
        json(in);
    else
        human(in);
    if (!in->opened)
        tm_msg("%s: nothing could be read\n", in->path);
    return (in->nproblems || !in->opened) ? TM_EXIT_PARTIAL : TM_EXIT_OK;
}

int cmd_artifacts(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"json", no_argument, NULL, 'j'}, {"verify", no_argument, NULL, 'V'}, {"help", no_argument, NULL, 'h'}, {0}};
    opts o = {0};
    int c;
    optind = 1;
    while ((c = tm_getopt("artifacts", argc, argv, "h", lopts)) != -1) {
        switch (c) {
        case 'j': o.json = true; break;
        case 'V': o.verify = true; break;
        case 'h': fputs(usage, stdout); return TM_EXIT_OK;
        default: return TM_EXIT_USAGE; /* said by tm_getopt */
        }
    }
    if (optind >= argc) {
        tm_usage_error("artifacts", "no INPUT given");
        return TM_EXIT_USAGE;
    }
    return tm_run_inputs(argv + optind, (size_t)(argc - optind), per_input, &o);
}

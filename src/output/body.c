/* traces.body: The Sleuth Kit's body file, for mactime. One line per
 * trace, unique: the inode field is the MFT entry of the artifact the trace
 * cites first (entry-type-id, as istat and icat take it), and the name says
 * what and where: the tool or activity, role and confidence, the host, the
 * message and the record (and where it was found, when not live). mactime
 * merges lines whose time, inode and name are equal, so each of those must
 * tell traces apart. */
#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "util/timeutil.h"

/* A body-file name is decoded by mactime (%XX); '|' separates fields and a
 * line is a record, so those and '%' itself are encoded (util/text.c). */
static void body_name(tm_buf *b, const char *s)
{
    tm_put_escaped(b, s ? s : "", s ? strlen(s) : 0, &tm_escapes_body);
}

static void write_body(tm_buf *b, const tm_report *r)
{
    tm_art_lookup *arts = tm_art_lookup_new(r->in);
    char **labels = tm_volume_labels(r->in);
    tm_buf name;
    tm_buf_init(&name);
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        const tm_evidence *e0 = t->nev ? &t->ev[0] : NULL;
        char who[200], inode[64] = "0";
        tm_buf_reset(&name);
        tm_buf_printf(&name, "[toolmark] %s (%s, %s)", tm_trace_who(t, who, sizeof who), tm_role_name(t->role),
                      t->confirmed ? "confirmed" : "indicator");
        const char *host = t->host ? t->host : r->host;
        if (host)
            tm_buf_printf(&name, " on %s", host);
        tm_buf_printf(&name, ": %s", t->message ? t->message : "");
        if (e0) {
            const char *vol = e0->volume >= 0 && (size_t)e0->volume < r->in->nvols ? labels[e0->volume] : "";
            tm_buf_printf(&name, " [%s:%s%s%s %s %llu", e0->kind, vol, *vol ? "/" : "", e0->path,
                          e0->record_name ? e0->record_name : "record", (unsigned long long)e0->record);
            if (e0->event_id)
                tm_buf_printf(&name, ", %s %u", e0->channel ? e0->channel : "", e0->event_id);
            tm_buf_putc(&name, ']');
            /* a record found only in a shadow copy or carved says so, as in
             * traces.csv: the timeline shows it is not in the live log */
            const char *origin = tm_evidence_recovered_origin(e0);
            if (origin)
                tm_buf_printf(&name, " [%s]", origin);
            const tm_artifact *a = tm_art_lookup_find(arts, e0);
            if (a && a->has_inode)
                tm_artifact_inode_str(a, inode, sizeof inode);
        }
        /* time 0 for a trace without a time: the body file's "no time";
         * mactime leaves such lines out, the file keeps them */
        long long sec = 0;
        if (t->time != TM_TIME_NONE)
            sec = t->time >= 0 ? t->time / 1000000 : -((-t->time + 999999) / 1000000);
        /* MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime */
        tm_buf_puts(b, "0|");
        body_name(b, tm_buf_cstr(&name));
        tm_buf_printf(b, "|%s|----------|0|0|0|%lld|%lld|%lld|%lld\n", inode, sec, sec, sec, sec);
    }
    tm_buf_free(&name);
    tm_volume_labels_free(r->in, labels);
    tm_art_lookup_free(arts);
}

const tm_output_format tm_format_body = {"body", "traces.body", write_body, true};

/* The table of output formats: one file each in src/output/, one line here.
 * The order is the order the files are written in. */
#include "output/outputs.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileout.h"
#include "util/lifetime.h"
#include "util/msg.h"

extern const tm_output_format tm_format_jsonl, tm_format_csv, tm_format_l2tcsv, tm_format_body, tm_format_summary,
    tm_format_html, tm_format_errors, tm_format_events;

const tm_output_format *const tm_output_formats_table[] = {
    &tm_format_jsonl, &tm_format_csv,  &tm_format_l2tcsv, &tm_format_body,
    &tm_format_summary, &tm_format_html, &tm_format_errors, &tm_format_events,
};
const size_t tm_output_format_count = sizeof tm_output_formats_table / sizeof tm_output_formats_table[0];
_Static_assert(sizeof tm_output_formats_table / sizeof tm_output_formats_table[0] <= 32, "a mask bit per format");

unsigned tm_output_bit(const char *name)
{
    for (size_t i = 0; i < tm_output_format_count; i++)
        if (strcmp(tm_output_formats_table[i]->name, name) == 0)
            return 1u << i;
    return 0;
}

unsigned tm_output_all(void)
{
    unsigned mask = 0;
    for (size_t i = 0; i < tm_output_format_count; i++)
        if (tm_output_formats_table[i]->in_all)
            mask |= 1u << i;
    return mask;
}

const tm_output_format *tm_output_format_named(const char *name)
{
    for (size_t i = 0; i < tm_output_format_count; i++)
        if (strcmp(tm_output_formats_table[i]->name, name) == 0)
            return tm_output_formats_table[i];
    return NULL;
}

unsigned tm_output_formats(const char *list, const char **bad)
{
    unsigned mask = 0;
    char *copy = tm_xstrdup(list), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned bit = strcmp(t, "all") == 0 ? tm_output_all() : tm_output_bit(t);
        if (!bit) {
            static char badname[64];
            snprintf(badname, sizeof badname, "%s", t);
            if (bad)
                *bad = badname;
            free(copy);
            return 0;
        }
        mask |= bit;
    }
    free(copy);
    return mask;
}

static int to_file(void *ctx, const void *p, size_t n)
{
    return tm_fileout_write(ctx, p, n);
}

/* Writes format f of r under a temporary name next to dir/f->file, a
 * megabyte at a time; 0, or -1 after saying why. */
static int write_temp(tm_fileout *out, const char *dir, const tm_output_format *f, const tm_report *r)
{
    char *path = tm_xasprintf("%s/%s", dir, f->file);
    int rc = tm_fileout_open(out, path);
    if (rc == 0) {
        tm_buf b;
        tm_buf_init(&b);
        tm_buf_sink(&b, to_file, out);
        f->write(&b, r);
        bool ok = tm_buf_flush(&b) && !out->failed;
        tm_buf_free(&b);
        if (!ok) {
            int e = out->saved_errno;
            tm_fileout_abort(out);
            errno = e;
            rc = -1;
        }
    }
    if (rc != 0)
        tm_msg("cannot write %s: %s", path, strerror(errno));
    free(path);
    return rc;
}

/* Renames one written file into place; 0, or -1 after saying why. */
static int commit(tm_fileout *f)
{
    char *path = tm_xstrdup(f->final_path);
    int rc = tm_fileout_commit(f);
    if (rc != 0)
        tm_msg("cannot write %s: %s", path, strerror(errno));
    free(path);
    return rc;
}

/* Every file is written in full under a temporary name first; then they are
 * renamed into place, summary.json last and only when every other file was
 * written: a summary.json marks a complete set. A run whose supervisor has
 * gone publishes nothing. */
int tm_write_outputs(const char *dir, const tm_report *r, unsigned mask)
{
    if (tm_mkdirs(dir, 0755) != 0) {
        tm_msg("cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    tm_fileout files[32];
    bool open[32] = {false};
    size_t summary = SIZE_MAX;
    for (size_t i = 0; i < tm_output_format_count; i++) {
        const tm_output_format *f = tm_output_formats_table[i];
        if (!(mask & (1u << i)) || !f->write)
            continue;
        if (write_temp(&files[i], dir, f, r) == 0)
            open[i] = true;
        else
            rc = -1;
        if (f == &tm_format_summary)
            summary = i;
    }
    for (size_t i = 0; i < tm_output_format_count; i++) {
        if (!open[i] || i == summary)
            continue;
        if (!tm_parent_alive()) {
            tm_fileout_abort(&files[i]);
            rc = -1;
        } else if (commit(&files[i]) != 0) {
            rc = -1;
        }
    }
    if (summary != SIZE_MAX && open[summary]) {
        if (rc != 0 || !tm_parent_alive())
            tm_fileout_abort(&files[summary]);
        else if (commit(&files[summary]) != 0)
            rc = -1;
    }
    return rc;
}

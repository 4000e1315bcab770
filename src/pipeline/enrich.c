#include "pipeline/enrich.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/timeutil.h"

static void add(tm_enrichment *e, const char *name, const char *value, char *owned_value, char *owned_name)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        e->kv = tm_xrealloc(e->kv, e->cap * sizeof *e->kv);
        e->owned = tm_xrealloc(e->owned, 2 * e->cap * sizeof *e->owned);
    }
    e->kv[e->n].name = name;
    e->kv[e->n].value = value;
    e->owned[2 * e->n] = owned_value;
    e->owned[2 * e->n + 1] = owned_name;
    e->n++;
}

static void usn_paths(tm_input *in, const tm_artifact *a, const tm_record *r, tm_enrichment *out)
{
    uint64_t entry, seq;
    if (!tm_record_uint(r, "parent_mft_entry", &entry) || !tm_record_uint(r, "parent_mft_sequence", &seq))
        return;
    const char *why = NULL;
    const char *parent = tm_input_mft_path(in, a->volume, entry, (uint32_t)seq, &why);
    if (parent) {
        add(out, "parent_path", parent, NULL, NULL);
        const char *name = tm_record_str(r, "file_name");
        if (name) {
            char *full = *parent ? tm_xasprintf("%s/%s", parent, name) : tm_xstrdup(name);
            add(out, "file_path", full, full, NULL);
        }
    } else {
        add(out, "parent_path", NULL, NULL, NULL);
        add(out, "parent_path_note", why ? why : "unresolved", NULL, NULL);
    }
}

void tm_enrich(tm_input *in, const tm_artifact *a, const tm_record *r, const tm_hostinfo *host, tm_enrichment *out)
{
    out->n = 0;
    usn_paths(in, a, r, out); /* records that name a parent directory by MFT reference */
    if (!host || !host->tz_known)
        return;
    for (size_t i = 0; i < r->nfields; i++) {
        const tm_field *f = &r->fields[i];
        if (f->type != TM_F_LOCALTIME)
            continue;
        int64_t utc;
        if (!tm_hostinfo_local_to_utc(host, f->v.i, &utc))
            continue;
        char iso[TM_TIME_ISO_LEN];
        tm_time_iso(utc, iso);
        char *name = tm_xasprintf("%s_utc", f->name);
        char *value = tm_xstrdup(iso);
        add(out, name, value, value, name);
    }
}

void tm_enrichment_free(tm_enrichment *e)
{
    for (size_t i = 0; i < 2 * e->n; i++)
        free(e->owned[i]);
    free(e->owned);
    free(e->kv);
    e->kv = NULL;
    e->owned = NULL;
    e->n = e->cap = 0;
}

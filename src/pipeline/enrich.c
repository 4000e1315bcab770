#include "pipeline/enrich.h"

#include <stdlib.h>

static void add(tm_enrichment *e, const char *name, const char *value, char *owned)
{
    if (e->n >= TM_ENRICH_MAX) {
        free(owned);
        return;
    }
    e->kv[e->n].name = name;
    e->kv[e->n].value = value;
    e->owned[e->n] = owned;
    e->n++;
}

void tm_enrich(tm_input *in, const tm_artifact *a, const tm_record *r, tm_enrichment *out)
{
    out->n = 0;
    if (r->kind != TM_ART_USN)
        return;
    uint64_t entry, seq;
    if (!tm_record_uint(r, "parent_mft_entry", &entry) || !tm_record_uint(r, "parent_mft_sequence", &seq))
        return;
    const char *why = NULL;
    const char *parent = tm_input_mft_path(in, a->volume, entry, (uint32_t)seq, &why);
    if (parent) {
        add(out, "parent_path", parent, NULL);
        const char *name = tm_record_str(r, "file_name");
        if (name) {
            char *full = *parent ? tm_xasprintf("%s/%s", parent, name) : tm_xstrdup(name);
            add(out, "file_path", full, full);
        }
    } else {
        add(out, "parent_path", NULL, NULL);
        add(out, "parent_path_note", why ? why : "unresolved", NULL);
    }
}

void tm_enrichment_free(tm_enrichment *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->owned[i]);
    e->n = 0;
}

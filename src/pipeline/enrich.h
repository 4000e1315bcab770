/* What the coordinator adds to a record from the image it owns: facts the
 * parser worker cannot know (it never sees the file system). */
#ifndef TM_ENRICH_H
#define TM_ENRICH_H

#include "image/input.h"
#include "worker/record.h"
#include "worker/record_json.h"

#define TM_ENRICH_MAX 4

typedef struct {
    tm_kv kv[TM_ENRICH_MAX];
    size_t n;
    char *owned[TM_ENRICH_MAX];
} tm_enrichment;

/* USN records: parent_path and file_path through the MFT (or
 * parent_path_note saying why not). */
void tm_enrich(tm_input *in, const tm_artifact *a, const tm_record *r, tm_enrichment *out);
void tm_enrichment_free(tm_enrichment *e);

#endif

/* What the coordinator adds to a record from the image it owns and the host
 * facts it has gathered: facts the parser worker cannot know (it never sees
 * the file system or the other artifacts). */
#ifndef TM_ENRICH_H
#define TM_ENRICH_H

#include "image/input.h"
#include "pipeline/hostinfo.h"
#include "model/record.h"
#include "model/record_json.h"

typedef struct {
    tm_kv *kv;
    size_t n, cap;
    char **owned;
} tm_enrichment;

/* USN records: parent_path and file_path through the MFT (or
 * parent_path_note saying why not). Local-time fields: "<name>_utc" when the
 * host's time zone is known. host may be NULL. */
void tm_enrich(tm_input *in, const tm_artifact *a, const tm_record *r, const tm_hostinfo *host, tm_enrichment *out);
void tm_enrichment_free(tm_enrichment *e);

#endif

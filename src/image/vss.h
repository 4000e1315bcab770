/* Volume shadow copies through libvshadow, loaded into a link-map namespace
 * of its own (dlmopen): libvshadow links the system's libbfio, whose
 * symbols libewf's bundled copies clash with in this process (the reason
 * for toolmark-parse, docs/architecture.md). libvshadow reads the volume
 * through a libbfio handle whose reads are tsk_img_read calls, and each
 * store goes back to TSK as an image of its own (tsk_img_open_external), so
 * the locator and the read server work on it as on the live volume. */
#ifndef TM_VSS_H
#define TM_VSS_H

#include <stdbool.h>
#include <stdint.h>

#include <tsk/libtsk.h>

#include "model/origin.h"

typedef struct tm_vss tm_vss;

/* The shadow copies of the NTFS volume at [offset, offset+length) of img:
 * NULL when there are none or libvshadow cannot be loaded (then *why says
 * so, else it is NULL). */
tm_vss *tm_vss_open(TSK_IMG_INFO *img, uint64_t offset, uint64_t length, const char **why);
size_t tm_vss_count(const tm_vss *v);
/* Store i as an image (the volume as it was; closed by tm_vss_close) and
 * its origin (identifier, creation time). NULL when it cannot be read. */
TSK_IMG_INFO *tm_vss_store(tm_vss *v, size_t i, tm_origin *origin);
/* Closes the stores' images (after the file systems opened on them), then
 * the volume. */
void tm_vss_close(tm_vss *v);

#endif

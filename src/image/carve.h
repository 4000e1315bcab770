/* EVTX chunks carved from the unallocated clusters of NTFS volumes: each
 * chunk found (both CRC32s holding, or a valid header over records cut
 * short) becomes an artifact of kind evtx-chunk with origin carved:<offset>,
 * whose bytes are a one-chunk EVTX file (a file header made in memory, then
 * the chunk as the image holds it). docs/recovery.md. */
#ifndef TM_CARVE_H
#define TM_CARVE_H

#include <tsk/libtsk.h>

#include "image/input.h"

/* Carves the volume's unallocated clusters (its $Bitmap says which), in one
 * sequential pass; adds the chunks found to in->arts. */
void tm_carve_volume(tm_input *in, TSK_IMG_INFO *img, TSK_FS_INFO *fs, int vol);

/* The bytes of a carved chunk's artifact. */
tm_art_reader *tm_carve_open(TSK_IMG_INFO *img, const tm_artifact *a, char *err, size_t errlen);

#endif

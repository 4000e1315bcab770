/* A libbfio handle over a tm_source, so that libevtx, libregf and libscca
 * read artifact bytes from wherever the worker gets them (a passed fd, the
 * coordinator's read server, or memory in tests and fuzzers). */
#ifndef TM_BFIO_BRIDGE_H
#define TM_BFIO_BRIDGE_H

#include <libbfio.h>

#include "readers/reader.h"

/* Returns NULL on failure. The handle borrows src. */
libbfio_handle_t *tm_bfio_from_source(tm_source *src);
void tm_bfio_free(libbfio_handle_t **h);

#endif

/* A view of a hive in which cells that would make libregf allocate without
 * bound are made harmless (regf_guard.c says which, and why). */
#ifndef TM_REGF_GUARD_H
#define TM_REGF_GUARD_H

#include <stddef.h>

#include "readers/reader.h"

/* src itself when nothing needs clamping, else a source over src (close it
 * with tm_source_close; src stays open). Each clamp is a problem on out. */
tm_source *tm_regf_guard(tm_source *src, tm_emit *out, size_t *nclamped);

#endif

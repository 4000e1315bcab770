/* A bump allocator for data that lives and dies together (a host's kept
 * records): no per-object malloc header, freed in one go. */
#ifndef TM_ARENA_H
#define TM_ARENA_H

#include <stddef.h>

typedef struct tm_arena_block tm_arena_block;

typedef struct {
    tm_arena_block *head;
    size_t used;  /* in head */
    size_t bytes; /* allocated in all blocks, for the memory statistics */
} tm_arena;

void tm_arena_init(tm_arena *a);
/* n bytes, 8-aligned, valid until tm_arena_free. */
void *tm_arena_alloc(tm_arena *a, size_t n);
void tm_arena_free(tm_arena *a);

#endif

/* A bump allocator for data that lives and dies together (a host's kept
 * records): no per-object malloc header, freed in one go. */
#ifndef TM_ARENA_H
#define TM_ARENA_H

#include <stddef.h>

typedef struct tm_arena_block tm_arena_block;
typedef struct tm_spill tm_spill;

typedef struct {
    tm_arena_block *head; /* the block being filled */
    tm_arena_block *heap; /* the blocks from the heap, linked, to be freed (those in a spill
                             file are never walked again: visiting them would map them back) */
    size_t used;  /* in head */
    size_t bytes; /* allocated in all blocks, for the memory statistics */
    tm_spill *spill; /* where blocks come from: NULL the heap, else a file on disk (util/spill.h) */
} tm_arena;

void tm_arena_init(tm_arena *a);
/* Blocks from s from now on (the arena's data then spills to disk); s owns
 * them: tm_arena_free forgets them, tm_spill_free releases them. */
void tm_arena_use_spill(tm_arena *a, tm_spill *s);
/* n bytes, 8-aligned, valid until tm_arena_free. */
void *tm_arena_alloc(tm_arena *a, size_t n);
void tm_arena_free(tm_arena *a);

#endif

#include "util/arena.h"

#include <stdbool.h>
#include <stdlib.h>

#include "util/buf.h"
#include "util/spill.h"

#define BLOCK (1u << 20)

struct tm_arena_block {
    tm_arena_block *next; /* the previous heap block (heap blocks only) */
    size_t size;
    max_align_t data[];
};

void tm_arena_init(tm_arena *a)
{
    a->head = a->heap = NULL;
    a->used = a->bytes = 0;
    a->spill = NULL;
}

void tm_arena_use_spill(tm_arena *a, tm_spill *s)
{
    a->spill = s;
    a->used = a->head ? a->head->size : 0; /* the next allocation opens a block there */
}

void *tm_arena_alloc(tm_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->used + n > a->head->size) {
        size_t size = n > BLOCK ? n : BLOCK;
        tm_arena_block *b = a->spill ? tm_spill_alloc(a->spill, sizeof *b + size) : NULL;
        if (b) {
            b->next = NULL;
        } else {
            b = tm_xmalloc(sizeof *b + size); /* no spill, or its file cannot grow */
            b->next = a->heap;
            a->heap = b;
        }
        b->size = size;
        a->head = b;
        a->used = 0;
        a->bytes += sizeof *b + size;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += n;
    return p;
}

void tm_arena_free(tm_arena *a)
{
    /* blocks from the heap are freed; those from a spill file are its own */
    while (a->heap) {
        tm_arena_block *n = a->heap->next;
        free(a->heap);
        a->heap = n;
    }
    a->head = NULL;
    a->used = a->bytes = 0;
}

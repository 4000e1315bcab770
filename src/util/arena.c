#include "util/arena.h"

#include <stdlib.h>

#include "util/buf.h"

#define BLOCK (1u << 20)

struct tm_arena_block {
    tm_arena_block *next;
    size_t size;
    max_align_t data[];
};

void tm_arena_init(tm_arena *a)
{
    a->head = NULL;
    a->used = a->bytes = 0;
}

void *tm_arena_alloc(tm_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->used + n > a->head->size) {
        size_t size = n > BLOCK ? n : BLOCK;
        tm_arena_block *b = tm_xmalloc(sizeof *b + size);
        b->next = a->head;
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
    while (a->head) {
        tm_arena_block *n = a->head->next;
        free(a->head);
        a->head = n;
    }
    a->used = a->bytes = 0;
}

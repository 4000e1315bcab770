#include "util/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/spill.h"

uint64_t tm_str_hash(const char *s, bool fold)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (fold && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h = (h ^ c) * 1099511628211ULL;
    }
    return h;
}

static bool same(const char *a, const char *b, bool fold)
{
    return fold ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

void tm_strmap_init(tm_strmap *m, bool fold)
{
    memset(m, 0, sizeof *m);
    m->fold = fold;
}

void tm_strmap_free(tm_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t slot(const tm_strmap *m, const char *key)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)tm_str_hash(key, m->fold) & mask;
    while (m->keys[i] && !same(m->keys[i], key, m->fold))
        i = (i + 1) & mask;
    return i;
}

size_t tm_strmap_get(const tm_strmap *m, const char *key)
{
    if (!m->cap)
        return TM_STRMAP_NONE;
    size_t i = slot(m, key);
    return m->keys[i] ? m->vals[i] : TM_STRMAP_NONE;
}

void tm_strmap_put(tm_strmap *m, const char *key, size_t val)
{
    if (2 * (m->n + 1) > m->cap) {
        tm_strmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 16;
        m->keys = tm_xcalloc(m->cap, sizeof *m->keys);
        m->vals = tm_xcalloc(m->cap, sizeof *m->vals);
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i]) {
                tm_spill_tick(); /* a large map's new arrays fill at random: the memory budget counts them (util/spill.h) */
                size_t s = slot(m, old.keys[i]);
                m->keys[s] = old.keys[i];
                m->vals[s] = old.vals[i];
            }
        free(old.keys);
        free(old.vals);
    }
    size_t i = slot(m, key);
    if (!m->keys[i]) {
        m->keys[i] = tm_xstrdup(key);
        m->n++;
    }
    m->vals[i] = val;
}

const char *tm_strmap_intern(tm_strmap *m, const char *key)
{
    if (m->cap) {
        size_t i = slot(m, key);
        if (m->keys[i])
            return m->keys[i];
    }
    tm_strmap_put(m, key, 0);
    return m->keys[slot(m, key)];
}

const char *tm_strmap_key(const tm_strmap *m, const char *key)
{
    return m->cap ? m->keys[slot(m, key)] : NULL;
}

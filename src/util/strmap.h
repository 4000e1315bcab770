/* A hash map from strings to indexes, for correlating records by a name
 * (service, task, domain, program) in linear time. Keys are copied; with
 * fold, ASCII letters compare case-insensitively (Windows names). */
#ifndef TM_STRMAP_H
#define TM_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char **keys;
    size_t *vals;
    size_t cap, n;
    bool fold;
} tm_strmap;

#define TM_STRMAP_NONE ((size_t)-1)

/* The maps' hash of a string (64-bit FNV-1a; with fold, of its ASCII
 * lowercase): also the key of sorts that must not read strings at random. */
uint64_t tm_str_hash(const char *s, bool fold);

void tm_strmap_init(tm_strmap *m, bool fold);
void tm_strmap_free(tm_strmap *m);
/* The value of key, or TM_STRMAP_NONE. */
size_t tm_strmap_get(const tm_strmap *m, const char *key);
/* Sets key's value (adds the key when new). */
void tm_strmap_put(tm_strmap *m, const char *key, size_t val);
/* The map's own copy of key (added when new): one copy of a name however
 * many records carry it; valid until the map is freed. */
const char *tm_strmap_intern(tm_strmap *m, const char *key);
/* The map's own copy of key, or NULL when key is not in the map. */
const char *tm_strmap_key(const tm_strmap *m, const char *key);

#endif

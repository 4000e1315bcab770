/* Warnings of one kind said once: a damaged log can give thousands of
 * "record N unreadable" problems; the terminal gets one line per artifact
 * and kind of problem (the first, with how many more), errors.jsonl every
 * one. Kinds are the message with its numbers taken out. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/strmap.h"
#include "util/text.h"

typedef struct {
    size_t art;      /* the artifact's index in the input */
    char *where;     /* the artifact as named in messages */
    char *message;   /* the first of its kind */
    tm_pos_kind pos_kind;
    uint64_t pos;
    size_t count;
} warn_kind;

struct tm_warnings {
    warn_kind *k;
    size_t n;
    tm_strmap ix; /* "art\tmessage without numbers" -> index */
};

tm_warnings *tm_warnings_new(void)
{
    tm_warnings *w = tm_xcalloc(1, sizeof *w);
    tm_strmap_init(&w->ix, false);
    return w;
}

void tm_warnings_free(tm_warnings *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->k[i].where);
        free(w->k[i].message);
    }
    free(w->k);
    tm_strmap_free(&w->ix);
    free(w);
}

void tm_warnings_add(tm_warnings *w, size_t art, const char *where, tm_pos_kind pos_kind, uint64_t pos,
                     const char *msg)
{
    tm_buf key;
    tm_buf_init(&key);
    tm_buf_printf(&key, "%zu\t", art);
    tm_message_kind(&key, msg);
    size_t i = tm_strmap_get(&w->ix, tm_buf_cstr(&key));
    if (i == TM_STRMAP_NONE) {
        TM_GROW(w->k, w->n);
        i = w->n++;
        w->k[i] = (warn_kind){art, tm_xstrdup(where), tm_xstrdup(msg), pos_kind, pos, 0};
        tm_strmap_put(&w->ix, tm_buf_cstr(&key), i);
    }
    warn_kind *k = &w->k[i];
    /* the example is the earliest position, whichever worker said it first */
    if (k->count && pos_kind == k->pos_kind && pos < k->pos) {
        free(k->message);
        k->message = tm_xstrdup(msg);
        k->pos = pos;
    }
    k->count++;
    tm_buf_free(&key);
}

static int cmp_kind(const void *pa, const void *pb)
{
    const warn_kind *a = pa, *b = pb;
    if (a->art != b->art)
        return a->art < b->art ? -1 : 1;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    return strcmp(a->message, b->message);
}

void tm_warnings_say(tm_warnings *w, const char *input)
{
    if (w->n > 1)
        tm_sort(w->k, w->n, sizeof *w->k, cmp_kind);
    for (size_t i = 0; i < w->n; i++) {
        const warn_kind *k = &w->k[i];
        char at[64];
        tm_pos_text(k->pos_kind, k->pos, at, sizeof at);
        tm_buf more;
        tm_buf_init(&more);
        if (k->count > 1)
            tm_buf_printf(&more, "; %zu more like it (errors.jsonl lists each)", k->count - 1);
        tm_msg("%s: %s: %s%s%s%s%s", input, k->where, k->message, at[0] ? " (" : "", at, at[0] ? ")" : "",
               tm_buf_cstr(&more));
        tm_buf_free(&more);
    }
}

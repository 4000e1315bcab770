/* Hostile hive cells that make libregf (20201007) allocate without bound:
 * a key (nk cell) whose value count exceeds what its values list cell can
 * hold makes libregf append one list element per claimed value, 2^31 of
 * them for a fuzzed 12 KiB hive (24 GB before the kernel stepped in). The
 * guard walks the hive bins itself, and where a count is impossible it
 * gives libregf a view of the bytes with the count clamped to what the list
 * holds (the evidence is not touched), and says which keys it clamped.
 * Layout: libyal's Windows NT Registry File (REGF) format documentation. */
#include "readers/regf_guard.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define BINS_START 0x1000u
#define MAX_REPORTED 20

typedef struct {
    uint64_t at;  /* file offset of the 4 patched bytes */
    uint32_t value;
} patch;

typedef struct {
    tm_source base;
    tm_source *inner;
    patch *p;
    size_t n;
} guarded;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static ssize_t guarded_read(tm_source *s, uint64_t off, void *buf, size_t len)
{
    guarded *g = (guarded *)s;
    ssize_t got = g->inner->read(g->inner, off, buf, len);
    if (got <= 0)
        return got;
    for (size_t i = 0; i < g->n; i++) {
        uint8_t v[4] = {(uint8_t)g->p[i].value, (uint8_t)(g->p[i].value >> 8), (uint8_t)(g->p[i].value >> 16),
                        (uint8_t)(g->p[i].value >> 24)};
        for (unsigned k = 0; k < 4; k++) {
            uint64_t at = g->p[i].at + k;
            if (at >= off && at < off + (uint64_t)got)
                ((uint8_t *)buf)[at - off] = v[k];
        }
    }
    if (g->inner->err[0])
        memcpy(s->err, g->inner->err, sizeof s->err);
    return got;
}

static void guarded_close(tm_source *s)
{
    guarded *g = (guarded *)s;
    free(g->p);
    free(g);
}

/* Allocated cells (offset from the bins' start, size) in file order. */
typedef struct {
    uint32_t *off, *size;
    uint16_t *sig; /* the cell's first two bytes ("nk", "lh", ...) */
    size_t n, cap;
} cells;

static size_t cell_index(const cells *c, uint32_t off)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->off[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->off[lo] == off ? lo : SIZE_MAX;
}

static uint32_t cell_size_at(const cells *c, uint32_t off)
{
    size_t i = cell_index(c, off);
    return i == SIZE_MAX ? 0 : c->size[i];
}

#define SIG(a, b) ((uint16_t)((a) | (b) << 8))

/* Subkey list elements that do not lead to a key cell: libregf leaves
 * those subkeys out without an error, so the guard names them. Lists are
 * lf/lh (offset and hash per element), li (offsets) or ri (offsets of
 * such lists, one level). */
/* A whole allocated cell (its data after the size field); NULL when it
 * cannot be read. *n is its data size. */
static uint8_t *read_cell(tm_source *src, const cells *c, size_t ci, uint32_t *n)
{
    *n = c->size[ci] - 4;
    uint8_t *b = tm_xmalloc(*n);
    if (tm_source_pread(src, BINS_START + (uint64_t)c->off[ci] + 4, b, *n) != (ssize_t)*n) {
        free(b);
        return NULL;
    }
    return b;
}

/* Elements of a list cell that lead to a key cell (found) and that do not
 * (bad), its element count checked against its size. Each cell is read at
 * most once in the whole walk (seen): a list two keys claim is damage, and
 * reading it again for every key that points at it would let a hostile
 * hive cost its size squared. */
static void count_list(tm_source *src, const cells *c, uint8_t *seen, uint32_t list, size_t *found, size_t *bad)
{
    size_t ci = cell_index(c, list);
    if (ci != SIZE_MAX && seen[ci])
        return;
    if (ci != SIZE_MAX)
        seen[ci] = 1;
    uint16_t sig = ci == SIZE_MAX ? 0 : c->sig[ci];
    unsigned step = sig == SIG('l', 'i') ? 4 : sig == SIG('l', 'f') || sig == SIG('l', 'h') ? 8 : 0;
    uint32_t n;
    uint8_t *b = step ? read_cell(src, c, ci, &n) : NULL;
    if (!b)
        return; /* what is not a list: the count check speaks for it */
    uint16_t count = (uint16_t)(b[2] | b[3] << 8);
    for (uint32_t k = 0; k < count && 4u + step * k + 4 <= n; k++) {
        size_t ki = cell_index(c, le32(b + 4 + step * k));
        if (ki != SIZE_MAX && c->sig[ki] == SIG('n', 'k'))
            (*found)++;
        else
            (*bad)++;
    }
    free(b);
}

/* Subkey list elements that do not lead to a key cell: libregf leaves
 * those subkeys out without an error, so the guard names them. Lists are
 * lf/lh (offset and hash per element), li (offsets) or ri (offsets of
 * such lists, one level). */
static void lost_subkeys(tm_source *src, const cells *c, const uint32_t *keys, size_t nkeys, tm_emit *out)
{
    uint64_t lost = 0, hidden = 0;
    uint32_t first_key = 0, first_hidden = 0;
    uint8_t *seen = tm_xcalloc(c->n ? c->n : 1, 1);
    for (size_t i = 0; i < nkeys; i++) {
        uint8_t nk[0x20];
        if (tm_source_pread(src, BINS_START + (uint64_t)keys[i] + 4, nk, sizeof nk) != (ssize_t)sizeof nk)
            continue;
        uint32_t claimed = le32(nk + 0x14), list = le32(nk + 0x1C);
        size_t found = 0, bad = 0, li = cell_index(c, list);
        if (li == SIZE_MAX) {
            bad = claimed; /* (a key without subkeys names no list: 0xFFFFFFFF) */
        } else if (c->sig[li] == SIG('r', 'i')) {
            uint32_t n;
            uint8_t *b = seen[li] ? NULL : read_cell(src, c, li, &n);
            seen[li] = 1;
            uint16_t count = b ? (uint16_t)(b[2] | b[3] << 8) : 0;
            for (uint32_t k = 0; k < count && 4u + 4u * k + 4 <= n; k++)
                count_list(src, c, seen, le32(b + 4 + 4u * k), &found, &bad);
            free(b);
        } else {
            count_list(src, c, seen, list, &found, &bad);
        }
        if (found < claimed && bad < claimed - found)
            bad = claimed - found; /* a list shorter than the key says */
        if (bad && lost++ == 0)
            first_key = keys[i];
        /* libregf reads as many subkeys as the key claims: more in its list
         * are left out without an error (a count flipped to 0) */
        if (found > claimed && hidden++ == 0)
            first_hidden = keys[i];
    }
    free(seen);
    if (hidden)
        tm_emit_problem(out, TM_POS_OFFSET, BINS_START + first_hidden, false,
                        "%llu keys claim fewer subkeys than their subkey lists hold (the first: key cell at offset "
                        "0x%llx): the subkeys past the count and everything under them are missing",
                        (unsigned long long)hidden, (unsigned long long)(BINS_START + first_hidden));
    if (lost)
        tm_emit_problem(out, TM_POS_OFFSET, BINS_START + first_key, false,
                        "%llu keys list subkeys that cannot be found (the first: key cell at offset 0x%llx): those "
                        "subkeys and everything under them are missing",
                        (unsigned long long)lost, (unsigned long long)(BINS_START + first_key));
}

tm_source *tm_regf_guard(tm_source *src, tm_emit *out, size_t *nclamped)
{
    *nclamped = 0;
    uint8_t base[0x30];
    if (tm_source_pread(src, 0, base, sizeof base) != (ssize_t)sizeof base || memcmp(base, "regf", 4) != 0)
        return src;
    uint64_t end = (uint64_t)BINS_START + le32(base + 0x28);
    if (end > src->size)
        end = src->size;
    cells c = {0};
    /* nk cells with values: where their count is, the count, the list's cell */
    uint64_t *nk_at = NULL;
    uint32_t *nk_count = NULL, *nk_list = NULL;
    size_t nnk = 0, capnk = 0;
    uint8_t *bin = NULL;
    size_t bincap = 0;
    /* nk cells with subkeys (offsets from the bins' start) */
    uint32_t *sk_key = NULL;
    size_t nsk = 0, capsk = 0;
    for (uint64_t at = BINS_START; at + 32 <= end;) {
        uint8_t h[32];
        if (tm_source_pread(src, at, h, sizeof h) != (ssize_t)sizeof h || memcmp(h, "hbin", 4) != 0)
            break; /* libregf says what is wrong with the bins */
        uint32_t size = le32(h + 8);
        if (size < 32 || size % 4096 || at + size > end)
            break;
        if (size > bincap) {
            bincap = size;
            bin = tm_xrealloc(bin, bincap);
        }
        if (tm_source_pread(src, at, bin, size) != (ssize_t)size)
            break;
        for (uint32_t k = 32; k + 8 <= size;) {
            int32_t cs = (int32_t)le32(bin + k);
            uint32_t abs = cs < 0 ? (uint32_t)-(int64_t)cs : (uint32_t)cs;
            if (abs < 8 || abs > size - k)
                break;
            if (cs < 0) {
                if (c.n == c.cap) {
                    c.cap = c.cap ? 2 * c.cap : 1024;
                    c.off = tm_xrealloc(c.off, c.cap * sizeof *c.off);
                    c.size = tm_xrealloc(c.size, c.cap * sizeof *c.size);
                    c.sig = tm_xrealloc(c.sig, c.cap * sizeof *c.sig);
                }
                c.off[c.n] = (uint32_t)(at - BINS_START + k);
                c.sig[c.n] = (uint16_t)(bin[k + 4] | bin[k + 5] << 8);
                c.size[c.n++] = abs;
                /* keys with subkeys, or whose count a flip zeroed while a list is still named */
                if (abs >= 4 + 0x2C && memcmp(bin + k + 4, "nk", 2) == 0 &&
                    (le32(bin + k + 4 + 0x14) > 0 || le32(bin + k + 4 + 0x1C) != 0xFFFFFFFFu)) {
                    if (nsk == capsk) {
                        capsk = capsk ? 2 * capsk : 1024;
                        sk_key = tm_xrealloc(sk_key, capsk * sizeof *sk_key);
                    }
                    sk_key[nsk++] = (uint32_t)(at - BINS_START + k);
                }
                if (abs >= 4 + 0x2C && memcmp(bin + k + 4, "nk", 2) == 0) {
                    uint32_t count = le32(bin + k + 4 + 0x24), list = le32(bin + k + 4 + 0x28);
                    if (count > 0) {
                        if (nnk == capnk) {
                            capnk = capnk ? 2 * capnk : 1024;
                            nk_at = tm_xrealloc(nk_at, capnk * sizeof *nk_at);
                            nk_count = tm_xrealloc(nk_count, capnk * sizeof *nk_count);
                            nk_list = tm_xrealloc(nk_list, capnk * sizeof *nk_list);
                        }
                        nk_at[nnk] = at + k + 4 + 0x24;
                        nk_count[nnk] = count;
                        nk_list[nnk++] = list;
                    }
                }
            }
            k += abs;
        }
        at += size;
    }
    free(bin);
    lost_subkeys(src, &c, sk_key, nsk, out);
    free(sk_key);
    patch *p = NULL;
    size_t np = 0;
    for (size_t i = 0; i < nnk; i++) {
        uint32_t lsize = nk_list[i] == 0xFFFFFFFFu ? 0 : cell_size_at(&c, nk_list[i]);
        uint32_t cap = lsize >= 4 ? (lsize - 4) / 4 : 0;
        if (nk_count[i] <= cap)
            continue;
        p = tm_xrealloc(p, (np + 1) * sizeof *p);
        p[np++] = (patch){nk_at[i], cap};
        if (np <= MAX_REPORTED)
            tm_emit_problem(out, TM_POS_OFFSET, nk_at[i] - 0x28, false,
                            "key cell at offset 0x%llx claims %u values but its values list holds %u: read as %u",
                            (unsigned long long)(nk_at[i] - 0x28), nk_count[i], cap, cap);
    }
    if (np > MAX_REPORTED)
        tm_emit_problem(out, TM_POS_NONE, 0, false, "%zu keys in all claim more values than their lists hold", np);
    free(c.off);
    free(c.size);
    free(c.sig);
    free(nk_at);
    free(nk_count);
    free(nk_list);
    *nclamped = np;
    if (!np)
        return src;
    guarded *g = tm_xcalloc(1, sizeof *g);
    g->base.read = guarded_read;
    g->base.close = guarded_close;
    g->base.size = src->size;
    g->inner = src;
    g->p = p;
    g->n = np;
    return &g->base;
}

/* Carving EVTX chunks from unallocated clusters (carve.h). One pass over a
 * volume: its $Bitmap is read in pieces, each run of free clusters is read
 * in large blocks and searched at 512-byte steps; a chunk that runs past
 * the end of what was read is read on its own. */
#include "image/carve.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/evtx_chunk.h"
#include "util/buf.h"

#define BITMAP_PIECE (1u << 20)  /* bytes of $Bitmap at a time: 8 Mi clusters */
#define READ_BLOCK (4u << 20)    /* bytes of free space per read */
#define MAX_CHUNKS_PER_INPUT 65536 /* 4 GiB of carved chunks */
#define NTFS_BITMAP_ENTRY 6

typedef struct {
    tm_input *in;
    TSK_IMG_INFO *img;
    int vol;
    uint64_t vol_end;     /* image offset where the volume ends */
    uint64_t base;        /* image offset of the buffer being searched */
    tm_chunk_key *seen;   /* open addressing, 0 = empty (first_id 0 never in a real chunk header) */
    size_t nseen, capseen;
    uint8_t *chunk;       /* a chunk read on its own */
    size_t carved, salvaged, rejected, duplicates;
    bool capped;
} carve_ctx;

static size_t key_hash(const tm_chunk_key *k)
{
    uint64_t h = ((uint64_t)k->header_crc << 32 | k->records_crc) ^ (k->first_id * 0x9E3779B97F4A7C15ULL) ^ k->last_id;
    return (size_t)(h ^ (h >> 29));
}

static bool key_eq(const tm_chunk_key *a, const tm_chunk_key *b)
{
    return a->header_crc == b->header_crc && a->records_crc == b->records_crc && a->first_id == b->first_id &&
           a->last_id == b->last_id;
}

/* False when the same chunk was carved before (a log's chunks are often
 * left behind more than once as the file moved or grew). */
static bool first_sight(carve_ctx *c, const tm_chunk_key *k)
{
    if ((c->nseen + 1) * 2 > c->capseen) {
        size_t ncap = c->capseen ? c->capseen * 2 : 256;
        tm_chunk_key *n = tm_xcalloc(ncap, sizeof *n);
        for (size_t i = 0; i < c->capseen; i++) {
            if (!c->seen[i].first_id && !c->seen[i].header_crc)
                continue;
            size_t h = key_hash(&c->seen[i]) & (ncap - 1);
            while (n[h].first_id || n[h].header_crc)
                h = (h + 1) & (ncap - 1);
            n[h] = c->seen[i];
        }
        free(c->seen);
        c->seen = n;
        c->capseen = ncap;
    }
    size_t h = key_hash(k) & (c->capseen - 1);
    while (c->seen[h].first_id || c->seen[h].header_crc) {
        if (key_eq(&c->seen[h], k))
            return false;
        h = (h + 1) & (c->capseen - 1);
    }
    c->seen[h] = *k;
    c->nseen++;
    return true;
}

static void add_chunk(carve_ctx *c, uint64_t at)
{
    tm_artifact *a = tm_input_add_artifact(c->in);
    a->kind = TM_ART_EVTX_CHUNK;
    a->path = tm_xasprintf("$Unallocated/chunk-%" PRIu64 ".evtx", at);
    a->win_path = tm_xstrdup(a->path);
    a->size = TM_CHUNK_FILE_HEADER + TM_CHUNK_SIZE;
    a->volume = c->vol;
    a->origin.type = TM_ORIGIN_CARVED;
    a->origin.offset = at;
}

static void on_signature(void *vc, size_t off, const uint8_t *p, size_t avail)
{
    carve_ctx *c = vc;
    uint64_t at = c->base + off;
    if (avail < TM_CHUNK_SIZE) {
        /* the chunk goes on past the block (into the next, or into
         * allocated clusters: then its records' CRC tells) */
        size_t want = c->vol_end - at < TM_CHUNK_SIZE ? (size_t)(c->vol_end - at) : TM_CHUNK_SIZE;
        memset(c->chunk, 0, TM_CHUNK_SIZE);
        ssize_t got = tsk_img_read(c->img, (TSK_OFF_T)at, (char *)c->chunk, want);
        if (got < 0) {
            tsk_error_reset();
            got = 0;
        }
        if ((size_t)got > avail) {
            p = c->chunk;
            avail = (size_t)got;
        }
    }
    tm_chunk_verdict v = tm_evtx_chunk_check(p, avail);
    if (v == TM_CHUNK_BAD_HEADER) {
        c->rejected++;
        return;
    }
    if (v != TM_CHUNK_OK && v != TM_CHUNK_SALVAGE)
        return;
    tm_chunk_key k = tm_evtx_chunk_key(p);
    if (!first_sight(c, &k)) {
        c->duplicates++;
        return;
    }
    if (c->carved + c->salvaged >= MAX_CHUNKS_PER_INPUT) {
        c->capped = true;
        return;
    }
    if (v == TM_CHUNK_OK)
        c->carved++;
    else
        c->salvaged++;
    add_chunk(c, at);
}

/* Searches the free clusters [first, first+count) in blocks. */
static void carve_run(carve_ctx *c, uint8_t *buf, uint64_t vol_off, uint64_t csize, uint64_t first, uint64_t count)
{
    uint64_t from = vol_off + first * csize, to = vol_off + (first + count) * csize;
    if (to > c->vol_end)
        to = c->vol_end;
    for (uint64_t at = from; at < to; at += READ_BLOCK) {
        size_t len = to - at < READ_BLOCK ? (size_t)(to - at) : READ_BLOCK;
        ssize_t got = tsk_img_read(c->img, (TSK_OFF_T)at, (char *)buf, len);
        if (got <= 0) {
            tsk_error_reset();
            continue;
        }
        c->base = at;
        tm_evtx_chunk_scan(buf, (size_t)got, (size_t)got, on_signature, c);
    }
}

void tm_carve_volume(tm_input *in, TSK_IMG_INFO *img, TSK_FS_INFO *fs, int vol)
{
    const tm_volume *v = &in->vols[vol];
    char label[64];
    tm_volume_label(in, v, label, sizeof label);
    TSK_FS_FILE *bm = tsk_fs_file_open_meta(fs, NULL, NTFS_BITMAP_ENTRY);
    const TSK_FS_ATTR *data = bm ? tsk_fs_file_attr_get_type(bm, TSK_FS_ATTR_TYPE_NTFS_DATA, 0, 0) : NULL;
    uint64_t csize = fs->block_size;
    if (!data || data->size <= 0 || csize < 512 || csize % 512) {
        tm_input_add_problem(in, "volume", label, "no carving: the volume's $Bitmap cannot be read (%s)",
                             tsk_error_get() ? tsk_error_get() : "no data");
        tsk_error_reset();
        tsk_fs_file_close(bm);
        return;
    }
    uint64_t clusters = (uint64_t)fs->block_count;
    if ((uint64_t)data->size * 8 < clusters)
        clusters = (uint64_t)data->size * 8;
    carve_ctx c = {.in = in, .img = img, .vol = vol, .vol_end = v->offset + v->length};
    if ((uint64_t)fs->offset + clusters * csize < c.vol_end)
        c.vol_end = (uint64_t)fs->offset + clusters * csize;
    c.chunk = tm_xmalloc(TM_CHUNK_SIZE);
    uint8_t *bits = tm_xmalloc(BITMAP_PIECE);
    uint8_t *buf = tm_xmalloc(READ_BLOCK);
    uint64_t run_first = 0, run_len = 0, unread = 0;
    for (uint64_t piece = 0; piece * 8 < clusters; piece += BITMAP_PIECE) {
        uint64_t left = (clusters + 7) / 8 - piece;
        size_t want = left < BITMAP_PIECE ? (size_t)left : BITMAP_PIECE;
        if (tsk_fs_attr_read(data, (TSK_OFF_T)piece, (char *)bits, want, TSK_FS_FILE_READ_FLAG_NONE) != (ssize_t)want) {
            /* unknown allocation: not searched (searching it all could take
             * live logs' chunks for deleted ones) */
            tsk_error_reset();
            unread += want;
            memset(bits, 0xFF, want);
        }
        for (size_t i = 0; i < want; i++) {
            uint8_t b = bits[i];
            uint64_t cl = (piece + i) * 8;
            if (b == 0xFF) { /* all allocated: close a run */
                if (run_len)
                    carve_run(&c, buf, (uint64_t)fs->offset, csize, run_first, run_len);
                run_len = 0;
                continue;
            }
            if (b == 0 && run_len && cl + 8 <= clusters) { /* all free: the run goes on */
                run_len += 8;
            } else {
                for (unsigned k = 0; k < 8 && cl + k < clusters; k++) {
                    if (b >> k & 1) {
                        if (run_len)
                            carve_run(&c, buf, (uint64_t)fs->offset, csize, run_first, run_len);
                        run_len = 0;
                    } else if (run_len) {
                        run_len++;
                    } else {
                        run_first = cl + k;
                        run_len = 1;
                    }
                }
            }
            /* long runs are searched as they grow, a block at a time */
            if (run_len * csize >= 16ull * READ_BLOCK) {
                carve_run(&c, buf, (uint64_t)fs->offset, csize, run_first, run_len);
                run_first += run_len;
                run_len = 0;
            }
        }
    }
    if (run_len)
        carve_run(&c, buf, (uint64_t)fs->offset, csize, run_first, run_len);
    if (unread)
        tm_input_add_problem(in, "volume", label,
                             "%" PRIu64 " bytes of the $Bitmap cannot be read: the clusters they describe were not "
                             "carved",
                             unread);
    if (c.capped)
        tm_input_add_problem(in, "volume", label, "carving stopped after %d chunks", MAX_CHUNKS_PER_INPUT);
    in->vols[vol].recovery.chunks = c.carved;
    in->vols[vol].recovery.chunks_salvaged = c.salvaged;
    in->vols[vol].recovery.signatures_rejected = c.rejected;
    in->vols[vol].recovery.chunks_repeated = c.duplicates;
    free(buf);
    free(bits);
    free(c.chunk);
    free(c.seen);
    tsk_fs_file_close(bm);
}

/* ---- reading a carved chunk -------------------------------------------- */

typedef struct {
    tm_art_reader base;
    TSK_IMG_INFO *img;
    uint64_t at;
    uint8_t header[TM_CHUNK_FILE_HEADER];
} carve_reader;

static ssize_t carve_read(tm_art_reader *r, uint64_t off, void *vbuf, size_t len)
{
    carve_reader *cr = (carve_reader *)r;
    uint8_t *buf = vbuf;
    if (off >= r->size)
        return 0;
    if (len > r->size - off)
        len = (size_t)(r->size - off);
    size_t done = 0;
    if (off < TM_CHUNK_FILE_HEADER) {
        size_t n = TM_CHUNK_FILE_HEADER - (size_t)off < len ? TM_CHUNK_FILE_HEADER - (size_t)off : len;
        memcpy(buf, cr->header + off, n);
        done = n;
    }
    while (done < len) {
        uint64_t in_chunk = off + done - TM_CHUNK_FILE_HEADER;
        ssize_t got = tsk_img_read(cr->img, (TSK_OFF_T)(cr->at + in_chunk), (char *)buf + done, len - done);
        if (got <= 0) {
            snprintf(r->err, sizeof r->err, "read failed at image offset %" PRIu64 ": %s", cr->at + in_chunk,
                     tsk_error_get() ? tsk_error_get() : "end of image");
            tsk_error_reset();
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)got;
    }
    return (ssize_t)done;
}

static void carve_close(tm_art_reader *r)
{
    free(r->extents);
    free(r);
}

tm_art_reader *tm_carve_open(TSK_IMG_INFO *img, const tm_artifact *a, char *err, size_t errlen)
{
    uint8_t chunk[512];
    ssize_t got = tsk_img_read(img, (TSK_OFF_T)a->origin.offset, (char *)chunk, sizeof chunk);
    if (got != (ssize_t)sizeof chunk) {
        snprintf(err, errlen, "cannot read the chunk at image offset %" PRIu64, a->origin.offset);
        tsk_error_reset();
        return NULL;
    }
    carve_reader *cr = tm_xcalloc(1, sizeof *cr);
    cr->img = img;
    cr->at = a->origin.offset;
    tm_evtx_chunk_file_header(chunk, cr->header);
    cr->base.read = carve_read;
    cr->base.close = carve_close;
    cr->base.size = a->size;
    cr->base.fd = -1;
    cr->base.extents = tm_xmalloc(sizeof *cr->base.extents);
    cr->base.extents[0] = (tm_extent){0, a->size, false};
    cr->base.nextents = 1;
    return &cr->base;
}

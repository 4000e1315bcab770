/* Volume shadow copies (vss.h). libvshadow and its libbfio are reached only
 * through function pointers from dlsym on a dlmopen(LM_ID_NEWLM) handle:
 * no call here binds to a libbfio symbol of this namespace (libewf's). The
 * namespace is opened once per process (glibc allows about a dozen). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dlmopen, LM_ID_NEWLM */
#endif
#include "image/vss.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the prototypes only: every call goes through the pointers below */
#define LIBVSHADOW_HAVE_BFIO
#include <libbfio.h>
#include <libvshadow.h>

#include "util/buf.h"
#include "util/timeutil.h"

#define FN(name) __typeof__(name) *name
static struct {
    bool tried, ok;
    void *dl;
    FN(libbfio_handle_initialize);
    FN(libbfio_handle_free);
    FN(libbfio_error_free);
    FN(libvshadow_check_volume_signature_file_io_handle);
    FN(libvshadow_volume_initialize);
    FN(libvshadow_volume_open_file_io_handle);
    FN(libvshadow_volume_get_number_of_stores);
    FN(libvshadow_volume_get_store);
    FN(libvshadow_volume_close);
    FN(libvshadow_volume_free);
    FN(libvshadow_store_get_identifier);
    FN(libvshadow_store_get_creation_time);
    FN(libvshadow_store_get_volume_size);
    FN(libvshadow_store_read_buffer_at_offset);
    FN(libvshadow_store_free);
    FN(libvshadow_error_free);
} api;
#undef FN

static bool load(void)
{
    if (api.tried)
        return api.ok;
    api.tried = true;
    api.dl = dlmopen(LM_ID_NEWLM, "libvshadow.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!api.dl)
        return false;
    bool ok = true;
#define SYM(name) ok &= (*(void **)&api.name = dlsym(api.dl, #name)) != NULL
    SYM(libbfio_handle_initialize);
    SYM(libbfio_handle_free);
    SYM(libbfio_error_free);
    SYM(libvshadow_check_volume_signature_file_io_handle);
    SYM(libvshadow_volume_initialize);
    SYM(libvshadow_volume_open_file_io_handle);
    SYM(libvshadow_volume_get_number_of_stores);
    SYM(libvshadow_volume_get_store);
    SYM(libvshadow_volume_close);
    SYM(libvshadow_volume_free);
    SYM(libvshadow_store_get_identifier);
    SYM(libvshadow_store_get_creation_time);
    SYM(libvshadow_store_get_volume_size);
    SYM(libvshadow_store_read_buffer_at_offset);
    SYM(libvshadow_store_free);
    SYM(libvshadow_error_free);
#undef SYM
    api.ok = ok;
    return ok;
}

/* ---- the volume's bytes, for libvshadow: reads are tsk_img_read calls ---- */

typedef struct {
    TSK_IMG_INFO *img;
    uint64_t base, size, pos;
    bool open;
} vol_io;

static int io_free(intptr_t **io, libbfio_error_t **e)
{
    (void)e;
    free(*io);
    *io = NULL;
    return 1;
}

static int io_clone(intptr_t **dst, intptr_t *src, libbfio_error_t **e)
{
    (void)e;
    vol_io *c = tm_xmalloc(sizeof *c);
    *c = *(vol_io *)src;
    *dst = (intptr_t *)c;
    return 1;
}

static int io_open(intptr_t *io, int flags, libbfio_error_t **e)
{
    (void)flags, (void)e;
    ((vol_io *)io)->open = true;
    return 1;
}

static int io_close(intptr_t *io, libbfio_error_t **e)
{
    (void)e;
    ((vol_io *)io)->open = false;
    return 0;
}

static ssize_t io_read(intptr_t *vio, uint8_t *buf, size_t len, libbfio_error_t **e)
{
    (void)e;
    vol_io *io = (vol_io *)vio;
    if (io->pos >= io->size)
        return 0;
    if (len > io->size - io->pos)
        len = (size_t)(io->size - io->pos);
    ssize_t n = tsk_img_read(io->img, (TSK_OFF_T)(io->base + io->pos), (char *)buf, len);
    if (n < 0) {
        tsk_error_reset();
        return -1;
    }
    io->pos += (uint64_t)n;
    return n;
}

static ssize_t io_write(intptr_t *io, const uint8_t *buf, size_t len, libbfio_error_t **e)
{
    (void)io, (void)buf, (void)len, (void)e;
    return -1; /* evidence is read-only */
}

static off64_t io_seek(intptr_t *vio, off64_t off, int whence, libbfio_error_t **e)
{
    (void)e;
    vol_io *io = (vol_io *)vio;
    int64_t at = whence == SEEK_SET ? off : whence == SEEK_CUR ? (int64_t)io->pos + off : (int64_t)io->size + off;
    if (at < 0)
        return -1;
    io->pos = (uint64_t)at;
    return at;
}

static int io_exists(intptr_t *io, libbfio_error_t **e)
{
    (void)io, (void)e;
    return 1;
}

static int io_is_open(intptr_t *io, libbfio_error_t **e)
{
    (void)e;
    return ((vol_io *)io)->open;
}

static int io_get_size(intptr_t *io, size64_t *size, libbfio_error_t **e)
{
    (void)e;
    *size = ((vol_io *)io)->size;
    return 1;
}

/* ---- stores as TSK images ------------------------------------------------ */

typedef struct {
    TSK_IMG_INFO img; /* first: TSK's part of an external image */
    libvshadow_store_t *store;
} store_img;

struct tm_vss {
    libbfio_handle_t *bfio;
    libvshadow_volume_t *vol;
    int n;
    TSK_IMG_INFO **imgs; /* per store, opened on demand */
};

static ssize_t store_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    store_img *s = (store_img *)img;
    libvshadow_error_t *e = NULL;
    ssize_t n = api.libvshadow_store_read_buffer_at_offset(s->store, buf, len, (off64_t)off, &e);
    if (e)
        api.libvshadow_error_free(&e);
    return n;
}

static void store_close(TSK_IMG_INFO *img)
{
    store_img *s = (store_img *)img;
    if (s->store)
        api.libvshadow_store_free(&s->store, NULL);
    free(s);
}

static void store_stat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    fprintf(f, "volume shadow copy store\n");
}

/* The volume shadow copy header's identifier, at 0x1e00 of the volume:
 * without libvshadow, whether there is something it would have read. */
static bool has_vss_header(TSK_IMG_INFO *img, uint64_t offset)
{
    static const uint8_t vss_id[16] = {0x6b, 0x87, 0x08, 0x38, 0x76, 0xc1, 0x48, 0x4e,
                                       0xb7, 0xae, 0x04, 0x04, 0x6e, 0x6c, 0xc7, 0x52};
    uint8_t b[16];
    bool yes = tsk_img_read(img, (TSK_OFF_T)(offset + 0x1e00), (char *)b, sizeof b) == (ssize_t)sizeof b &&
               memcmp(b, vss_id, sizeof b) == 0;
    tsk_error_reset();
    return yes;
}

tm_vss *tm_vss_open(TSK_IMG_INFO *img, uint64_t offset, uint64_t length, const char **why)
{
    *why = NULL;
    if (!load()) {
        /* said only where shadow copies are there to be missed */
        if (has_vss_header(img, offset))
            *why = "the volume has shadow copies, but libvshadow cannot be loaded (libvshadow.so.1): they are not read";
        return NULL;
    }
    vol_io *io = tm_xcalloc(1, sizeof *io);
    *io = (vol_io){img, offset, length, 0, false};
    libbfio_handle_t *bfio = NULL;
    libbfio_error_t *be = NULL;
    if (api.libbfio_handle_initialize(&bfio, (intptr_t *)io, io_free, io_clone, io_open, io_close, io_read, io_write,
                                      io_seek, io_exists, io_is_open, io_get_size, LIBBFIO_FLAG_IO_HANDLE_MANAGED,
                                      &be) != 1) {
        api.libbfio_error_free(&be);
        free(io);
        *why = "libbfio cannot make a handle for the volume";
        return NULL;
    }
    libvshadow_error_t *e = NULL;
    /* most volumes have no shadow copies: the signature says so cheaply */
    if (api.libvshadow_check_volume_signature_file_io_handle(bfio, &e) != 1) {
        if (e)
            api.libvshadow_error_free(&e);
        api.libbfio_handle_free(&bfio, NULL);
        return NULL;
    }
    tm_vss *v = tm_xcalloc(1, sizeof *v);
    v->bfio = bfio;
    if (api.libvshadow_volume_initialize(&v->vol, &e) != 1 ||
        api.libvshadow_volume_open_file_io_handle(v->vol, bfio, LIBVSHADOW_OPEN_READ, &e) != 1 ||
        api.libvshadow_volume_get_number_of_stores(v->vol, &v->n, &e) != 1 || v->n < 0) {
        if (e)
            api.libvshadow_error_free(&e);
        *why = "the volume's shadow copy catalog cannot be read";
        v->n = 0;
        tm_vss_close(v);
        return NULL;
    }
    v->imgs = tm_xcalloc(v->n ? (size_t)v->n : 1, sizeof *v->imgs);
    return v;
}

size_t tm_vss_count(const tm_vss *v)
{
    return v ? (size_t)v->n : 0;
}

static void guid_text(const uint8_t g[16], char *out, size_t n)
{
    snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1], g[0],
             g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

TSK_IMG_INFO *tm_vss_store(tm_vss *v, size_t i, tm_origin *origin)
{
    if (!v || i >= (size_t)v->n)
        return NULL;
    libvshadow_store_t *store = NULL;
    libvshadow_error_t *e = NULL;
    uint8_t guid[16] = {0};
    uint64_t ft = 0;
    size64_t size = 0;
    if (api.libvshadow_volume_get_store(v->vol, (int)i, &store, &e) != 1 ||
        api.libvshadow_store_get_identifier(store, guid, sizeof guid, &e) != 1 ||
        api.libvshadow_store_get_creation_time(store, &ft, &e) != 1 ||
        api.libvshadow_store_get_volume_size(store, &size, &e) != 1 || size == 0) {
        if (e)
            api.libvshadow_error_free(&e);
        if (store)
            api.libvshadow_store_free(&store, NULL);
        return NULL;
    }
    *origin = (tm_origin){.type = TM_ORIGIN_VSS, .store_time = tm_time_from_filetime(ft)};
    guid_text(guid, origin->store, sizeof origin->store);
    store_img *s = tm_xcalloc(1, sizeof *s);
    s->store = store;
    TSK_IMG_INFO *img = tsk_img_open_external(s, (TSK_OFF_T)size, 512, store_read, store_close, store_stat);
    if (!img) {
        store_close(&s->img);
        tsk_error_reset();
        return NULL;
    }
    v->imgs[i] = img;
    return img;
}

void tm_vss_close(tm_vss *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n; i++)
        if (v->imgs && v->imgs[i])
            tsk_img_close(v->imgs[i]);
    free(v->imgs);
    if (v->vol) {
        api.libvshadow_volume_close(v->vol, NULL);
        api.libvshadow_volume_free(&v->vol, NULL);
    }
    if (v->bfio)
        api.libbfio_handle_free(&v->bfio, NULL);
    free(v);
}

/* vss_dump IMAGE: for the e2e test of shadow copies (tests/e2e/
 * shadow_copies.sh): each store of the whole-image NTFS volume's shadow
 * copies as toolmark reads it (libvshadow in its own namespace, the store
 * handed to TSK), one line per regular file of its root folder: store
 * number, identifier, creation time, name, size, CRC32 of the content.
 * Store 0 is the live volume. With --read, each is instead read whole
 * through TSK in 4 MiB reads, and the rate printed (docs/recovery.md).
 * With --save N OUT, store N's bytes are written to OUT (for comparing a
 * generated store's view with the image it was made from). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "image/vss.h"
#include "util/crc32.h"
#include "util/timeutil.h"

static void list_root(TSK_FS_INFO *fs, size_t k, const char *id, const char *when)
{
    TSK_FS_DIR *d = tsk_fs_dir_open_meta(fs, fs->root_inum);
    for (size_t i = 0; d && i < tsk_fs_dir_getsize(d); i++) {
        const TSK_FS_NAME *nm = tsk_fs_dir_get_name(d, i);
        if (!nm || !nm->name || nm->name[0] == '$' || nm->type != TSK_FS_NAME_TYPE_REG ||
            !(nm->flags & TSK_FS_NAME_FLAG_ALLOC))
            continue;
        TSK_FS_FILE *f = tsk_fs_file_open_meta(fs, NULL, nm->meta_addr);
        if (!f || !f->meta) {
            tsk_fs_file_close(f);
            continue;
        }
        uint32_t crc = 0;
        char buf[65536];
        TSK_OFF_T size = f->meta->size;
        for (TSK_OFF_T off = 0; off < size;) {
            ssize_t n = tsk_fs_file_read(f, off, buf, sizeof buf, TSK_FS_FILE_READ_FLAG_NONE);
            if (n <= 0)
                break;
            crc = tm_crc32(crc, buf, (size_t)n);
            off += n;
        }
        printf("%zu\t%s\t%s\t%s\t%" PRIdOFF "\t%08x\n", k, id, when, nm->name, size, crc);
        tsk_fs_file_close(f);
    }
    tsk_fs_dir_close(d);
}

/* Reads img whole; prints seconds and MB/s. */
static void read_all(TSK_IMG_INFO *img, size_t k)
{
    enum { BLOCK = 4 << 20 };
    char *buf = malloc(BLOCK);
    int64_t t0 = tm_now_us();
    uint64_t done = 0;
    for (TSK_OFF_T off = 0; off < img->size; off += BLOCK) {
        ssize_t n = tsk_img_read(img, off, buf, img->size - off < BLOCK ? (size_t)(img->size - off) : BLOCK);
        if (n <= 0)
            break;
        done += (uint64_t)n;
    }
    double s = (double)(tm_now_us() - t0) / 1e6;
    printf("%zu\tread %" PRIu64 " bytes in %.3f s: %.0f MB/s\n", k, done, s, s > 0 ? (double)done / s / 1e6 : 0.0);
    free(buf);
}

/* Writes img whole to path. */
static bool save_all(TSK_IMG_INFO *img, const char *path)
{
    enum { BLOCK = 1 << 20 };
    FILE *f = fopen(path, "wb");
    char *buf = malloc(BLOCK);
    bool ok = f && buf;
    for (TSK_OFF_T off = 0; ok && off < img->size; off += BLOCK) {
        size_t want = img->size - off < BLOCK ? (size_t)(img->size - off) : BLOCK;
        ok = tsk_img_read(img, off, buf, want) == (ssize_t)want && fwrite(buf, 1, want, f) == want;
    }
    free(buf);
    if (f && fclose(f) != 0)
        ok = false;
    return ok;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--save") == 0) {
        const TSK_TCHAR *names[] = {argv[3]};
        TSK_IMG_INFO *img = tsk_img_open(1, names, TSK_IMG_TYPE_DETECT, 0);
        const char *why = NULL;
        tm_vss *v = img ? tm_vss_open(img, 0, (uint64_t)img->size, &why) : NULL;
        size_t k = (size_t)strtoul(argv[2], NULL, 10);
        tm_origin o;
        TSK_IMG_INFO *s = v && k >= 1 ? tm_vss_store(v, k - 1, &o) : NULL;
        bool ok = s && save_all(s, argv[4]);
        if (!ok)
            fprintf(stderr, "vss_dump: %s: store %zu cannot be saved\n", argv[3], k);
        tm_vss_close(v);
        if (img)
            tsk_img_close(img);
        return ok ? 0 : 1;
    }
    bool speed = argc == 3 && strcmp(argv[1], "--read") == 0;
    if (speed) {
        argv++;
        argc--;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: vss_dump [--read] IMAGE | --save N IMAGE OUT\n");
        return 2;
    }
    const TSK_TCHAR *names[] = {argv[1]};
    TSK_IMG_INFO *img = tsk_img_open(1, names, TSK_IMG_TYPE_DETECT, 0);
    TSK_FS_INFO *live = img ? tsk_fs_open_img(img, 0, TSK_FS_TYPE_NTFS_DETECT) : NULL;
    if (!live) {
        fprintf(stderr, "vss_dump: %s: no NTFS volume\n", argv[1]);
        return 1;
    }
    if (speed)
        read_all(img, 0);
    else
        list_root(live, 0, "live", "-");
    const char *why = NULL;
    tm_vss *v = tm_vss_open(img, 0, (uint64_t)img->size, &why);
    if (!v) {
        fprintf(stderr, "vss_dump: no shadow copies%s%s\n", why ? ": " : "", why ? why : "");
        return 1;
    }
    for (size_t k = 0; k < tm_vss_count(v); k++) {
        tm_origin o;
        TSK_IMG_INFO *s = tm_vss_store(v, k, &o);
        if (speed && s) {
            read_all(s, k + 1);
            continue;
        }
        TSK_FS_INFO *fs = s ? tsk_fs_open_img(s, 0, TSK_FS_TYPE_NTFS_DETECT) : NULL;
        if (!fs) {
            fprintf(stderr, "vss_dump: store %zu cannot be opened\n", k + 1);
            continue;
        }
        char when[TM_TIME_ISO_LEN];
        tm_time_iso(o.store_time, when);
        list_root(fs, k + 1, o.store, when);
        tsk_fs_close(fs);
    }
    tm_vss_close(v);
    tsk_fs_close(live);
    tsk_img_close(img);
    return 0;
}

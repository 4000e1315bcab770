#include "image/image_bytes.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libewf.h>
#include <openssl/evp.h>

#include "image/ewf_repair.h"
#include "util/buf.h"
#include "util/yal_message.h"

/* libewf's error, as its deepest cause in words; frees it. */
static void ewf_message(libewf_error_t **e, char *out, size_t n)
{
    out[0] = 0;
    if (*e)
        libewf_error_backtrace_sprint(*e, out, n);
    libewf_error_free(e);
    tm_yal_message(out, n);
}

/* ---- evidence files -------------------------------------------------------- */

/* Read-only, and without touching the access time where the kernel lets us
 * (O_NOATIME needs the file's owner or CAP_FOWNER). */
static int open_evidence(const char *path, bool *noatime)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
    if (fd < 0 && errno == EPERM) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            *noatime = false;
    }
    return fd;
}

static bool read_exact(int fd, uint64_t off, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static uint64_t fd_size(int fd)
{
    off_t end = lseek(fd, 0, SEEK_END); /* also right for block devices, where st_size is 0 */
    return end > 0 ? (uint64_t)end : 0;
}

/* TSK's file system probes read the image's names (yaffs2 looks at images[0]). */
static void set_names(TSK_IMG_INFO *img, char **names, int n)
{
    img->num_img = n;
    img->images = tm_xcalloc((size_t)(n > 0 ? n : 1), sizeof *img->images);
    for (int i = 0; i < n; i++)
        img->images[i] = tm_xstrdup(names[i]);
}

static void free_names(TSK_IMG_INFO *img)
{
    for (int i = 0; img->images && i < img->num_img; i++)
        free(img->images[i]);
    free(img->images);
    img->images = NULL;
}

/* ---- raw and split raw ------------------------------------------------------ */

typedef struct {
    TSK_IMG_INFO img; /* first: TSK's handle is this struct */
    size_t nseg;
    char **names;
    int *fd;
    uint64_t *start; /* offset of each segment in the image */
    uint64_t *len;
} raw_img;

static ssize_t raw_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    raw_img *r = (raw_img *)img;
    if (off < 0) {
        tsk_error_set_errno(TSK_ERR_IMG_READ_OFF);
        tsk_error_set_errstr("negative offset");
        return -1;
    }
    size_t done = 0;
    uint64_t pos = (uint64_t)off;
    /* the segment holding pos: binary search over the starts */
    size_t lo = 0, hi = r->nseg;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->start[mid] <= pos)
            lo = mid;
        else
            hi = mid;
    }
    for (size_t s = lo; s < r->nseg && done < len; s++) {
        if (pos >= r->start[s] + r->len[s])
            continue;
        uint64_t in = pos - r->start[s];
        size_t want = len - done;
        if (want > r->len[s] - in)
            want = (size_t)(r->len[s] - in);
        ssize_t got;
        do
            got = pread(r->fd[s], buf + done, want, (off_t)in);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            tsk_error_set_errno(TSK_ERR_IMG_READ);
            tsk_error_set_errstr("segment %zu at offset %" PRIu64 ": %s", s + 1, in, strerror(errno));
            return -1;
        }
        done += (size_t)got;
        pos += (uint64_t)got;
        if ((size_t)got < want)
            break; /* the segment file is shorter than it was at open */
    }
    return (ssize_t)done;
}

static void raw_close(TSK_IMG_INFO *img)
{
    raw_img *r = (raw_img *)img;
    for (size_t i = 0; i < r->nseg; i++) {
        close(r->fd[i]);
        free(r->names[i]);
    }
    free_names(img);
    free(r->names);
    free(r->fd);
    free(r->start);
    free(r->len);
    free(r);
}

static void raw_stat(TSK_IMG_INFO *img, FILE *f)
{
    fprintf(f, "raw image, %zu segment(s)\n", ((raw_img *)img)->nseg);
}

/* The name of the segment after `name` in a split set ("x.001" -> "x.002",
 * "xaa" -> "xab"), or NULL when name does not end like a segment. */
static char *next_segment(const char *name)
{
    size_t n = strlen(name), d = n;
    while (d > 0 && isdigit((unsigned char)name[d - 1]))
        d--;
    if (d < n && n - d >= 2 && d > 0 && name[d - 1] == '.') {
        char *next = tm_xstrdup(name);
        size_t i = n;
        while (i > d && next[i - 1] == '9')
            next[--i] = '0';
        if (i == d)
            return free(next), NULL; /* .999 is the last */
        next[i - 1]++;
        return next;
    }
    if (n >= 2 && islower((unsigned char)name[n - 1]) && islower((unsigned char)name[n - 2])) {
        char *next = tm_xstrdup(name);
        if (next[n - 1] != 'z')
            next[n - 1]++;
        else if (next[n - 2] != 'z') {
            next[n - 2]++;
            next[n - 1] = 'a';
        } else
            return free(next), NULL;
        return next;
    }
    return NULL;
}

/* A first segment ends in .000/.001 (any width) or "aa". */
static bool first_segment(const char *name)
{
    size_t n = strlen(name), d = n;
    while (d > 0 && isdigit((unsigned char)name[d - 1]))
        d--;
    if (d < n && n - d >= 2 && d > 0 && name[d - 1] == '.') {
        for (size_t i = d; i + 1 < n; i++)
            if (name[i] != '0')
                return false;
        return name[n - 1] == '0' || name[n - 1] == '1';
    }
    return n >= 2 && strcmp(name + n - 2, "aa") == 0;
}

static TSK_IMG_INFO *open_raw(const char *path, int fd0, tm_image_info *info, char *err, size_t n)
{
    raw_img *r = tm_xcalloc(1, sizeof *r);
    size_t cap = 4;
    r->fd = tm_xcalloc(cap, sizeof *r->fd);
    r->names = tm_xcalloc(cap, sizeof *r->names);
    r->names[0] = tm_xstrdup(path);
    r->start = tm_xcalloc(cap, sizeof *r->start);
    r->len = tm_xcalloc(cap, sizeof *r->len);
    r->fd[0] = fd0;
    r->len[0] = fd_size(fd0);
    r->nseg = 1;
    uint64_t total = r->len[0];
    if (first_segment(path)) {
        char *cur = tm_xstrdup(path);
        for (;;) {
            char *next = next_segment(cur);
            free(cur);
            cur = next;
            if (!cur)
                break;
            int fd = open_evidence(cur, &info->noatime);
            if (fd < 0)
                break;
            if (r->nseg == cap) {
                cap *= 2;
                r->fd = tm_xrealloc(r->fd, cap * sizeof *r->fd);
                r->names = tm_xrealloc(r->names, cap * sizeof *r->names);
                r->start = tm_xrealloc(r->start, cap * sizeof *r->start);
                r->len = tm_xrealloc(r->len, cap * sizeof *r->len);
            }
            r->fd[r->nseg] = fd;
            r->names[r->nseg] = tm_xstrdup(cur);
            r->start[r->nseg] = total;
            r->len[r->nseg] = fd_size(fd);
            total += r->len[r->nseg];
            r->nseg++;
        }
        free(cur);
    }
    info->format = r->nseg > 1 ? "split-raw" : "raw";
    info->segments = (unsigned)r->nseg;
    TSK_IMG_INFO *img = tsk_img_open_external(r, (TSK_OFF_T)total, 512, raw_read, raw_close, raw_stat);
    if (!img) {
        snprintf(err, n, "TSK refused the raw image: %s", tsk_error_get() ? tsk_error_get() : "?");
        raw_close(&r->img);
        return NULL;
    }
    set_names(img, r->names, (int)r->nseg);
    return img;
}

/* ---- EWF -------------------------------------------------------------------- */

typedef struct {
    TSK_IMG_INFO img;
    libewf_handle_t *h;
    pthread_mutex_t lock;
    char **names;
    int nnames;
    char *repair_dir; /* a temporary folder with repaired segment files, or NULL */
} ewf_img;

/* ---- EWF: segment files with a damaged table section ---------------------- */

static long fd_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
    int fd = *(int *)ctx;
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long)got;
}

static void remove_dir(const char *dir, char **names, int count)
{
    for (int i = 0; i < count; i++) {
        const char *b = strrchr(names[i], '/');
        char *p = tm_xasprintf("%s/%s", dir, b ? b + 1 : names[i]);
        unlink(p);
        free(p);
    }
    rmdir(dir);
}

static bool copy_file(int in, const char *to, uint64_t size)
{
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return false;
    bool ok = true;
    loff_t ioff = 0;
    while (ok && (uint64_t)ioff < size) {
        ssize_t n = copy_file_range(in, &ioff, out, NULL, (size_t)(size - (uint64_t)ioff), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            continue;
        /* no copy_file_range here (or across these file systems): by hand */
        char buf[1 << 16];
        long r = fd_read_at(&in, (uint64_t)ioff, buf, sizeof buf);
        ok = r > 0 && write(out, buf, (size_t)r) == (ssize_t)r;
        if (ok)
            ioff += r;
    }
    return close(out) == 0 && ok;
}

/* The set again, with each segment file whose table section is damaged
 * copied into a temporary folder and mended from its table2 mirror (the
 * others linked there): the first segment's path in that folder, or NULL
 * when nothing could be mended. *said tells what was. The evidence is only
 * read. */
static char *repaired_set(char **names, int count, char **dir_out, char *said, size_t n)
{
    said[0] = '\0';
    const char *tmp = getenv("TMPDIR");
    char *dir = tm_xasprintf("%s/toolmark-ewf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    size_t mended = 0;
    bool ok = true;
    for (int i = 0; i < count && ok; i++) {
        bool noatime = true;
        int fd = open_evidence(names[i], &noatime);
        if (fd < 0) {
            ok = false;
            break;
        }
        uint64_t size = fd_size(fd);
        tm_ewf_patch patches[64];
        size_t np = 0;
        tm_ewf_table_repairs(fd_read_at, &fd, size, patches, 64, &np);
        const char *b = strrchr(names[i], '/');
        b = b ? b + 1 : names[i];
        char *dst = tm_xasprintf("%s/%s", dir, b);
        if (np == 0) {
            char *real = realpath(names[i], NULL);
            ok = real && symlink(real, dst) == 0;
            free(real);
        } else {
            ok = copy_file(fd, dst, size);
            int out = ok ? open(dst, O_WRONLY | O_CLOEXEC) : -1;
            for (size_t k = 0; k < np && out >= 0; k++)
                ok = ok && pwrite(out, patches[k].bytes, patches[k].len, (off_t)patches[k].offset) ==
                                   (ssize_t)patches[k].len;
            ok = out >= 0 && close(out) == 0 && ok;
            for (size_t k = 0; k < np && ok; k++) {
                size_t used = strlen(said);
                snprintf(said + used, n - used, "%s%s: %s is damaged", used ? "; " : "", b, patches[k].why);
            }
            mended += np;
        }
        tm_ewf_patches_free(patches, np);
        free(dst);
        close(fd);
    }
    if (!ok || mended == 0) {
        remove_dir(dir, names, count);
        free(dir);
        said[0] = '\0';
        return NULL;
    }
    const char *b = strrchr(names[0], '/');
    char *first = tm_xasprintf("%s/%s", dir, b ? b + 1 : names[0]);
    *dir_out = dir;
    return first;
}

static ssize_t ewf_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    ewf_img *e = (ewf_img *)img;
    libewf_error_t *err = NULL;
    pthread_mutex_lock(&e->lock);
    ssize_t got = libewf_handle_read_random(e->h, buf, len, (off64_t)off, &err);
    pthread_mutex_unlock(&e->lock);
    if (got < 0) {
        char msg[256];
        ewf_message(&err, msg, sizeof msg);
        tsk_error_set_errno(TSK_ERR_IMG_READ);
        tsk_error_set_errstr("E01 read at offset %" PRIdOFF ": %s", off, msg);
        return -1;
    }
    return got;
}

static void ewf_close(TSK_IMG_INFO *img)
{
    ewf_img *e = (ewf_img *)img;
    free_names(img);
    libewf_handle_close(e->h, NULL);
    libewf_handle_free(&e->h, NULL);
    if (e->repair_dir) {
        remove_dir(e->repair_dir, e->names, e->nnames);
        free(e->repair_dir);
    }
    libewf_glob_free(e->names, e->nnames, NULL);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

static void ewf_stat(TSK_IMG_INFO *img, FILE *f)
{
    fprintf(f, "EWF image, %d segment(s)\n", ((ewf_img *)img)->nnames);
}

static TSK_IMG_INFO *open_ewf(const char *path, tm_image_info *info, char *err, size_t n)
{
    libewf_error_t *e = NULL;
    char **names = NULL;
    int count = 0;
    if (libewf_glob(path, strlen(path), LIBEWF_FORMAT_UNKNOWN, &names, &count, &e) != 1) {
        libewf_error_free(&e);
        snprintf(err, n, "cannot list the E01 segment files");
        return NULL;
    }
    libewf_handle_t *h = NULL;
    char *repair_dir = NULL, mended[300] = "";
    bool opened = libewf_handle_initialize(&h, &e) == 1 && libewf_handle_open(h, names, count, LIBEWF_OPEN_READ, &e) == 1;
    bool corrupted = false;
    if (opened) {
        corrupted = libewf_handle_segment_files_corrupted(h, &e) == 1;
        libewf_error_free(&e);
    }
    if (!opened || corrupted) {
        /* libewf refuses a set (or loses its chunks) whose table section is
         * damaged, though table2 mirrors it: a mended copy is tried */
        char msg[256];
        ewf_message(&e, msg, sizeof msg);
        char *first = repaired_set(names, count, &repair_dir, mended, sizeof mended);
        char **names2 = NULL;
        int count2 = 0;
        libewf_handle_t *h2 = NULL;
        if (first && libewf_glob(first, strlen(first), LIBEWF_FORMAT_UNKNOWN, &names2, &count2, &e) == 1 &&
            libewf_handle_initialize(&h2, &e) == 1 && libewf_handle_open(h2, names2, count2, LIBEWF_OPEN_READ, &e) == 1) {
            if (h) {
                libewf_handle_close(h, NULL);
                libewf_handle_free(&h, NULL);
            }
            h = h2;
            libewf_glob_free(names, count, NULL);
            names = names2;
            count = count2;
            opened = true;
        } else {
            libewf_error_free(&e);
            if (h2)
                libewf_handle_free(&h2, NULL);
            if (names2)
                libewf_glob_free(names2, count2, NULL);
            if (repair_dir) {
                remove_dir(repair_dir, names, count);
                free(repair_dir);
                repair_dir = NULL;
            }
            mended[0] = '\0';
        }
        free(first);
        if (!opened) {
            snprintf(err, n, "libewf cannot open the segment files: %s", msg);
            if (h)
                libewf_handle_free(&h, NULL);
            libewf_glob_free(names, count, NULL);
            return NULL;
        }
    }
    size64_t size = 0;
    uint32_t bps = 512;
    if (libewf_handle_get_media_size(h, &size, &e) != 1)
        size = 0;
    libewf_error_free(&e);
    if (libewf_handle_get_bytes_per_sector(h, &bps, &e) != 1 || bps == 0)
        bps = 512;
    libewf_error_free(&e);
    if (libewf_handle_get_utf8_hash_value_md5(h, (uint8_t *)info->md5, sizeof info->md5, &e) != 1)
        info->md5[0] = 0;
    libewf_error_free(&e);
    if (libewf_handle_get_utf8_hash_value_sha1(h, (uint8_t *)info->sha1, sizeof info->sha1, &e) != 1)
        info->sha1[0] = 0;
    libewf_error_free(&e);
    /* libewf (20140813) opens a set with missing or truncated segment files
     * without complaint and reads the missing data as zeros */
    if (libewf_handle_segment_files_corrupted(h, &e) == 1)
        snprintf(info->damage, sizeof info->damage,
                 "the E01 segment set is incomplete or truncated (%d segment file%s found): a segment file is missing "
                 "or cut short, and data past the damage reads as zeros",
                 count, count == 1 ? "" : "s");
    else if (mended[0])
        snprintf(info->damage, sizeof info->damage, "%.200s: its chunks are read through the table2 copy", mended);
    libewf_error_free(&e);
    ewf_img *w = tm_xcalloc(1, sizeof *w);
    w->h = h;
    w->names = names;
    w->nnames = count;
    w->repair_dir = repair_dir;
    pthread_mutex_init(&w->lock, NULL);
    info->format = "ewf";
    info->segments = (unsigned)count;
    info->noatime = false; /* libewf opens the segment files itself */
    TSK_IMG_INFO *img = tsk_img_open_external(w, (TSK_OFF_T)size, bps, ewf_read, ewf_close, ewf_stat);
    if (!img) {
        snprintf(err, n, "TSK refused the E01 image: %s", tsk_error_get() ? tsk_error_get() : "?");
        ewf_close(&w->img);
        return NULL;
    }
    set_names(img, names, count);
    return img;
}

size_t tm_image_checksum_errors(TSK_IMG_INFO *img, void (*fn)(void *ctx, uint64_t first_sector, uint64_t sectors),
                                void *ctx)
{
    if (!img || img->close != ewf_close)
        return 0;
    ewf_img *e = (ewf_img *)img;
    uint32_t n = 0;
    libewf_error_t *err = NULL;
    pthread_mutex_lock(&e->lock);
    if (libewf_handle_get_number_of_checksum_errors(e->h, &n, &err) != 1)
        n = 0;
    libewf_error_free(&err);
    for (uint32_t i = 0; i < n && fn; i++) {
        uint64_t first = 0, count = 0;
        if (libewf_handle_get_checksum_error(e->h, i, &first, &count, &err) == 1)
            fn(ctx, first, count);
        libewf_error_free(&err);
    }
    pthread_mutex_unlock(&e->lock);
    return n;
}

/* ---- hashing ---------------------------------------------------------------- */

static void hex(const unsigned char *d, unsigned n, char *out)
{
    for (unsigned i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
    out[2 * n] = 0;
}

int tm_image_hash(TSK_IMG_INFO *img, char md5[33], char sha1[41], char *err, size_t n)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new(), *s = EVP_MD_CTX_new();
    EVP_DigestInit_ex(m, EVP_md5(), NULL);
    EVP_DigestInit_ex(s, EVP_sha1(), NULL);
    enum { CHUNK = 1 << 20 };
    char *buf = tm_xmalloc(CHUNK);
    int rc = 0;
    for (TSK_OFF_T off = 0; off < img->size;) {
        size_t want = img->size - off < CHUNK ? (size_t)(img->size - off) : CHUNK;
        /* straight to the reader: TSK's cache would only churn */
        ssize_t got = img->read(img, off, buf, want);
        if (got <= 0) {
            snprintf(err, n, "cannot read the image at offset %" PRIdOFF ": %s", off,
                     got < 0 && tsk_error_get() ? tsk_error_get() : "short read");
            rc = -1;
            break;
        }
        EVP_DigestUpdate(m, buf, (size_t)got);
        EVP_DigestUpdate(s, buf, (size_t)got);
        off += got;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    EVP_DigestFinal_ex(m, d, &dl);
    hex(d, dl, md5);
    EVP_DigestFinal_ex(s, d, &dl);
    hex(d, dl, sha1);
    if (rc != 0)
        md5[0] = sha1[0] = 0;
    EVP_MD_CTX_free(m);
    EVP_MD_CTX_free(s);
    free(buf);
    return rc;
}

/* ---- overlay ------------------------------------------------------------------ */

typedef struct {
    TSK_IMG_INFO img;
    TSK_IMG_INFO *base;
    uint64_t at;
    size_t len;
    unsigned char *bytes;
} overlay_img;

static ssize_t overlay_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    overlay_img *o = (overlay_img *)img;
    ssize_t got = tsk_img_read(o->base, off, buf, len);
    if (got <= 0)
        return got;
    uint64_t a = (uint64_t)off, b = a + (uint64_t)got; /* [a, b) read; replace its overlap with [at, at+len) */
    uint64_t lo = a > o->at ? a : o->at, hi = b < o->at + o->len ? b : o->at + o->len;
    if (lo < hi)
        memcpy(buf + (lo - a), o->bytes + (lo - o->at), (size_t)(hi - lo));
    return got;
}

static void overlay_close(TSK_IMG_INFO *img)
{
    overlay_img *o = (overlay_img *)img;
    free_names(img);
    free(o->bytes);
    free(o);
}

static void overlay_stat(TSK_IMG_INFO *img, FILE *f)
{
    fprintf(f, "overlay of %zu bytes at %" PRIu64 "\n", ((overlay_img *)img)->len, ((overlay_img *)img)->at);
}

TSK_IMG_INFO *tm_image_overlay(TSK_IMG_INFO *base, uint64_t at, const void *replacement, size_t len)
{
    overlay_img *o = tm_xcalloc(1, sizeof *o);
    o->base = base;
    o->at = at;
    o->len = len;
    o->bytes = tm_xmalloc(len ? len : 1);
    memcpy(o->bytes, replacement, len);
    TSK_IMG_INFO *img = tsk_img_open_external(o, base->size, base->sector_size, overlay_read, overlay_close, overlay_stat);
    if (!img) {
        overlay_close(&o->img);
        return NULL;
    }
    set_names(img, base->images, base->num_img);
    return img;
}

/* ---- detection ---------------------------------------------------------------- */

/* Containers TSK reads through its own libraries (libvmdk, libvhdi, afflib). */
static bool tsk_container(int fd, uint64_t size)
{
    unsigned char head[64] = {0}, foot[512] = {0};
    if (!read_exact(fd, 0, head, size < sizeof head ? (size_t)size : sizeof head))
        return false;
    if (memcmp(head, "KDMV", 4) == 0 || memcmp(head, "COWD", 4) == 0 || memcmp(head, "# Disk DescriptorFile", 21) == 0)
        return true; /* VMDK */
    if (memcmp(head, "conectix", 8) == 0 || memcmp(head, "vhdxfile", 8) == 0)
        return true; /* dynamic VHD, VHDX */
    if (memcmp(head, "AFF10\r\n", 7) == 0)
        return true;
    if (size >= 512 && read_exact(fd, size - 512, foot, 512) && memcmp(foot, "conectix", 8) == 0)
        return true; /* fixed VHD: a footer only */
    return false;
}

TSK_IMG_INFO *tm_image_bytes_open(const char *path, tm_image_info *info, char *err, size_t n)
{
    memset(info, 0, sizeof *info);
    info->noatime = true;
    int fd = open_evidence(path, &info->noatime);
    if (fd < 0) {
        snprintf(err, n, "cannot open image: %s", strerror(errno));
        return NULL;
    }
    /* EWF by its signature, read here (libewf_check_file_signature would
     * open the file again, without O_NOATIME) */
    unsigned char sig[8] = {0};
    if (read_exact(fd, 0, sig, sizeof sig) &&
        (memcmp(sig, "EVF\x09\x0d\x0a\xff\x00", 8) == 0 || memcmp(sig, "EVF2\x0d\x0a\x81\x00", 8) == 0)) {
        close(fd);
        info->ours = true;
        return open_ewf(path, info, err, n);
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        snprintf(err, n, "cannot open image: not a file or device");
        close(fd);
        return NULL;
    }
    if (tsk_container(fd, fd_size(fd))) {
        close(fd);
        info->noatime = false;
        TSK_IMG_INFO *img = tsk_img_open_utf8_sing(path, TSK_IMG_TYPE_DETECT, 0);
        if (!img) {
            snprintf(err, n, "cannot open image: %s", tsk_error_get() ? tsk_error_get() : "?");
            return NULL;
        }
        const char *name = tsk_img_type_toname(img->itype);
        info->format = name ? name : "unknown";
        info->segments = img->num_img > 0 ? (unsigned)img->num_img : 1;
        return img;
    }
    info->ours = true;
    return open_raw(path, fd, info, err, n);
}

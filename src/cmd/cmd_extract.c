/* toolmark extract: copies the artifacts out of each input, keeping their
 * Windows paths, and writes DIR/manifest.csv (SHA-256, size, times, source).
 *
 * Layout: DIR/<input-id>/<volume>/<sanitised path>, a named stream as
 * "<name>%3A<stream>" (the KAPE/Velociraptor convention). Sparse regions
 * (the $J hole) stay holes in the copy. Every file is written under a
 * temporary name and renamed when complete. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cmd/cmd.h"
#include "util/csv.h"
#include "util/fileout.h"
#include "util/pathsafe.h"
#include "util/timeutil.h"
#include "util/msg.h"

static const char usage[] =
    "Usage: toolmark extract [--force] -o DIR INPUT...\n"
    "\n"
    "Copy the artifacts of each INPUT to DIR/<input-id>/<volume>/<Windows path>,\n"
    "and write DIR/manifest.csv with SHA-256, size, NTFS times and source of each.\n"
    "Names are sanitised (no '..', no absolute paths, no device names, no control\n"
    "characters: such bytes are written as %XX).\n"
    "\n"
    "  -o, --output DIR  destination (created; must be empty unless --force)\n"
    "  --force           write into a non-empty DIR (existing files are kept;\n"
    "                    a name already taken gets a ~N suffix)\n"
    "  -h, --help        this help\n";

#define CHUNK (1u << 20)

static const char *const manifest_header[] = {
    "input",     "input_id",  "volume",    "volume_offset", "fs",        "volume_serial", "kind",
    "subtype",   "user",      "path",      "stream",        "inode",     "size",          "sha256",
    "si_crtime", "si_mtime",  "si_atime",  "si_ctime",      "fn_crtime", "fn_mtime",      "fn_atime",
    "fn_ctime",  "extracted", "status"};

typedef struct {
    const char *dir;
} opts;

static void time_cell(tm_buf *b, int64_t t)
{
    char iso[TM_TIME_ISO_LEN];
    tm_time_iso(t, iso);
    tm_csv_cell(b, iso, false);
}

/* Copies one artifact; returns 0 or -1 with err set. */
static int copy_artifact(tm_input *in, const tm_artifact *a, const char *dest, char hex[65], uint64_t *size, char *err,
                         size_t errlen)
{
    tm_art_reader *r = tm_art_open(in, a, err, errlen);
    if (!r)
        return -1;
    tm_fileout f;
    if (tm_fileout_open(&f, dest) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dest, strerror(errno));
        tm_art_close(r);
        return -1;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    unsigned char *buf = tm_xmalloc(CHUNK);
    const tm_extent *ext;
    size_t next = tm_art_extents(r, &ext);
    int rc = 0;
    for (size_t i = 0; i < next && rc == 0; i++) {
        if (ext[i].sparse) {
            /* The hash covers the logical content: holes hash as zeros. */
            memset(buf, 0, CHUNK);
            for (uint64_t left = ext[i].length; left > 0;) {
                size_t n = left > CHUNK ? CHUNK : (size_t)left;
                EVP_DigestUpdate(md, buf, n);
                left -= n;
            }
            continue;
        }
        for (uint64_t off = ext[i].offset; off < ext[i].offset + ext[i].length;) {
            uint64_t left = ext[i].offset + ext[i].length - off;
            size_t want = left > CHUNK ? CHUNK : (size_t)left;
            ssize_t n = tm_art_read(r, off, buf, want);
            if (n <= 0) {
                snprintf(err, errlen, "%s at offset %" PRIu64, n < 0 ? tm_art_error(r) : "unexpected end", off);
                rc = -1;
                break;
            }
            EVP_DigestUpdate(md, buf, (size_t)n);
            if (tm_fileout_pwrite(&f, buf, (size_t)n, off) != 0) {
                snprintf(err, errlen, "write failed: %s", strerror(f.saved_errno));
                rc = -1;
                break;
            }
            off += (uint64_t)n;
        }
    }
    *size = tm_art_size(r);
    if (rc == 0 && tm_fileout_truncate(&f, *size) != 0) {
        snprintf(err, errlen, "write failed: %s", strerror(f.saved_errno));
        rc = -1;
    }
    unsigned char digest[32];
    unsigned dl = 0;
    EVP_DigestFinal_ex(md, digest, &dl);
    EVP_MD_CTX_free(md);
    free(buf);
    tm_art_close(r);
    if (rc != 0) {
        tm_fileout_abort(&f);
        return -1;
    }
    if (tm_fileout_commit(&f) != 0) {
        snprintf(err, errlen, "cannot finish %s: %s", dest, strerror(errno));
        return -1;
    }
    /* The copy keeps the artifact's access and modification times, as triage
     * collectors do: scanning the extracted folder then sees the same times. */
    if (a->times.mtime != TM_TIME_NONE) {
        int64_t at = a->times.atime != TM_TIME_NONE ? a->times.atime : a->times.mtime;
        struct timespec ts[2] = {{(time_t)(at / 1000000), (long)(at % 1000000) * 1000},
                                 {(time_t)(a->times.mtime / 1000000), (long)(a->times.mtime % 1000000) * 1000}};
        if (at >= 0 && a->times.mtime >= 0)
            utimensat(AT_FDCWD, dest, ts, 0);
    }
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

/* A destination path not yet taken (case-insensitively distinct names from
 * NTFS may collide on the examiner's file system). */
static char *unique_dest(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return tm_xstrdup(path);
    for (unsigned k = 2;; k++) {
        char *p = tm_xasprintf("%s~%u", path, k);
        if (lstat(p, &st) != 0)
            return p;
        free(p);
    }
}

static int per_input(tm_input *in, void *vo)
{
    opts *o = vo;
    int rc = (in->nproblems || !in->opened) ? TM_EXIT_PARTIAL : TM_EXIT_OK;
    for (size_t i = 0; i < in->nproblems; i++)
        tm_say_problem(in, &in->problems[i]);
    char *part = tm_xasprintf("%s/.manifest-%s.part", o->dir, in->id);
    tm_fileout mf;
    if (tm_fileout_open(&mf, part) != 0) {
        tm_msg("cannot write %s: %s\n", part, strerror(errno));
        free(part);
        return TM_EXIT_PARTIAL;
    }
    tm_buf row;
    tm_buf_init(&row);
    for (size_t i = 0; i < in->narts; i++) {
        const tm_artifact *a = &in->arts[i];
        const tm_volume *v = &in->vols[a->volume];
        char label[32];
        tm_volume_label(in, v, label, sizeof label);
        tm_buf rel;
        tm_buf_init(&rel);
        tm_buf_printf(&rel, "%s/%s/", in->id, label);
        char *name = a->stream ? tm_xasprintf("%s:%s", a->path, a->stream) : tm_xstrdup(a->path);
        tm_path_sanitize(name, &rel);
        free(name);
        char *dest = tm_xasprintf("%s/%s", o->dir, tm_buf_cstr(&rel));
        char *slash = strrchr(dest, '/');
        *slash = '\0';
        int mk = tm_mkdirs(dest, 0755);
        *slash = '/';
        char hex[65] = "", err[512] = "";
        uint64_t size = a->size;
        char *final = unique_dest(dest);
        int ok = mk == 0 ? copy_artifact(in, a, final, hex, &size, err, sizeof err) : -1;
        if (mk != 0)
            snprintf(err, sizeof err, "cannot create directory: %s", strerror(errno));
        if (ok != 0) {
            tm_msg("%s: %s: %s\n", in->path, a->path, err);
            rc = TM_EXIT_PARTIAL;
        }
        /* the copy is only as good as the image data it was read from */
        size_t damage_before = in->nproblems;
        tm_note_late_problems(in, false, NULL);
        bool damaged_copy = ok == 0 && in->nproblems > damage_before;
        if (damaged_copy)
            rc = TM_EXIT_PARTIAL;
        char ino[64], serial[20] = "";
        tm_artifact_inode_str(a, ino, sizeof ino);
        if (v->has_serial)
            snprintf(serial, sizeof serial, "%016" PRIX64, v->serial);
        tm_csv_cell(&row, in->path, true);
        tm_csv_cell(&row, in->id, false);
        tm_csv_cell(&row, label, false);
        tm_csv_cell_u64(&row, v->offset, false);
        tm_csv_cell(&row, v->fs_type, false);
        tm_csv_cell(&row, serial, false);
        tm_csv_cell(&row, tm_art_kind_name(a->kind), false);
        tm_csv_cell(&row, a->subtype, false);
        tm_csv_cell(&row, a->user, false);
        tm_csv_cell(&row, a->path, false);
        tm_csv_cell(&row, a->stream, false);
        tm_csv_cell(&row, ino, false);
        tm_csv_cell_u64(&row, size, false);
        tm_csv_cell(&row, hex, false);
        time_cell(&row, a->times.crtime);
        time_cell(&row, a->times.mtime);
        time_cell(&row, a->times.atime);
        time_cell(&row, a->times.ctime);
        time_cell(&row, a->times.has_fn ? a->times.fn_crtime : TM_TIME_NONE);
        time_cell(&row, a->times.has_fn ? a->times.fn_mtime : TM_TIME_NONE);
        time_cell(&row, a->times.has_fn ? a->times.fn_atime : TM_TIME_NONE);
        time_cell(&row, a->times.has_fn ? a->times.fn_ctime : TM_TIME_NONE);
        tm_csv_cell(&row, ok == 0 ? final + strlen(o->dir) + 1 : NULL, false);
        char *status = damaged_copy ? tm_xstrdup("copied from damaged image data (E01 checksum failure)")
                       : ok == 0    ? tm_xstrdup("ok")
                                    : tm_xasprintf("error: %s", err);
        tm_csv_cell(&row, status, false);
        free(status);
        tm_buf_puts(&row, "\r\n");
        tm_fileout_write(&mf, row.data, row.len);
        tm_buf_reset(&row);
        free(final);
        free(dest);
        tm_buf_free(&rel);
    }
    tm_buf_free(&row);
    if (tm_fileout_commit(&mf) != 0) {
        tm_msg("cannot write %s: %s\n", part, strerror(errno));
        rc = TM_EXIT_PARTIAL;
    }
    free(part);
    tm_buf line;
    tm_buf_init(&line);
    tm_buf_term_line(&line, "%s: %zu artifact%s extracted to %s/%s%s", in->path, in->narts, in->narts == 1 ? "" : "s",
                     o->dir, in->id, rc == TM_EXIT_OK ? "" : " (with errors, see above)");
    tm_flush_stdout(&line);
    tm_buf_free(&line);
    return rc;
}

static bool dir_is_empty(const char *dir, bool *exists)
{
    DIR *d = opendir(dir);
    *exists = d != NULL;
    if (!d)
        return true;
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    closedir(d);
    return empty;
}

/* Joins the per-input manifest parts into DIR/manifest.csv, in input order. */
static int write_manifest(const char *dir, char *const *paths, size_t n)
{
    char *path = tm_xasprintf("%s/manifest.csv", dir);
    tm_fileout f;
    if (tm_fileout_open(&f, path) != 0) {
        tm_msg("cannot write %s: %s\n", path, strerror(errno));
        free(path);
        return -1;
    }
    tm_buf b;
    tm_buf_init(&b);
    for (size_t i = 0; i < sizeof manifest_header / sizeof manifest_header[0]; i++)
        tm_csv_cell(&b, manifest_header[i], i == 0);
    tm_buf_puts(&b, "\r\n");
    tm_fileout_write(&f, b.data, b.len);
    tm_buf_free(&b);
    char **ids = tm_input_ids(paths, n);
    for (size_t i = 0; i < n; i++) {
        char *part = tm_xasprintf("%s/.manifest-%s.part", dir, ids[i]);
        FILE *p = fopen(part, "rb");
        if (p) {
            char buf[1 << 14];
            size_t r;
            while ((r = fread(buf, 1, sizeof buf, p)) > 0)
                tm_fileout_write(&f, buf, r);
            fclose(p);
            unlink(part);
        }
        free(part);
        free(ids[i]);
    }
    free(ids);
    int rc = tm_fileout_commit(&f);
    if (rc != 0)
        tm_msg("cannot write %s: %s\n", path, strerror(errno));
    free(path);
    return rc;
}

int cmd_extract(int argc, char **argv)
{
    static const struct option lopts[] = {{"output", required_argument, NULL, 'o'},
                                          {"force", no_argument, NULL, 'f'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    opts o = {0};
    bool force = false;
    int c;
    optind = 1;
    while ((c = tm_getopt("extract", argc, argv, "ho:", lopts)) != -1) {
        switch (c) {
        case 'o': o.dir = optarg; break;
        case 'f': force = true; break;
        case 'h': fputs(usage, stdout); return TM_EXIT_OK;
        default: return TM_EXIT_USAGE; /* said by tm_getopt */
        }
    }
    if (!o.dir) {
        tm_usage_error("extract", "no output directory: give -o DIR");
        return TM_EXIT_USAGE;
    }
    if (optind >= argc) {
        tm_usage_error("extract", "no INPUT given");
        return TM_EXIT_USAGE;
    }
    bool exists;
    if (!dir_is_empty(o.dir, &exists) && !force) {
        tm_msg_line("%s extract: %s is not empty; use --force to write into it anyway\n", tm_prog, o.dir);
        return TM_EXIT_USAGE;
    }
    /* Evidence is read-only: checked before anything is created. */
    if (tm_output_inside_input("extract", o.dir, argv + optind, (size_t)(argc - optind)))
        return TM_EXIT_USAGE;
    if (tm_mkdirs(o.dir, 0755) != 0) {
        tm_msg_line("%s extract: cannot create %s: %s\n", tm_prog, o.dir, strerror(errno));
        return TM_EXIT_PARTIAL;
    }
    size_t n = (size_t)(argc - optind);
    int rc = tm_run_inputs(argv + optind, n, per_input, &o);
    if (write_manifest(o.dir, argv + optind, n) != 0)
        rc = TM_EXIT_PARTIAL;
    return rc;
}

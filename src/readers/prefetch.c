/* Prefetch reader (libscca): Windows XP to 11, compressed (MAM) included.
 * One record per file; its time is the most recent run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libscca.h>

#include "readers/bfio_bridge.h"
#include "readers/lzxpress.h"
#include "readers/reader.h"
#include "util/yal_message.h"
#include "util/timeutil.h"

#define MAX_FILES_LISTED 4096

static void scca_errmsg(libscca_error_t **err, char *out, size_t n)
{
    out[0] = '\0';
    if (*err) {
        libscca_error_backtrace_sprint(*err, out, n);
        libscca_error_free(err);
    }
    tm_yal_message(out, n);
}

/* Opens src with libscca; NULL with msg on failure. */
static libscca_file_t *open_scca(tm_source *src, libbfio_handle_t **bfio, char *msg, size_t n)
{
    libscca_error_t *err = NULL;
    libscca_file_t *file = NULL;
    *bfio = tm_bfio_from_source(src);
    if (!*bfio || libscca_file_initialize(&file, &err) != 1) {
        scca_errmsg(&err, msg, n);
        tm_bfio_free(bfio);
        return NULL;
    }
    if (libscca_file_open_file_io_handle(file, *bfio, LIBSCCA_OPEN_READ, &err) != 1) {
        scca_errmsg(&err, msg, n);
        libscca_file_free(&file, NULL);
        tm_bfio_free(bfio);
        return NULL;
    }
    return file;
}

/* Compressed (MAM) Prefetch files, Windows 10 and 11, are decompressed here
 * and libscca gets the plain data: libscca (20200717) would decompress a
 * cut-short file into zeros and then spend minutes splitting them into
 * empty file names (quadratic), and it rejects format version 31, whose
 * layout is version 30's (marked as 30 for it). Returns 1 with the plain
 * data, 0 when src is not compressed, -1 when it cannot be decompressed. */
static int decompress_mam(tm_source *src, uint8_t **plain, size_t *n, uint32_t *version)
{
    uint8_t sig[4];
    if (src->size < 8 || tm_source_pread(src, 0, sig, 4) != 4 || memcmp(sig, "MAM", 3) != 0)
        return 0;
    if (src->size > (16u << 20))
        return -1;
    size_t sz = (size_t)src->size;
    uint8_t *raw = tm_xmalloc(sz);
    size_t plen = 0;
    int rc = -1;
    if (tm_source_pread(src, 0, raw, sz) == (ssize_t)sz && tm_mam_decompress(raw, sz, plain, &plen) == 0) {
        /* The header is read only once the plain data is known to hold one
         * (a MAM file may say its plain size is a single byte). */
        if (plen >= 84 && memcmp(*plain + 4, "SCCA", 4) == 0) {
            uint32_t v = (uint32_t)(*plain)[0] | (uint32_t)(*plain)[1] << 8 | (uint32_t)(*plain)[2] << 16 |
                         (uint32_t)(*plain)[3] << 24;
            if (v == 31) { /* said in the record: libscca reports 30 */
                *version = v;
                (*plain)[0] = 30;
            }
            *n = plen;
            rc = 1;
        } else {
            free(*plain);
            *plain = NULL;
        }
    }
    free(raw);
    return rc;
}

/* libscca splits the file name strings section at every NUL with a
 * quadratic append: the few MiB of zeros it decompressed from a cut-short
 * file took it minutes (bench/mutate case 4747), and a plain file can say
 * the same. Real files hold hundreds to a few thousand names.
 * Returns the number of strings when it is beyond reason, else 0. */
#define MAX_FILE_NAMES 100000u
static uint64_t absurd_name_count(tm_source *s)
{
    uint8_t h[0x6C];
    if (tm_source_pread(s, 0, h, sizeof h) != (ssize_t)sizeof h || memcmp(h + 4, "SCCA", 4) != 0)
        return 0;
    uint32_t off = (uint32_t)h[0x64] | (uint32_t)h[0x65] << 8 | (uint32_t)h[0x66] << 16 | (uint32_t)h[0x67] << 24;
    uint32_t size = (uint32_t)h[0x68] | (uint32_t)h[0x69] << 8 | (uint32_t)h[0x6A] << 16 | (uint32_t)h[0x6B] << 24;
    if (size < 2u * MAX_FILE_NAMES || off >= s->size)
        return 0;
    if (size > s->size - off)
        size = (uint32_t)(s->size - off);
    if (size > (64u << 20))
        size = 64u << 20;
    uint8_t *b = tm_xmalloc(size);
    uint64_t n = 0;
    if (tm_source_pread(s, off, b, size) == (ssize_t)size)
        for (uint32_t i = 0; i + 1 < size; i += 2)
            n += b[i] == 0 && b[i + 1] == 0;
    free(b);
    return n > MAX_FILE_NAMES ? n : 0;
}

int tm_read_prefetch(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    (void)job;
    libscca_error_t *err = NULL;
    char msg[512];
    libbfio_handle_t *bfio = NULL;
    uint8_t *plain = NULL;
    tm_source *mem = NULL;
    uint32_t real_version = 0;
    size_t plen = 0;
    int mam = decompress_mam(src, &plain, &plen, &real_version);
    if (mam < 0) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "not a readable Prefetch file: its compressed (MAM) data cannot be "
                                      "decompressed (cut short or damaged)");
        return -1;
    }
    if (mam > 0)
        mem = tm_source_mem(plain, plen);
    uint64_t names = absurd_name_count(mem ? mem : src);
    if (names) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "not a readable Prefetch file: its file name section holds %llu strings "
                                      "(damaged; real files hold a few thousand at most)", (unsigned long long)names);
        tm_source_close(mem);
        free(plain);
        return -1;
    }
    libscca_file_t *file = open_scca(mem ? mem : src, &bfio, msg, sizeof msg);
    if (!file) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "not a readable Prefetch file: %s", msg);
        tm_source_close(mem);
        free(plain);
        return -1;
    }
    uint64_t runs[8];
    int nruns = 0;
    int64_t latest = TM_TIME_NONE;
    for (int i = 0; i < 8; i++) {
        uint64_t ft = 0;
        if (libscca_file_get_last_run_time(file, i, &ft, &err) != 1) {
            libscca_error_free(&err);
            break;
        }
        if (ft == 0)
            continue;
        runs[nruns++] = ft;
        if (tm_time_from_filetime(ft) > latest)
            latest = tm_time_from_filetime(ft);
    }
    tm_fields_enc *e = tm_emit_begin(out, TM_ART_PREFETCH, 0, 0, latest);
    size_t sz = 0;
    if (libscca_file_get_utf8_executable_filename_size(file, &sz, &err) == 1 && sz > 0 && sz < 4096) {
        char *name = tm_xmalloc(sz);
        if (libscca_file_get_utf8_executable_filename(file, (uint8_t *)name, sz, &err) == 1) {
            name[sz - 1] = '\0';
            tm_fenc_str(e, "executable", name);
        }
        free(name);
    }
    libscca_error_free(&err);
    uint32_t v = 0;
    if (libscca_file_get_prefetch_hash(file, &v, &err) == 1) {
        char h[12];
        snprintf(h, sizeof h, "%08X", v);
        tm_fenc_str(e, "prefetch_hash", h);
    }
    libscca_error_free(&err);
    if (real_version)
        tm_fenc_uint(e, "format_version", real_version);
    else if (libscca_file_get_format_version(file, &v, &err) == 1)
        tm_fenc_uint(e, "format_version", v);
    libscca_error_free(&err);
    if (libscca_file_get_run_count(file, &v, &err) == 1)
        tm_fenc_uint(e, "run_count", v);
    libscca_error_free(&err);
    for (int i = 0; i < nruns; i++) {
        char key[24];
        snprintf(key, sizeof key, "last_run.%d", i + 1);
        tm_fenc_time(e, key, tm_time_from_filetime(runs[i]));
    }
    int nvol = 0;
    if (libscca_file_get_number_of_volumes(file, &nvol, &err) != 1)
        nvol = 0;
    libscca_error_free(&err);
    for (int i = 0; i < nvol && i < 32; i++) {
        libscca_volume_information_t *vi = NULL;
        if (libscca_file_get_volume_information(file, i, &vi, &err) != 1) {
            libscca_error_free(&err);
            continue;
        }
        char key[40];
        size_t ps = 0;
        if (libscca_volume_information_get_utf8_device_path_size(vi, &ps, &err) == 1 && ps > 0 && ps < 4096) {
            char *path = tm_xmalloc(ps);
            if (libscca_volume_information_get_utf8_device_path(vi, (uint8_t *)path, ps, &err) == 1) {
                path[ps - 1] = '\0';
                snprintf(key, sizeof key, "volume.%d.device_path", i + 1);
                tm_fenc_str(e, key, path);
            }
            free(path);
        }
        libscca_error_free(&err);
        uint32_t serial = 0;
        if (libscca_volume_information_get_serial_number(vi, &serial, &err) == 1) {
            char h[12];
            snprintf(h, sizeof h, "%08X", serial);
            snprintf(key, sizeof key, "volume.%d.serial", i + 1);
            tm_fenc_str(e, key, h);
        }
        libscca_error_free(&err);
        uint64_t ft = 0;
        if (libscca_volume_information_get_creation_time(vi, &ft, &err) == 1) {
            snprintf(key, sizeof key, "volume.%d.created", i + 1);
            tm_fenc_time(e, key, tm_time_from_filetime(ft));
        }
        libscca_error_free(&err);
        libscca_volume_information_free(&vi, NULL);
    }
    tm_fenc_uint(e, "volumes", (uint64_t)nvol);
    int nf = 0;
    if (libscca_file_get_number_of_filenames(file, &nf, &err) != 1)
        nf = 0;
    libscca_error_free(&err);
    /* Referenced files, one per line (what the program loaded). */
    tm_buf files;
    tm_buf_init(&files);
    for (int i = 0; i < nf && i < MAX_FILES_LISTED; i++) {
        size_t fs = 0;
        if (libscca_file_get_utf8_filename_size(file, i, &fs, &err) != 1 || fs == 0 || fs > 32768) {
            libscca_error_free(&err);
            continue;
        }
        tm_buf_reserve(&files, fs + 1);
        if (libscca_file_get_utf8_filename(file, i, (uint8_t *)files.data + files.len, fs, &err) == 1) {
            files.len += strnlen(files.data + files.len, fs);
            tm_buf_putc(&files, '\n');
        }
        libscca_error_free(&err);
    }
    if (files.len)
        files.len--; /* no trailing newline */
    tm_fenc_uint(e, "file_count", (uint64_t)nf);
    if (files.len)
        tm_fenc_strn(e, "files", files.data, files.len);
    tm_buf_free(&files);
    tm_emit_end(out);
    st->records = st->total = 1;
    libscca_file_close(file, NULL);
    libscca_file_free(&file, NULL);
    tm_bfio_free(&bfio);
    tm_source_close(mem);
    free(plain);
    return 0;
}

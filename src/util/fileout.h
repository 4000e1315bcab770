/* Output files are written under a temporary name in the same directory and
 * renamed into place only when complete, so a crash never leaves a half file
 * that looks finished. */
#ifndef TM_FILEOUT_H
#define TM_FILEOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int fd;
    char *final_path;
    char *tmp_path;
    bool failed;
    int saved_errno;
} tm_fileout;

/* Creates "<dir>/.<name>.tmp-<pid>-<n>" next to path. Returns 0 or -1 (errno). */
int tm_fileout_open(tm_fileout *f, const char *path);
int tm_fileout_write(tm_fileout *f, const void *p, size_t n);
int tm_fileout_pwrite(tm_fileout *f, const void *p, size_t n, uint64_t off);
/* Sets the final size (creates a hole when larger than what was written). */
int tm_fileout_truncate(tm_fileout *f, uint64_t size);
/* fsync-free commit: close + rename. On earlier failure, removes the temp file
 * and returns -1. */
int tm_fileout_commit(tm_fileout *f);
void tm_fileout_abort(tm_fileout *f);

/* mkdir -p; returns 0 or -1 (errno). */
int tm_mkdirs(const char *path, unsigned mode);

#endif

#include "util/fileout.h"
#include "util/lifetime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"

int tm_fileout_open(tm_fileout *f, const char *path)
{
    static unsigned counter;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dirlen;
    f->final_path = tm_xstrdup(path);
    f->tmp_path = tm_xasprintf("%.*s.%s.tmp-%ld-%u", (int)dirlen, path, base, (long)getpid(), counter++);
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        int e = errno;
        free(f->final_path);
        free(f->tmp_path);
        f->final_path = f->tmp_path = NULL;
        errno = e;
        return -1;
    }
    return 0;
}

static void fail(tm_fileout *f)
{
    if (!f->failed) {
        f->failed = true;
        f->saved_errno = errno;
    }
}

int tm_fileout_write(tm_fileout *f, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0 && !f->failed) {
        ssize_t w = write(f->fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fail(f);
            break;
        }
        c += w;
        n -= (size_t)w;
    }
    return f->failed ? -1 : 0;
}

int tm_fileout_pwrite(tm_fileout *f, const void *p, size_t n, uint64_t off)
{
    const char *c = p;
    while (n > 0 && !f->failed) {
        ssize_t w = pwrite(f->fd, c, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fail(f);
            break;
        }
        c += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return f->failed ? -1 : 0;
}

int tm_fileout_truncate(tm_fileout *f, uint64_t size)
{
    if (!f->failed && ftruncate(f->fd, (off_t)size) != 0)
        fail(f);
    return f->failed ? -1 : 0;
}

void tm_fileout_abort(tm_fileout *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->tmp_path)
        unlink(f->tmp_path);
    free(f->tmp_path);
    free(f->final_path);
    f->fd = -1;
    f->tmp_path = f->final_path = NULL;
}

int tm_fileout_commit(tm_fileout *f)
{
    if (f->fd < 0)
        return -1;
    if (close(f->fd) != 0)
        fail(f);
    f->fd = -1;
    tm_test_hold("commit", f->final_path);
    if (!f->failed && rename(f->tmp_path, f->final_path) != 0)
        fail(f);
    if (f->failed) {
        int e = f->saved_errno;
        tm_fileout_abort(f);
        errno = e;
        return -1;
    }
    free(f->tmp_path);
    free(f->final_path);
    f->tmp_path = f->final_path = NULL;
    return 0;
}

int tm_mkdirs(const char *path, unsigned mode)
{
    char *p = tm_xstrdup(path);
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char saved = p[i];
            p[i] = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                int e = errno;
                free(p);
                errno = e;
                return -1;
            }
            p[i] = saved;
        }
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* A folder as input: triage collections (C/..., C%3A/...) and loose copied
 * files, recognised by the locator's path rules or by content signature,
 * because collected files are often renamed. Read-only: files are opened
 * O_RDONLY and never modified; times are those of the host file system. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/input.h"
#include "util/buf.h"
#include "util/pathsafe.h"
#include "util/timeutil.h"

#define MAX_DEPTH 64

typedef struct {
    const tm_input_ops *ops;
    int rootfd;
} folder_priv;

typedef struct {
    tm_art_reader base;
} folder_reader;

/* A drive folder of a triage collection: "C", "C:", "C%3A", "C$", or a
 * component ending in one of these (e.g. "%5C%5C.%5CC%3A"); also the volume
 * folders `toolmark extract` writes ("vol", "vol2"). */
static bool is_drive_folder(const char *c)
{
    size_t n = strlen(c);
    if (strncmp(c, "vol", 3) == 0 && strspn(c + 3, "0123456789") == n - 3)
        return true;
    const char *tails[] = {"%3A", "%3a", ":", "$", ""};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t t = strlen(tails[i]);
        if (n < t + 1 || strcmp(c + n - t, tails[i]) != 0)
            continue;
        char letter = c[n - t - 1];
        bool alpha = (letter >= 'A' && letter <= 'Z') || (letter >= 'a' && letter <= 'z');
        if (!alpha)
            continue;
        if (n == t + 1)
            return true;
        /* Longer prefixes only for the encoded device form. */
        if (t > 0 && n - t - 1 >= 3 && strstr(c, "%5C"))
            return true;
    }
    return false;
}

static char *usn_win_path(const char *rel)
{
    static const char *const names[] = {"$UsnJrnl:$J", "$UsnJrnl%3A$J", "$UsnJrnl%3a$J", "$UsnJrnl_$J", "$J"};
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (tm_ieq(base, names[i]))
            return tm_xstrdup("$Extend/$UsnJrnl");
    return NULL;
}

/* Tries the path rules on the path and on each suffix after a drive folder. */
static const tm_path_rule *classify(const char *rel, char **win_path, char **user)
{
    const char *p = rel;
    bool at_start = true;
    while (p) {
        if (at_start) {
            const tm_path_rule *r = tm_classify_win_path(p, user);
            if (r) {
                *win_path = tm_xstrdup(p);
                return r;
            }
            char *usn = usn_win_path(p);
            if (usn && (strchr(p, '/') == NULL || tm_istarts_with(p, "$Extend/"))) {
                *win_path = usn;
                return tm_path_rule_of(TM_ART_USN);
            }
            free(usn);
        }
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        char *comp = tm_xstrndup(p, (size_t)(slash - p));
        at_start = is_drive_folder(comp);
        free(comp);
        p = slash + 1;
    }
    return NULL;
}

static void fill_times(tm_times *t, int dirfd, const char *name, const struct stat *st)
{
    t->mtime = tm_time_from_unix(st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    t->atime = tm_time_from_unix(st->st_atim.tv_sec, st->st_atim.tv_nsec);
    t->ctime = tm_time_from_unix(st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
    struct statx sx;
    if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME))
        t->crtime = tm_time_from_unix(sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec);
}

/* Evidence read-only and, where the kernel allows it (the file's owner or
 * CAP_FOWNER), without changing access times; in->noatime says whether
 * every open managed. */
static int open_evidence(tm_input *in, int dirfd, const char *name, int flags)
{
    int fd = openat(dirfd, name, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM) {
        fd = openat(dirfd, name, flags);
        if (fd >= 0)
            in->noatime = false;
    }
    return fd;
}

static void add_file(tm_input *in, int dirfd, const char *name, const char *rel, const struct stat *st)
{
    char *win_path = NULL, *user = NULL;
    const tm_path_rule *rule = classify(rel, &win_path, &user);
    int kind = rule ? (int)rule->kind : -1;
    const char *subtype = rule ? rule->subtype : NULL;
    bool by_signature = false;
    if (!rule) {
        int fd = open_evidence(in, dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            /* An unreadable file could be evidence we cannot classify: say so. */
            tm_input_add_problem(in, "artifact", rel, "cannot read file: %s", strerror(errno));
            return;
        }
        unsigned char hdr[512];
        ssize_t n = pread(fd, hdr, sizeof hdr, 0);
        close(fd);
        if (n < 0) {
            tm_input_add_problem(in, "artifact", rel, "cannot read file: %s", strerror(errno));
            return;
        }
        kind = tm_kind_sniff(name, hdr, (size_t)n, (uint64_t)st->st_size, &subtype);
        if (kind < 0)
            return;
        by_signature = true;
        win_path = tm_xstrdup(rel);
    }
    tm_artifact *a = tm_input_add_artifact(in);
    a->kind = (tm_art_kind)kind;
    a->subtype = subtype ? tm_xstrdup(subtype) : NULL;
    a->path = tm_xstrdup(rel);
    a->win_path = win_path;
    /* A collected stream is a file of its own: no stream to select. */
    a->stream = NULL;
    a->user = user;
    a->size = (uint64_t)st->st_size;
    a->signature_match = by_signature;
    a->volume = 0;
    fill_times(&a->times, dirfd, name, st);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(tm_input *in, int dirfd, const char *rel, int depth)
{
    if (depth > MAX_DEPTH) {
        tm_input_add_problem(in, "artifact", rel, "directory nesting deeper than %d: not descended", MAX_DEPTH);
        return;
    }
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        tm_input_add_problem(in, "artifact", *rel ? rel : ".", "cannot list directory: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    /* Sort names so the artifact order does not depend on directory order. */
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = tm_xrealloc(names, (nn + 1) * sizeof *names);
        names[nn++] = tm_xstrdup(e->d_name);
    }
    closedir(d);
    tm_sort(names, nn, sizeof *names, cmp_names);
    for (size_t i = 0; i < nn; i++) {
        const char *name = names[i];
        char *child = *rel ? tm_xasprintf("%s/%s", rel, name) : tm_xstrdup(name);
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            tm_input_add_problem(in, "artifact", child, "cannot stat: %s", strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            int sub = open_evidence(in, dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                tm_input_add_problem(in, "artifact", child, "cannot open directory: %s", strerror(errno));
            } else {
                walk(in, sub, child, depth + 1);
                close(sub);
            }
        } else if (S_ISREG(st.st_mode)) {
            add_file(in, dirfd, name, child, &st);
        } else if (S_ISLNK(st.st_mode)) {
            tm_input_add_problem(in, "artifact", child, "symbolic link not followed");
        }
        /* FIFOs, sockets and devices are not evidence files: opening a FIFO
         * would hang, so they are skipped without a read. */
        free(child);
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
}

static ssize_t folder_read(tm_art_reader *r, uint64_t off, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = pread(r->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            snprintf(r->err, sizeof r->err, "read failed: %s", strerror(errno));
        return n;
    }
}

static void folder_reader_close(tm_art_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->extents);
    free(r);
}

static void push_extent(tm_art_reader *r, uint64_t off, uint64_t len, bool sparse)
{
    if (len == 0)
        return;
    r->extents = tm_xrealloc(r->extents, (r->nextents + 1) * sizeof *r->extents);
    r->extents[r->nextents++] = (tm_extent){off, len, sparse};
}

static void build_extents(tm_art_reader *r)
{
    off_t size = (off_t)r->size, pos = 0;
    while (pos < size) {
        off_t data = lseek(r->fd, pos, SEEK_DATA);
        if (data < 0 || data >= size) {
            /* ENXIO: only a hole remains; EINVAL: no hole support, all data. */
            push_extent(r, (uint64_t)pos, (uint64_t)(size - pos), data < 0 && errno == ENXIO);
            break;
        }
        push_extent(r, (uint64_t)pos, (uint64_t)(data - pos), true);
        off_t hole = lseek(r->fd, data, SEEK_HOLE);
        if (hole < 0 || hole > size)
            hole = size;
        push_extent(r, (uint64_t)data, (uint64_t)(hole - data), false);
        pos = hole;
    }
}

static tm_art_reader *folder_open_artifact(tm_input *in, const tm_artifact *a, char *err, size_t errlen)
{
    folder_priv *fp = in->priv;
    int fd = open_evidence(in, fp->rootfd, a->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "not a regular file");
        close(fd);
        return NULL;
    }
    folder_reader *fr = tm_xcalloc(1, sizeof *fr);
    fr->base.read = folder_read;
    fr->base.close = folder_reader_close;
    fr->base.fd = fd;
    fr->base.size = (uint64_t)st.st_size;
    build_extents(&fr->base);
    return &fr->base;
}

static void folder_close_input(tm_input *in)
{
    folder_priv *fp = in->priv;
    if (fp->rootfd >= 0)
        close(fp->rootfd);
    free(fp);
    in->priv = NULL;
}

static const tm_input_ops folder_ops = {folder_open_artifact, folder_close_input, NULL, NULL, NULL};

bool tm_folder_open(tm_input *in)
{
    in->format = tm_xstrdup("folder");
    in->vs_type = tm_xstrdup("none");
    in->noatime = true;
    int fd = open_evidence(in, AT_FDCWD, in->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        tm_input_add_problem(in, "input", in->path, "cannot open folder: %s", strerror(errno));
        return false;
    }
    folder_priv *fp = tm_xcalloc(1, sizeof *fp);
    fp->ops = &folder_ops;
    fp->rootfd = fd;
    in->priv = fp;
    tm_volume *v = tm_input_add_volume(in);
    v->index = -1;
    v->desc = tm_xstrdup("folder");
    v->fs_type = tm_xstrdup("folder");
    v->status = TM_VOL_OK;
    walk(in, fd, "", 0);
    return true;
}

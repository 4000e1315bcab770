#include "image/input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/pathsafe.h"

/* Every back end's priv starts with its ops table. */
typedef struct {
    const tm_input_ops *ops;
} priv_head;

static bool recover = true;

void tm_input_set_recover(bool on)
{
    recover = on;
}

bool tm_input_recover(void)
{
    return recover;
}

tm_input *tm_input_open(const char *path)
{
    tm_input *in = tm_xcalloc(1, sizeof *in);
    in->path = tm_xstrdup(path);
    struct stat st;
    in->real_path = realpath(path, NULL);
    if (stat(path, &st) == 0) {
        in->file_size = (uint64_t)st.st_size;
        in->file_mtime = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
    }
    if (stat(path, &st) != 0) {
        tm_input_add_problem(in, "input", path, "cannot open input: %s", strerror(errno));
        in->format = tm_xstrdup("unknown");
        return in;
    }
    if (S_ISDIR(st.st_mode)) {
        in->type = TM_INPUT_FOLDER;
        in->opened = in->recognised = tm_folder_open(in);
    } else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
        in->type = TM_INPUT_IMAGE;
        if (S_ISREG(st.st_mode) && st.st_size == 0) {
            tm_input_add_problem(in, "input", path, "cannot open image: the file is empty");
            in->format = tm_xstrdup("unknown");
            return in;
        }
        in->opened = tm_image_open(in);
    } else {
        tm_input_add_problem(in, "input", path, "cannot open input: not a file, block device or directory");
        in->format = tm_xstrdup("unknown");
    }
    return in;
}

void tm_input_close(tm_input *in)
{
    if (!in)
        return;
    if (in->priv)
        ((priv_head *)in->priv)->ops->close_input(in);
    for (size_t i = 0; i < in->narts; i++)
        tm_artifact_free(&in->arts[i]);
    for (size_t i = 0; i < in->nvols; i++) {
        free(in->vols[i].desc);
        free(in->vols[i].fs_type);
        free(in->vols[i].reason);
        free(in->vols[i].shadows);
    }
    for (size_t i = 0; i < in->nproblems; i++) {
        free(in->problems[i].scope);
        free(in->problems[i].where);
        free(in->problems[i].message);
    }
    free(in->arts);
    free(in->vols);
    free(in->problems);
    free(in->path);
    free(in->real_path);
    free(in->id);
    free(in->format);
    free(in->stored_md5);
    free(in->computed_md5);
    free(in->computed_sha1);
    free(in->stored_sha1);
    free(in->vs_type);
    free(in);
}

/* Input ids: the base name without image extensions, restricted to
 * [A-Za-z0-9._-], made unique with -2, -3 ... */
static char *base_id(const char *path, const char *label)
{
    if (label && *label)
        path = label; /* a manifest's label names the input; made safe like a name */
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/')
        s--;
    char *name = tm_xstrndup(path + s, n - s);
    static const char *const exts[] = {".E01", ".Ex01", ".001", ".raw", ".dd", ".img", ".vhd", ".vhdx", ".vmdk", ".s01", ".aff"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        if (tm_iends_with(name, exts[i]) && strlen(name) > strlen(exts[i])) {
            name[strlen(name) - strlen(exts[i])] = '\0';
            break;
        }
    }
    for (char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_'))
            *p = '_';
    }
    if (name[0] == '\0' || name[0] == '.') {
        char *fixed = tm_xasprintf("input%s", name);
        free(name);
        name = fixed;
    }
    return name;
}

char **tm_input_ids(char *const *paths, size_t n)
{
    return tm_input_ids_labelled(paths, NULL, n);
}

char **tm_input_ids_labelled(char *const *paths, char *const *labels, size_t n)
{
    char **ids = tm_xcalloc(n ? n : 1, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        char *base = base_id(paths[i], labels ? labels[i] : NULL);
        char *id = tm_xstrdup(base);
        for (unsigned k = 2;; k++) {
            bool clash = tm_ieq(id, "case"); /* the case's own folder */
            for (size_t j = 0; j < i && !clash; j++)
                clash = tm_ieq(ids[j], id);
            if (!clash)
                break;
            free(id);
            id = tm_xasprintf("%s-%u", base, k);
        }
        free(base);
        ids[i] = id;
    }
    return ids;
}

size_t tm_input_recheck(tm_input *in)
{
    size_t before = in->nproblems;
    if (in->priv && ((priv_head *)in->priv)->ops->recheck)
        ((priv_head *)in->priv)->ops->recheck(in);
    return in->nproblems - before;
}

int tm_input_verify(tm_input *in)
{
    if (!in->priv || !((priv_head *)in->priv)->ops->verify || (!in->stored_md5 && !in->stored_sha1))
        return -1;
    char err[300];
    return ((priv_head *)in->priv)->ops->verify(in, err, sizeof err);
}

tm_art_reader *tm_art_open(tm_input *in, const tm_artifact *a, char *err, size_t errlen)
{
    if (!in->priv) {
        snprintf(err, errlen, "input is not open");
        return NULL;
    }
    return ((priv_head *)in->priv)->ops->open(in, a, err, errlen);
}

const char *tm_input_mft_path(tm_input *in, int volume, uint64_t entry, uint32_t seq, const char **why)
{
    if (!in->priv || !((priv_head *)in->priv)->ops->mft_path) {
        *why = "no MFT in this input";
        return NULL;
    }
    return ((priv_head *)in->priv)->ops->mft_path(in, volume, entry, seq, why);
}

ssize_t tm_art_read(tm_art_reader *r, uint64_t off, void *buf, size_t len)
{
    if (off >= r->size)
        return 0;
    if (len > r->size - off)
        len = (size_t)(r->size - off);
    return r->read(r, off, buf, len);
}

const char *tm_art_error(tm_art_reader *r)
{
    return r->err;
}

uint64_t tm_art_size(tm_art_reader *r)
{
    return r->size;
}

size_t tm_art_extents(tm_art_reader *r, const tm_extent **out)
{
    *out = r->extents;
    return r->nextents;
}

int tm_art_fd(tm_art_reader *r)
{
    return r->fd;
}

void tm_art_close(tm_art_reader *r)
{
    if (r)
        r->close(r);
}

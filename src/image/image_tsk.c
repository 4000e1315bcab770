/* Disk images through The Sleuth Kit: image -> volume system -> file system
 * -> artifact files, following TSK's own layering. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "image/carve.h"
#include "image/deleted.h"
#include "image/vss.h"
#include "image/image_bytes.h"
#include "image/mft_check.h"
#include "image/input.h"
#include "image/vs_recover.h"
#include "util/buf.h"
#include "util/pathsafe.h"
#include "util/timeutil.h"

/* Hostile images can nest directories deeply or loop them. */
#define MAX_DIR_DEPTH 32
#define MAX_ARTIFACTS_PER_RULE 100000

/* Cache of MFT entry -> path, per input (open addressing). */
typedef struct {
    int volume;
    uint64_t entry;
    uint32_t seq;
    char *path; /* NULL: unresolvable, why in reason */
    const char *reason;
} path_slot;

typedef struct {
    const tm_input_ops *ops;
    TSK_IMG_INFO *img;
    TSK_VS_INFO *vs;
    TSK_FS_INFO **fs; /* parallel to in->vols; NULL unless status OK */
    size_t nfs;
    path_slot *paths;
    size_t npaths, cappaths;
    uint64_t (*reported)[2]; /* EWF checksum ranges already reported: first sector, count */
    size_t nreported;
    TSK_IMG_INFO **overlays; /* views with a backup boot sector in place (closed after the file systems) */
    size_t noverlays;
    /* shadow copies (vss.c): per volume with stores, and the stores' file
     * systems, by tm_origin.store_index */
    tm_vss **vss;
    size_t nvss;
    TSK_FS_INFO **store_fs;
    size_t nstore_fs;
} tsk_priv;

typedef struct {
    tm_art_reader base;
    TSK_FS_FILE *file;
    const TSK_FS_ATTR *attr;
} tsk_reader;

static void tsk_err(char *out, size_t n, const char *what)
{
    const char *e = tsk_error_get();
    snprintf(out, n, "%s: %s", what, (e && *e) ? e : "unknown error");
    /* TSK errors end with newlines in places; keep messages on one line. */
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    tsk_error_reset();
}

static int64_t ts(time_t sec, uint32_t nano)
{
    if (sec == 0 && nano == 0)
        return TM_TIME_NONE;
    return tm_time_from_unix((int64_t)sec, (int64_t)nano);
}

static void fill_times(tm_times *t, const TSK_FS_META *m, bool ntfs)
{
    t->crtime = ts(m->crtime, m->crtime_nano);
    t->mtime = ts(m->mtime, m->mtime_nano);
    t->atime = ts(m->atime, m->atime_nano);
    t->ctime = ts(m->ctime, m->ctime_nano);
    if (ntfs) {
        t->fn_crtime = ts(m->time2.ntfs.fn_crtime, (uint32_t)m->time2.ntfs.fn_crtime_nano);
        t->fn_mtime = ts(m->time2.ntfs.fn_mtime, (uint32_t)m->time2.ntfs.fn_mtime_nano);
        t->fn_atime = ts(m->time2.ntfs.fn_atime, (uint32_t)m->time2.ntfs.fn_atime_nano);
        t->fn_ctime = ts(m->time2.ntfs.fn_ctime, (uint32_t)m->time2.ntfs.fn_ctime_nano);
        t->has_fn = t->fn_crtime != TM_TIME_NONE || t->fn_mtime != TM_TIME_NONE;
    }
}

/* ---- locating ------------------------------------------------------------ */

typedef struct {
    tm_input *in;
    TSK_FS_INFO *fs;
    int vol;
    const tm_path_rule *rule;
    char *dparts[MAX_DIR_DEPTH];
    size_t nd;
    size_t found;
} locate_ctx;

static bool is_dot(const char *n)
{
    return strcmp(n, ".") == 0 || strcmp(n, "..") == 0;
}

static const TSK_FS_ATTR *find_stream(TSK_FS_FILE *f, const char *stream)
{
    if (!stream)
        return tsk_fs_file_attr_get(f);
    int n = tsk_fs_file_attr_getsize(f);
    for (int i = 0; i < n; i++) {
        const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);
        if (a && a->type == TSK_FS_ATTR_TYPE_NTFS_DATA && a->name && strcmp(a->name, stream) == 0)
            return a;
    }
    return NULL;
}

static void add_found(locate_ctx *c, TSK_FS_FILE *f, const char *path, const char *user)
{
    if (c->found >= MAX_ARTIFACTS_PER_RULE)
        return;
    const TSK_FS_ATTR *attr = find_stream(f, c->rule->stream);
    if (!attr) {
        if (c->rule->stream)
            tm_input_add_problem(c->in, "artifact", path, "stream %s not found", c->rule->stream);
        else
            tm_input_add_problem(c->in, "artifact", path, "no data attribute: %s",
                                 tsk_error_get() ? tsk_error_get() : "");
        tsk_error_reset();
        return;
    }
    tm_artifact *a = tm_input_add_artifact(c->in);
    a->kind = c->rule->kind;
    a->subtype = c->rule->subtype ? tm_xstrdup(c->rule->subtype) : NULL;
    a->path = tm_xstrdup(path);
    a->win_path = tm_xstrdup(path);
    a->stream = c->rule->stream ? tm_xstrdup(c->rule->stream) : NULL;
    a->user = user ? tm_xstrdup(user) : NULL;
    a->has_inode = true;
    a->inode = f->meta->addr;
    a->seq = f->meta->seq;
    a->attr_type = (uint32_t)attr->type;
    a->attr_id = attr->id;
    a->size = attr->size > 0 ? (uint64_t)attr->size : 0;
    a->volume = c->vol;
    fill_times(&a->times, f->meta, TSK_FS_TYPE_ISNTFS(c->fs->ftype));
    c->found++;
}

/* The index entry's own file type can be damaged while the directory it
 * names is intact: then the MFT entry decides. */
static bool meta_is_dir(TSK_FS_INFO *fs, TSK_INUM_T addr)
{
    TSK_FS_FILE *f = tsk_fs_file_open_meta(fs, NULL, addr);
    bool dir = f && f->meta && f->meta->type == TSK_FS_META_TYPE_DIR;
    tsk_fs_file_close(f);
    tsk_error_reset();
    return dir;
}

static void walk_files(locate_ctx *c, TSK_INUM_T dir_addr, const char *dir_path, const char *user, int depth)
{
    if (depth > MAX_DIR_DEPTH)
        return;
    TSK_FS_DIR *d = tsk_fs_dir_open_meta(c->fs, dir_addr);
    if (!d) {
        char msg[512];
        tsk_err(msg, sizeof msg, "cannot list directory");
        tm_input_add_problem(c->in, "artifact", dir_path, "%s", msg);
        return;
    }
    size_t n = tsk_fs_dir_getsize(d);
    for (size_t i = 0; i < n; i++) {
        const TSK_FS_NAME *nm = tsk_fs_dir_get_name(d, i);
        if (!nm || !nm->name || !(nm->flags & TSK_FS_NAME_FLAG_ALLOC) || is_dot(nm->name))
            continue;
        if (nm->meta_addr == dir_addr)
            continue;
        char *path = tm_xasprintf("%s/%s", dir_path, nm->name);
        if (TSK_FS_IS_DIR_NAME(nm->type) ||
            (nm->type == TSK_FS_NAME_TYPE_UNDEF && c->rule->recursive && meta_is_dir(c->fs, nm->meta_addr))) {
            if (c->rule->recursive)
                walk_files(c, nm->meta_addr, path, user, depth + 1);
        } else if (tm_iglob(c->rule->name, nm->name)) {
            TSK_FS_FILE *f = tsk_fs_file_open_meta(c->fs, NULL, nm->meta_addr);
            if (f && f->meta) {
                if (f->meta->type == TSK_FS_META_TYPE_REG)
                    add_found(c, f, path, user);
            } else {
                char msg[512];
                tsk_err(msg, sizeof msg, "cannot open file");
                tm_input_add_problem(c->in, "artifact", path, "%s", msg);
            }
            tsk_fs_file_close(f);
        }
        free(path);
    }
    tsk_fs_dir_close(d);
}

/* Descends the rule's directory pattern from dir_addr, resolving each literal
 * component case-insensitively to its on-disk spelling. */
static void descend(locate_ctx *c, TSK_INUM_T dir_addr, const char *dir_path, size_t level, const char *user)
{
    if (level == c->nd) {
        walk_files(c, dir_addr, dir_path, user, 0);
        return;
    }
    TSK_FS_DIR *d = tsk_fs_dir_open_meta(c->fs, dir_addr);
    if (!d) {
        /* a damaged directory on the way hides every artifact below it */
        char msg[512];
        tsk_err(msg, sizeof msg, "cannot list directory");
        tm_input_add_problem(c->in, "artifact", *dir_path ? dir_path : "/", "%s", msg);
        return;
    }
    const char *want = c->dparts[level];
    bool wildcard = strcmp(want, "*") == 0;
    size_t n = tsk_fs_dir_getsize(d);
    for (size_t i = 0; i < n; i++) {
        const TSK_FS_NAME *nm = tsk_fs_dir_get_name(d, i);
        if (!nm || !nm->name || !(nm->flags & TSK_FS_NAME_FLAG_ALLOC) || is_dot(nm->name))
            continue;
        if (nm->meta_addr == dir_addr || (!wildcard && !tm_ieq(want, nm->name)))
            continue;
        if (!TSK_FS_IS_DIR_NAME(nm->type) && !(nm->type == TSK_FS_NAME_TYPE_UNDEF && meta_is_dir(c->fs, nm->meta_addr)))
            continue;
        char *path = *dir_path ? tm_xasprintf("%s/%s", dir_path, nm->name) : tm_xstrdup(nm->name);
        const char *u = (wildcard && (int)level == c->rule->user_component) ? nm->name : user;
        descend(c, nm->meta_addr, path, level + 1, u);
        free(path);
        if (!wildcard)
            break;
    }
    tsk_fs_dir_close(d);
}

static void locate_usn(locate_ctx *c)
{
    /* $Extend/$UsnJrnl is a metadata file: open it by path; its $J stream
     * has a varying attribute id, so select it by name. */
    TSK_FS_FILE *f = tsk_fs_file_open(c->fs, NULL, "/$Extend/$UsnJrnl");
    if (!f || !f->meta) {
        /* no journal is usual (it can be disabled); a damaged record on
         * the way to it is not */
        const char *e = tsk_error_get();
        if (e && *e && !strstr(e, "path not found")) {
            char msg[512];
            tsk_err(msg, sizeof msg, "cannot open the USN journal");
            tm_input_add_problem(c->in, "artifact", "$Extend/$UsnJrnl", "%s", msg);
        }
        tsk_error_reset();
        tsk_fs_file_close(f);
        return;
    }
    add_found(c, f, "$Extend/$UsnJrnl", NULL);
    tsk_fs_file_close(f);
}

static void locate_volume(tm_input *in, TSK_FS_INFO *fs, int vol)
{
    for (size_t r = 0; r < tm_path_rules_count; r++) {
        locate_ctx c = {.in = in, .fs = fs, .vol = vol, .rule = &tm_path_rules[r]};
        if (c.rule->kind == TM_ART_USN) {
            locate_usn(&c);
            continue;
        }
        char *dcopy = tm_xstrdup(c.rule->dir);
        char *save = NULL;
        for (char *t = strtok_r(dcopy, "/", &save); t && c.nd < MAX_DIR_DEPTH; t = strtok_r(NULL, "/", &save))
            c.dparts[c.nd++] = t;
        descend(&c, fs->root_inum, "", 0, NULL);
        free(dcopy);
    }
}

/* ---- shadow copies ------------------------------------------------------------ */

/* Each store of the volume's shadow copies read as the volume it was, by
 * the same locator (vss.c); its artifacts have origin vss:<id>:<time> and
 * paths under "$Shadow<N>/". */
static void locate_shadow_copies(tm_input *in, tsk_priv *tp, int vi)
{
    TSK_FS_INFO *live = tp->fs[vi];
    tm_volume *v = &in->vols[vi];
    char label[64];
    tm_volume_label(in, v, label, sizeof label);
    const char *why = NULL;
    tm_vss *vss = tm_vss_open(live->img_info, (uint64_t)live->offset, v->length, &why);
    if (!vss) {
        if (why)
            tm_input_add_problem(in, "volume", label, "%s", why);
        return;
    }
    tp->vss = tm_xrealloc(tp->vss, (tp->nvss + 1) * sizeof *tp->vss);
    tp->vss[tp->nvss++] = vss;
    size_t n = tm_vss_count(vss);
    v->shadows = tm_xcalloc(n ? n : 1, sizeof *v->shadows);
    for (size_t k = 0; k < n; k++) {
        tm_origin o;
        TSK_IMG_INFO *simg = tm_vss_store(vss, k, &o);
        tm_shadow_copy *sc = &v->shadows[v->nshadows++];
        if (!simg) {
            tm_input_add_problem(in, "volume", label, "shadow copy %zu cannot be read", k + 1);
            continue;
        }
        snprintf(sc->id, sizeof sc->id, "%s", o.store);
        sc->created = o.store_time;
        TSK_FS_INFO *fs = tsk_fs_open_img(simg, 0, TSK_FS_TYPE_NTFS_DETECT);
        if (!fs) {
            char msg[512];
            tsk_err(msg, sizeof msg, "no NTFS");
            tm_input_add_problem(in, "volume", label, "shadow copy %zu (%s): %s", k + 1, o.store, msg);
            continue;
        }
        sc->opened = true;
        o.store_index = (unsigned)tp->nstore_fs;
        tp->store_fs = tm_xrealloc(tp->store_fs, (tp->nstore_fs + 1) * sizeof *tp->store_fs);
        tp->store_fs[tp->nstore_fs++] = fs;
        size_t before = in->narts;
        locate_volume(in, fs, vi);
        for (size_t i = before; i < in->narts; i++) {
            tm_artifact *a = &in->arts[i];
            a->origin = o;
            char *p = tm_xasprintf("$Shadow%zu/%s", k + 1, a->path);
            free(a->path);
            a->path = p;
        }
    }
}

/* ---- volumes --------------------------------------------------------------- */

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

typedef struct {
    uint64_t from, to; /* sectors [from, to) */
    bool hit;
} range_probe;

static void probe_range(void *vc, uint64_t first, uint64_t count)
{
    range_probe *p = vc;
    if (first < p->to && first + count > p->from)
        p->hit = true;
}

/* Whether the bytes [off, off+len) lie in an EWF chunk that failed its checksum. */
static bool bad_checksum_at(const tsk_priv *tp, uint64_t off, uint64_t len)
{
    uint64_t bps = tp->img->sector_size ? tp->img->sector_size : 512;
    range_probe p = {off / bps, (off + len + bps - 1) / bps, false};
    tm_image_checksum_errors(tp->img, probe_range, &p);
    return p.hit;
}

/* NTFS keeps a copy of its boot sector in the volume's last sector: when the
 * primary is damaged, TSK gets a view of the image with the copy in place. */
static TSK_FS_INFO *open_from_backup(tm_input *in, tsk_priv *tp, const tm_volume *v, char *note, size_t n)
{
    (void)in;
    if (v->length < 2 * 512 || v->offset + v->length > (uint64_t)tp->img->size)
        return NULL;
    unsigned char b[512];
    uint64_t at = v->offset + v->length - 512;
    if (tsk_img_read(tp->img, (TSK_OFF_T)at, (char *)b, sizeof b) != (ssize_t)sizeof b)
        return NULL;
    uint64_t len = tm_ntfs_boot_length(b);
    if (!len || len > v->length)
        return NULL;
    TSK_IMG_INFO *view = tm_image_overlay(tp->img, v->offset, b, sizeof b);
    if (!view)
        return NULL;
    TSK_FS_INFO *fs = tsk_fs_open_img(view, (TSK_OFF_T)v->offset, TSK_FS_TYPE_NTFS_DETECT);
    if (!fs) {
        tsk_img_close(view);
        tsk_error_reset();
        return NULL;
    }
    tp->overlays = tm_xrealloc(tp->overlays, (tp->noverlays + 1) * sizeof *tp->overlays);
    tp->overlays[tp->noverlays++] = view;
    snprintf(note, n, "opened from the backup boot sector at sector %" PRIu64 " (the primary is damaged)", at / 512);
    return fs;
}

/* The MFT record size from the boot sector: clusters per record, or (when
 * negative) 2^-n bytes. 0 when the field makes no sense. */
static size_t mft_record_size(const unsigned char *boot)
{
    unsigned sector = (unsigned)(boot[0x0B] | boot[0x0C] << 8), spc = boot[0x0D];
    int8_t c = (int8_t)boot[0x40];
    size_t size = c < 0 ? (c >= -12 ? (size_t)1 << -c : 0) : (size_t)c * sector * spc;
    return size >= 512 && size <= TM_MFT_MAX_RECORD && size % 512 == 0 ? size : 0;
}

#define MFT_READ_BLOCK (1u << 20)
#define MFT_MAX_NAMED 5

/* Every allocated entry of the volume's MFT (as its $BITMAP says) checked
 * for the damage that makes TSK leave its file out of the listings: files
 * that vanish are named as damage, not taken for absent. One pass over the
 * $MFT's data, in blocks. */
static void check_mft(tm_input *in, TSK_FS_INFO *fs, size_t rsize, const char *vlabel)
{
    TSK_FS_FILE *mft = tsk_fs_file_open_meta(fs, NULL, 0);
    const TSK_FS_ATTR *data = mft ? tsk_fs_file_attr_get_type(mft, TSK_FS_ATTR_TYPE_NTFS_DATA, 0, 0) : NULL;
    const TSK_FS_ATTR *bitmap = mft ? tsk_fs_file_attr_get_type(mft, TSK_FS_ATTR_TYPE_NTFS_BITMAP, 0, 0) : NULL;
    if (!data || !bitmap || bitmap->size <= 0 || data->size <= 0) {
        char msg[512];
        tsk_err(msg, sizeof msg, "cannot read the $MFT's data and bitmap");
        tm_input_add_problem(in, "volume", vlabel, "%s", msg);
        tsk_fs_file_close(mft);
        return;
    }
    uint64_t entries = (uint64_t)data->size / rsize;
    size_t bsize = (size_t)bitmap->size < (entries + 7) / 8 ? (size_t)bitmap->size : (size_t)((entries + 7) / 8);
    uint8_t *bits = tm_xmalloc(bsize ? bsize : 1);
    uint8_t *block = tm_xmalloc(MFT_READ_BLOCK);
    uint64_t damaged = 0, unread = 0;
    tm_buf named;
    tm_buf_init(&named);
    if (tsk_fs_attr_read(bitmap, 0, (char *)bits, bsize, TSK_FS_FILE_READ_FLAG_NONE) != (ssize_t)bsize) {
        tsk_error_reset();
        bsize = 0; /* nothing known to be allocated */
        tm_input_add_problem(in, "volume", vlabel, "the $MFT's bitmap cannot be read: its entries are not checked");
    }
    entries = entries < (uint64_t)bsize * 8 ? entries : (uint64_t)bsize * 8;
    size_t per_block = MFT_READ_BLOCK / rsize;
    for (uint64_t e0 = 0; e0 < entries; e0 += per_block) {
        uint64_t ne = entries - e0 < per_block ? entries - e0 : per_block;
        bool any = false;
        for (uint64_t e = e0; e < e0 + ne && !any; e++)
            any = bits[e / 8] >> (e % 8) & 1;
        if (!any)
            continue;
        size_t want = (size_t)(ne * rsize);
        ssize_t got = tsk_fs_attr_read(data, (TSK_OFF_T)(e0 * rsize), (char *)block, want, TSK_FS_FILE_READ_FLAG_NONE);
        if (got != (ssize_t)want) {
            tsk_error_reset();
            unread += ne;
            continue;
        }
        for (uint64_t e = e0; e < e0 + ne; e++) {
            char why[96];
            if (!(bits[e / 8] >> (e % 8) & 1) || tm_mft_record_ok(block + (e - e0) * rsize, rsize, why, sizeof why))
                continue;
            if (damaged++ < MFT_MAX_NAMED)
                tm_buf_printf(&named, "%sentry %" PRIu64 ": %s", damaged > 1 ? "; " : "", e, why);
        }
    }
    if (damaged)
        tm_input_add_problem(in, "volume", vlabel,
                             "%" PRIu64 " allocated MFT entries are damaged (%s%s): the files they describe are missing "
                             "from every listing",
                             damaged, tm_buf_cstr(&named), damaged > MFT_MAX_NAMED ? "; ..." : "");
    if (unread)
        tm_input_add_problem(in, "volume", vlabel, "%" PRIu64 " MFT entries cannot be read: their files may be missing",
                             unread);
    tm_buf_free(&named);
    free(block);
    free(bits);
    tsk_fs_file_close(mft);
}

/* TSK's own detection (TSK_FS_TYPE_DETECT) also tries YAFFS2, whose test
 * reads the whole volume in small pieces: on a volume with no file system
 * in an E01 whose chunks fail, that was minutes of libewf retries per
 * volume (seconds are still spent on raw images). Windows evidence holds no
 * YAFFS2 (Android flash): each other type is tried in turn, NTFS first, and
 * the first that opens is the volume's. With none, the NTFS attempt's error
 * is kept when the boot sector says NTFS (it names the damage). */
static TSK_FS_INFO *open_fs(TSK_IMG_INFO *img, TSK_OFF_T offset, const unsigned char *boot, ssize_t got)
{
    static const TSK_FS_TYPE_ENUM types[] = {TSK_FS_TYPE_NTFS_DETECT, TSK_FS_TYPE_FAT_DETECT, TSK_FS_TYPE_EXT_DETECT,
                                             TSK_FS_TYPE_HFS_DETECT,  TSK_FS_TYPE_ISO9660_DETECT, TSK_FS_TYPE_FFS_DETECT,
                                             TSK_FS_TYPE_APFS_DETECT};
    char ntfs_err[512] = "";
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        TSK_FS_INFO *fs = tsk_fs_open_img(img, offset, types[i]);
        if (fs)
            return fs;
        if (i == 0 && tsk_error_get())
            snprintf(ntfs_err, sizeof ntfs_err, "%s", tsk_error_get());
        tsk_error_reset();
    }
    tsk_error_set_errno(TSK_ERR_FS_UNKTYPE);
    if (got >= 11 && memcmp(boot + 3, "NTFS    ", 8) == 0 && ntfs_err[0])
        tsk_error_set_errstr("%s", ntfs_err);
    else
        tsk_error_set_errstr("none of NTFS, FAT, exFAT, ext, HFS, ISO 9660, UFS, APFS");
    return NULL;
}

static void open_volume(tm_input *in, tsk_priv *tp, tm_volume *v, bool ntfs_expected)
{
    size_t vi = (size_t)(v - in->vols);
    unsigned char boot[512] = {0};
    ssize_t got = tsk_img_read(tp->img, (TSK_OFF_T)v->offset, (char *)boot, sizeof boot);
    if (got < 0) {
        char msg[512];
        tsk_err(msg, sizeof msg, "read error");
        v->status = TM_VOL_UNREADABLE;
        v->reason = tm_xasprintf("cannot read the volume's first sector (%s)", msg);
        tm_input_add_problem(in, "volume", v->desc ? v->desc : "volume", "%s", v->reason);
        return;
    }

    TSK_FS_INFO *fs = open_fs(tp->img, (TSK_OFF_T)v->offset, boot, got);
    char backup_note[200] = "";
    char msg[512] = ""; /* why the volume's own boot sector did not open (the backup's attempt is not the news) */
    if (!fs) {
        tsk_err(msg, sizeof msg, "TSK cannot open a file system");
        if (!(got >= 11 && memcmp(boot + 3, "-FVE-FS-", 8) == 0)) /* BitLocker's first sector is its own */
            fs = open_from_backup(in, tp, v, backup_note, sizeof backup_note);
    }
    if (!fs) {
        tsk_error_reset();
        bool ntfs_sig = got >= 11 && memcmp(boot + 3, "NTFS    ", 8) == 0;
        if (bad_checksum_at(tp, v->offset, sizeof boot)) {
            /* not the volume's fault: the image's copy of its first sector is damaged */
            v->status = TM_VOL_UNREADABLE;
            v->reason = tm_xasprintf("the E01 data of the volume's boot sector failed its checksum: the image is "
                                     "damaged there, not (necessarily) the volume (%s)",
                                     msg);
        } else if (got >= 11 && memcmp(boot + 3, "-FVE-FS-", 8) == 0) {
            v->status = TM_VOL_UNREADABLE;
            v->fs_type = tm_xstrdup("bitlocker");
            v->reason = tm_xstrdup("BitLocker-encrypted volume: decrypt it first (e.g. with a recovery key) and give the "
                                   "decrypted image");
        } else if (got == (ssize_t)sizeof boot && all_zero(boot, sizeof boot)) {
            v->status = ntfs_expected ? TM_VOL_UNREADABLE : TM_VOL_SKIPPED;
            v->reason = tm_xasprintf("boot sector is all zeros%s",
                                     ntfs_expected ? " (damaged or wiped NTFS boot sector; the backup boot sector at "
                                                     "the volume's end may still be intact)"
                                                   : ": no file system");
        } else if (ntfs_sig || ntfs_expected) {
            v->status = TM_VOL_UNREADABLE;
            v->fs_type = tm_xstrdup("ntfs");
            v->reason = tm_xasprintf("NTFS volume that TSK cannot open (damaged?): %s", msg);
        } else {
            v->status = TM_VOL_SKIPPED;
            v->reason = tm_xasprintf("no file system TSK recognises (%s)", msg);
        }
        tm_input_add_problem(in, "volume", v->desc ? v->desc : "volume", "%s", v->reason);
        return;
    }
    v->fs_type = tm_xstrdup(tsk_fs_type_toname(fs->ftype));
    if (!TSK_FS_TYPE_ISNTFS(fs->ftype)) {
        v->status = TM_VOL_SKIPPED;
        v->reason = tm_xasprintf("file system %s is not NTFS", v->fs_type);
        tsk_fs_close(fs);
        return;
    }
    if (backup_note[0]) {
        got = tsk_img_read(fs->img_info, (TSK_OFF_T)v->offset, (char *)boot, sizeof boot); /* the copy */
        v->reason = tm_xstrdup(backup_note);
        tm_input_add_problem(in, "volume", v->desc ? v->desc : "volume", "%s", backup_note);
    }
    if (got >= 0x50) {
        v->has_serial = true;
        v->serial = 0;
        for (int i = 7; i >= 0; i--)
            v->serial = (v->serial << 8) | boot[0x48 + i];
    }
    v->status = TM_VOL_OK;
    tp->fs[vi] = fs;
    size_t rsize = mft_record_size(boot);
    if (rsize) {
        char label[64];
        tm_volume_label(in, v, label, sizeof label);
        check_mft(in, fs, rsize, label);
    }
    locate_volume(in, fs, (int)vi);
}

static ssize_t tsk_reader_read(tm_art_reader *r, uint64_t off, void *buf, size_t len)
{
    tsk_reader *tr = (tsk_reader *)r;
    ssize_t n = tsk_fs_attr_read(tr->attr, (TSK_OFF_T)off, buf, len, TSK_FS_FILE_READ_FLAG_NONE);
    if (n < 0) {
        tsk_err(r->err, sizeof r->err, "read failed");
        return -1;
    }
    return n;
}

static void tsk_reader_close(tm_art_reader *r)
{
    tsk_reader *tr = (tsk_reader *)r;
    tsk_fs_file_close(tr->file);
    free(r->extents);
    free(tr);
}

static void push_extent(tm_art_reader *r, uint64_t off, uint64_t len, bool sparse)
{
    if (len == 0)
        return;
    if (r->nextents > 0) {
        tm_extent *last = &r->extents[r->nextents - 1];
        if (last->sparse == sparse && last->offset + last->length == off) {
            last->length += len;
            return;
        }
    }
    r->extents = tm_xrealloc(r->extents, (r->nextents + 1) * sizeof *r->extents);
    r->extents[r->nextents++] = (tm_extent){off, len, sparse};
}

/* Data runs of a non-resident, uncompressed attribute, with holes; anything
 * else is one data extent. Bytes past the initialised size read as zeros. */
static void build_extents(tm_art_reader *r, const TSK_FS_ATTR *attr, unsigned block_size)
{
    uint64_t size = r->size;
    if (!(attr->flags & TSK_FS_ATTR_NONRES) || (attr->flags & (TSK_FS_ATTR_COMP | TSK_FS_ATTR_ENC))) {
        push_extent(r, 0, size, false);
        return;
    }
    uint64_t init = attr->nrd.initsize > 0 ? (uint64_t)attr->nrd.initsize : 0;
    uint64_t pos = 0;
    for (const TSK_FS_ATTR_RUN *run = attr->nrd.run; run && pos < size; run = run->next) {
        if (run->len == 0)
            continue;
        uint64_t start = (uint64_t)run->offset * block_size;
        uint64_t len = (uint64_t)run->len * block_size;
        if (start > pos) /* a gap in the run list: TSK reads it as zeros */
            push_extent(r, pos, start - pos < size - pos ? start - pos : size - pos, true);
        if (start >= size)
            break;
        if (len > size - start)
            len = size - start;
        bool sparse = (run->flags & (TSK_FS_ATTR_RUN_FLAG_SPARSE | TSK_FS_ATTR_RUN_FLAG_FILLER)) != 0;
        if (!sparse && start + len > init) {
            if (init > start)
                push_extent(r, start, init - start, false);
            uint64_t zs = init > start ? init : start;
            push_extent(r, zs, start + len - zs, true);
        } else {
            push_extent(r, start, len, sparse);
        }
        pos = start + len;
    }
    if (pos < size)
        push_extent(r, pos, size - pos, true);
}

static tm_art_reader *tsk_open_artifact(tm_input *in, const tm_artifact *a, char *err, size_t errlen)
{
    tsk_priv *tp = in->priv;
    if (a->origin.type == TM_ORIGIN_CARVED)
        return tm_carve_open(tp->img, a, err, errlen);
    if (a->volume < 0 || (size_t)a->volume >= tp->nfs || !tp->fs[a->volume] || !a->has_inode ||
        (a->origin.type == TM_ORIGIN_VSS && a->origin.store_index >= tp->nstore_fs)) {
        snprintf(err, errlen, "artifact has no open volume");
        return NULL;
    }
    TSK_FS_INFO *fs = a->origin.type == TM_ORIGIN_VSS ? tp->store_fs[a->origin.store_index] : tp->fs[a->volume];
    TSK_FS_FILE *f = tsk_fs_file_open_meta(fs, NULL, a->inode);
    if (!f || !f->meta) {
        tsk_err(err, errlen, "cannot open file");
        tsk_fs_file_close(f);
        return NULL;
    }
    const TSK_FS_ATTR *attr = tsk_fs_file_attr_get_type(f, (TSK_FS_ATTR_TYPE_ENUM)a->attr_type, a->attr_id, 1);
    if (!attr) {
        tsk_err(err, errlen, "cannot open data attribute");
        tsk_fs_file_close(f);
        return NULL;
    }
    tsk_reader *tr = tm_xcalloc(1, sizeof *tr);
    tr->file = f;
    tr->attr = attr;
    tr->base.read = tsk_reader_read;
    tr->base.close = tsk_reader_close;
    tr->base.size = attr->size > 0 ? (uint64_t)attr->size : 0;
    tr->base.fd = -1;
    build_extents(&tr->base, attr, fs->block_size);
    return &tr->base;
}

/* ---- MFT paths ---------------------------------------------------------------- */

#define MFT_ROOT 5
#define MAX_PATH_DEPTH 64

static path_slot *path_find(tsk_priv *tp, int vol, uint64_t entry, uint32_t seq, bool insert)
{
    if (tp->cappaths == 0 || (insert && (tp->npaths + 1) * 2 > tp->cappaths)) {
        size_t ncap = tp->cappaths ? tp->cappaths * 2 : 1024;
        path_slot *n = tm_xcalloc(ncap, sizeof *n);
        for (size_t i = 0; i < tp->cappaths; i++) {
            path_slot *o = &tp->paths[i];
            if (!o->reason && !o->path)
                continue;
            size_t h = (size_t)((o->entry * 0x9E3779B97F4A7C15ULL) ^ o->seq ^ (uint64_t)o->volume) & (ncap - 1);
            while (n[h].path || n[h].reason)
                h = (h + 1) & (ncap - 1);
            n[h] = *o;
        }
        free(tp->paths);
        tp->paths = n;
        tp->cappaths = ncap;
    }
    size_t h = (size_t)((entry * 0x9E3779B97F4A7C15ULL) ^ seq ^ (uint64_t)vol) & (tp->cappaths - 1);
    for (;;) {
        path_slot *s = &tp->paths[h];
        if (!s->path && !s->reason)
            break;
        if (s->volume == vol && s->entry == entry && s->seq == seq)
            return s;
        h = (h + 1) & (tp->cappaths - 1);
    }
    if (!insert)
        return NULL;
    path_slot *s = &tp->paths[h];
    s->volume = vol;
    s->entry = entry;
    s->seq = seq;
    tp->npaths++;
    return s;
}

static char *resolve_path(tsk_priv *tp, int vol, uint64_t entry, uint32_t seq, int depth, const char **why)
{
    if (entry == MFT_ROOT)
        return tm_xstrdup("");
    if (depth > MAX_PATH_DEPTH) {
        *why = "parent chain too deep (loop?)";
        return NULL;
    }
    path_slot *cached = path_find(tp, vol, entry, seq, false);
    if (cached) {
        *why = cached->reason;
        return cached->path ? tm_xstrdup(cached->path) : NULL;
    }
    char *result = NULL;
    const char *reason = NULL;
    TSK_FS_FILE *f = tsk_fs_file_open_meta(tp->fs[vol], NULL, (TSK_INUM_T)entry);
    if (!f || !f->meta) {
        reason = "MFT entry unreadable";
    } else if (f->meta->flags & TSK_FS_META_FLAG_UNALLOC) {
        reason = "MFT entry no longer in use (deleted)";
    } else if (seq && f->meta->seq != seq) {
        reason = "MFT entry reused by another file (sequence differs)";
    } else if (!f->meta->name2) {
        reason = "no $FILE_NAME";
    } else {
        const TSK_FS_META_NAME_LIST *nm = tm_tsk_long_name(f->meta->name2);
        char *parent = resolve_path(tp, vol, nm->par_inode, nm->par_seq, depth + 1, &reason);
        if (parent) {
            result = *parent ? tm_xasprintf("%s/%s", parent, nm->name) : tm_xstrdup(nm->name);
            reason = NULL;
        } else {
            reason = reason ? reason : "parent unresolvable";
        }
        free(parent);
    }
    tsk_error_reset();
    tsk_fs_file_close(f);
    path_slot *s = path_find(tp, vol, entry, seq, true);
    s->path = result ? tm_xstrdup(result) : NULL;
    s->reason = result ? NULL : reason;
    *why = reason;
    return result;
}

static const char *tsk_mft_path(tm_input *in, int vol, uint64_t entry, uint32_t seq, const char **why)
{
    tsk_priv *tp = in->priv;
    *why = NULL;
    if (vol < 0 || (size_t)vol >= tp->nfs || !tp->fs[vol]) {
        *why = "volume not open";
        return NULL;
    }
    if (entry == MFT_ROOT)
        return "";
    char *p = resolve_path(tp, vol, entry, seq, 0, why);
    free(p);
    path_slot *s = path_find(tp, vol, entry, seq, false);
    return s ? s->path : NULL;
}

static void tsk_close_input(tm_input *in)
{
    tsk_priv *tp = in->priv;
    for (size_t i = 0; i < tp->cappaths; i++)
        free(tp->paths[i].path);
    free(tp->paths);
    free(tp->reported);
    for (size_t i = 0; i < tp->nstore_fs; i++)
        tsk_fs_close(tp->store_fs[i]);
    free(tp->store_fs);
    for (size_t i = 0; i < tp->nvss; i++)
        tm_vss_close(tp->vss[i]);
    free(tp->vss);
    for (size_t i = 0; i < tp->nfs; i++)
        if (tp->fs[i])
            tsk_fs_close(tp->fs[i]);
    free(tp->fs);
    for (size_t i = 0; i < tp->noverlays; i++)
        tsk_img_close(tp->overlays[i]);
    free(tp->overlays);
    if (tp->vs)
        tsk_vs_close(tp->vs);
    if (tp->img)
        tsk_img_close(tp->img);
    free(tp);
    in->priv = NULL;
}

/* ---- damage ------------------------------------------------------------------ */

#define MAX_RANGES_LISTED 20

typedef struct {
    tm_input *in;
    tsk_priv *tp;
    uint32_t bps;
    size_t n, more;
} damage_ctx;

static void checksum_range(void *vc, uint64_t first, uint64_t count)
{
    damage_ctx *c = vc;
    tm_input *in = c->in;
    tsk_priv *tp = c->tp;
    for (size_t i = 0; i < tp->nreported; i++)
        if (tp->reported[i][0] == first && tp->reported[i][1] == count)
            return; /* said before (libewf merges adjacent ranges: a grown one is said again) */
    if (tp->nreported >= MAX_RANGES_LISTED) {
        c->more++;
        return;
    }
    tp->reported = tm_xrealloc(tp->reported, (tp->nreported + 1) * sizeof *tp->reported);
    tp->reported[tp->nreported][0] = first;
    tp->reported[tp->nreported][1] = count;
    tp->nreported++;
    c->n++;
    uint64_t from = first * c->bps, to = (first + count) * c->bps;
    char where[80] = "";
    for (size_t i = 0; i < in->nvols; i++)
        if (from < in->vols[i].offset + in->vols[i].length && to > in->vols[i].offset) {
            char label[32];
            tm_volume_label(in, &in->vols[i], label, sizeof label);
            snprintf(where, sizeof where, ", in volume %s", label);
            break;
        }
    tm_input_add_problem(in, "input", in->path,
                         "E01 data failed its checksum in sectors %" PRIu64 "-%" PRIu64 " (bytes %" PRIu64 "-%" PRIu64
                         "%s): what was read there may be altered",
                         first, first + count - 1, from, to - 1, where);
}

/* The EWF chunks whose data did not match their checksum, read since the
 * last call (libewf passes such data on and keeps a list of the ranges). */
static void tsk_recheck(tm_input *in)
{
    tsk_priv *tp = in->priv;
    damage_ctx c = {in, tp, tp->img->sector_size ? tp->img->sector_size : 512, 0, 0};
    size_t n = tm_image_checksum_errors(tp->img, checksum_range, &c);
    if (c.more && n > in->checksum_errors)
        tm_input_add_problem(in, "input", in->path, "E01 data failed its checksum in %zu sector ranges in all", n);
    if (n > in->checksum_errors)
        in->damaged = true;
    in->checksum_errors = n;
}

static int tsk_verify(tm_input *in, char *err, size_t n)
{
    tsk_priv *tp = in->priv;
    char md5[33], sha1[41];
    if (tm_image_hash(tp->img, md5, sha1, err, n) != 0) {
        tm_input_add_problem(in, "input", in->path, "verification failed: %s", err);
        in->damaged = true;
        return 1;
    }
    in->computed_md5 = tm_xstrdup(md5);
    in->computed_sha1 = tm_xstrdup(sha1);
    bool bad = (in->stored_md5 && strcasecmp(in->stored_md5, md5) != 0) ||
               (in->stored_sha1 && strcasecmp(in->stored_sha1, sha1) != 0);
    if (bad) {
        in->damaged = true;
        tm_input_add_problem(in, "input", in->path,
                             "verification failed: the media reads as MD5 %s / SHA-1 %s, the E01 stored MD5 %s / "
                             "SHA-1 %s",
                             md5, sha1, in->stored_md5 ? in->stored_md5 : "-", in->stored_sha1 ? in->stored_sha1 : "-");
    }
    return bad ? 1 : 0;
}

static const tm_input_ops tsk_ops = {tsk_open_artifact, tsk_close_input, tsk_mft_path, tsk_recheck, tsk_verify};

static tm_volume *add_volume(tm_input *in, long index, uint64_t offset, uint64_t length, const char *desc,
                             bool recovered)
{
    /* an MBR can list one partition several times: read it once */
    for (size_t i = 0; i < in->nvols; i++)
        if (in->vols[i].offset == offset && in->vols[i].length == length) {
            in->vols[i].listed++;
            return &in->vols[i];
        }
    tm_volume *v = tm_input_add_volume(in);
    v->index = index;
    v->offset = offset;
    v->length = length;
    v->desc = tm_xstrdup(desc);
    v->recovered = recovered;
    v->listed = 1;
    return v;
}

static bool volume_at(const tm_input *in, uint64_t offset)
{
    for (size_t i = 0; i < in->nvols; i++)
        if (in->vols[i].offset == offset)
            return true;
    return false;
}

/* Opens the volumes from index `from` on; how many are not unreadable. */
static size_t open_volumes(tm_input *in, tsk_priv *tp, size_t from)
{
    tp->fs = tm_xrealloc(tp->fs, (in->nvols ? in->nvols : 1) * sizeof *tp->fs);
    for (size_t i = tp->nfs; i < in->nvols; i++)
        tp->fs[i] = NULL;
    tp->nfs = in->nvols;
    size_t ok = 0;
    for (size_t i = from; i < in->nvols; i++) {
        tm_volume *v = &in->vols[i];
        bool ntfs_expected = v->recovered || (v->desc && (strstr(v->desc, "NTFS") || strstr(v->desc, "Basic data") ||
                                                          strstr(v->desc, "0x07")));
        open_volume(in, tp, v, ntfs_expected);
        if (v->status != TM_VOL_UNREADABLE)
            ok++;
    }
    return ok;
}

static int cmp_vol_offset(const void *a, const void *b)
{
    const tm_volume *x = *(const tm_volume *const *)a, *y = *(const tm_volume *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

#define SCAN_MAX_PROBES 65536 /* 64 GiB of gaps at 1 MiB steps */

/* NTFS volumes by their boot sectors in the gaps between known volumes.
 * It runs when the table is damaged, an entry that should hold NTFS holds
 * no file system, or no NTFS volume opened: then only a volume with a file
 * system in it covers its space (a damaged entry may point anywhere, or
 * carry a wrong type, and the volume it lost lies elsewhere). */
static void scan_gaps(tm_input *in, tsk_priv *tp)
{
    size_t nv = in->nvols;
    const tm_volume **sorted = tm_xcalloc(nv ? nv : 1, sizeof *sorted);
    for (size_t i = 0; i < nv; i++)
        sorted[i] = &in->vols[i];
    tm_sort(sorted, nv, sizeof *sorted, cmp_vol_offset);
    tm_vs_found found = {0};
    bool capped = false;
    uint64_t at = 0;
    for (size_t i = 0; i <= nv; i++) {
        const tm_volume *v = i < nv ? sorted[i] : NULL;
        /* only a file system TSK opened (or BitLocker's) covers its space: an
         * entry whose type says NTFS but where none opens (moved, or of an
         * impossible length) hides nothing (bench/mutate 70301) */
        if (v && (!v->fs_type || (v->status == TM_VOL_UNREADABLE && strcmp(v->fs_type, "bitlocker") != 0)))
            continue;
        uint64_t end = v ? v->offset : in->size;
        if (end > at)
            tm_ntfs_scan(tp->img, at, end, SCAN_MAX_PROBES, &found, &capped);
        if (!v)
            break;
        /* an opened file system covers what it says it holds (NTFS: its
         * sectors and the backup boot sector after them), not what a
         * damaged entry claims: an entry flipped to a length past the
         * image's end hid every volume after it (bench/mutate 80553) */
        uint64_t len = v->length;
        const TSK_FS_INFO *fs = tp->fs && (size_t)(v - in->vols) < tp->nfs ? tp->fs[v - in->vols] : NULL;
        if (fs && fs->block_size) {
            uint64_t holds = (uint64_t)fs->block_count * fs->block_size + fs->block_size;
            if (holds < len)
                len = holds;
        }
        if (v->offset + len > at)
            at = v->offset + len;
    }
    free(sorted);
    for (size_t i = 0; i < found.n; i++)
        if (!volume_at(in, found.c[i].offset)) {
            add_volume(in, -1, found.c[i].offset, found.c[i].length, found.c[i].desc, true);
            tm_input_add_problem(in, "input", "partition table", "%s: read as a volume", found.c[i].desc);
        }
    if (capped)
        tm_input_add_problem(in, "input", "partition table",
                             "the search for NTFS boot sectors stopped after %d positions: volumes beyond may be missed",
                             SCAN_MAX_PROBES);
    tm_vs_found_free(&found);
}

/* Sector 0 is a GPT's protective MBR (an entry of type 0xEE). */
static bool protective_mbr(TSK_IMG_INFO *img)
{
    unsigned char s[512];
    if (img->size < 512 || tsk_img_read(img, 0, (char *)s, sizeof s) != (ssize_t)sizeof s)
        return false;
    if (s[510] != 0x55 || s[511] != 0xAA)
        return false;
    for (int i = 0; i < 4; i++)
        if (s[0x1BE + 16 * i + 4] == 0xEE)
            return true;
    return false;
}

bool tm_image_open(tm_input *in)
{
    tsk_error_reset();
    tm_image_info info;
    char msg[512];
    TSK_IMG_INFO *img = tm_image_bytes_open(in->path, &info, msg, sizeof msg);
    if (!img) {
        tm_input_add_problem(in, "input", in->path, "%s", msg);
        in->format = tm_xstrdup("unknown");
        return false;
    }
    tsk_priv *tp = tm_xcalloc(1, sizeof *tp);
    tp->ops = &tsk_ops;
    tp->img = img;
    in->priv = tp;
    in->format = tm_xstrdup(info.format);
    in->size = img->size > 0 ? (uint64_t)img->size : 0;
    in->segments = info.segments ? info.segments : 1;
    in->noatime = info.noatime;
    if (info.damage[0]) {
        in->damaged = true;
        tm_input_add_problem(in, "input", in->path, "%s", info.damage);
    }
    in->stored_md5 = info.md5[0] ? tm_xstrdup(info.md5) : NULL;
    in->stored_sha1 = info.sha1[0] ? tm_xstrdup(info.sha1) : NULL;

    tp->vs = tsk_vs_open(img, 0, TSK_VS_TYPE_DETECT);
    if (!tp->vs)
        tsk_error_reset();
    /* A protective MBR taken for the table: the GPT behind it did not open
     * (detection reads only its primary header). Its backup header at the
     * end of the image may still be whole; when neither is, the volumes are
     * looked for by their boot sectors below. */
    bool gpt_lost = false;
    if (tp->vs && tp->vs->vstype == TSK_VS_TYPE_DOS && protective_mbr(img)) {
        TSK_VS_INFO *g = tsk_vs_open(img, 0, TSK_VS_TYPE_GPT);
        if (g) {
            tsk_vs_close(tp->vs);
            tp->vs = g;
            tm_input_add_problem(in, "input", "partition table",
                                 "the GPT's primary header is damaged: its partitions are read from the backup "
                                 "header at the end of the image");
        } else {
            tsk_error_reset();
            gpt_lost = true;
            tm_input_add_problem(in, "input", "partition table",
                                 "the GPT's primary and backup headers are both damaged: its partitions cannot be "
                                 "read; volumes are looked for by their NTFS boot sectors");
        }
    }
    in->vs_type = tm_xstrdup(tp->vs ? (gpt_lost ? "gpt (damaged)" : tsk_vs_type_toname(tp->vs->vstype)) : "none");
    for (TSK_PNUM_T i = 0; tp->vs && !gpt_lost && i < tp->vs->part_count; i++) {
        const TSK_VS_PART_INFO *p = tsk_vs_part_get(tp->vs, i);
        if (!p || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
            continue;
        add_volume(in, (long)p->addr, (uint64_t)p->start * tp->vs->block_size,
                   (uint64_t)p->len * tp->vs->block_size, p->desc ? p->desc : "", false);
    }
    /* what the table parser dropped or could not read (vs_recover.c) */
    tm_vs_found found = {0};
    if (!tp->vs || (tp->vs->vstype == TSK_VS_TYPE_DOS && !gpt_lost)) {
        tm_mbr_walk(img, in, &found);
        for (size_t i = 0; i < found.n; i++)
            if (!volume_at(in, found.c[i].offset))
                add_volume(in, -1, found.c[i].offset, found.c[i].length, found.c[i].desc, true);
        if (found.n && !tp->vs) {
            free(in->vs_type);
            in->vs_type = tm_xstrdup("dos (damaged)");
        }
    }
    if (gpt_lost)
        found.damaged++;
    if (in->nvols == 0 && !found.damaged)
        add_volume(in, -1, 0, in->size, "whole image (no partition table)", false);
    for (size_t i = 0; i < in->nvols; i++)
        if (in->vols[i].listed > 1) {
            char *d = tm_xasprintf("%s (listed %u times in the partition table: read once)", in->vols[i].desc,
                                   in->vols[i].listed);
            free(in->vols[i].desc);
            in->vols[i].desc = d;
        }
    size_t ok = open_volumes(in, tp, 0);
    /* a damaged table, or nothing readable: look for NTFS volumes in the
     * space no volume covers */
    bool any_ntfs = false, lost_ntfs = false;
    for (size_t i = 0; i < in->nvols; i++) {
        any_ntfs |= in->vols[i].status == TM_VOL_OK;
        /* an entry that should hold NTFS and holds no file system at all,
         * or one of type 0 (unused) that still describes sectors, which TSK
         * lists (an extended partition's type flipped to 0 hides its
         * logical partitions) */
        const tm_volume *v = &in->vols[i];
        lost_ntfs |= !v->fs_type && (v->status == TM_VOL_UNREADABLE || (v->desc && strstr(v->desc, "(0x00)")));
        /* an entry of NTFS's type where no NTFS opens (moved: bench/mutate
         * 82005), and, in an MBR, an entry with no file system of any kind
         * (an extended entry's type flipped hides the logical volumes
         * behind it: 82995; a GPT's Microsoft Reserved partition is empty
         * by design, so only MBRs) */
        lost_ntfs |= v->status == TM_VOL_UNREADABLE && v->fs_type && strcmp(v->fs_type, "ntfs") == 0;
        lost_ntfs |= !v->fs_type && in->vs_type && strncmp(in->vs_type, "dos", 3) == 0;
    }
    if (found.damaged || lost_ntfs || !any_ntfs) {
        size_t before = in->nvols;
        scan_gaps(in, tp);
        ok += open_volumes(in, tp, before);
    }
    tm_vs_found_free(&found);
    /* recovery, after every live artifact is located: shadow copies
     * (vss.c), deleted logs (deleted.c), then chunks carved from free
     * clusters (carve.c) */
    for (size_t i = 0; tm_input_recover() && i < tp->nfs; i++)
        if (tp->fs[i])
            locate_shadow_copies(in, tp, (int)i);
    for (size_t i = 0; tm_input_recover() && i < tp->nfs; i++)
        if (tp->fs[i])
            tm_deleted_logs(in, tp->fs[i], (int)i);
    for (size_t i = 0; tm_input_recover() && i < tp->nfs; i++)
        if (tp->fs[i])
            tm_carve_volume(in, tp->fs[i]->img_info, tp->fs[i], (int)i);
    if (in->nvols == 0) {
        tm_input_add_problem(in, "input", in->path, "the partition table lists no allocated partitions");
        return false;
    }
    if (!tp->vs && in->nvols == 1 && in->vols[0].index < 0 && !in->vols[0].recovered && !in->vols[0].fs_type) {
        /* Neither a partition table nor a file system: not a disk image we
         * understand (a random or truncated file). */
        tm_input_add_problem(in, "input", in->path,
                             "no partition table or file system found: not a disk image toolmark can read");
        return false;
    }
    in->recognised = true;
    return ok > 0;
}

bool tm_input_stored_md5(const char *path, char out[33])
{
    tm_image_info info;
    char err[300];
    out[0] = '\0';
    TSK_IMG_INFO *img = tm_image_bytes_open(path, &info, err, sizeof err);
    if (!img)
        return false;
    snprintf(out, 33, "%s", info.md5);
    tsk_img_close(img);
    return out[0] != '\0';
}

/* Deleted event logs (deleted.h): one walk over the MFT's entries that are
 * no longer in use. */
#include "image/deleted.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/evtx_chunk.h"
#include "util/buf.h"
#include "util/timeutil.h"

#define MAX_DELETED_LOGS 10000

typedef struct {
    tm_input *in;
    TSK_FS_INFO *fs;
    int vol;
    size_t found, reused, capped;
} deleted_ctx;

static bool ends_evtx(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcasecmp(name + n - 5, ".evtx") == 0;
}

const TSK_FS_META_NAME_LIST *tm_tsk_long_name(const TSK_FS_META_NAME_LIST *l)
{
    const TSK_FS_META_NAME_LIST *best = l;
    for (; l; l = l->next)
        if (strlen(l->name) > strlen(best->name) || (strchr(best->name, '~') && !strchr(l->name, '~')))
            best = l;
    return best;
}

/* Every cluster of the data runs still free: nothing was written over the
 * file since it was deleted. */
static bool runs_intact(TSK_FS_INFO *fs, const TSK_FS_ATTR *attr)
{
    for (const TSK_FS_ATTR_RUN *r = attr->nrd.run; r; r = r->next) {
        if (r->flags & (TSK_FS_ATTR_RUN_FLAG_SPARSE | TSK_FS_ATTR_RUN_FLAG_FILLER))
            continue;
        if ((uint64_t)r->addr + r->len > (uint64_t)fs->block_count)
            return false;
        for (TSK_DADDR_T b = r->addr; b < r->addr + r->len; b++) {
            if (fs->block_getflags(fs, b) & TSK_FS_BLOCK_FLAG_ALLOC) /* the $Bitmap, cached by TSK */
                return false;
        }
    }
    return true;
}

static int64_t ts(time_t sec, uint32_t nano)
{
    return sec == 0 && nano == 0 ? TM_TIME_NONE : tm_time_from_unix((int64_t)sec, (int64_t)nano);
}

static TSK_WALK_RET_ENUM on_entry(TSK_FS_FILE *f, void *vc)
{
    deleted_ctx *c = vc;
    const TSK_FS_META *m = f->meta;
    if (!m || m->type != TSK_FS_META_TYPE_REG || (uint64_t)m->size < TM_CHUNK_FILE_HEADER + TM_CHUNK_SIZE)
        return TSK_WALK_CONT;
    const TSK_FS_ATTR *attr = tsk_fs_file_attr_get_type(f, TSK_FS_ATTR_TYPE_NTFS_DATA, 0, 0);
    if (!attr || !(attr->flags & TSK_FS_ATTR_NONRES) || (attr->flags & (TSK_FS_ATTR_COMP | TSK_FS_ATTR_ENC))) {
        tsk_error_reset();
        return TSK_WALK_CONT;
    }
    const char *name = m->name2 ? tm_tsk_long_name(m->name2)->name : "";
    char head[8];
    bool is_log = tsk_fs_attr_read(attr, 0, head, sizeof head, TSK_FS_FILE_READ_FLAG_NONE) == (ssize_t)sizeof head &&
                  memcmp(head, "ElfFile\0", 8) == 0;
    tsk_error_reset();
    if (!is_log) { /* a .evtx whose header is gone leaves its chunks to carving */
        c->reused += ends_evtx(name);
        return TSK_WALK_CONT;
    }
    if (!runs_intact(c->fs, attr)) {
        c->reused++;
        tsk_error_reset();
        return TSK_WALK_CONT;
    }
    if (c->found >= MAX_DELETED_LOGS) {
        c->capped++;
        return TSK_WALK_CONT;
    }
    const char *parent = NULL, *why = NULL;
    if (m->name2)
        parent = tm_input_mft_path(c->in, c->vol, m->name2->par_inode, m->name2->par_seq, &why);
    tm_artifact *a = tm_input_add_artifact(c->in);
    a->kind = TM_ART_EVTX;
    if (parent)
        a->path = tm_xasprintf("$Deleted/%" PRIuINUM "/%s%s%s", m->addr, parent, *parent ? "/" : "",
                               *name ? name : "(no name)");
    else
        a->path = tm_xasprintf("$Deleted/%" PRIuINUM "/%s", m->addr, *name ? name : "(no name)");
    a->win_path = tm_xstrdup(a->path);
    a->has_inode = true;
    a->inode = m->addr;
    a->seq = m->seq;
    a->attr_type = (uint32_t)attr->type;
    a->attr_id = attr->id;
    a->size = attr->size > 0 ? (uint64_t)attr->size : 0;
    a->volume = c->vol;
    a->times.crtime = ts(m->crtime, m->crtime_nano);
    a->times.mtime = ts(m->mtime, m->mtime_nano);
    a->times.atime = ts(m->atime, m->atime_nano);
    a->times.ctime = ts(m->ctime, m->ctime_nano);
    a->origin.type = TM_ORIGIN_DELETED;
    c->found++;
    return TSK_WALK_CONT;
}

void tm_deleted_logs(tm_input *in, TSK_FS_INFO *fs, int vol)
{
    deleted_ctx c = {.in = in, .fs = fs, .vol = vol};
    char label[64];
    tm_volume_label(in, &in->vols[vol], label, sizeof label);
    if (tsk_fs_meta_walk(fs, fs->first_inum, fs->last_inum,
                         (TSK_FS_META_FLAG_ENUM)(TSK_FS_META_FLAG_UNALLOC | TSK_FS_META_FLAG_USED), on_entry, &c) != 0) {
        tm_input_add_problem(in, "volume", label, "the walk over deleted MFT entries stopped: %s",
                             tsk_error_get() ? tsk_error_get() : "unknown error");
        tsk_error_reset();
    }
    /* counted, not a problem: reuse is what becomes of deleted files */
    in->vols[vol].recovery.deleted_logs = c.found;
    in->vols[vol].recovery.deleted_logs_reused = c.reused;
    if (c.capped)
        tm_input_add_problem(in, "volume", label, "%zu more deleted event logs were left out (at most %d)", c.capped,
                             MAX_DELETED_LOGS);
}

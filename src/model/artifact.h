/* What the image layer finds: inputs, their volumes, and the Windows
 * artifacts in them. Plain data shared by both executables; no libtsk type
 * leaks out of src/image. */
#ifndef TM_ARTIFACT_H
#define TM_ARTIFACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/kind.h"
#include "model/origin.h"

typedef struct {
    /* $STANDARD_INFORMATION (or the host file system's times for a folder). */
    int64_t crtime, mtime, atime, ctime;
    /* $FILE_NAME, where the file system gives it. */
    bool has_fn;
    int64_t fn_crtime, fn_mtime, fn_atime, fn_ctime;
} tm_times;

typedef struct {
    uint64_t offset;
    uint64_t length;
    bool sparse; /* a hole: reads as zeros and has no bytes behind it */
} tm_extent;

typedef struct {
    tm_art_kind kind;
    char *subtype;  /* hive: SYSTEM, SOFTWARE, SAM, SECURITY, NTUSER, USRCLASS, AMCACHE, or NULL */
    char *path;     /* inside the volume or folder, '/'-separated, as found */
    char *win_path; /* normalised Windows path relative to the volume root */
    char *stream;   /* named data stream ("$J") or NULL */
    char *user;     /* profile folder for per-user artifacts, or NULL */
    bool has_inode;
    uint64_t inode;     /* MFT entry */
    uint32_t seq;       /* MFT sequence number */
    uint32_t attr_type; /* NTFS attribute type (0x80 = $DATA) */
    uint16_t attr_id;
    uint64_t size;
    tm_times times;
    bool signature_match; /* found by content signature rather than path */
    int volume;           /* index into the input's volumes */
    tm_origin origin;     /* live, a shadow copy, a deleted file, a carved chunk */
} tm_artifact;

typedef enum {
    TM_VOL_OK,         /* NTFS (or the folder itself): artifacts located */
    TM_VOL_SKIPPED,    /* another file system, or no file system */
    TM_VOL_UNREADABLE, /* looks like a volume, but TSK cannot open it */
} tm_vol_status;

/* A volume shadow copy store of a volume (docs/recovery.md). */
typedef struct {
    char id[40];     /* the store's identifier (GUID, as vshadowinfo writes it) */
    int64_t created; /* its creation time */
    bool opened;     /* its NTFS opened and its artifacts located */
} tm_shadow_copy;

typedef struct {
    long index;      /* partition address in the volume system; -1 for a bare volume or folder */
    uint64_t offset; /* bytes from the image start */
    uint64_t length;
    char *desc;    /* partition description, e.g. "NTFS / exFAT (0x07)" */
    char *fs_type; /* "ntfs", "ext2", ... or NULL */
    bool has_serial;
    uint64_t serial;
    tm_vol_status status;
    char *reason;   /* for skipped/unreadable */
    bool recovered; /* not given by the partition table parser: found by vs_recover.c */
    unsigned listed; /* partition entries that describe this volume (an MBR may repeat one) */
    tm_shadow_copy *shadows; /* its shadow copy stores, oldest first */
    size_t nshadows;
    /* what recovery counted on it (docs/recovery.md) */
    struct {
        uint64_t deleted_logs, deleted_logs_reused; /* read as files; left for their clusters were reused */
        uint64_t chunks, chunks_salvaged;           /* carved whole; kept cut short */
        uint64_t signatures_rejected, chunks_repeated; /* "ElfChnk" that is no chunk; a chunk seen before */
    } recovery;
} tm_volume;

typedef struct {
    char *scope;   /* "input", "volume", "artifact", "record" */
    char *where;   /* path or volume description */
    char *message;
} tm_problem;

typedef enum { TM_INPUT_IMAGE, TM_INPUT_FOLDER } tm_input_type;

typedef struct tm_input tm_input;

struct tm_input {
    char *path; /* as given */
    char *id;   /* filesystem-safe, unique within a run */
    tm_input_type type;
    char *format; /* "raw", "split-raw", "ewf", "vhd", "vmdk", "folder" ... */
    char *vs_type; /* "dos", "gpt", "none" ... */
    uint64_t size;
    unsigned segments;
    tm_volume *vols;
    size_t nvols;
    tm_artifact *arts;
    size_t narts;
    tm_problem *problems;
    size_t nproblems;
    bool opened;  /* false when nothing could be read at all */
    bool recognised; /* a disk image (partition table or file system) or a folder: it has volumes to
                      * report on, even if none could be read; false for a missing or foreign file */
    bool damaged; /* the image container itself is incomplete or corrupt */
    bool noatime; /* every evidence file was opened with O_NOATIME (access times untouched) */
    char *stored_md5, *stored_sha1; /* acquisition hashes an E01 records, or NULL */
    /* what --resume compares: the file (first segment) as it was when read */
    char *real_path; /* absolute, symlinks resolved; NULL when it could not be */
    uint64_t file_size;
    int64_t file_mtime;
    char *computed_md5, *computed_sha1; /* --verify: the hashes of the media as read now, or NULL */
    size_t checksum_errors;             /* EWF chunk checksum failures reported so far */
    void *priv;  /* image-layer state */
};

void tm_input_add_problem(tm_input *in, const char *scope, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
tm_artifact *tm_input_add_artifact(tm_input *in);
tm_volume *tm_input_add_volume(tm_input *in);
void tm_artifact_free(tm_artifact *a);

/* "64-128-3" (entry-type-id) as istat/icat accept it; "" when not an inode. */
void tm_artifact_inode_str(const tm_artifact *a, char *out, size_t n);

/* How outputs name a volume: "vol2" (partition 2), "vol" (an image without
 * partition table), "folder". */
void tm_volume_label(const tm_input *in, const tm_volume *v, char *out, size_t n);

#endif

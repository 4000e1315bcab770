/* The image layer: opening an input (disk image through libtsk, or a folder
 * of collected files), locating artifacts, and reading their bytes.
 *
 * This is the only part of toolmark that links libtsk (and through it
 * libewf). The artifact parsers live in separate worker processes (see
 * docs/architecture.md) because libewf's bundled libbfio/libcdata symbols
 * clash with the libyal parsers'. */
#ifndef TM_INPUT_H
#define TM_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "model/artifact.h"

/* Opens path (image or folder), enumerates volumes and locates artifacts.
 * Never returns NULL; in->opened is false when nothing at all could be read,
 * and in->problems says why. */
tm_input *tm_input_open(const char *path);
void tm_input_close(tm_input *in);

/* Whether inputs opened from now on also get what recovery finds (carved
 * EVTX chunks, deleted logs): on unless --no-recover (docs/recovery.md). */
void tm_input_set_recover(bool on);
bool tm_input_recover(void);

/* Readable, unique, filesystem-safe ids for the inputs of one run, derived
 * from their names (base name without image extension). Free each and the
 * array. */
char **tm_input_ids(char *const *paths, size_t n);
/* The same, from labels where given (labels[i] NULL or "": from the path);
 * "case" is never an id (it is the case's own folder). */
char **tm_input_ids_labelled(char *const *paths, char *const *labels, size_t n);

/* The MD5 an E01 stored at acquisition, read from its header (--resume
 * compares it); false when there is none or the image does not open. */
bool tm_input_stored_md5(const char *path, char out[33]);

/* Byte access to one artifact. */
typedef struct tm_art_reader tm_art_reader;

tm_art_reader *tm_art_open(tm_input *in, const tm_artifact *a, char *err, size_t errlen);
/* Reads up to len bytes at off: bytes read, 0 at end, -1 on error (message
 * in err of tm_art_open's reader, see tm_art_error). Holes read as zeros. */
ssize_t tm_art_read(tm_art_reader *r, uint64_t off, void *buf, size_t len);
const char *tm_art_error(tm_art_reader *r);
uint64_t tm_art_size(tm_art_reader *r);
/* The data runs, holes included, covering [0, size). The array belongs to
 * the reader. */
size_t tm_art_extents(tm_art_reader *r, const tm_extent **out);
/* A plain file descriptor with the artifact's bytes at offset 0, when the
 * input is a folder; -1 for images. Owned by the reader. */
int tm_art_fd(tm_art_reader *r);
void tm_art_close(tm_art_reader *r);

/* The current path (from the volume root, '/'-separated) of the directory or
 * file with MFT entry/sequence on a volume, through $FILE_NAME parent links.
 * NULL when the input has no MFT (folders), the entry is free, or it now
 * holds another file (sequence differs): then *why says which. Results are
 * cached per input; the string belongs to the cache. */
const char *tm_input_mft_path(tm_input *in, int volume, uint64_t entry, uint32_t seq, const char **why);

/* Damage found while the artifacts were read (EWF chunks that fail their
 * checksum): appended to in->problems, in->damaged set. Call after reading,
 * before reporting; returns how many problems were added. */
size_t tm_input_recheck(tm_input *in);

/* Reads the whole image and compares its MD5/SHA-1 with what the E01 stored
 * (in->verify_*). A mismatch or read failure is a problem of the input.
 * Returns 0 when verified, 1 on mismatch or failure, -1 when there is
 * nothing to verify against (raw images, folders). */
int tm_input_verify(tm_input *in);

/* Internal interface between input.c and the two back ends. */
typedef struct {
    tm_art_reader *(*open)(tm_input *in, const tm_artifact *a, char *err, size_t errlen);
    void (*close_input)(tm_input *in);
    const char *(*mft_path)(tm_input *in, int volume, uint64_t entry, uint32_t seq, const char **why);
    void (*recheck)(tm_input *in);                      /* NULL: nothing to check */
    int (*verify)(tm_input *in, char *err, size_t n);  /* NULL: nothing to verify */
} tm_input_ops;

struct tm_art_reader {
    ssize_t (*read)(tm_art_reader *r, uint64_t off, void *buf, size_t len);
    void (*close)(tm_art_reader *r);
    uint64_t size;
    tm_extent *extents;
    size_t nextents;
    int fd;
    char err[256];
};

bool tm_image_open(tm_input *in);  /* image_tsk.c */
bool tm_folder_open(tm_input *in); /* folder.c */

#endif

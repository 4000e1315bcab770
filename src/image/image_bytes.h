/* The bytes of a disk image, as TSK reads them: raw, split raw and EWF
 * through toolmark's own readers, handed to TSK with tsk_img_open_external;
 * other containers (VMDK, VHD, AFF ...) through TSK's own.
 *
 * Why not TSK's readers for all: evidence is opened with O_NOATIME where
 * the kernel allows it (reading a raw image through TSK changes its access
 * time), and EWF chunk checksum failures, which TSK's reader does not pass
 * on, are counted and reported as damage. An overlay view also lets TSK open
 * an NTFS volume from its backup boot sector. */
#ifndef TM_IMAGE_BYTES_H
#define TM_IMAGE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tsk/libtsk.h>

typedef struct {
    const char *format; /* "raw", "split-raw", "ewf", or TSK's name */
    unsigned segments;
    bool ours;           /* read by toolmark's reader (not TSK's) */
    bool noatime;        /* every file opened with O_NOATIME */
    char md5[33], sha1[41]; /* hashes an EWF image stores, or "" */
    char damage[300];    /* EWF: segment set incomplete or truncated, or "" */
} tm_image_info;

/* Opens path; NULL with err filled when no reader takes it. */
TSK_IMG_INFO *tm_image_bytes_open(const char *path, tm_image_info *info, char *err, size_t n);

/* The EWF chunk checksum failures seen so far (reads since open), as sector
 * ranges: calls fn for each and returns how many there are (0 for other
 * formats). */
size_t tm_image_checksum_errors(TSK_IMG_INFO *img, void (*fn)(void *ctx, uint64_t first_sector, uint64_t sectors),
                                void *ctx);

/* Reads the whole media and computes its MD5 and SHA-1 (hex). Returns 0, or
 * -1 with err on a read failure. */
int tm_image_hash(TSK_IMG_INFO *img, char md5[33], char sha1[41], char *err, size_t n);

/* A view of base in which the len bytes at offset at read as replacement:
 * used to give TSK an NTFS volume's backup boot sector in place of a damaged
 * primary. Closing the view does not close base. */
TSK_IMG_INFO *tm_image_overlay(TSK_IMG_INFO *base, uint64_t at, const void *replacement, size_t len);

#endif

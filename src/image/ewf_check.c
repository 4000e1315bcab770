/* EWF integrity: libewf (20140813) opens an E01 set with missing or
 * truncated segment files without complaint and reads the missing data as
 * zeros. Ask it whether the set is complete before trusting what TSK reads. */
#include <string.h>

#include <libewf.h>

#include "image/input.h"

int tm_ewf_check(const char *first_segment, char *msg, size_t n, char md5[33], char sha1[41])
{
    md5[0] = sha1[0] = 0;
    char **names = NULL;
    int count = 0;
    libewf_error_t *err = NULL;
    if (libewf_glob(first_segment, strlen(first_segment), LIBEWF_FORMAT_UNKNOWN, &names, &count, &err) != 1) {
        libewf_error_free(&err);
        snprintf(msg, n, "cannot list the E01 segment files");
        return -1;
    }
    libewf_handle_t *h = NULL;
    int rc = 0;
    if (libewf_handle_initialize(&h, &err) != 1 || libewf_handle_open(h, names, count, LIBEWF_OPEN_READ, &err) != 1) {
        snprintf(msg, n, "libewf cannot open the segment files");
        rc = -1;
    } else {
        /* the acquisition hashes the E01 stores (not verified here: that
         * means reading the whole image) */
        if (libewf_handle_get_utf8_hash_value_md5(h, (uint8_t *)md5, 33, &err) != 1)
            md5[0] = 0;
        libewf_error_free(&err);
        if (libewf_handle_get_utf8_hash_value_sha1(h, (uint8_t *)sha1, 41, &err) != 1)
            sha1[0] = 0;
        libewf_error_free(&err);
    }
    if (rc == 0 && h && libewf_handle_segment_files_corrupted(h, &err) == 1) {
        snprintf(msg, n,
                 "the E01 segment set is incomplete or truncated (%d segment file%s found): a segment file is missing "
                 "or cut short, and data past the damage reads as zeros",
                 count, count == 1 ? "" : "s");
        rc = 1;
    }
    libewf_error_free(&err);
    if (h) {
        libewf_handle_close(h, NULL);
        libewf_handle_free(&h, NULL);
    }
    libewf_glob_free(names, count, NULL);
    return rc;
}

/* Turning evidence path names (attacker-controlled) into safe relative paths
 * for the examiner's file system, and matching Windows paths. */
#ifndef TM_PATHSAFE_H
#define TM_PATHSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* Appends a sanitised relative path for an artifact path ('/' separates;
 * a '\\' is part of a name, as a folder input's file name may hold one).
 * Each component: control characters, '%', '\\', and <>:"|?* are %XX-encoded,
 * invalid UTF-8 bytes too; "." and ".." become %2E / %2E%2E; trailing dots
 * and spaces are encoded; reserved device names (CON, NUL, COM1, LPT1 ...)
 * get a leading '_'; over-long components are shortened with a hash suffix.
 * Empty components are dropped, so the result is never absolute. Returns
 * false when nothing is left (empty path). */
bool tm_path_sanitize(const char *path, tm_buf *out);

/* Same for a single name (no separators kept: '/' is encoded too). */
void tm_path_sanitize_component(const char *name, size_t n, tm_buf *out);

/* ASCII case-insensitive equality (NTFS upcase is wider, but artifact names
 * are ASCII). */
bool tm_ieq(const char *a, const char *b);
bool tm_ieqn(const char *a, const char *b, size_t n);
/* Case-insensitive suffix / prefix test. */
bool tm_iends_with(const char *s, const char *suffix);
bool tm_istarts_with(const char *s, const char *prefix);
/* Case-insensitive glob with '*' and '?' only. */
bool tm_iglob(const char *pattern, const char *s);

#endif

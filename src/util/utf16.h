/* UTF-16LE from evidence to UTF-8. */
#ifndef TM_UTF16_H
#define TM_UTF16_H

#include <stddef.h>
#include <stdint.h>

/* Converts units UTF-16LE code units at p; unpaired surrogates become
 * U+FFFD. Writes at most outlen-1 bytes plus a NUL (whole characters only);
 * returns the bytes written. */
size_t tm_utf16le_to_utf8(const uint8_t *p, size_t units, char *out, size_t outlen);

#endif

#include "util/utf16.h"

#include <string.h>

/* UTF-16LE -> UTF-8 (unpaired surrogates become U+FFFD). */
size_t tm_utf16le_to_utf8(const uint8_t *p, size_t units, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t c = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8);
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units) {
            uint32_t d = (uint32_t)(p[2 * i + 2] | p[2 * i + 3] << 8);
            if (d >= 0xDC00 && d <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
                i++;
            } else {
                c = 0xFFFD;
            }
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        char enc[4];
        size_t l;
        if (c < 0x80) {
            enc[0] = (char)c;
            l = 1;
        } else if (c < 0x800) {
            enc[0] = (char)(0xC0 | c >> 6);
            enc[1] = (char)(0x80 | (c & 0x3F));
            l = 2;
        } else if (c < 0x10000) {
            enc[0] = (char)(0xE0 | c >> 12);
            enc[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            enc[2] = (char)(0x80 | (c & 0x3F));
            l = 3;
        } else {
            enc[0] = (char)(0xF0 | c >> 18);
            enc[1] = (char)(0x80 | ((c >> 12) & 0x3F));
            enc[2] = (char)(0x80 | ((c >> 6) & 0x3F));
            enc[3] = (char)(0x80 | (c & 0x3F));
            l = 4;
        }
        if (k + l + 1 > outlen)
            break;
        memcpy(out + k, enc, l);
        k += l;
    }
    if (outlen)
        out[k] = '\0';
    return k;
}


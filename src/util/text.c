#include "util/text.h"

#include <ctype.h>
#include <stdbool.h>

#include <stdint.h>
#include <stdio.h>

size_t tm_utf8_seq_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void tm_put_escaped(tm_buf *b, const char *s, size_t n, const tm_escapes *e)
{
    const unsigned char *p = (const unsigned char *)s;
    tm_buf_reserve(b, n);
    size_t i = 0;
    while (i < n) {
        /* a run of bytes kept as they are */
        size_t j = i;
        while (j < n && p[j] < 0x80 && !e->ascii[p[j]])
            j++;
        if (j > i) {
            tm_buf_put(b, s + i, j - i);
            i = j;
            continue;
        }
        if (p[i] < 0x80) {
            tm_buf_puts(b, e->ascii[p[i]]);
            i++;
            continue;
        }
        size_t len = tm_utf8_seq_len(p + i, n - i);
        if (len == 0) {
            tm_buf_puts(b, TM_REPLACEMENT_CHAR);
            i++;
        } else {
            tm_buf_put(b, s + i, len);
            i += len;
        }
    }
}

/* JSON strings (RFC 8259): the two that must be escaped, the usual short forms, every
 * other control character (and DEL) as \u00XX. */
const tm_escapes tm_escapes_json = {{
    [0x00] = "\\u0000", [0x01] = "\\u0001", [0x02] = "\\u0002", [0x03] = "\\u0003", [0x04] = "\\u0004",
    [0x05] = "\\u0005", [0x06] = "\\u0006", [0x07] = "\\u0007", [0x08] = "\\u0008", [0x09] = "\\t", [0x0a] = "\\n",
    [0x0b] = "\\u000b", [0x0c] = "\\u000c", [0x0d] = "\\r", [0x0e] = "\\u000e", [0x0f] = "\\u000f",
    [0x10] = "\\u0010", [0x11] = "\\u0011", [0x12] = "\\u0012", [0x13] = "\\u0013", [0x14] = "\\u0014",
    [0x15] = "\\u0015", [0x16] = "\\u0016", [0x17] = "\\u0017", [0x18] = "\\u0018", [0x19] = "\\u0019",
    [0x1a] = "\\u001a", [0x1b] = "\\u001b", [0x1c] = "\\u001c", [0x1d] = "\\u001d", [0x1e] = "\\u001e",
    [0x1f] = "\\u001f", [0x22] = "\\\"", [0x5c] = "\\\\", [0x7f] = "\\u007f",
}};

/* Inside a quoted CSV cell (RFC 4180): quotes doubled; every control character,
 * tab and line breaks too, shown as \xNN: one row per line, nothing hidden. */
const tm_escapes tm_escapes_csv = {{
    [0x00] = "\\x00", [0x01] = "\\x01", [0x02] = "\\x02", [0x03] = "\\x03", [0x04] = "\\x04", [0x05] = "\\x05",
    [0x06] = "\\x06", [0x07] = "\\x07", [0x08] = "\\x08", [0x09] = "\\x09", [0x0a] = "\\x0a", [0x0b] = "\\x0b",
    [0x0c] = "\\x0c", [0x0d] = "\\x0d", [0x0e] = "\\x0e", [0x0f] = "\\x0f", [0x10] = "\\x10", [0x11] = "\\x11",
    [0x12] = "\\x12", [0x13] = "\\x13", [0x14] = "\\x14", [0x15] = "\\x15", [0x16] = "\\x16", [0x17] = "\\x17",
    [0x18] = "\\x18", [0x19] = "\\x19", [0x1a] = "\\x1a", [0x1b] = "\\x1b", [0x1c] = "\\x1c", [0x1d] = "\\x1d",
    [0x1e] = "\\x1e", [0x1f] = "\\x1f", [0x22] = "\"\"", [0x7f] = "\\x7f",
}};

/* l2tcsv has no quoting: like plaso, commas and line breaks (and every control
 * character) become spaces. */
const tm_escapes tm_escapes_l2t = {{
    [0x00] = " ", [0x01] = " ", [0x02] = " ", [0x03] = " ", [0x04] = " ", [0x05] = " ", [0x06] = " ", [0x07] = " ",
    [0x08] = " ", [0x09] = " ", [0x0a] = " ", [0x0b] = " ", [0x0c] = " ", [0x0d] = " ", [0x0e] = " ", [0x0f] = " ",
    [0x10] = " ", [0x11] = " ", [0x12] = " ", [0x13] = " ", [0x14] = " ", [0x15] = " ", [0x16] = " ", [0x17] = " ",
    [0x18] = " ", [0x19] = " ", [0x1a] = " ", [0x1b] = " ", [0x1c] = " ", [0x1d] = " ", [0x1e] = " ", [0x1f] = " ",
    [0x2c] = " ",
}};

/* A TSK body-file field: mactime splits a line at '|' and then decodes %XX in
 * each field, so '|', '%' and every control character are written as %XX. */
const tm_escapes tm_escapes_body = {{
    [0x00] = "%00", [0x01] = "%01", [0x02] = "%02", [0x03] = "%03", [0x04] = "%04", [0x05] = "%05",
    [0x06] = "%06", [0x07] = "%07", [0x08] = "%08", [0x09] = "%09", [0x0a] = "%0A", [0x0b] = "%0B",
    [0x0c] = "%0C", [0x0d] = "%0D", [0x0e] = "%0E", [0x0f] = "%0F", [0x10] = "%10", [0x11] = "%11",
    [0x12] = "%12", [0x13] = "%13", [0x14] = "%14", [0x15] = "%15", [0x16] = "%16", [0x17] = "%17",
    [0x18] = "%18", [0x19] = "%19", [0x1a] = "%1A", [0x1b] = "%1B", [0x1c] = "%1C", [0x1d] = "%1D",
    [0x1e] = "%1E", [0x1f] = "%1F", [0x25] = "%25", [0x7c] = "%7C", [0x7f] = "%7F",
}};

/* HTML text and attributes (also well-formed XML): the five entities; the control
 * characters XML 1.0 does not allow become U+FFFD. */
const tm_escapes tm_escapes_html = {{
    [0x00] = TM_REPLACEMENT_CHAR, [0x01] = TM_REPLACEMENT_CHAR, [0x02] = TM_REPLACEMENT_CHAR,
    [0x03] = TM_REPLACEMENT_CHAR, [0x04] = TM_REPLACEMENT_CHAR, [0x05] = TM_REPLACEMENT_CHAR,
    [0x06] = TM_REPLACEMENT_CHAR, [0x07] = TM_REPLACEMENT_CHAR, [0x08] = TM_REPLACEMENT_CHAR,
    [0x0b] = TM_REPLACEMENT_CHAR, [0x0c] = TM_REPLACEMENT_CHAR, [0x0d] = TM_REPLACEMENT_CHAR,
    [0x0e] = TM_REPLACEMENT_CHAR, [0x0f] = TM_REPLACEMENT_CHAR, [0x10] = TM_REPLACEMENT_CHAR,
    [0x11] = TM_REPLACEMENT_CHAR, [0x12] = TM_REPLACEMENT_CHAR, [0x13] = TM_REPLACEMENT_CHAR,
    [0x14] = TM_REPLACEMENT_CHAR, [0x15] = TM_REPLACEMENT_CHAR, [0x16] = TM_REPLACEMENT_CHAR,
    [0x17] = TM_REPLACEMENT_CHAR, [0x18] = TM_REPLACEMENT_CHAR, [0x19] = TM_REPLACEMENT_CHAR,
    [0x1a] = TM_REPLACEMENT_CHAR, [0x1b] = TM_REPLACEMENT_CHAR, [0x1c] = TM_REPLACEMENT_CHAR,
    [0x1d] = TM_REPLACEMENT_CHAR, [0x1e] = TM_REPLACEMENT_CHAR, [0x1f] = TM_REPLACEMENT_CHAR, [0x22] = "&quot;",
    [0x26] = "&amp;", [0x27] = "&#39;", [0x3c] = "&lt;", [0x3e] = "&gt;",
}};

/* The code point of a valid sequence of len bytes. */
static uint32_t utf8_code_point(const unsigned char *s, size_t len)
{
    static const unsigned char lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = s[0] & lead_mask[len];
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (s[i] & 0x3F);
    return cp;
}

static bool bidi_control(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

void tm_put_terminal(tm_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] >= 0x20 && p[j] < 0x7F)
            j++;
        if (j > i) {
            tm_buf_put(b, s + i, j - i);
            i = j;
            continue;
        }
        size_t len = p[i] < 0x80 ? 0 : tm_utf8_seq_len(p + i, n - i);
        if (len == 0) { /* ASCII control, DEL, or a byte of invalid UTF-8 */
            tm_buf_printf(b, "\\x%02x", p[i]);
            i++;
            continue;
        }
        uint32_t cp = utf8_code_point(p + i, len);
        if ((cp >= 0x80 && cp <= 0x9F) || bidi_control(cp))
            tm_buf_printf(b, "\\u%04X", (unsigned)cp);
        else
            tm_buf_put(b, s + i, len);
        i += len;
    }
}

void tm_message_kind(tm_buf *key, const char *msg)
{
    for (const char *p = msg; *p;) {
        if (p[0] == '0' && p[1] == 'x' && isxdigit((unsigned char)p[2])) {
            for (p += 2; isxdigit((unsigned char)*p); p++)
                ;
            tm_buf_putc(key, '#');
        } else if (isdigit((unsigned char)*p)) {
            while (isdigit((unsigned char)*p))
                p++;
            tm_buf_putc(key, '#');
        } else {
            tm_buf_putc(key, *p++);
        }
    }
}

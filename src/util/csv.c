#include "util/csv.h"

#include <string.h>

#include "util/json.h"

void tm_csv_cell(tm_buf *b, const char *s, bool first)
{
    if (!first)
        tm_buf_putc(b, ',');
    if (!s || !*s)
        return;
    bool formula = strchr("=+-@\t\r", s[0]) != NULL;
    tm_buf_putc(b, '"');
    if (formula)
        tm_buf_putc(b, '\'');
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (p[i] == '"') {
            tm_buf_puts(b, "\"\"");
            i++;
        } else if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f) {
            /* other control characters: shown, not passed to a spreadsheet */
            tm_buf_printf(b, "\\x%02x", p[i]);
            i++;
        } else if (p[i] < 0x80) {
            tm_buf_putc(b, (char)p[i]);
            i++;
        } else {
            size_t len = tm_utf8_seq_len(p + i, n - i);
            if (len == 0) {
                tm_buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                tm_buf_put(b, p + i, len);
                i += len;
            }
        }
    }
    tm_buf_putc(b, '"');
}

void tm_csv_cell_u64(tm_buf *b, unsigned long long v, bool first)
{
    if (!first)
        tm_buf_putc(b, ',');
    tm_buf_printf(b, "%llu", v);
}

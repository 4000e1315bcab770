#include "util/csv.h"

#include <string.h>

#include "util/text.h"

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
    tm_put_escaped(b, s, strlen(s), &tm_escapes_csv);
    tm_buf_putc(b, '"');
}

void tm_csv_cell_u64(tm_buf *b, unsigned long long v, bool first)
{
    if (!first)
        tm_buf_putc(b, ',');
    tm_buf_printf(b, "%llu", v);
}

/* RFC 4180 CSV cells. Evidence strings are attacker-controlled: cells that a
 * spreadsheet would evaluate as a formula (starting with = + - @ tab CR) are
 * prefixed with a single quote, invalid UTF-8 is replaced, and control
 * characters other than tab and line breaks are written as \xNN. */
#ifndef TM_CSV_H
#define TM_CSV_H

#include <stdbool.h>

#include "util/buf.h"

/* Appends one cell (with a leading comma unless first). NULL = empty cell. */
void tm_csv_cell(tm_buf *b, const char *s, bool first);
void tm_csv_cell_u64(tm_buf *b, unsigned long long v, bool first);

#endif

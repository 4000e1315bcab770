/* PSReadLine line joining, shared by the reader, its unit test and fuzzer. */
#ifndef TM_PSREADLINE_H
#define TM_PSREADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Bounds: a line longer than TM_PSRL_MAX_LINE is cut (and ends its
 * command); a command keeps at most TM_PSRL_MAX_COMMAND bytes and joins at
 * most TM_PSRL_MAX_LINES lines. */
#define TM_PSRL_MAX_LINE (64u << 10)
#define TM_PSRL_MAX_COMMAND (256u << 10)
#define TM_PSRL_MAX_LINES 1000

typedef struct {
    tm_buf cmd;          /* the command being assembled */
    uint64_t first_line; /* its first line number (1-based) */
    unsigned nlines;
    bool truncated; /* a line was cut, or the command outgrew TM_PSRL_MAX_COMMAND */
} tm_psrl;

void tm_psrl_init(tm_psrl *p);
void tm_psrl_free(tm_psrl *p);
/* Adds a line (without its newline; cut: it was longer than
 * TM_PSRL_MAX_LINE and this is its start); true when p->cmd now holds a
 * complete command. */
bool tm_psrl_line(tm_psrl *p, const char *s, size_t n, uint64_t lineno, bool cut);

#endif

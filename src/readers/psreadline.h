/* PSReadLine line joining, shared by the reader, its unit test and fuzzer. */
#ifndef TM_PSREADLINE_H
#define TM_PSREADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct {
    tm_buf cmd;          /* the command being assembled */
    uint64_t first_line; /* its first line number (1-based) */
    unsigned nlines;
    int depth;  /* open braces/parentheses */
    char quote; /* open quote character, or 0 */
    bool truncated;
} tm_psrl;

void tm_psrl_init(tm_psrl *p);
void tm_psrl_free(tm_psrl *p);
/* Adds a line; true when p->cmd now holds a complete command. */
bool tm_psrl_line(tm_psrl *p, const char *s, size_t n, uint64_t lineno);

#endif

/* Messages to the user: every line on stderr starts with the program's name
 * ("toolmark: INPUT: ARTIFACT: what went wrong"). Evidence names reach these
 * lines, so each line is escaped for the terminal (util/text.h
 * tm_put_terminal) and written in one write, whole, even when several
 * processes share the stream. */
#ifndef TM_MSG_H
#define TM_MSG_H

#include "util/buf.h"

extern const char *tm_prog;

/* "s" unless n is 1: "%zu trace%s", n, TM_PLURAL(n). */
#define TM_PLURAL(n) ((n) == 1 ? "" : "s")

/* How much to say: 0 (-q) problems only; 1 (default) also a line per
 * input and what the run found; 2 (-v) also a line per artifact and each
 * problem as it comes. */
extern int tm_verbosity;

/* One line on stderr: "PROG: " then the formatted text, escaped. */
void tm_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* tm_msg for what is not a problem: said unless -q. */
void tm_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line on stderr as formatted, escaped (for lines that name the program
 * themselves, e.g. "toolmark scan: ..."). */
void tm_msg_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends one formatted line to b, escaped for a terminal (a final '\n' of
 * the format is kept as the line's end; any other line break is escaped). */
void tm_buf_term_line(tm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes b to a stream in full and empties it. */
void tm_msg_flush(int fd, tm_buf *b);

/* While the supervisor draws progress on the terminal, an input process
 * hands it the lines it would write to stdout (1) or stderr (2), so that
 * they appear above the progress line rather than through it. NULL: the
 * process writes them itself. */
extern void (*tm_msg_sink)(int fd, const char *text, size_t len);

#endif

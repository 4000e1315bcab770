/* libyal errors for an examiner: the libraries report a backtrace of
 * "libxxx_function_name: what failed." lines, deepest cause first. A message
 * keeps the deepest cause in words, without the library's function name. */
#ifndef TM_YAL_MESSAGE_H
#define TM_YAL_MESSAGE_H

#include <stddef.h>

/* Rewrites msg (a NUL-terminated backtrace) in place into one line: the
 * first line, its "function_name: " prefix and final period removed;
 * "the library gave no reason" when nothing is left. */
void tm_yal_message(char *msg, size_t n);

#endif

/* Evidence text into output text. Every string from evidence is
 * attacker-controlled: each output format escapes what its syntax or its
 * reader cannot take, and invalid UTF-8 becomes U+FFFD, so that every output
 * is valid UTF-8 whatever the input. One walker does this for every format;
 * a format says what becomes of each ASCII byte in its escape table. */
#ifndef TM_TEXT_H
#define TM_TEXT_H

#include <stddef.h>

#include "util/buf.h"

/* What an ASCII byte becomes: NULL keeps it, else the replacement text. */
typedef struct {
    const char *ascii[128];
} tm_escapes;

#define TM_REPLACEMENT_CHAR "\xEF\xBF\xBD" /* U+FFFD */

/* Appends s[0..n) with the table's replacements; valid multi-byte UTF-8 is
 * copied, every byte of an invalid sequence becomes U+FFFD. */
void tm_put_escaped(tm_buf *b, const char *s, size_t n, const tm_escapes *e);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes at s do
 * not start a valid, shortest-form, non-surrogate sequence. */
size_t tm_utf8_seq_len(const unsigned char *s, size_t n);

/* Text for a terminal (stderr messages, stdout listings): evidence names can
 * hold escape sequences that retitle the terminal, clear it or print a fake
 * line. Every C0 and C1 control, DEL and line break becomes \xNN (C1 as
 * \u00NN), bidirectional overrides become \u202E etc., and each byte of
 * invalid UTF-8 becomes \xNN, so the examiner sees what the name holds. */
void tm_put_terminal(tm_buf *b, const char *s, size_t n);

/* A message's kind: the message with each run of digits (and the hex
 * digits after "0x") as '#', appended to key, so that "record 119
 * unreadable" and "record 120 unreadable" are one kind (the terminal and
 * the report say a kind once, with its count). */
void tm_message_kind(tm_buf *key, const char *msg);

/* The tables of the formats (util/text.c). */
extern const tm_escapes tm_escapes_json;   /* JSON string: \" \\ \n \r \t, other controls \u00XX */
extern const tm_escapes tm_escapes_csv;    /* quoted CSV cell: "" and every control (tab, CR, LF too) as \xNN */
extern const tm_escapes tm_escapes_l2t;    /* l2tcsv (no quoting): commas, line breaks and controls become spaces */
extern const tm_escapes tm_escapes_body;   /* TSK body-file name: '|', '%' and controls as %XX (mactime decodes them) */
extern const tm_escapes tm_escapes_html;   /* HTML/XML text: entities; controls XML forbids become U+FFFD */

#endif

#include "util/msg.h"

#include <errno.h>
#include <unistd.h>

#include "util/text.h"

const char *tm_prog = "toolmark";
int tm_verbosity = 1;
void (*tm_msg_sink)(int fd, const char *text, size_t len);

__attribute__((format(printf, 3, 0)))
static void term_line(tm_buf *out, const char *prefix, const char *fmt, va_list ap)
{
    tm_buf raw;
    tm_buf_init(&raw);
    if (prefix)
        tm_buf_printf(&raw, "%s: ", prefix);
    tm_buf_vprintf(&raw, fmt, ap);
    size_t n = raw.len;
    if (n && raw.data[n - 1] == '\n')
        n--;
    tm_put_terminal(out, raw.data ? raw.data : "", n);
    tm_buf_putc(out, '\n');
    tm_buf_free(&raw);
}

void tm_msg_flush(int fd, tm_buf *b)
{
    if (tm_msg_sink && (fd == 1 || fd == 2)) {
        if (b->len)
            tm_msg_sink(fd, b->data, b->len);
        tm_buf_reset(b);
        return;
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere left to tell */
        off += (size_t)w;
    }
    tm_buf_reset(b);
}

__attribute__((format(printf, 1, 0)))
static void say(const char *fmt, va_list ap)
{
    tm_buf b;
    tm_buf_init(&b);
    term_line(&b, tm_prog, fmt, ap);
    tm_msg_flush(STDERR_FILENO, &b);
    tm_buf_free(&b);
}

void tm_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
}

void tm_info(const char *fmt, ...)
{
    if (tm_verbosity < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
}

void tm_msg_line(const char *fmt, ...)
{
    tm_buf b;
    tm_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    term_line(&b, NULL, fmt, ap);
    va_end(ap);
    tm_msg_flush(STDERR_FILENO, &b);
    tm_buf_free(&b);
}

void tm_buf_term_line(tm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    term_line(b, NULL, fmt, ap);
    va_end(ap);
}

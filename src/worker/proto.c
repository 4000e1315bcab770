#include "worker/proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void put_u32_at(tm_buf *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->data[at + (size_t)i] = (char)(uint8_t)(v >> (8 * i));
}

size_t tm_frame_begin(tm_buf *out, uint32_t type)
{
    size_t start = out->len;
    tm_buf_put_u32(out, type);
    tm_buf_put_u32(out, 0);
    return start;
}

void tm_frame_end(tm_buf *out, size_t start)
{
    put_u32_at(out, start + 4, (uint32_t)(out->len - start - TM_FRAME_HDR));
}

void tm_frame_put(tm_buf *out, uint32_t type, const void *payload, size_t len)
{
    size_t s = tm_frame_begin(out, type);
    tm_buf_put(out, payload, len);
    tm_frame_end(out, s);
}

int tm_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        /* MSG_NOSIGNAL: a worker that died must not kill us with SIGPIPE. */
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK)
            w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int tm_send_with_fd(int sock, const void *p, size_t n, int fd)
{
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)p, n};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.space;
    msg.msg_controllen = sizeof ctl.space;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t w;
    do
        w = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return -1;
    /* The fd went with the first byte; the rest is a plain write. */
    return tm_write_all(sock, (const char *)p + w, n - (size_t)w);
}

void tm_framer_init(tm_framer *f)
{
    tm_buf_init(&f->in);
    f->pos = 0;
    f->pending_fd = -1;
}

void tm_framer_free(tm_framer *f)
{
    tm_buf_free(&f->in);
    if (f->pending_fd >= 0)
        close(f->pending_fd);
    f->pending_fd = -1;
}

long tm_framer_fill(tm_framer *f, int fd)
{
    /* Compact consumed bytes first so the buffer stays bounded. */
    if (f->pos > 0) {
        memmove(f->in.data, f->in.data + f->pos, f->in.len - f->pos);
        f->in.len -= f->pos;
        f->pos = 0;
    }
    tm_buf_reserve(&f->in, 1 << 16);
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {f->in.data + f->in.len, f->in.cap - f->in.len - 1};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.space;
    msg.msg_controllen = sizeof ctl.space;
    ssize_t r;
    do
        r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno == ENOTSOCK) {
        do
            r = read(fd, iov.iov_base, iov.iov_len);
        while (r < 0 && errno == EINTR);
        msg.msg_controllen = 0;
    }
    if (r < 0)
        return -1;
    for (struct cmsghdr *c = msg.msg_controllen ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof got);
            if (f->pending_fd >= 0)
                close(f->pending_fd);
            f->pending_fd = got;
        }
    }
    f->in.len += (size_t)r;
    return (long)r;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int tm_framer_next(tm_framer *f, uint32_t *type, const uint8_t **payload, uint32_t *len)
{
    size_t avail = f->in.len - f->pos;
    if (avail < TM_FRAME_HDR)
        return 0;
    const uint8_t *h = (const uint8_t *)f->in.data + f->pos;
    uint32_t l = rd32(h + 4);
    if (l > TM_FRAME_MAX)
        return -1;
    if (avail - TM_FRAME_HDR < l)
        return 0;
    *type = rd32(h);
    *payload = h + TM_FRAME_HDR;
    *len = l;
    f->pos += TM_FRAME_HDR + l;
    return 1;
}

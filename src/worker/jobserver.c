#include "worker/jobserver.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int g_rd = -1, g_wr = -1;
void (*tm_jobserver_note)(int delta);

bool tm_jobserver_create(int n)
{
    int fd[2];
    if (n < 1 || pipe2(fd, O_CLOEXEC) != 0)
        return false;
    /* non-blocking reads for everyone: a take never waits, a waiter polls */
    if (fcntl(fd[0], F_SETFL, O_NONBLOCK) != 0) {
        close(fd[0]);
        close(fd[1]);
        return false;
    }
    g_rd = fd[0];
    g_wr = fd[1];
    for (int i = 0; i < n; i++)
        tm_jobserver_give();
    return true;
}

bool tm_jobserver_active(void)
{
    return g_rd >= 0;
}

int tm_jobserver_fd(void)
{
    return g_rd;
}

bool tm_jobserver_take(void)
{
    if (g_rd < 0)
        return true;
    if (tm_jobserver_note)
        tm_jobserver_note(+1);
    char c;
    ssize_t r;
    while ((r = read(g_rd, &c, 1)) < 0 && errno == EINTR)
        ;
    if (r == 1)
        return true;
    if (tm_jobserver_note)
        tm_jobserver_note(-1);
    return false;
}

void tm_jobserver_give(void)
{
    if (g_wr < 0)
        return;
    while (write(g_wr, "+", 1) < 0 && errno == EINTR)
        ;
    if (tm_jobserver_note)
        tm_jobserver_note(-1);
}

int tm_jobserver_free_tokens(void)
{
    int n = 0;
    if (g_rd < 0 || ioctl(g_rd, FIONREAD, &n) != 0)
        return 0;
    return n;
}

void tm_jobserver_settle(int want)
{
    if (g_rd < 0)
        return;
    void (*note)(int) = tm_jobserver_note;
    tm_jobserver_note = NULL; /* the supervisor's own bookkeeping */
    int have = tm_jobserver_free_tokens();
    for (; have < want; have++)
        tm_jobserver_give();
    char c;
    for (; have > want && read(g_rd, &c, 1) == 1; have--)
        ;
    tm_jobserver_note = note;
}

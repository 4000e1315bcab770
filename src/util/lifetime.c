#include "util/lifetime.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static pid_t watched; /* 0: no parent watched */

void tm_die_with_parent(pid_t parent)
{
    watched = parent;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* the parent may have died between fork and prctl */
    if (getppid() != parent)
        _exit(128 + SIGKILL);
}

bool tm_parent_alive(void)
{
    return watched == 0 || getppid() == watched;
}

void tm_test_hold(const char *point, const char *detail)
{
    const char *v = getenv("TOOLMARK_TEST_HOLD"), *fifo = getenv("TOOLMARK_TEST_HOLD_FIFO");
    if (!v || !fifo)
        return;
    size_t pl = strlen(point);
    if (strncmp(v, point, pl) != 0 || (v[pl] != '\0' && v[pl] != ':'))
        return;
    if (v[pl] == ':') {
        const char *suffix = v + pl + 1;
        size_t sl = strlen(suffix), dl = detail ? strlen(detail) : 0;
        if (!detail || sl > dl || strcmp(detail + dl - sl, suffix) != 0 || (dl > sl && detail[dl - sl - 1] != '/'))
            return;
    }
    int fd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        dprintf(fd, "%s %ld\n", point, (long)getpid());
        close(fd);
    }
    for (;;)
        pause();
}

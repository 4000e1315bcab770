#include "util/lifetime.h"

#include <signal.h>
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

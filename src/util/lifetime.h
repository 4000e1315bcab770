/* Children die with their parent: a supervisor killed with SIGKILL must not
 * leave its input processes and parser workers running, nor let them publish
 * outputs of a run that no longer exists. */
#ifndef TM_LIFETIME_H
#define TM_LIFETIME_H

#include <stdbool.h>
#include <sys/types.h>

/* In a child right after fork: SIGKILL when `parent` (the pid that forked,
 * taken before fork) ends; exits at once when it has ended already. */
void tm_die_with_parent(pid_t parent);
/* False once the parent given to tm_die_with_parent has gone (true in a
 * process that never called it). */
bool tm_parent_alive(void);

#endif

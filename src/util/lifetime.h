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

/* For tests of what a kill leaves behind, at a known moment and without
 * sleeps: with TOOLMARK_TEST_HOLD=POINT (or POINT:SUFFIX, where SUFFIX ends
 * detail after a '/') and TOOLMARK_TEST_HOLD_FIFO=PATH in the environment,
 * a process that reaches POINT writes "POINT PID\n" into the FIFO
 * (waiting for a reader) and then waits until it is killed. Points: "plugins"
 * (an input's records all read, before its plugins run), "commit" (detail:
 * the final path of an output about to be renamed into place). Without the
 * variables, nothing. */
void tm_test_hold(const char *point, const char *detail);

#endif

/* One worker budget for a whole run (-j N), however many inputs run at
 * once: N tokens in a pipe that every input process draws from, the make
 * jobserver's idea. The supervisor makes the pipe and starts an input only
 * with a token, which is that input's own: its first parser worker (and
 * its main thread) run on it. Each further worker an input runs at the same
 * time takes a token from the pipe and gives it back when its job ends; so
 * do the plugins' extra threads. A batch of a hundred images and one huge
 * image both keep every core busy without running more than N at once.
 *
 * Tokens a process holds when it dies would be lost: a process says what it
 * takes before taking it (tm_jobserver_note, through its status pipe), and
 * the supervisor gives back the tokens of a process that ended. */
#ifndef TM_JOBSERVER_H
#define TM_JOBSERVER_H

#include <stdbool.h>

/* Supervisor: makes the pipe with n tokens; false when it cannot (then
 * nothing is limited across inputs). */
bool tm_jobserver_create(int n);
/* Whether this process draws from a jobserver. */
bool tm_jobserver_active(void);
/* The pipe's read end, to wait for a token with poll(); -1 without one. */
int tm_jobserver_fd(void);
/* Takes a token if one is free now (never waits); true when taken or when
 * there is no jobserver. */
bool tm_jobserver_take(void);
/* Gives a token back. */
void tm_jobserver_give(void);
/* Supervisor: the tokens free in the pipe now. */
int tm_jobserver_free_tokens(void);
/* Supervisor: puts tokens back or drains them so that want are free. */
void tm_jobserver_settle(int want);
/* Set by an input process: told +1 before a token is taken, -1 after one is
 * given back or a take failed (the supervisor's count of what it holds). */
extern void (*tm_jobserver_note)(int delta);

#endif

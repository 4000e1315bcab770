/* Messages to the user: every line on stderr starts with the program's name
 * ("toolmark: INPUT: ARTIFACT: what went wrong"). */
#ifndef TM_MSG_H
#define TM_MSG_H

extern const char *tm_prog;

#endif

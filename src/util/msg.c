#include "util/msg.h"

const char *tm_prog = "toolmark";

#include "cmd/cmd.h"
int cmd_dump(int argc, char **argv) { (void)argc; (void)argv; return TM_EXIT_USAGE; }

/* Deleted event logs: MFT entries no longer in use whose name ends in
 * .evtx (or whose data begins with "ElfFile"), read through TSK when every
 * cluster of their data runs is still free (nothing overwrote them). Each
 * becomes an evtx artifact with origin deleted-file, path
 * "$Deleted/<MFT entry>/<its old path>". docs/recovery.md. */
#ifndef TM_DELETED_H
#define TM_DELETED_H

#include <tsk/libtsk.h>

#include "image/input.h"

void tm_deleted_logs(tm_input *in, TSK_FS_INFO *fs, int vol);
/* The long name among a file's $FILE_NAME names (the DOS 8.3 alias has a
 * '~' and is never longer); l must not be NULL. */
const TSK_FS_META_NAME_LIST *tm_tsk_long_name(const TSK_FS_META_NAME_LIST *l);

#endif

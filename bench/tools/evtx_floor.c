/* evtx_floor FILE: the parsing floor of the benchmark. One process opens the
 * event log with libevtx, fetches every record by index and reads its event
 * id, nothing else: what reading a log through Debian's libevtx costs at
 * least. Prints the record count and the sum of the event ids (so that the
 * work cannot be optimised away). */
#include <stdint.h>
#include <stdio.h>

#include <libevtx.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: evtx_floor FILE\n");
        return 2;
    }
    libevtx_file_t *file = NULL;
    if (libevtx_file_initialize(&file, NULL) != 1 || libevtx_file_open(file, argv[1], LIBEVTX_OPEN_READ, NULL) != 1) {
        fprintf(stderr, "evtx_floor: cannot open %s\n", argv[1]);
        return 1;
    }
    int n = 0;
    libevtx_file_get_number_of_records(file, &n, NULL);
    uint64_t sum = 0, got = 0;
    for (int i = 0; i < n; i++) {
        libevtx_record_t *rec = NULL;
        if (libevtx_file_get_record_by_index(file, i, &rec, NULL) != 1)
            continue;
        uint32_t id = 0;
        if (libevtx_record_get_event_identifier(rec, &id, NULL) == 1) {
            sum += id;
            got++;
        }
        libevtx_record_free(&rec, NULL);
    }
    libevtx_file_close(file, NULL);
    libevtx_file_free(&file, NULL);
    printf("%d records, %llu read, event id sum %llu\n", n, (unsigned long long)got, (unsigned long long)sum);
    return 0;
}

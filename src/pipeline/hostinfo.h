/* What the coordinator learns about a host from its registry facts while it
 * reads an input: enough to convert the host's local times (at-jobs, task
 * XML) to UTC, and who the host is (name, domain, addresses). Filled from
 * the registry reader's "time_zone", "computer_name", "tcpip" and
 * "interface" facts. */
#ifndef TM_HOSTINFO_H
#define TM_HOSTINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "model/record.h"

typedef struct {
    uint16_t month, dow, week, hour, minute; /* SYSTEMTIME transition rule; month 0 = none */
} tm_tz_rule;

typedef struct {
    bool tz_known;
    char tz_name[96];
    int32_t bias, std_bias, dst_bias; /* minutes: UTC = local + bias (+ std/dst bias) */
    tm_tz_rule std_start, dst_start;
    char computer[96];
    /* who the host is on the network (the case's links between hosts):
     * its domain and the addresses its interfaces had (static or DHCP) */
    char domain[128];
    char addresses[16][48];
    unsigned naddresses;
    /* other hosts as this host's logons saw them: a workstation name with
     * the address it came from (Security 4624/4625), the first 64 pairs */
    struct {
        char name[64];
        char address[48];
        uint32_t logons;
    } seen[64];
    unsigned nseen;
} tm_hostinfo;

void tm_hostinfo_init(tm_hostinfo *h);
/* Takes what it needs from a registry fact record. */
void tm_hostinfo_observe(tm_hostinfo *h, const tm_record *r);
/* Takes the name and address of the other end of a logon (4624, 4625). */
void tm_hostinfo_observe_logon(tm_hostinfo *h, const tm_record *r);
/* Local wall-clock microseconds -> UTC; false when the zone is unknown. */
bool tm_hostinfo_local_to_utc(const tm_hostinfo *h, int64_t local, int64_t *utc);

#endif

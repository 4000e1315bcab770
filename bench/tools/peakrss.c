/* peakrss COMMAND [ARG...]: runs COMMAND and reports, on stderr, the peak of
 * the summed resident memory of it and all its descendants (sampled every
 * 10 ms from /proc), its wall time, and the user and system CPU time of the
 * whole tree. toolmark runs as a supervisor, an input process per input and
 * parser workers: the largest process alone (what time(1) reports) would
 * understate it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXP 65536

static int parent_of(int pid, long *rss_pages)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command may hold spaces and parentheses */
    if (!p)
        return -1;
    int ppid = 0;
    long rss = 0;
    /* fields after ')': state ppid ... rss is field 24 of stat (22 after the state) */
    char state;
    if (sscanf(p + 2, "%c %d", &state, &ppid) != 2)
        return -1;
    char *q = p + 2;
    for (int field = 3; field < 24 && q; field++) {
        q = strchr(q, ' ');
        if (q)
            q++;
    }
    if (q && sscanf(q, "%ld", &rss) == 1)
        *rss_pages = rss;
    return ppid;
}

static long tree_rss(int root)
{
    static int pids[MAXP], ppids[MAXP];
    static long rss[MAXP];
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < MAXP) {
        int pid = atoi(e->d_name);
        if (pid <= 0)
            continue;
        long r = 0;
        int pp = parent_of(pid, &r);
        if (pp < 0)
            continue;
        pids[n] = pid;
        ppids[n] = pp;
        rss[n] = r;
        n++;
    }
    if (d)
        closedir(d);
    long total = 0;
    for (int i = 0; i < n; i++) {
        int p = pids[i];
        for (int depth = 0; depth < 64 && p > 1; depth++) {
            if (p == root) {
                total += rss[i];
                break;
            }
            int k;
            for (k = 0; k < n && pids[k] != p; k++)
                ;
            if (k == n)
                break;
            p = ppids[k];
        }
    }
    return total * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: peakrss COMMAND [ARG...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    long peak = 0;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        long now = tree_rss(pid);
        if (now > peak)
            peak = now;
        usleep(10000);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    fprintf(stderr, "peakrss: wall %.2f s, cpu %.2f s (user %.2f, sys %.2f), peak summed RSS %ld KiB, exit %d\n", wall,
            user + sys, user, sys, peak, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Helpers every command shares: strict number parsing for options, clocks, pacing. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

bool lo_cli_number(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < min || v > max) return false;
    *out = v;
    return true;
}

double lo_cli_monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void lo_cli_sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    /* A signal ends the sleep early on purpose: Ctrl-C must be answered at once, not after a
     * long pacing pause; callers re-check their stop flag. */
    nanosleep(&ts, NULL);
}

bool lo_cli_input_ok(const char *cmd, const char *what, const char *path)
{
    if (!strcmp(path, "-")) return true;
    /* O_NONBLOCK: a FIFO is a fine input, and probing it must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) err = EISDIR;
        close(fd);
    }
    if (!err) return true;
    fprintf(stderr, "lookout %s: cannot open %s%s'%s': %s\n", cmd, what ? what : "", what ? " " : "",
            path, strerror(err));
    return false;
}

static volatile sig_atomic_t stop_signalled;

static void note_stop_signal(int sig)
{
    (void)sig;
    stop_signalled = 1;
}

volatile sig_atomic_t *lo_cli_catch_stop_signals(void)
{
    struct sigaction sa = {.sa_handler = note_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &stop_signalled;
}

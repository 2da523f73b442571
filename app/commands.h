/*
 * commands.h: the subcommands of the `lookout` binary.
 *
 * app/ is thin: each command parses its options, wires a source to the library's stages and
 * sinks, and reports. Each lives in app/cmd_<name>.c and is listed once in app/main.c.
 * Exit codes: 0 success, 1 the work failed, 2 usage error (unknown option, missing file).
 */
#ifndef LOOKOUT_APP_COMMANDS_H
#define LOOKOUT_APP_COMMANDS_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct lo_command {
    const char *name;
    const char *summary;            /* one line for `lookout --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} lo_command;

int cmd_eval(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_track(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_train_classifier(int argc, char **argv);
int cmd_multisite_demo(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_replay(int argc, char **argv);

/* Shared helpers for commands. */
#define LO_EXIT_OK 0
#define LO_EXIT_FAIL 1
#define LO_EXIT_USAGE 2

/* Print "lookout CMD: message" and a hint to --help on stderr; returns LO_EXIT_USAGE. */
int lo_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Strict number for an option value: the whole text, finite, within [min, max]. */
bool lo_cli_number(const char *s, double min, double max, double *out);
/* Monotonic seconds (for pacing and progress, never for data time). */
double lo_cli_monotonic_s(void);
/* Turn SIGINT and SIGTERM into a flag the command polls (for a clean stop: journal closed,
 * server stopped); returns the flag, set to 1 once either signal arrives. */
volatile sig_atomic_t *lo_cli_catch_stop_signals(void);
/* Sleep up to s seconds; returns early when a signal arrives. */
void lo_cli_sleep_s(double s);
/* Can `path` be opened for reading as a file ("-" is stdin)? When not (missing, unreadable, a
 * directory) prints "lookout CMD: cannot open WHAT 'path': reason" and returns false; the
 * caller exits with LO_EXIT_USAGE. `what` ("scenario", "journal") may be NULL. */
bool lo_cli_input_ok(const char *cmd, const char *what, const char *path);

/* Show every alert transition stored in `journal` on the display; returns the rows read
 * (-1 on a journal error). */
struct lo_picture;
struct lo_journal;
long lo_app_show_past_alerts(struct lo_picture *pic, struct lo_journal *journal);

/* True when stderr is a terminal (progress lines are shown only then). */
int lo_progress_wanted(void);

#endif

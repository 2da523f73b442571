/* lookout: the single binary. Dispatches to the subcommands in app/cmd_*.c. */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

static const lo_command commands[] = {
    {"demo", "run the default green-zone scenario end to end", cmd_demo},
    {"serve", "the live service: radar plots over UDP to tracks, alarms and the display", cmd_serve},
    {"replay", "play a recording onto the wire (UDP) with its original timing", cmd_replay},
    {"run", "simulate, track, classify and warn on a scenario in one process", cmd_run},
    {"simulate", "generate radar plots and ground truth from a scenario", cmd_simulate},
    {"track", "track plots from a file into system tracks", cmd_track},
    {"decode", "print the records of an ASTERIX recording", cmd_decode},
    {"eval", "score tracks against truth (GOSPA, purity, continuity, ...)", cmd_eval},
    {"alerts", "list the alert transitions stored in an alert journal", cmd_alerts},
    {"train-classifier", "fit the classifier's parameters on tracked data with truth", cmd_train_classifier},
    {"multisite-demo", "edge, fusion and display nodes on a local NATS cluster", cmd_multisite_demo},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

int lo_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lookout%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'lookout%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
    return LO_EXIT_USAGE;
}

int lo_progress_wanted(void) { return isatty(STDERR_FILENO); }

static void print_help(FILE *f)
{
    fprintf(f,
            "lookout %s: real-time low-altitude airspace surveillance.\n"
            "Turns radar plots into tracks, classifies them, and warns protected zones.\n\n"
            "Usage: lookout COMMAND [OPTIONS]\n\nCommands:\n",
            LOOKOUT_VERSION);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-17s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nlookout COMMAND --help describes each command.\n"
               "Options:\n  -h, --help     this text\n  --version      print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return LO_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        print_help(stdout);
        return LO_EXIT_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("lookout %s\n", LOOKOUT_VERSION);
        return LO_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name)) {
            optind = 1; /* each command parses from its own argv[0] */
            return commands[i].run(argc - 1, argv + 1);
        }
    if (name[0] == '-') return lo_usage_error(NULL, "unknown option '%s'", name);
    return lo_usage_error(NULL, "unknown command '%s'", name);
}

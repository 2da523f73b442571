/* lookout alerts: list the alert transitions stored in a journal (lookout-alerts.sqlite). */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lookout/formats.h"
#include "lookout/journal.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout alerts [--db FILE] [--since T] [--json]\n"
            "List the alert transitions (raised, updated, cleared) in an alert journal, oldest\n"
            "first.\n\n"
            "Options:\n"
            "  --db FILE    the journal (default %s in the working directory)\n"
            "  --since T    only transitions at or after T: ISO 8601 UTC\n"
            "               (2026-11-22T12:00:00Z, 2026-11-22T12:00:00.5+01:00, 2026-11-22)\n"
            "               or seconds since the epoch (1795348800)\n"
            "  --json       one JSON object per line, with the track snapshot\n"
            "  -h, --help   this text\n",
            LO_JOURNAL_DEFAULT_PATH);
}

/* Epoch seconds or ISO 8601 UTC (lo_parse_time), or a bare date meaning its midnight UTC. */
static bool parse_time(const char *s, double *out)
{
    if (lo_parse_time(s, out)) return true;
    char full[32];
    if (strlen(s) != 10) return false;
    snprintf(full, sizeof full, "%sT00:00:00Z", s);
    return lo_parse_time(full, out);
}

typedef struct list_ctx {
    bool json;
    long n;
} list_ctx;

static bool print_row(void *vctx, int64_t seq, const lo_alert *a, const char *snapshot_json)
{
    list_ctx *c = vctx;
    char when[48];
    lo_format_time(a->t, when, sizeof when);
    c->n++;
    if (!c->json) {
        printf("%s  alert %-5llu %-7s %-7s %-12s track %-6u %s\n", when,
               (unsigned long long)a->alert_id, lo_alert_transition_name(a->transition),
               lo_alert_level_name(a->level), a->zone_name, a->track_id, a->reason);
        return true;
    }
    (void)snapshot_json; /* lo_alert_json re-encodes the snapshot it restored */
    char *line = lo_alert_json(a);
    if (!line) return false;
    /* The journal's row number first, then the alert. */
    printf("{\"seq\":%lld,%s\n", (long long)seq, line + 1);
    free(line);
    return true;
}

int cmd_alerts(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"since", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = LO_JOURNAL_DEFAULT_PATH;
    double since = -INFINITY;
    list_ctx ctx = {0};
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's':
            if (!parse_time(optarg, &since))
                return lo_usage_error("alerts", "--since '%s' is neither ISO 8601 UTC nor epoch "
                                                "seconds", optarg);
            break;
        case 'j': ctx.json = true; break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        case ':': return lo_usage_error("alerts", "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error("alerts", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return lo_usage_error("alerts", "unexpected argument '%s'", argv[optind]);

    if (!lo_cli_input_ok("alerts", "journal", db)) return LO_EXIT_USAGE;
    char err[600];
    lo_journal *j = lo_journal_open(db, true, err, sizeof err);
    if (!j) {
        fprintf(stderr, "lookout alerts: %s\n", err);
        return LO_EXIT_FAIL;
    }
    long n = lo_journal_list(j, since, print_row, &ctx);
    if (n < 0) {
        fprintf(stderr, "lookout alerts: %s\n", lo_journal_error(j));
        lo_journal_close(j);
        return LO_EXIT_FAIL;
    }
    lo_journal_close(j);
    if (!ctx.json) fprintf(stderr, "%ld alert transition%s in %s\n", n, n == 1 ? "" : "s", db);
    return LO_EXIT_OK;
}

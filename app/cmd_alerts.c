/* lookout alerts: list the alert transitions stored in a journal (lookout-alerts.sqlite). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
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

/* Epoch seconds or ISO 8601 (date, optional time with fraction, optional Z or +hh:mm). */
static bool parse_time(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == '\0' && isfinite(v)) { /* "2026-11-22" stops strtod at '-' */
        *out = v;
        return true;
    }
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return false;
    const char *p = s + n;
    if (*p == 'T' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5) return false;
        p += 1 + m;
        if (*p == ':') {
            char *e;
            sec = strtod(p + 1, &e);
            if (e == p + 1 || !(sec >= 0 && sec < 61)) return false;
            p = e;
        }
    }
    int offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5) return false;
        offset = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
        p += 1 + m;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi};
    *out = (double)timegm(&tm) + sec - offset;
    return true;
}

static void format_utc(double t, char *buf, size_t len)
{
    time_t s = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&s, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%01dZ", base, (int)((t - floor(t)) * 10));
}

typedef struct list_ctx {
    bool json;
    long n;
} list_ctx;

static bool print_row(void *vctx, int64_t seq, const lo_alert *a, const char *snapshot_json)
{
    list_ctx *c = vctx;
    char when[48];
    format_utc(a->t, when, sizeof when);
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

    struct stat st;
    if (stat(db, &st) != 0) {
        fprintf(stderr, "lookout alerts: %s: no such journal file\n", db);
        return LO_EXIT_USAGE;
    }
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

/* lookout demo: the default green-zone scenario through the whole pipeline, paced in real time,
 * with the live display served on a local port and alarms on the terminal. What `make demo`
 * runs. The same runner as `lookout run`, plus the operator picture and its HTTP server. */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lookout/http.h"
#include "lookout/journal.h"
#include "lookout/picture.h"
#include "runner.h"


static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout demo [--speed X] [--scenario FILE] [--bind ADDR] [--port N]\n"
            "                    [--token-file FILE] [--db FILE] [--seed N] [--duration S]\n"
            "                    [--linger]\n\n"
            "Runs the default scenario (the green-zone: drones and rockets at a guarded\n"
            "compound and a residence, among birds, traffic and an airliner) through the whole\n"
            "pipeline in real time, serves the live display, and prints alarms here.\n\n"
            "Options:\n"
            "  --speed X         X times real time (default 1; 10 runs ten minutes in one)\n"
            "  --scenario FILE   another scenario file instead of the built-in green-zone\n"
            "  --bind ADDR       address of the display (default 127.0.0.1)\n"
            "  --port N          port of the display (default 8080; 0 picks a free one)\n"
            "  --token-file FILE access token for a non-local --bind (first line, >= 16 chars)\n"
            "  --db FILE         alert journal (default lookout-alerts.sqlite)\n"
            "  --seed N          random seed (default: the scenario's)\n"
            "  --duration S      scenario seconds to run (default: the scenario's)\n"
            "  --linger          keep serving the display after the scenario ends, until Ctrl-C\n"
            "  --sites N         N radar sites, a fusion node and a display on a local NATS\n"
            "                    cluster instead (see 'lookout multisite-demo --help')\n"
            "  -h, --help        this text\n\n"
            "Ctrl-C stops it cleanly; the alert journal keeps every alarm raised.\n");
}

typedef struct demo_state {
    lo_picture *pic;
} demo_state;

static void demo_track(void *ctx, const lo_track *trk)
{
    demo_state *d = ctx;
    lo_picture_update_tracks(d->pic, trk, 1);
}

static void demo_alert(void *ctx, const lo_alert *a)
{
    demo_state *d = ctx;
    lo_picture_update_alerts(d->pic, a, 1);
}

static void demo_clock(void *ctx, double t, uint64_t plots)
{
    demo_state *d = ctx;
    static uint64_t counted;
    lo_picture_set_clock(d->pic, t);
    lo_picture_count_plots(d->pic, plots - counted);
    counted = plots;
}

static void demo_latency(void *ctx, double seconds)
{
    demo_state *d = ctx;
    lo_picture_record_latency(d->pic, seconds);
}

int cmd_demo(int argc, char **argv)
{
    /* `lookout demo --sites N`: many radar sites on a local NATS cluster (multisite-demo). */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--sites") || !strncmp(argv[i], "--sites=", 8))
            return cmd_multisite_demo(argc, argv);

    enum { OPT_SPEED = 256, OPT_SCENARIO, OPT_BIND, OPT_PORT, OPT_TOKEN, OPT_DB, OPT_SEED,
           OPT_DURATION, OPT_LINGER };
    static const struct option opts[] = {
        {"speed", required_argument, 0, OPT_SPEED},
        {"scenario", required_argument, 0, OPT_SCENARIO},
        {"bind", required_argument, 0, OPT_BIND},
        {"port", required_argument, 0, OPT_PORT},
        {"token-file", required_argument, 0, OPT_TOKEN},
        {"db", required_argument, 0, OPT_DB},
        {"seed", required_argument, 0, OPT_SEED},
        {"duration", required_argument, 0, OPT_DURATION},
        {"linger", no_argument, 0, OPT_LINGER},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    lo_run_options o = {.db_path = "lookout-alerts.sqlite", .cmd = "demo", .speed = 1};
    lo_http_config http;
    lo_http_config_defaults(&http);
    const char *token_file = NULL;
    char token[LO_HTTP_TOKEN_MAX + 1] = "";
    bool linger = false;
    double v;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_SPEED:
            if (!lo_cli_number(optarg, 0.01, 10000, &o.speed))
                return lo_usage_error("demo", "--speed takes a factor in [0.01, 10000], got '%s'",
                                      optarg);
            break;
        case OPT_SCENARIO: o.scenario_path = optarg; break;
        case OPT_BIND: http.bind_addr = optarg; break;
        case OPT_PORT:
            if (!lo_cli_number(optarg, 0, 65535, &v) || v != (int)v)
                return lo_usage_error("demo", "--port takes 0..65535, got '%s'", optarg);
            http.port = (int)v;
            break;
        case OPT_TOKEN: token_file = optarg; break;
        case OPT_DB: o.db_path = optarg; break;
        case OPT_SEED:
            if (!lo_cli_number(optarg, 0, 1.8e19, &v) || v != (double)(uint64_t)v)
                return lo_usage_error("demo", "--seed takes a whole number, got '%s'", optarg);
            o.has_seed = true;
            o.seed = (uint64_t)v;
            break;
        case OPT_DURATION:
            if (!lo_cli_number(optarg, 0.001, 1e7, &o.duration_s))
                return lo_usage_error("demo", "--duration takes seconds > 0, got '%s'", optarg);
            break;
        case OPT_LINGER: linger = true; break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        case ':': return lo_usage_error("demo", "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error("demo", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return lo_usage_error("demo", "unexpected argument '%s'", argv[optind]);
    struct in_addr bind_check;
    if (strcmp(http.bind_addr, "localhost") != 0 && inet_pton(AF_INET, http.bind_addr, &bind_check) != 1)
        return lo_usage_error("demo", "--bind takes an IPv4 address, got '%s'", http.bind_addr);
    if (o.scenario_path) {
        if (!lo_cli_input_ok("demo", "scenario", o.scenario_path)) return LO_EXIT_USAGE;
    }
    if (token_file) {
        char err[256];
        if (lo_http_read_token_file(token_file, token, sizeof token, err, sizeof err) != 0)
            return lo_usage_error("demo", "--token-file %s: %s", token_file, err);
        http.token = token;
    }

    lo_site site;
    if (lo_run_load_site(o.scenario_path, &site) != 0) return LO_EXIT_FAIL;
    lo_picture *pic = lo_picture_new(NULL);
    if (!pic) {
        lo_site_free(&site);
        return LO_EXIT_FAIL;
    }
    lo_picture_set_site(pic, &site);
    lo_picture_set_status(pic, o.scenario_path ? o.scenario_path : "green-zone (built-in scenario)");

    /* A restarted demo shows what its journal already holds, as serve does. */
    char err[256];
    FILE *existing = fopen(o.db_path, "rb");
    if (existing) {
        fclose(existing);
        lo_journal *past = lo_journal_open(o.db_path, true, err, sizeof err);
        if (past) {
            lo_app_show_past_alerts(pic, past);
            lo_journal_close(past);
        }
    }
    lo_http_server *srv = lo_http_start(&http, pic, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "lookout demo: cannot serve the display: %s\n", err);
        lo_picture_free(pic);
        lo_site_free(&site);
        return LO_EXIT_FAIL;
    }
    volatile sig_atomic_t *stop = lo_cli_catch_stop_signals();

    fprintf(stderr, "lookout demo: %s at %gx real time\n",
            o.scenario_path ? o.scenario_path : "green-zone scenario", o.speed);
    fprintf(stderr, "lookout demo: display at %s\n", lo_http_url(srv));
    fprintf(stderr, "lookout demo: alerts are journalled in %s; Ctrl-C stops\n\n", o.db_path);

    demo_state d = {.pic = pic};
    o.hooks = (lo_run_hooks){.on_track = demo_track, .on_alert = demo_alert,
                             .on_clock = demo_clock, .on_latency = demo_latency, .ctx = &d};
    o.stop = stop;
    int rc = lo_run_scenario(&o, &site);
    lo_picture_set_status(pic, *stop ? "stopped" : "scenario ended");

    if (linger && !*stop) {
        fprintf(stderr, "lookout demo: scenario over; the display stays at %s until Ctrl-C\n",
                lo_http_url(srv));
        while (!*stop) lo_cli_sleep_s(0.2);
    }
    lo_http_stop(srv);
    lo_picture_free(pic);
    lo_site_free(&site);
    return rc;
}

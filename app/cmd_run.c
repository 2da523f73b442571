/* lookout run: a scenario through simulate -> track -> classify -> warn, in one process,
 * as fast as it goes; alerts printed as they happen and journalled, a summary at the end. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "runner.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout run -c SCENARIO.yaml [--seed N] [--duration S] [--db FILE]\n"
            "                   [--tracks FILE] [--truth FILE] [--plots FILE] [--json] [--quiet]\n\n"
            "Simulates the scenario and runs the whole pipeline on it (ingest, tracker,\n"
            "classifier, threat evaluation), printing each alert transition as it happens\n"
            "after it is written to the alert journal, and a summary at the end.\n\n"
            "Options:\n"
            "  -c, --config FILE   scenario file (a site YAML with targets; see docs/simulator.md)\n"
            "  --seed N            random seed (default: the scenario's)\n"
            "  --duration S        simulated seconds (default: the scenario's)\n"
            "  --db FILE           alert journal (default: lookout-alerts.sqlite)\n"
            "  --tracks FILE       also write every track report (CSV, or JSON lines for *.jsonl)\n"
            "  --truth FILE        also write the ground truth (for lookout eval)\n"
            "  --plots FILE        also write the simulated plots\n"
            "  --json              alert transitions as JSON lines on stdout\n"
            "  --quiet             no alert lines, only the summary\n"
            "  -h, --help          this text\n");
}

int cmd_run(int argc, char **argv)
{
    enum { OPT_SEED = 256, OPT_DURATION, OPT_DB, OPT_TRACKS, OPT_TRUTH, OPT_PLOTS, OPT_JSON,
           OPT_QUIET };
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"seed", required_argument, 0, OPT_SEED},
        {"duration", required_argument, 0, OPT_DURATION}, {"db", required_argument, 0, OPT_DB},
        {"tracks", required_argument, 0, OPT_TRACKS}, {"truth", required_argument, 0, OPT_TRUTH},
        {"plots", required_argument, 0, OPT_PLOTS}, {"json", no_argument, 0, OPT_JSON},
        {"quiet", no_argument, 0, OPT_QUIET}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    lo_run_options o = {.db_path = "lookout-alerts.sqlite", .cmd = "run"};
    const char *config = NULL;
    double v;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case OPT_SEED:
            if (!lo_cli_number(optarg, 0, 1.8e19, &v) || v != (double)(uint64_t)v)
                return lo_usage_error("run", "--seed takes a whole number, got '%s'", optarg);
            o.has_seed = true;
            o.seed = (uint64_t)v;
            break;
        case OPT_DURATION:
            if (!lo_cli_number(optarg, 0.001, 1e7, &o.duration_s))
                return lo_usage_error("run", "--duration takes seconds > 0, got '%s'", optarg);
            break;
        case OPT_DB: o.db_path = optarg; break;
        case OPT_TRACKS: o.tracks_out = optarg; break;
        case OPT_TRUTH: o.truth_out = optarg; break;
        case OPT_PLOTS: o.plots_out = optarg; break;
        case OPT_JSON: o.json_alerts = true; break;
        case OPT_QUIET: o.quiet = true; break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        case ':': return lo_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error("run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return lo_usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (!config) return lo_usage_error("run", "a scenario is needed: -c SCENARIO.yaml");
    if (!lo_cli_input_ok("run", "scenario", config)) return LO_EXIT_USAGE;
    o.scenario_path = config;

    lo_site site;
    if (lo_run_load_site(config, &site) != 0) return LO_EXIT_FAIL;
    int rc = lo_run_scenario(&o, &site);
    lo_site_free(&site);
    return rc;
}

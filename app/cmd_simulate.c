/* lookout simulate: run a scenario and write radar plots (and ground truth) in time order.
 * Thin: options, the site file, the simulator (src/sim), the writers (formats), a summary. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "lookout/asterix.h"
#include "lookout/config.h"
#include "lookout/formats.h"
#include "lookout/recording.h"
#include "lookout/sim.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout simulate SCENARIO.yaml [-o PLOTS] [--truth TRUTH.csv]\n"
            "                        [--format csv|jsonl|asterix] [--seed N] [--duration S]\n"
            "                        [--speed X] [--truth-rate S]\n\n"
            "Simulates the targets, radars and clutter of a scenario file (the site YAML plus\n"
            "its simulation/targets/clutter sections, see docs/simulator.md) and writes the\n"
            "radar plots in time order, deterministically for a seed.\n\n"
            "Options:\n"
            "  -o, --output PLOTS    plots file (default: standard output); *.jsonl for JSON lines\n"
            "  --truth TRUTH         ground truth file (CSV, or JSON lines for *.jsonl)\n"
            "  --format F            csv (default), jsonl, or asterix: CAT048 plots and CAT034\n"
            "                        north markers / sector crossings as the radar sends them,\n"
            "                        in a pcap (-o *.pcap) or raw datagram file (needs -o)\n"
            "  --seed N              random seed (default: simulation.seed of the scenario)\n"
            "  --duration S          simulated seconds (default: simulation.duration_s)\n"
            "  --speed X             pace the output at X times real time (0: as fast as possible)\n"
            "  --truth-rate S        one truth sample per target every S seconds\n"
            "                        (default: simulation.truth_rate_s, else the first sensor's\n"
            "                        scan period)\n"
            "  -h, --help            this text\n\n"
            "Plots are written at the resolution of the radar's CAT048 wire format (range 2.8 cm,\n"
            "azimuth 0.37 microradian, elevation 0.0055 degree, radial velocity 1/64 m/s, time\n"
            "31 microseconds; docs/asterix.md) in every format, and\n"
            "CSV numbers read back to the same bits, so tracking the CSV and the CAT048 of one\n"
            "run gives the same tracks.\n"
            "A summary (plots, detections per class, false alarms) goes to standard error.\n");
}

typedef struct truth_sink {
    lo_writer *w;
    int failed;
} truth_sink;

static void on_truth(void *ctx, const lo_truth *t)
{
    truth_sink *ts = ctx;
    if (ts->w && lo_truth_write(ts->w, t) != 0) ts->failed = 1;
}

static void print_summary(const char *scenario, const lo_sim *sim, double wall_s)
{
    lo_sim_stats st;
    lo_sim_get_stats(sim, &st);
    double dur = lo_sim_end_time(sim) - lo_sim_start_time(sim);
    uint64_t det = 0;
    for (int c = 0; c < LO_CLASS_COUNT; c++) det += st.detections[c];
    fprintf(stderr, "lookout simulate: %s, seed %llu, %.1f s simulated in %.2f s\n", scenario,
            (unsigned long long)st.seed, dur, wall_s);
    fprintf(stderr, "  plots %llu: target detections %llu, false alarms %llu (thermal %llu, "
                    "ground clutter %llu, rain %llu, wind turbines %llu)\n",
            (unsigned long long)st.plots, (unsigned long long)det,
            (unsigned long long)st.false_alarms, (unsigned long long)st.thermal,
            (unsigned long long)st.ground_clutter, (unsigned long long)st.rain,
            (unsigned long long)st.turbine);
    if (st.split)
        fprintf(stderr, "  split returns (second plots of one echo, in the detections): %llu\n",
                (unsigned long long)st.split);
    fprintf(stderr, "  detections by class:");
    for (int c = 0; c < LO_CLASS_COUNT; c++)
        if (st.detections[c])
            fprintf(stderr, " %s %llu", lo_class_name((lo_class)c),
                    (unsigned long long)st.detections[c]);
    fprintf(stderr, "\n  returns in coverage %llu, missed %llu (Pd %.2f), looks merged into another's "
                    "cell %llu, masked by horizon/blind zone/elevation %llu\n",
            (unsigned long long)st.looks, (unsigned long long)st.missed,
            st.looks ? 1.0 - (double)st.missed / (double)st.looks : 0.0,
            (unsigned long long)st.merged, (unsigned long long)st.masked);
    fprintf(stderr, "  Pd by range (target returns):");
    for (int b = 0; b < LO_SIM_RANGE_BANDS; b++)
        if (st.cell_looks_by_range[b])
            fprintf(stderr, " %g-%g km %.2f (%llu)", b * LO_SIM_RANGE_BAND_M / 1000,
                    (b + 1) * LO_SIM_RANGE_BAND_M / 1000,
                    (double)st.detected_by_range[b] / (double)st.cell_looks_by_range[b],
                    (unsigned long long)st.cell_looks_by_range[b]);
    fprintf(stderr, "\n  truth: %u objects, %llu samples\n", st.targets,
            (unsigned long long)st.truth_samples);
}

int cmd_simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},   {"truth", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},   {"seed", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'}, {"speed", required_argument, NULL, 'x'},
        {"truth-rate", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *out_path = "-", *truth_path = NULL, *format = NULL;
    lo_sim_options so = {0};
    double speed = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        double v;
        switch (c) {
        case 'o': out_path = optarg; break;
        case 't': truth_path = optarg; break;
        case 'f': format = optarg; break;
        case 's': {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (end == optarg || *end || errno || optarg[0] == '-')
                return lo_usage_error("simulate", "--seed wants a non-negative integer, got '%s'", optarg);
            so.has_seed = true;
            so.seed = n;
            break;
        }
        case 'd':
            if (!lo_cli_number(optarg, 1e-3, 1e7, &v))
                return lo_usage_error("simulate", "--duration wants seconds > 0, got '%s'", optarg);
            so.duration_s = v;
            break;
        case 'x':
            if (!lo_cli_number(optarg, 0, 1e6, &v))
                return lo_usage_error("simulate", "--speed wants a factor >= 0, got '%s'", optarg);
            speed = v;
            break;
        case 'r':
            if (!lo_cli_number(optarg, 1e-2, 3600, &v))
                return lo_usage_error("simulate", "--truth-rate wants seconds > 0, got '%s'", optarg);
            so.truth_rate_s = v;
            break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        /* argv[optind - 1] is the option as typed: the long options' codes ('d' for
         * --duration) are not options of their own, so optopt would name the wrong one. */
        case ':': return lo_usage_error("simulate", "option '%s' needs a value", argv[optind - 1]);
        case '?':
            if (optopt && strncmp(argv[optind - 1], "--", 2) != 0)
                return lo_usage_error("simulate", "unknown option '-%c'", optopt);
            return lo_usage_error("simulate", "unknown option '%s'", argv[optind - 1]);
        default: return lo_usage_error("simulate", "bad arguments");
        }
    }
    if (optind >= argc) return lo_usage_error("simulate", "missing SCENARIO.yaml");
    if (optind + 1 < argc) return lo_usage_error("simulate", "unexpected argument '%s'", argv[optind + 1]);
    const char *scenario = argv[optind];

    lo_text_format fmt = lo_format_from_path(out_path);
    bool asterix = false;
    if (format) {
        if (!strcmp(format, "csv")) fmt = LO_FORMAT_CSV;
        else if (!strcmp(format, "jsonl")) fmt = LO_FORMAT_JSONL;
        else if (!strcmp(format, "asterix")) asterix = true;
        else return lo_usage_error("simulate", "unknown --format '%s' (csv, jsonl or asterix)", format);
    }
    if (asterix && !strcmp(out_path, "-"))
        return lo_usage_error("simulate", "--format asterix needs -o FILE (.pcap, or raw datagrams)");
    if (!lo_cli_input_ok("simulate", NULL, scenario)) return LO_EXIT_USAGE;

    lo_diag_sink sink = {0};
    lo_site site;
    memset(&site, 0, sizeof site);
    if (lo_site_load(scenario, &site, &sink) != 0) {
        lo_site_free(&site);
        return LO_EXIT_FAIL;
    }
    lo_sim *sim = lo_sim_new(&site, &so, &sink);
    if (!sim) {
        lo_site_free(&site);
        return LO_EXIT_FAIL;
    }
    int rc = LO_EXIT_OK;
    lo_writer *pw = NULL;
    lo_asterix_plot_writer *aw = NULL;
    truth_sink ts = {0};
    if (asterix) {
        size_t len = strlen(out_path);
        bool pcap = (len > 5 && !strcmp(out_path + len - 5, ".pcap")) ||
                    (len > 7 && !strcmp(out_path + len - 7, ".pcapng"));
        aw = lo_asterix_plot_writer_open(out_path, pcap ? LO_REC_PCAP : LO_REC_RAW, 8600,
                                         site.sensors, site.n_sensors, 0);
    } else {
        pw = lo_plot_writer_open(out_path, fmt);
    }
    if (!pw && !aw) {
        fprintf(stderr, "lookout simulate: cannot write '%s': %s\n", out_path, strerror(errno));
        rc = LO_EXIT_FAIL;
        goto done;
    }
    if (truth_path) {
        ts.w = lo_truth_writer_open(truth_path, lo_format_from_path(truth_path));
        if (!ts.w) {
            fprintf(stderr, "lookout simulate: cannot write '%s': %s\n", truth_path, strerror(errno));
            rc = LO_EXIT_FAIL;
            goto done;
        }
        lo_sim_set_truth_callback(sim, on_truth, &ts);
    }

    bool progress = lo_progress_wanted();
    double wall0 = lo_cli_monotonic_s(), last_progress = wall0, t0 = lo_sim_start_time(sim);
    double t_end = lo_sim_end_time(sim);
    lo_plot p;
    uint64_t n = 0;
    while (lo_sim_next_plot(sim, &p) == 1) {
        for (int i = 0; i < site.n_sensors; i++)
            if (site.sensors[i].id == p.sensor_id) {
                lo_plot wire;
                lo_cat048_wire_plot(&p, &site.sensors[i], &wire);
                p = wire;
                break;
            }
        if (speed > 0) lo_cli_sleep_s(wall0 + (p.t - t0) / speed - lo_cli_monotonic_s());
        if ((aw ? lo_asterix_plot_writer_write(aw, &p) : lo_plot_write(pw, &p)) != 0) {
            fprintf(stderr, "lookout simulate: write error on '%s'\n", out_path);
            rc = LO_EXIT_FAIL;
            break;
        }
        if (progress && (++n & 1023) == 0) {
            double w = lo_cli_monotonic_s();
            if (w - last_progress > 0.5) {
                fprintf(stderr, "\r  %.0f / %.0f s simulated, %llu plots", p.t - t0, t_end - t0,
                        (unsigned long long)n);
                last_progress = w;
            }
        }
    }
    if (progress) fprintf(stderr, "\r%60s\r", "");
    if (ts.failed) {
        fprintf(stderr, "lookout simulate: write error on '%s'\n", truth_path);
        rc = LO_EXIT_FAIL;
    }
    print_summary(scenario, sim, lo_cli_monotonic_s() - wall0);
done:
    if (pw && lo_writer_close(pw) != 0) rc = LO_EXIT_FAIL;
    if (aw && lo_asterix_plot_writer_close(aw) != 0) rc = LO_EXIT_FAIL;
    if (ts.w && lo_writer_close(ts.w) != 0) rc = LO_EXIT_FAIL;
    lo_sim_free(sim);
    lo_site_free(&site);
    return rc;
}

/* bench_sim: simulator throughput and memory. 10,000 targets for an hour (or --seconds S),
 * plots pulled one by one as lookout simulate does, no file output. Prints plots per second of
 * CPU time and the peak resident memory after the first tenth of the run and at the end (equal
 * when nothing is buffered across the run).
 *
 * Usage: bench_sim [--seconds S] [--scenario FILE]   (default: 3600 s, two built-in cases and
 *        scenarios/birds-10000.yaml when run from the repository root) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lookout/config.h"
#include "lookout/sim.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static const char *site_header =
    "site: {name: bench, reference: {lat_deg: 33.2985, lon_deg: 44.3950, height_m: 45}, propagation: 4/3-earth}\n"
    "sensors:\n"
    "  - {name: r, sac: 1, sic: 1, kind: rotating, dimensions: 3, scan_period_s: 1.0, sigma_range_m: 8,"
    " sigma_azimuth_deg: 0.4, sigma_elevation_deg: 0.6, sigma_radial_velocity_mps: 0.5, min_range_m: 300,"
    " max_range_m: 20000, min_elevation_deg: -2, max_elevation_deg: 60, reference_rcs_m2: 0.01,"
    " reference_range_m: 15000, reference_snr_db: 13, pfa: 1.0e-6, range_cell_m: 30, beamwidth_az_deg: 2.0,"
    " beamwidth_el_deg: 10, radial_velocity: true}\n"
    "simulation: {seed: 1, step_s: 0.5, ground_height_m: 35}\n";

/* 10,000 drones and birds inside 12 km: nearly every look is a detection. */
static const char *mixed_targets =
    "targets:\n"
    "  - {kind: multirotor, count: 6000, position: {x_m: 0, y_m: 0, agl_m: 150}, spread_m: 11000,"
    " speed_mps: [5, 15], patrol_radius_m: 1500, hover_s: [0, 20], rcs_m2: [0.05, 0.5]}\n"
    "  - {kind: fixed_wing, count: 2000, position: {x_m: 0, y_m: 0, agl_m: 300}, spread_m: 10000,"
    " speed_mps: [25, 40], patrol_radius_m: 3000}\n"
    "  - {kind: bird, count: 2000, position: {x_m: 0, y_m: 0, agl_m: 100}, spread_m: 8000, rcs_m2: [0.01, 0.05],"
    " home_radius_m: 8000}\n";

static void count_truth(void *ctx, const lo_truth *t)
{
    (void)t;
    (*(unsigned long long *)ctx)++;
}

static int bench(const char *label, lo_site *site, double seconds, bool truth)
{
    lo_diag_sink sink = {0};
    lo_sim_options o = {.duration_s = seconds};
    double c0 = cpu_s();
    lo_sim *sim = lo_sim_new(site, &o, &sink);
    if (!sim) return 1;
    double c_setup = cpu_s() - c0;
    unsigned long long truth_n = 0;
    if (truth) lo_sim_set_truth_callback(sim, count_truth, &truth_n);
    lo_plot p;
    unsigned long long n = 0;
    double t0 = lo_sim_start_time(sim), tenth = t0 + seconds / 10;
    long rss_tenth = 0;
    double sum = 0;
    c0 = cpu_s();
    while (lo_sim_next_plot(sim, &p) == 1) {
        n++;
        sum += p.range_m; /* use the plot so nothing is optimised away */
        if (!rss_tenth && p.t >= tenth) rss_tenth = peak_rss_kb();
    }
    double c = cpu_s() - c0;
    lo_sim_stats st;
    lo_sim_get_stats(sim, &st);
    printf("%-34s %6.0f s simulated, %u targets: %llu plots in %.2f s CPU = %.2f M plots/s "
           "(setup %.2f s; truth samples %llu); peak RSS %ld MiB after 1/10, %ld MiB at end "
           "[%.0f]\n",
           label, seconds, st.targets, n, c, n / c / 1e6, c_setup, truth_n, rss_tenth / 1024,
           peak_rss_kb() / 1024, sum > 0 ? 1.0 : 0.0);
    lo_sim_free(sim);
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = 3600;
    const char *scenario = "scenarios/birds-10000.yaml";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--scenario") && i + 1 < argc) scenario = argv[++i];
        else {
            fprintf(stderr, "usage: bench_sim [--seconds S] [--scenario FILE]\n");
            return 2;
        }
    }
    lo_diag_sink sink = {0};
    static char yaml[8192];
    snprintf(yaml, sizeof yaml, "%s%s", site_header, mixed_targets);
    lo_site site;
    memset(&site, 0, sizeof site);
    if (lo_site_load_string(yaml, "bench-mixed", &site, &sink) != 0) return 1;
    int rc = bench("10,000 drones+birds, no truth", &site, seconds, false);
    rc |= bench("10,000 drones+birds, truth 1/s", &site, seconds, true);
    lo_site_free(&site);

    memset(&site, 0, sizeof site);
    if (lo_site_load(scenario, &site, &sink) == 0) {
        const char *base = strrchr(scenario, '/');
        char label[64];
        snprintf(label, sizeof label, "%s, no truth", base ? base + 1 : scenario);
        rc |= bench(label, &site, seconds, false);
        lo_site_free(&site);
    } else {
        printf("(%s not found: run from the repository root for the birds-10000 figure)\n", scenario);
    }
    return rc;
}

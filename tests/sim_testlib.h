/*
 * sim_testlib.h: helpers for the simulator's tests (header-only, static functions): build a
 * site + scenario from a YAML string, run the simulation to the end, and keep every plot and
 * truth sample in memory (tests run short scenarios only).
 */
#ifndef LOOKOUT_SIM_TESTLIB_H
#define LOOKOUT_SIM_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/geo.h"
#include "lookout/sim.h"
#include "testutil.h"

typedef struct sim_run {
    lo_site site;
    lo_plot *plots;
    size_t n_plots, cap_plots;
    lo_truth *truth;
    size_t n_truth, cap_truth;
    lo_sim_stats stats;
    double t0;
} sim_run;

static inline void sim_run_on_truth(void *ctx, const lo_truth *t)
{
    sim_run *r = ctx;
    if (r->n_truth == r->cap_truth) {
        r->cap_truth = r->cap_truth ? 2 * r->cap_truth : 1024;
        r->truth = realloc(r->truth, r->cap_truth * sizeof *r->truth);
        assert_non_null(r->truth);
    }
    r->truth[r->n_truth++] = *t;
}

/* The test radar: the green-zone one, with the detection settings in the arguments. The
 * antenna is 50 m above the ground (ground_height_m: -5 with the reference at 45 m). */
static inline const char *sim_test_site(const char *kind, int dims, double pfa, const char *propagation)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "site: {name: t, reference: {lat_deg: 33.2985, lon_deg: 44.3950, height_m: 45}, "
             "propagation: %s}\n"
             "sensors:\n"
             "  - {name: r, sac: 1, sic: 1, kind: %s, dimensions: %d, scan_period_s: 1.0, "
             "sigma_range_m: 8, sigma_azimuth_deg: 0.4, sigma_elevation_deg: 0.6, "
             "sigma_radial_velocity_mps: 0.5, min_range_m: 300, max_range_m: 20000, "
             "min_elevation_deg: -2, max_elevation_deg: 60, reference_rcs_m2: 0.01, "
             "reference_range_m: 15000, reference_snr_db: 13, pfa: %g, range_cell_m: 30, "
             "beamwidth_az_deg: 2.0, beamwidth_el_deg: 10, radial_velocity: true}\n"
             "zones:\n  - {name: residence, priority: 1, circle: {bearing_deg: 60, distance_m: 1000, "
             "radius_m: 150}, altitude_m: [0, 1500]}\n",
             propagation, kind, dims, pfa);
    return buf;
}

/* Load `yaml` and run it to the end. Returns 0, or -1 when the file was refused (diagnostics
 * in `diags` when given). */
static inline int sim_run_yaml(sim_run *r, const char *yaml, const lo_sim_options *opt, lo_test_diags *diags)
{
    memset(r, 0, sizeof *r);
    lo_test_diags local;
    if (!diags) {
        lo_test_diags_init(&local, false);
        diags = &local;
    }
    if (lo_site_load_string(yaml, "scenario.yaml", &r->site, &diags->sink) != 0) {
        if (diags == &local) printf("%s", local.all);
        return -1;
    }
    lo_sim *sim = lo_sim_new(&r->site, opt, &diags->sink);
    if (!sim) {
        if (diags == &local) printf("%s", local.all);
        return -1;
    }
    lo_sim_set_truth_callback(sim, sim_run_on_truth, r);
    r->t0 = lo_sim_start_time(sim);
    lo_plot p;
    while (lo_sim_next_plot(sim, &p) == 1) {
        if (r->n_plots == r->cap_plots) {
            r->cap_plots = r->cap_plots ? 2 * r->cap_plots : 1024;
            r->plots = realloc(r->plots, r->cap_plots * sizeof *r->plots);
            assert_non_null(r->plots);
        }
        r->plots[r->n_plots++] = p;
    }
    lo_sim_get_stats(sim, &r->stats);
    lo_sim_free(sim);
    return 0;
}

static inline void sim_run_free(sim_run *r)
{
    free(r->plots);
    free(r->truth);
    lo_site_free(&r->site);
    memset(r, 0, sizeof *r);
}

/* The last truth sample of an object at or before t (NULL if none). */
static inline const lo_truth *sim_truth_at(const sim_run *r, uint32_t id, double t)
{
    const lo_truth *best = NULL;
    for (size_t i = 0; i < r->n_truth; i++)
        if (r->truth[i].truth_id == id && r->truth[i].t <= t + 1e-9) best = &r->truth[i];
    return best;
}

#endif

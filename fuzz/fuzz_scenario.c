/* libFuzzer harness: a scenario file through the site loader, the scenario parser and a short
 * run of the simulator (a few simulated seconds, a bounded number of plots).
 *
 * Two kinds of input are left out on purpose, because they are the operator's choice and not
 * bugs: `replay` targets (they read other files named in the scenario, which a fuzzer could
 * point at /dev/zero or a FIFO), and scenarios asking for more than 64 targets in all (a
 * 10,000-bird scenario is legitimate and takes legitimately long), or rockets and mortar
 * bombs (each one's launch is solved by shooting: 0.05 s in a release build, several seconds
 * under the sanitizers; test_sim_scenarios covers those models). Their sections are still
 * parsed: the filter runs the scenario parser first. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/sim.h"
#include "sim/sim_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool quiet(void *ctx, const lo_diag *d)
{
    (void)ctx;
    (void)d;
    return true;
}

static void on_truth(void *ctx, const lo_truth *t)
{
    double *last = ctx;
    /* Truth comes in time order and is finite. */
    if (!(t->t >= *last - 1e-6) || t->pos[0] != t->pos[0] || t->truth_id == 0) __builtin_trap();
    *last = t->t;
}

/* Targets the scenario asks for, or -1 when it is one of those left out (see the top). */
static long scenario_targets(const lo_site *site)
{
    lo_diag_sink sink = {quiet, NULL, 0, 0};
    sim_scenario sc;
    if (sim_scenario_parse(site, &sc, &sink) != 0) {
        sim_scenario_free(&sc);
        return 0; /* lo_sim_new refuses it too: still worth running */
    }
    long total = 0, ballistic = 0;
    for (int i = 0; i < sc.n_specs; i++) {
        if (sc.specs[i].kind == SIM_REPLAY) total = -1;
        if (sc.specs[i].kind == SIM_ROCKET || sc.specs[i].kind == SIM_MORTAR)
            ballistic += sc.specs[i].count;
        if (total >= 0) total += sc.specs[i].count;
    }
    if (ballistic > 0) total = -1;
    sim_scenario_free(&sc);
    return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    lo_diag_sink sink = {quiet, NULL, 0, 0};
    lo_site site;
    if (lo_site_load_string(text, "fuzz.yaml", &site, &sink) != 0) {
        free(text);
        return 0;
    }
    long targets = scenario_targets(&site);
    if (targets >= 0 && targets <= 64) {
        lo_sim_options opt = {.has_seed = true, .seed = 7, .duration_s = 3.0};
        lo_sim *sim = lo_sim_new(&site, &opt, &sink);
        if (sim) {
            double last_truth = -1e300, last_t = lo_sim_start_time(sim) - 1e-6;
            lo_sim_set_truth_callback(sim, on_truth, &last_truth);
            lo_plot p;
            for (int i = 0; i < 5000 && lo_sim_next_plot(sim, &p) == 1; i++) {
                /* Plots come in time order, inside the run, from a configured sensor. */
                if (!(p.t >= last_t - 1e-6) || !(p.t <= lo_sim_end_time(sim) + 60) ||
                    lo_site_sensor_index(&site, p.sensor_id) < 0)
                    __builtin_trap();
                last_t = p.t;
            }
            lo_sim_stats st;
            lo_sim_get_stats(sim, &st);
            lo_sim_free(sim);
        }
    }
    lo_site_free(&site);
    free(text);
    return 0;
}

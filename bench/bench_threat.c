/* bench_threat: cost of the sense-and-warn stages per scan.
 *  - threat update: N confirmed tracks (drones, birds, unknown) against the 3 green-zone-like
 *    zones (two circles and a polygon), alert engine included, no sink;
 *  - ballistic prediction (impact + launch, 13 sigma points each) for one rocket;
 *  - the ballistic fit over a rocket's 20 plots, and its impact + launch prediction;
 *  - classifier update (features + naive Bayes) per track report;
 *  - journal append (WAL, synchronous=FULL: one fsync per transition) on /tmp.
 * Prints one line per figure. Timings on a shared machine are noisy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lookout/classify.h"
#include "lookout/geo.h"
#include "lookout/journal.h"
#include "lookout/threat.h"

/* `make bench` runs from the repository root. */
#ifndef LOOKOUT_BENCH_MODEL
#define LOOKOUT_BENCH_MODEL "data/classifier-v1.json"
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int count_alert(void *ctx, const lo_alert *a)
{
    (void)a;
    (*(long *)ctx)++;
    return 0;
}

int main(void)
{
    lo_zone z[3];
    memset(z, 0, sizeof z);
    strcpy(z[0].name, "compound");
    z[0].radius_m = 400, z[0].priority = 1, z[0].alt_max_m = 1500;
    strcpy(z[1].name, "residence");
    z[1].radius_m = 150, z[1].priority = 1, z[1].alt_max_m = 1500;
    z[1].center_enu[0] = 866, z[1].center_enu[1] = 500;
    strcpy(z[2].name, "district");
    z[2].shape = LO_ZONE_POLYGON, z[2].priority = 3, z[2].alt_max_m = 1500, z[2].n_vertices = 6;
    double v[6][2] = {{-1500, -1500}, {1500, -1800}, {2200, 0}, {1800, 2200}, {0, 2500}, {-1700, 800}};
    memcpy(z[2].vertex_enu, v, sizeof v);
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    lo_threat_engine *e = lo_threat_engine_new(&cfg, z, 3);

    enum { N = 500, SCANS = 200 };
    lo_track *tr = calloc(N, sizeof *tr);
    unsigned seed = 1;
    for (int i = 0; i < N; i++) {
        lo_track *t = &tr[i];
        t->id = (uint32_t)i + 1;
        t->status = LO_TRACK_CONFIRMED;
        double r = 1000 + rand_r(&seed) % 12000, a = (rand_r(&seed) % 6283) / 1000.0;
        t->pos[0] = r * sin(a), t->pos[1] = r * cos(a), t->pos[2] = 50 + rand_r(&seed) % 400;
        double s = 5 + rand_r(&seed) % 40;
        t->vel[0] = -s * sin(a + 0.3), t->vel[1] = -s * cos(a + 0.3);
        for (int k = 0; k < 9; k += 4) t->pos_cov[k] = 400, t->vel_cov[k] = 4;
        t->class_prob[i % 3 == 0 ? LO_CLASS_MULTIROTOR : i % 3 == 1 ? LO_CLASS_BIRD : LO_CLASS_UNKNOWN] = 0.9;
    }
    long alerts = 0;
    double t0 = now();
    for (int s = 0; s < SCANS; s++) {
        for (int i = 0; i < N; i++)
            for (int k = 0; k < 3; k++) tr[i].pos[k] += tr[i].vel[k];
        lo_threat_update(e, 1e9 + s, tr, N, count_alert, &alerts);
    }
    double dt = now() - t0;
    printf("threat update: %d tracks x 3 zones: %.3f ms per scan (%.2f us per track), %ld transitions\n",
           N, 1e3 * dt / SCANS, 1e6 * dt / SCANS / N, alerts);

    lo_track rk;
    memset(&rk, 0, sizeof rk);
    rk.pos[0] = -3000, rk.pos[1] = -3000, rk.pos[2] = 500;
    rk.vel[0] = 200, rk.vel[1] = 200, rk.vel[2] = 100;
    for (int k = 0; k < 9; k += 4) rk.pos_cov[k] = 400, rk.vel_cov[k] = 16;
    lo_ballistic b;
    int reps = 200;
    t0 = now();
    for (int i = 0; i < reps; i++) lo_threat_predict_ballistic(&cfg, &rk, &b);
    dt = now() - t0;
    printf("ballistic prediction (impact %.1f s ahead + launch, 13 sigma points): %.3f ms\n",
           b.time_to_impact_s, 1e3 * dt / reps);

    /* The ballistic fit: 20 plots over 20 s (green-zone accuracies, a Doppler radar at the
     * origin), Levenberg-Marquardt from no guess, then impact + launch over 15 sigma points. */
    {
        lo_ballistic_model bm = {0, 8500, 5e-5, 5e-5};
        double s0[7] = {-4950, -4950, 0, 215, 215, 125, 2e-5};
        lo_ballistic_meas plots[20];
        memset(plots, 0, sizeof plots);
        for (int i = 0; i < 20; i++) {
            double s6[6];
            lo_ballistic_propagate(&bm, s0, 1.5 + i, s6);
            plots[i].t = 1.5 + i;
            double wobble = (i % 3 - 1) * 20.0; /* a little deterministic "noise" */
            for (int a = 0; a < 3; a++) plots[i].enu[a] = s6[a] + wobble, plots[i].enu_cov[a * 4] = 50 * 50;
            double r = sqrt(s6[0] * s6[0] + s6[1] * s6[1] + s6[2] * s6[2]);
            plots[i].has_radial_velocity = true;
            plots[i].radial_velocity_mps = (s6[0] * s6[3] + s6[1] * s6[4] + s6[2] * s6[5]) / r;
            plots[i].radial_velocity_sigma_mps = 0.5;
        }
        lo_ballistic_fit fit;
        lo_ballistic pred;
        int freps = 50;
        t0 = now();
        for (int i = 0; i < freps; i++) lo_ballistic_fit_solve(&bm, plots, 20, NULL, &fit);
        double dt_fit = now() - t0;
        t0 = now();
        for (int i = 0; i < freps; i++) lo_ballistic_fit_predict(&bm, &fit, fit.t_ref, &pred);
        double dt_pred = now() - t0;
        printf("ballistic fit (20 plots, %d iterations): %.3f ms; impact %.1f s ahead + launch "
               "from it (15 sigma points): %.3f ms\n",
               fit.iterations, 1e3 * dt_fit / freps, pred.time_to_impact_s, 1e3 * dt_pred / freps);
    }

    lo_classifier_model m;
    lo_diag_sink sink = {0};
    if (lo_classifier_model_load(LOOKOUT_BENCH_MODEL, &m, &sink) == 0) {
        lo_classifier *c = lo_classifier_new(&m, NULL, NULL, 0);
        t0 = now();
        for (int s = 0; s < SCANS; s++)
            for (int i = 0; i < N; i++) {
                tr[i].t = 1e9 + s;
                lo_classifier_update(c, &tr[i], NULL);
            }
        dt = now() - t0;
        printf("classifier update: %.2f us per track report (%d tracks)\n", 1e6 * dt / SCANS / N, N);
        lo_classifier_free(c);
    } else {
        printf("classifier update: skipped (%s not found: run from the repository root)\n",
               LOOKOUT_BENCH_MODEL);
    }

    char path[] = "/tmp/bench-journal-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    char err[512];
    lo_journal *j = lo_journal_open(path, false, err, sizeof err);
    if (j) {
        lo_alert a;
        memset(&a, 0, sizeof a);
        strcpy(a.reason, "drone, 2.3 km E of residence, 41 m/s, entry in 48 s");
        int n = 300;
        t0 = now();
        for (int i = 0; i < n; i++) {
            a.alert_id = (uint64_t)i + 1;
            lo_journal_append(j, &a);
        }
        dt = now() - t0;
        printf("journal append (durable, one fsync each): %.3f ms per transition\n", 1e3 * dt / n);
        lo_journal_close(j);
        char p2[64];
        unlink(path);
        snprintf(p2, sizeof p2, "%s-wal", path);
        unlink(p2);
        snprintf(p2, sizeof p2, "%s-shm", path);
        unlink(p2);
    }
    lo_threat_engine_free(e);
    free(tr);
    return 0;
}

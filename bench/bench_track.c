/*
 * bench_track: tracker throughput and per-scan latency against the number of targets.
 *
 * A staring radar scans every second; N targets fly over a square sized for one target per
 * square kilometre (straight or gently turning, 10-60 m/s), each detected with Pd 0.9 and
 * 20 m (horizontal) / 30 m (vertical) converted-measurement noise, plus N/10 false alarms
 * per scan spread over the square. After 10 warm-up scans (initiation) the next 20 scans are
 * timed: plots/s = plots fed / time in lo_tracker_add_plot + lo_tracker_advance, and the
 * latency of one scan (all its plots), both in CPU time of the thread (CLOCK_THREAD_CPUTIME_ID)
 * because the build machine is shared: wall time would count other processes. Each case runs in a child process so that its peak
 * resident memory is its own. One core (the tracker is single-threaded).
 *
 * Usage: bench_track [--min-targets N] [--max-targets N] [--scans S] [--case K]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lookout/tracker.h"
#include "synth.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bench_case {
    const char *name;
    lo_association assoc;
    int n_models;
    lo_motion_model models[LO_MAX_MODELS];
} bench_case;

typedef struct bench_out {
    double plots_per_s, scan_ms_mean, scan_ms_max;
    double confirmed_share; /* confirmed tracks / targets at the end */
    double bytes_per_track;
    long live_tracks;
} bench_out;

static void count_confirmed(void *ctx, const lo_track *tr)
{
    *(long *)ctx += tr->status != LO_TRACK_TENTATIVE;
}

static void run_case(const bench_case *bc, int n_targets, int timed_scans, bench_out *out)
{
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.association = bc->assoc;
    cfg.n_models = bc->n_models;
    memcpy(cfg.models, bc->models, sizeof cfg.models);
    cfg.reorder_window_s = 0.0;
    cfg.clutter_map = true;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    double half = 500.0 * sqrt((double)n_targets); /* one target per km^2 */
    synth_rng rng = {0x1234567u + (uint64_t)n_targets};
    double (*pos)[3] = malloc(sizeof *pos * (size_t)n_targets);
    double (*vel)[3] = malloc(sizeof *vel * (size_t)n_targets);
    double *turn = malloc(sizeof *turn * (size_t)n_targets);
    for (int i = 0; i < n_targets; i++) {
        pos[i][0] = (2 * synth_uniform(&rng) - 1) * half;
        pos[i][1] = (2 * synth_uniform(&rng) - 1) * half;
        pos[i][2] = 50 + 1000 * synth_uniform(&rng);
        double sp = 10 + 50 * synth_uniform(&rng), hd = 6.283185307179586 * synth_uniform(&rng);
        vel[i][0] = sp * cos(hd), vel[i][1] = sp * sin(hd), vel[i][2] = 0;
        turn[i] = synth_uniform(&rng) < 0.3 ? (synth_uniform(&rng) - 0.5) * 0.1 : 0.0;
    }
    int n_clutter = n_targets / 10 + 1;
    int cap = n_targets + 3 * n_clutter + 16;
    lo_plot *plots = malloc(sizeof *plots * (size_t)cap);
    const double sh = 20.0, sv = 30.0;
    double busy = 0, worst = 0;
    long fed = 0;
    int warmup = 10;
    for (int s = 0; s < warmup + timed_scans; s++) {
        double ts = 1000.0 + s;
        int np = 0;
        for (int i = 0; i < n_targets; i++) {
            double w = turn[i], vx = vel[i][0], vy = vel[i][1];
            vel[i][0] = vx * cos(w) - vy * sin(w);
            vel[i][1] = vx * sin(w) + vy * cos(w);
            for (int k = 0; k < 3; k++) pos[i][k] += vel[i][k];
            if (synth_uniform(&rng) >= 0.9) continue;
            lo_plot *p = &plots[np++];
            memset(p, 0, sizeof *p);
            p->t = ts;
            p->sensor_id = 1;
            p->flags = LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
            p->enu[0] = pos[i][0] + sh * synth_normal(&rng);
            p->enu[1] = pos[i][1] + sh * synth_normal(&rng);
            p->enu[2] = pos[i][2] + sv * synth_normal(&rng);
            p->enu_cov[0] = p->enu_cov[4] = sh * sh;
            p->enu_cov[8] = sv * sv;
            p->truth_id = (uint32_t)i + 1;
        }
        int nc = synth_poisson(&rng, n_clutter);
        for (int c = 0; c < nc && np < cap; c++) {
            lo_plot *p = &plots[np++];
            memset(p, 0, sizeof *p);
            p->t = ts;
            p->sensor_id = 1;
            p->flags = LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
            p->enu[0] = (2 * synth_uniform(&rng) - 1) * half;
            p->enu[1] = (2 * synth_uniform(&rng) - 1) * half;
            p->enu[2] = 50 + 1000 * synth_uniform(&rng);
            p->enu_cov[0] = p->enu_cov[4] = sh * sh;
            p->enu_cov[8] = sv * sv;
        }
        double t0 = now_s();
        for (int j = 0; j < np; j++) lo_tracker_add_plot(t, &plots[j]);
        lo_tracker_advance(t, ts + 0.5); /* the scan is complete: process it */
        double dt = now_s() - t0;
        if (s >= warmup) {
            busy += dt;
            fed += np;
            if (dt > worst) worst = dt;
        }
    }
    lo_tracker_stats st;
    lo_tracker_get_stats(t, &st);
    long confirmed = 0;
    lo_tracker_for_each(t, count_confirmed, &confirmed);
    out->plots_per_s = fed / busy;
    out->scan_ms_mean = 1e3 * busy / timed_scans;
    out->scan_ms_max = 1e3 * worst;
    out->confirmed_share = (double)confirmed / n_targets;
    out->live_tracks = (long)st.live_tracks;
    out->bytes_per_track = st.live_tracks ? (double)st.memory_bytes / (double)st.live_tracks : 0;
    lo_tracker_free(t);
    free(plots);
    free(pos);
    free(vel);
    free(turn);
}

int main(int argc, char **argv)
{
    int max_targets = 100000, min_targets = 10, scans = 20, only_case = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max-targets") && i + 1 < argc) max_targets = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-targets") && i + 1 < argc) min_targets = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--scans") && i + 1 < argc) scans = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--case") && i + 1 < argc) only_case = atoi(argv[++i]);
        else {
            fprintf(stderr, "Usage: bench_track [--min-targets N] [--max-targets N] [--scans S] "
                            "[--case 0|1|2 (CV+GNN, IMM+GNN, IMM+JPDA)]\n");
            return 2;
        }
    }
    static const bench_case cases[] = {
        {"CV + GNN", LO_ASSOC_GNN, 1, {LO_MODEL_CV}},
        {"IMM(CV,CT,CA) + GNN", LO_ASSOC_GNN, 3, {LO_MODEL_CV, LO_MODEL_CT, LO_MODEL_CA}},
        {"IMM(CV,CT,CA) + JPDA", LO_ASSOC_JPDA, 3, {LO_MODEL_CV, LO_MODEL_CT, LO_MODEL_CA}},
    };
    printf("| tracker | targets | plots/s (1 core) | scan mean ms | scan max ms | confirmed/targets "
           "| tracker heap B/track | peak RSS MiB |\n|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int n = 10; n <= max_targets; n *= 10) {
            if (n < min_targets || (only_case >= 0 && (size_t)only_case != c)) continue;
            int fds[2];
            if (pipe(fds) != 0) return 1;
            pid_t pid = fork();
            if (pid == 0) {
                close(fds[0]);
                bench_out o;
                run_case(&cases[c], n, scans, &o);
                if (write(fds[1], &o, sizeof o) != (ssize_t)sizeof o) _exit(1);
                _exit(0);
            }
            close(fds[1]);
            bench_out o;
            ssize_t got = read(fds[0], &o, sizeof o);
            close(fds[0]);
            int status;
            struct rusage ru;
            wait4(pid, &status, 0, &ru);
            if (got != (ssize_t)sizeof o) {
                fprintf(stderr, "case %s %d failed\n", cases[c].name, n);
                return 1;
            }
            printf("| %s | %d | %.0f | %.3f | %.3f | %.2f | %.0f | %.1f |\n", cases[c].name, n,
                   o.plots_per_s, o.scan_ms_mean, o.scan_ms_max, o.confirmed_share,
                   o.bytes_per_track, ru.ru_maxrss / 1024.0);
            fflush(stdout);
        }
    return 0;
}

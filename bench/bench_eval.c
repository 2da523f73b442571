/*
 * bench_eval: time lo_eval_run on a synthetic scene: N objects on straight paths spread over
 * 40 x 40 km, one truth sample per second for S seconds, and one track per object reported
 * 0.3 s after each sample with 10 m / 1 m/s noise. Usage: bench_eval [N] [S] (default 1000 600).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lookout/eval.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double uniform(unsigned *seed, double lo, double hi)
{
    return lo + (hi - lo) * (double)rand_r(seed) / RAND_MAX;
}

static double gauss(unsigned *seed)
{
    double u = uniform(seed, 1e-12, 1.0), v = uniform(seed, 0.0, 1.0);
    return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979 * v);
}

int main(int argc, char **argv)
{
    int n_objects = argc > 1 ? atoi(argv[1]) : 1000;
    int seconds = argc > 2 ? atoi(argv[2]) : 600;
    unsigned seed = 3;
    lo_eval *e = lo_eval_new(NULL);
    for (int i = 1; i <= n_objects; i++) {
        double x0 = uniform(&seed, -20000, 20000), y0 = uniform(&seed, -20000, 20000);
        double vx = uniform(&seed, -30, 30), vy = uniform(&seed, -30, 30);
        for (int s = 0; s < seconds; s++) {
            lo_truth t = {.t = 1000.0 + s, .truth_id = (uint32_t)i, .cls = LO_CLASS_BIRD,
                          .pos = {x0 + vx * s, y0 + vy * s, 100}, .vel = {vx, vy, 0}};
            lo_eval_add_truth(e, &t);
            double tr = s + 0.3;
            lo_track k = {.id = (uint32_t)i, .t = 1000.0 + tr,
                          .status = s < 3 ? LO_TRACK_TENTATIVE : LO_TRACK_CONFIRMED,
                          .t_confirmed = 1003.3, .last_plot_t = 1000.0 + tr,
                          .last_truth_id = (uint32_t)i,
                          .pos = {x0 + vx * tr + 10 * gauss(&seed), y0 + vy * tr + 10 * gauss(&seed),
                                  100 + 10 * gauss(&seed)},
                          .vel = {vx + gauss(&seed), vy + gauss(&seed), 0}};
            lo_eval_add_track(e, &k);
        }
    }
    double t0 = now_s();
    if (lo_eval_run(e)) {
        fprintf(stderr, "bench_eval: out of memory\n");
        return 1;
    }
    double dt = now_s() - t0;
    const lo_eval_summary *s = lo_eval_get_summary(e);
    printf("objects=%d steps=%d reports=%ld  lo_eval_run %.3f s (%.2f ms per step)  "
           "GOSPA mean %.1f m, position RMS %.2f m\n",
           n_objects, s->n_steps, (long)n_objects * seconds, dt, dt / s->n_steps * 1e3,
           s->gospa_mean_m, s->pos_rms_m);
    lo_eval_free(e);
    return 0;
}

/*
 * bench_assign: time lo_assign_solve on square dense random matrices (uniform costs in
 * [0, 1000)), and on the same matrices with 90% of the entries forbidden (a gated tracker
 * problem). Usage: bench_assign [max_size]  (default 5000). Prints one line per size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lookout/assign.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run(lo_assign_workspace *ws, int n, int repeats, int forbidden_pct)
{
    size_t cells = (size_t)n * (size_t)n;
    double *cost = malloc(cells * sizeof(double));
    int *r2c = malloc((size_t)n * sizeof(int));
    if (!cost || !r2c) {
        fprintf(stderr, "bench_assign: out of memory for n=%d\n", n);
        exit(1);
    }
    unsigned seed = 42u + (unsigned)n;
    double best = 1e30, sum = 0.0, total = 0.0;
    for (int rep = 0; rep < repeats; rep++) {
        for (size_t k = 0; k < cells; k++) {
            cost[k] = (double)rand_r(&seed) / RAND_MAX * 1000.0;
            if (forbidden_pct && rand_r(&seed) % 100 < forbidden_pct) cost[k] = LO_ASSIGN_FORBIDDEN;
        }
        double t0 = now_s();
        total = lo_assign_solve(ws, cost, n, n, r2c, NULL);
        double dt = now_s() - t0;
        sum += dt;
        if (dt < best) best = dt;
    }
    int assigned = 0;
    for (int i = 0; i < n; i++) assigned += r2c[i] >= 0;
    printf("n=%5d forbidden=%2d%%  repeats=%3d  mean %10.3f ms  best %10.3f ms  "
           "(assigned %d, cost %.1f)\n",
           n, forbidden_pct, repeats, sum / repeats * 1e3, best * 1e3, assigned, total);
    fflush(stdout);
    free(cost);
    free(r2c);
}

int main(int argc, char **argv)
{
    int max_size = argc > 1 ? atoi(argv[1]) : 5000;
    lo_assign_workspace *ws = lo_assign_workspace_new();
    const int sizes[] = {100, 1000, 5000};
    const int repeats[] = {200, 5, 1};
    for (int s = 0; s < 3; s++) {
        if (sizes[s] > max_size) break;
        run(ws, sizes[s], repeats[s], 0);
        run(ws, sizes[s], repeats[s], 90);
    }
    lo_assign_workspace_free(ws);
    return 0;
}

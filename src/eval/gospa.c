/*
 * GOSPA of one time step (see lookout/eval.h for the definition and its parts).
 *
 * The minimum over assignments is a linear assignment on the cut-off costs min(d, c)^p: the
 * |n - m| unassigned points cost the same in every assignment, so they do not change which
 * one is best. Reference: A. S. Rahmathullah, A. F. Garcia-Fernandez, L. Svensson,
 * "Generalized optimal sub-pattern assignment metric", FUSION 2017.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/assign.h"
#include "lookout/eval.h"

void lo_gospa_params_default(lo_gospa_params *p)
{
    p->cutoff_m = 100.0;
    p->order_p = 2.0;
    p->alpha = 2.0;
}

static double distance(const double *a, const double *b, int dim)
{
    double s = 0.0;
    for (int k = 0; k < dim; k++) s += (a[k] - b[k]) * (a[k] - b[k]);
    return sqrt(s);
}

int lo_gospa(const lo_gospa_params *params, const double *truth, int n, const double *est, int m,
             int dim, struct lo_assign_workspace *ws, lo_gospa_result *out, int *truth_to_est)
{
    lo_gospa_params defaults;
    if (!params) {
        lo_gospa_params_default(&defaults);
        params = &defaults;
    }
    double c = params->cutoff_m, p = params->order_p, alpha = params->alpha;
    if (!out || n < 0 || m < 0 || dim < 1 || dim > 3 || !(c > 0) || !isfinite(c) || !(p >= 1) ||
        !isfinite(p) || !(alpha > 0) || alpha > 2 || (n > 0 && !truth) || (m > 0 && !est))
        return -1;
    for (int i = 0; i < n * dim; i++)
        if (!isfinite(truth[i])) return -1;
    for (int i = 0; i < m * dim; i++)
        if (!isfinite(est[i])) return -1;
    memset(out, 0, sizeof *out);
    out->n_truth = n;
    out->n_estimates = m;
    for (int i = 0; truth_to_est && i < n; i++) truth_to_est[i] = -1;

    double cp = pow(c, p);
    double localisation_p = 0.0;
    int n_far = 0; /* assigned pairs at or beyond the cut-off */
    if (n > 0 && m > 0) {
        double *cost = malloc(sizeof(double) * (size_t)n * (size_t)m);
        int *row_to_col = malloc(sizeof(int) * (size_t)n);
        if (!cost || !row_to_col) {
            free(cost);
            free(row_to_col);
            return -1;
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) {
                double d = distance(truth + i * dim, est + j * dim, dim);
                cost[(size_t)i * (size_t)m + (size_t)j] = pow(fmin(d, c), p);
            }
        double total = lo_assign_solve(ws, cost, n, m, row_to_col, NULL);
        free(cost);
        if (isnan(total)) {
            free(row_to_col);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            int j = row_to_col[i];
            if (j < 0) continue;
            double d = distance(truth + i * dim, est + j * dim, dim);
            if (d < c) {
                localisation_p += pow(d, p);
                out->n_assigned++;
                if (truth_to_est) truth_to_est[i] = j;
            } else {
                n_far++;
            }
        }
        free(row_to_col);
    }
    int unpaired_truth = n > m ? n - m : 0, unpaired_est = m > n ? m - n : 0;
    double missed_p = cp / 2.0 * n_far + cp / alpha * unpaired_truth;
    double false_p = cp / 2.0 * n_far + cp / alpha * unpaired_est;
    out->n_missed = n - out->n_assigned;
    out->n_false = m - out->n_assigned;
    out->localisation_m = pow(localisation_p, 1.0 / p);
    out->missed_m = pow(missed_p, 1.0 / p);
    out->false_m = pow(false_p, 1.0 / p);
    out->gospa_m = pow(localisation_p + missed_p + false_p, 1.0 / p);
    return 0;
}

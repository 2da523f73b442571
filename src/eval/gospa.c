/*
 * GOSPA of one time step (see lookout/eval.h for the definition and its parts).
 * Reference: A. S. Rahmathullah, A. F. Garcia-Fernandez, L. Svensson, "Generalized optimal
 * sub-pattern assignment metric", FUSION 2017.
 *
 * The minimum over assignments is a linear assignment on the cut-off costs min(d, c)^p (the
 * |n - m| unassigned points cost the same in every assignment). Solving it on the whole
 * n x m matrix would need n*m memory and O(n^2 m) time per step, too much for a scene of
 * thousands of objects. But a pair at or beyond c costs c^p whoever it joins, so only the
 * "near" pairs (d < c) matter: with k near pairs in the assignment the cost is
 *     c^p min(n, m) + sum over the near pairs of (d^p - c^p),
 * and that sum splits over the connected components of the graph of near pairs. So we find
 * the near pairs (a sweep over estimates sorted by x), group points into components with
 * union-find, and solve each component's small capped matrix on its own: in the component,
 * the same argument shows its own capped assignment minimises its share of the sum.
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

typedef struct xkey {
    double x;
    int index;
} xkey;

static int cmp_xkey(const void *a, const void *b)
{
    const xkey *u = a, *v = b;
    return (u->x > v->x) - (u->x < v->x);
}

typedef struct node_root {
    int root, node;
} node_root;

static int cmp_node_root(const void *a, const void *b)
{
    const node_root *u = a, *v = b;
    if (u->root != v->root) return u->root < v->root ? -1 : 1;
    return (u->node > v->node) - (u->node < v->node);
}

static int find_root(int *parent, int i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]]; /* path halving */
        i = parent[i];
    }
    return i;
}

/* Scratch for one call; everything freed at the end. */
typedef struct scratch {
    xkey *keys;
    int *parent;
    node_root *order;
    int *rows, *cols, *row_to_col;
    double *cost;
} scratch;

static void scratch_free(scratch *s)
{
    free(s->keys);
    free(s->parent);
    free(s->order);
    free(s->rows);
    free(s->cols);
    free(s->row_to_col);
    free(s->cost);
}

/* Pairs the points of every component; adds near pairs to *localisation_p / *n_near. */
static int solve_components(const double *truth, int n, const double *est, int m, int dim,
                            double c, double p, struct lo_assign_workspace *ws, scratch *s,
                            int *truth_to_est, double *localisation_p, int *n_near)
{
    size_t nodes = (size_t)n + (size_t)m;
    s->keys = malloc(sizeof(xkey) * (size_t)m);
    s->parent = malloc(sizeof(int) * nodes);
    s->order = malloc(sizeof(node_root) * nodes);
    if (!s->keys || !s->parent || !s->order) return -1;

    /* Near pairs by a sweep in x, joined into components. */
    for (int j = 0; j < m; j++) s->keys[j] = (xkey){est[(size_t)j * (size_t)dim], j};
    qsort(s->keys, (size_t)m, sizeof(xkey), cmp_xkey);
    for (size_t k = 0; k < nodes; k++) s->parent[k] = (int)k;
    for (int i = 0; i < n; i++) {
        const double *t = truth + (size_t)i * (size_t)dim;
        int lo = 0, hi = m; /* first key with x >= t[0] - c */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (s->keys[mid].x < t[0] - c) lo = mid + 1;
            else hi = mid;
        }
        for (int k = lo; k < m && s->keys[k].x <= t[0] + c; k++) {
            int j = s->keys[k].index;
            if (distance(t, est + (size_t)j * (size_t)dim, dim) < c) {
                int a = find_root(s->parent, i), b = find_root(s->parent, n + j);
                if (a != b) s->parent[a] = b;
            }
        }
    }
    for (size_t k = 0; k < nodes; k++) s->order[k] = (node_root){find_root(s->parent, (int)k), (int)k};
    qsort(s->order, nodes, sizeof(node_root), cmp_node_root);

    /* Each component: truth points are nodes < n, estimates the rest. */
    size_t largest = 0;
    for (size_t a = 0; a < nodes;) {
        size_t b = a;
        while (b < nodes && s->order[b].root == s->order[a].root) b++;
        if (b - a > largest) largest = b - a;
        a = b;
    }
    s->rows = malloc(sizeof(int) * largest);
    s->cols = malloc(sizeof(int) * largest);
    s->row_to_col = malloc(sizeof(int) * largest);
    if (!s->rows || !s->cols || !s->row_to_col) return -1;
    size_t cost_cap = 0;
    for (size_t a = 0; a < nodes;) {
        size_t b = a;
        int nr = 0, nc = 0;
        while (b < nodes && s->order[b].root == s->order[a].root) {
            int node = s->order[b].node;
            if (node < n) s->rows[nr++] = node;
            else s->cols[nc++] = node - n;
            b++;
        }
        a = b;
        if (nr == 0 || nc == 0) continue; /* lone points: missed or false */
        size_t cells = (size_t)nr * (size_t)nc;
        if (cells > cost_cap) {
            double *grown = realloc(s->cost, sizeof(double) * cells);
            if (!grown) return -1;
            s->cost = grown;
            cost_cap = cells;
        }
        for (int r = 0; r < nr; r++)
            for (int q = 0; q < nc; q++) {
                double d = distance(truth + (size_t)s->rows[r] * (size_t)dim,
                                    est + (size_t)s->cols[q] * (size_t)dim, dim);
                s->cost[(size_t)r * (size_t)nc + (size_t)q] = pow(fmin(d, c), p);
            }
        if (isnan(lo_assign_solve(ws, s->cost, nr, nc, s->row_to_col, NULL))) return -1;
        for (int r = 0; r < nr; r++) {
            int q = s->row_to_col[r];
            if (q < 0) continue;
            int i = s->rows[r], j = s->cols[q];
            double d = distance(truth + (size_t)i * (size_t)dim, est + (size_t)j * (size_t)dim, dim);
            if (d < c) {
                *localisation_p += pow(d, p);
                (*n_near)++;
                if (truth_to_est) truth_to_est[i] = j;
            }
        }
    }
    return 0;
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

    double localisation_p = 0.0;
    int n_near = 0;
    if (n > 0 && m > 0) {
        scratch s = {0};
        int rc = solve_components(truth, n, est, m, dim, c, p, ws, &s, truth_to_est,
                                  &localisation_p, &n_near);
        scratch_free(&s);
        if (rc) return -1;
    }
    /* The optimal assignment pairs min(n, m) points: the near pairs, and the rest at c or
     * beyond (each one missed and one false object). */
    double cp = pow(c, p);
    int paired = n < m ? n : m, n_far = paired - n_near;
    int unpaired_truth = n - paired, unpaired_est = m - paired;
    double missed_p = cp / 2.0 * n_far + cp / alpha * unpaired_truth;
    double false_p = cp / 2.0 * n_far + cp / alpha * unpaired_est;
    out->n_assigned = n_near;
    out->n_missed = n - n_near;
    out->n_false = m - n_near;
    out->localisation_m = pow(localisation_p, 1.0 / p);
    out->missed_m = pow(missed_p, 1.0 / p);
    out->false_m = pow(false_p, 1.0 / p);
    out->gospa_m = pow(localisation_p + missed_p + false_p, 1.0 / p);
    return 0;
}

/*
 * Linear assignment on rectangular cost matrices (see lookout/assign.h).
 *
 * The algorithm is the shortest augmenting path method with dual potentials, in the form
 * D. F. Crouse describes ("On implementing 2D rectangular assignment algorithms", IEEE TAES
 * 2016) and SciPy's linear_sum_assignment uses: rows are added one at a time; for each new
 * row a Dijkstra search over reduced costs c(i,j) - u(i) - v(j) finds the cheapest alternating
 * path to a free column, the duals are updated so reduced costs stay non-negative, and the
 * path is flipped. O(n^2 m) for n rows <= m columns. When rows > columns the problem is solved
 * on the transpose (through strides, so nothing is copied).
 *
 * Forbidden pairs. With n <= m every row can be given *some* column, so we solve the full
 * problem with each forbidden entry replaced by a finite penalty BIG, then drop the rows that
 * landed on a forbidden entry. If BIG exceeds the largest possible difference between the
 * real-cost sums of two assignments (2 n max|c|), an assignment that uses k forbidden entries
 * is always dearer than one that uses k-1, whatever its real costs: so the optimum first
 * maximises the number of permitted pairs, then minimises their total cost, which is the
 * contract in assign.h. A greedy "skip a row that cannot be augmented" would maximise the
 * count too, but not minimise the cost among maximal matchings (it depends on row order).
 * The price is precision: sums of up to n entries of size BIG ~ 4 n max|c| are formed, so cost
 * differences below ~4 n^2 max|c| x 1e-16 are lost; gating geometry never comes near that.
 */
#include "lookout/assign.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lo_assign_workspace {
    int cap_rows, cap_cols;     /* capacity of the per-row and per-column arrays */
    double *u, *v;              /* dual potentials of rows and columns */
    double *shortest;           /* Dijkstra labels of columns */
    int *path;                  /* predecessor row of each column on the shortest path */
    int *col4row, *row4col;     /* current matching */
    int *remaining;             /* columns not yet scanned in this search */
    unsigned char *row_seen, *col_seen;
};

lo_assign_workspace *lo_assign_workspace_new(void)
{
    return calloc(1, sizeof(lo_assign_workspace));
}

static void workspace_release(lo_assign_workspace *ws)
{
    free(ws->u);
    free(ws->v);
    free(ws->shortest);
    free(ws->path);
    free(ws->col4row);
    free(ws->row4col);
    free(ws->remaining);
    free(ws->row_seen);
    free(ws->col_seen);
    memset(ws, 0, sizeof *ws);
}

void lo_assign_workspace_free(lo_assign_workspace *ws)
{
    if (!ws) return;
    workspace_release(ws);
    free(ws);
}

/* Grow the workspace to n rows and m columns; keeps it when already large enough. */
static bool workspace_reserve(lo_assign_workspace *ws, int n, int m)
{
    if (n <= ws->cap_rows && m <= ws->cap_cols) return true;
    int rows = n > ws->cap_rows ? n : ws->cap_rows;
    int cols = m > ws->cap_cols ? m : ws->cap_cols;
    workspace_release(ws);
    size_t nr = (size_t)rows, nc = (size_t)cols;
    ws->u = malloc(nr * sizeof(double));
    ws->v = malloc(nc * sizeof(double));
    ws->shortest = malloc(nc * sizeof(double));
    ws->path = malloc(nc * sizeof(int));
    ws->col4row = malloc(nr * sizeof(int));
    ws->row4col = malloc(nc * sizeof(int));
    ws->remaining = malloc(nc * sizeof(int));
    ws->row_seen = malloc(nr);
    ws->col_seen = malloc(nc);
    if (!ws->u || !ws->v || !ws->shortest || !ws->path || !ws->col4row || !ws->row4col ||
        !ws->remaining || !ws->row_seen || !ws->col_seen) {
        workspace_release(ws);
        return false;
    }
    ws->cap_rows = rows;
    ws->cap_cols = cols;
    return true;
}

/* The n x m problem the search runs on: entry (i, j) is cost[i * row_stride + j * col_stride],
 * forbidden entries read as `big`. */
typedef struct problem {
    const double *cost;
    size_t row_stride, col_stride;
    int n, m;
    double big;
} problem;

static inline double entry(const problem *p, int i, int j)
{
    double c = p->cost[(size_t)i * p->row_stride + (size_t)j * p->col_stride];
    return isinf(c) ? p->big : c;
}

/* Dijkstra from free row cur_row over reduced costs; returns the free column reached (the
 * sink) and leaves the path length in *min_val. Every column is reachable because all
 * entries are finite here. */
static int augmenting_path(const problem *p, lo_assign_workspace *ws, int cur_row, double *min_val)
{
    int m = p->m;
    int n_remaining = m;
    for (int j = 0; j < m; j++) {
        /* Filled in reverse so that ties go to the lowest column index, like SciPy. */
        ws->remaining[j] = m - 1 - j;
        ws->shortest[j] = INFINITY;
        ws->col_seen[j] = 0;
    }
    memset(ws->row_seen, 0, (size_t)p->n);

    double lowest_so_far = 0.0;
    int i = cur_row, sink = -1;
    while (sink == -1) {
        ws->row_seen[i] = 1;
        int index = -1;
        double lowest = INFINITY;
        for (int it = 0; it < n_remaining; it++) {
            int j = ws->remaining[it];
            double r = lowest_so_far + entry(p, i, j) - ws->u[i] - ws->v[j];
            if (r < ws->shortest[j]) {
                ws->path[j] = i;
                ws->shortest[j] = r;
            }
            /* Among equal labels prefer a free column: ends the search sooner. */
            if (ws->shortest[j] < lowest || (ws->shortest[j] == lowest && ws->row4col[j] == -1)) {
                lowest = ws->shortest[j];
                index = it;
            }
        }
        if (index < 0 || !isfinite(lowest)) return -1; /* cannot happen with finite entries */
        lowest_so_far = lowest;
        int j = ws->remaining[index];
        if (ws->row4col[j] == -1)
            sink = j;
        else
            i = ws->row4col[j];
        ws->col_seen[j] = 1;
        ws->remaining[index] = ws->remaining[--n_remaining];
    }
    *min_val = lowest_so_far;
    return sink;
}

/* Solves the n <= m problem; fills ws->col4row / row4col. Returns false on failure. */
static bool solve_wide(const problem *p, lo_assign_workspace *ws)
{
    for (int i = 0; i < p->n; i++) {
        ws->u[i] = 0.0;
        ws->col4row[i] = -1;
    }
    for (int j = 0; j < p->m; j++) {
        ws->v[j] = 0.0;
        ws->row4col[j] = -1;
    }
    for (int cur = 0; cur < p->n; cur++) {
        double min_val = 0.0;
        int sink = augmenting_path(p, ws, cur, &min_val);
        if (sink < 0) return false;

        /* Dual update keeps reduced costs >= 0 and the matched ones at 0. */
        ws->u[cur] += min_val;
        for (int i = 0; i < p->n; i++)
            if (ws->row_seen[i] && i != cur) ws->u[i] += min_val - ws->shortest[ws->col4row[i]];
        for (int j = 0; j < p->m; j++)
            if (ws->col_seen[j]) ws->v[j] -= min_val - ws->shortest[j];

        /* Flip the alternating path back from the sink to the new row. */
        int j = sink;
        for (;;) {
            int i = ws->path[j];
            ws->row4col[j] = i;
            int previous = ws->col4row[i];
            ws->col4row[i] = j;
            j = previous;
            if (i == cur) break;
        }
    }
    return true;
}

double lo_assign_solve(lo_assign_workspace *ws, const double *cost, int rows, int cols,
                       int *row_to_col, int *col_to_row)
{
    if (rows < 0 || cols < 0 || (rows > 0 && cols > 0 && !cost) || (rows > 0 && !row_to_col))
        return NAN;
    for (int r = 0; r < rows; r++) row_to_col[r] = -1;
    if (col_to_row)
        for (int c = 0; c < cols; c++) col_to_row[c] = -1;
    if (rows == 0 || cols == 0) return 0.0;

    /* Validate and find the scale for the forbidden-pair penalty. */
    size_t total = (size_t)rows * (size_t)cols;
    double max_abs = 0.0;
    bool any_forbidden = false;
    for (size_t k = 0; k < total; k++) {
        double c = cost[k];
        if (isnan(c) || c == -INFINITY) return NAN;
        if (c == INFINITY)
            any_forbidden = true;
        else if (fabs(c) > max_abs)
            max_abs = fabs(c);
    }

    bool transpose = rows > cols;
    problem p = {
        .cost = cost,
        .n = transpose ? cols : rows,
        .m = transpose ? rows : cols,
        .row_stride = transpose ? 1 : (size_t)cols,
        .col_stride = transpose ? (size_t)cols : 1,
        .big = 0.0,
    };
    if (any_forbidden) {
        /* Strictly more than any difference of two real-cost sums over n pairs. */
        p.big = 2.0 * (2.0 * (double)p.n * max_abs + 1.0);
        if (!isfinite(p.big)) return NAN;
    }

    lo_assign_workspace local = {0};
    lo_assign_workspace *w = ws ? ws : &local;
    double result = NAN;
    if (!workspace_reserve(w, p.n, p.m)) goto done;
    if (!solve_wide(&p, w)) goto done;

    result = 0.0;
    for (int i = 0; i < p.n; i++) {
        int j = w->col4row[i];
        int r = transpose ? j : i, c = transpose ? i : j;
        double value = cost[(size_t)r * (size_t)cols + (size_t)c];
        if (isinf(value)) continue; /* landed on a forbidden pair: leave both unassigned */
        row_to_col[r] = c;
        if (col_to_row) col_to_row[c] = r;
        result += value;
    }
done:
    if (w == &local) workspace_release(&local);
    return result;
}

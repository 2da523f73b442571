/* Assignment solver (lookout/assign.h) against brute force on random small matrices. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/assign.h"

#define MAXN 7

/* Brute force: every partial injection rows -> columns over permitted entries; keep the one
 * with the most pairs, then the least cost. */
typedef struct brute {
    const double *cost;
    int rows, cols;
    int best_count;
    double best_cost;
    bool used[MAXN];
} brute;

static void brute_rec(brute *b, int r, int count, double sum)
{
    if (r == b->rows) {
        if (count > b->best_count || (count == b->best_count && sum < b->best_cost)) {
            b->best_count = count;
            b->best_cost = sum;
        }
        return;
    }
    /* Upper bound on pairs still possible: prune branches that cannot reach the best count. */
    if (count + (b->rows - r) < b->best_count) return;
    brute_rec(b, r + 1, count, sum); /* row r unassigned */
    for (int c = 0; c < b->cols; c++) {
        double x = b->cost[r * b->cols + c];
        if (b->used[c] || isinf(x)) continue;
        b->used[c] = true;
        brute_rec(b, r + 1, count + 1, sum + x);
        b->used[c] = false;
    }
}

static void brute_force(const double *cost, int rows, int cols, int *count, double *total)
{
    brute b = {.cost = cost, .rows = rows, .cols = cols, .best_count = -1, .best_cost = INFINITY};
    brute_rec(&b, 0, 0, 0.0);
    *count = b.best_count;
    *total = b.best_cost;
}

/* Checks the solver's answer is a valid assignment and returns its pair count. */
static int check_consistent(const double *cost, int rows, int cols, const int *r2c, const int *c2r,
                            double total)
{
    int count = 0;
    double sum = 0.0;
    bool seen[MAXN] = {false};
    for (int r = 0; r < rows; r++) {
        int c = r2c[r];
        if (c < 0) {
            assert_int_equal(c, -1);
            continue;
        }
        assert_true(c < cols);
        assert_false(seen[c]);
        seen[c] = true;
        assert_int_equal(c2r[c], r);
        assert_false(isinf(cost[r * cols + c]));
        sum += cost[r * cols + c];
        count++;
    }
    for (int c = 0; c < cols; c++)
        if (c2r[c] >= 0) assert_int_equal(r2c[c2r[c]], c);
        else assert_false(seen[c]);
    assert_near(total, sum, 1e-9);
    return count;
}

static double random_cost(unsigned *seed, int kind)
{
    switch (kind) {
    case 0: return (double)(rand_r(seed) % 5);              /* many ties */
    case 1: return (double)(rand_r(seed) % 2001 - 1000) / 10.0; /* negative too */
    default: return (double)rand_r(seed) / RAND_MAX * 1e4;
    }
}

static void test_matches_brute_force(void **state)
{
    (void)state;
    unsigned seed = 12345;
    lo_assign_workspace *ws = lo_assign_workspace_new();
    assert_non_null(ws);
    double cost[MAXN * MAXN];
    int r2c[MAXN], c2r[MAXN];
    int cases = 0, with_forbidden = 0;
    for (int trial = 0; trial < 6000; trial++) {
        int rows = 1 + rand_r(&seed) % MAXN;
        int cols = 1 + rand_r(&seed) % MAXN;
        int kind = rand_r(&seed) % 3;
        int forbid_pct = (int[]){0, 10, 40, 80}[rand_r(&seed) % 4];
        bool any = false;
        for (int k = 0; k < rows * cols; k++) {
            if (rand_r(&seed) % 100 < forbid_pct) {
                cost[k] = LO_ASSIGN_FORBIDDEN;
                any = true;
            } else {
                cost[k] = random_cost(&seed, kind);
            }
        }
        /* Alternate between a reused workspace and none. */
        double total = lo_assign_solve(trial % 2 ? ws : NULL, cost, rows, cols, r2c, c2r);
        assert_false(isnan(total));
        int want_count;
        double want_total;
        brute_force(cost, rows, cols, &want_count, &want_total);
        int got_count = check_consistent(cost, rows, cols, r2c, c2r, total);
        if (got_count != want_count || fabs(total - want_total) > 1e-6) {
            print_error("trial %d: %dx%d got %d pairs cost %.6f, brute force %d pairs cost %.6f\n",
                        trial, rows, cols, got_count, total, want_count, want_total);
            fail();
        }
        cases++;
        with_forbidden += any;
    }
    assert_int_equal(cases, 6000);
    assert_true(with_forbidden > 2000);
    lo_assign_workspace_free(ws);
}

/* A case where assigning rows greedily in order would be wrong: only one permitted column,
 * the second row is the cheaper one. */
static void test_forbidden_min_cost_among_maximal(void **state)
{
    (void)state;
    const double F = LO_ASSIGN_FORBIDDEN;
    double cost[] = {10, F,
                     1,  F};
    int r2c[2], c2r[2];
    double total = lo_assign_solve(NULL, cost, 2, 2, r2c, c2r);
    assert_near(total, 1.0, 0);
    assert_int_equal(r2c[0], -1);
    assert_int_equal(r2c[1], 0);
    assert_int_equal(c2r[0], 1);
    assert_int_equal(c2r[1], -1);

    /* Count first: two pairs at cost 100+100 beat one pair at cost 0. */
    double cost2[] = {0,   100,
                      100, F};
    total = lo_assign_solve(NULL, cost2, 2, 2, r2c, c2r);
    assert_near(total, 200.0, 0);
    assert_int_equal(r2c[0], 1);
    assert_int_equal(r2c[1], 0);
}

static void test_all_forbidden(void **state)
{
    (void)state;
    const double F = LO_ASSIGN_FORBIDDEN;
    double cost[] = {F, F, F, F, F, F};
    int r2c[3], c2r[2];
    double total = lo_assign_solve(NULL, cost, 3, 2, r2c, c2r);
    assert_near(total, 0.0, 0);
    for (int i = 0; i < 3; i++) assert_int_equal(r2c[i], -1);
    for (int i = 0; i < 2; i++) assert_int_equal(c2r[i], -1);
}

static void test_empty(void **state)
{
    (void)state;
    int r2c[4] = {7, 7, 7, 7}, c2r[4] = {7, 7, 7, 7};
    assert_near(lo_assign_solve(NULL, NULL, 0, 4, r2c, c2r), 0.0, 0);
    for (int i = 0; i < 4; i++) assert_int_equal(c2r[i], -1);
    assert_near(lo_assign_solve(NULL, NULL, 4, 0, r2c, c2r), 0.0, 0);
    for (int i = 0; i < 4; i++) assert_int_equal(r2c[i], -1);
    assert_near(lo_assign_solve(NULL, NULL, 0, 0, r2c, NULL), 0.0, 0);
}

static void test_rectangular_known(void **state)
{
    (void)state;
    /* 2 x 3: row 0 best at col 2 (1), row 1 best at col 0 (2); total 3. */
    double cost[] = {4, 5, 1,
                     2, 6, 3};
    int r2c[2], c2r[3];
    assert_near(lo_assign_solve(NULL, cost, 2, 3, r2c, c2r), 3.0, 0);
    assert_int_equal(r2c[0], 2);
    assert_int_equal(r2c[1], 0);
    assert_int_equal(c2r[1], -1);
    /* Its transpose (3 x 2) has the same optimum. */
    double t[] = {4, 2,
                  5, 6,
                  1, 3};
    int r2c_t[3], c2r_t[2];
    assert_near(lo_assign_solve(NULL, t, 3, 2, r2c_t, c2r_t), 3.0, 0);
    assert_int_equal(r2c_t[0], 1);
    assert_int_equal(r2c_t[1], -1);
    assert_int_equal(r2c_t[2], 0);
}

static void test_refuses_bad_input(void **state)
{
    (void)state;
    double cost[] = {1, NAN, 2, 3};
    int r2c[2], c2r[2];
    assert_true(isnan(lo_assign_solve(NULL, cost, 2, 2, r2c, c2r)));
    double neg_inf[] = {1, -INFINITY, 2, 3};
    assert_true(isnan(lo_assign_solve(NULL, neg_inf, 2, 2, r2c, c2r)));
    assert_true(isnan(lo_assign_solve(NULL, cost, -1, 2, r2c, c2r)));
    assert_true(isnan(lo_assign_solve(NULL, NULL, 2, 2, r2c, c2r)));
}

/* Larger random problems: the reused workspace must grow and shrink across sizes and agree
 * with a fresh solve; a sanity check that the optimum is no worse than the identity. */
static void test_workspace_reuse_sizes(void **state)
{
    (void)state;
    unsigned seed = 99;
    lo_assign_workspace *ws = lo_assign_workspace_new();
    int sizes[][2] = {{50, 60}, {5, 3}, {80, 40}, {1, 1}, {120, 120}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s][0], m = sizes[s][1];
        double *cost = malloc(sizeof(double) * (size_t)(n * m));
        int *a = malloc(sizeof(int) * (size_t)n), *b = malloc(sizeof(int) * (size_t)n);
        for (int k = 0; k < n * m; k++) cost[k] = (double)rand_r(&seed) / RAND_MAX * 100.0;
        double t1 = lo_assign_solve(ws, cost, n, m, a, NULL);
        double t2 = lo_assign_solve(NULL, cost, n, m, b, NULL);
        assert_near(t1, t2, 1e-9);
        double diag = 0.0;
        int k = n < m ? n : m;
        for (int i = 0; i < k; i++) diag += cost[i * m + i];
        assert_true(t1 <= diag + 1e-9);
        free(cost);
        free(a);
        free(b);
    }
    lo_assign_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_brute_force),
        cmocka_unit_test(test_forbidden_min_cost_among_maximal),
        cmocka_unit_test(test_all_forbidden),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_rectangular_known),
        cmocka_unit_test(test_refuses_bad_input),
        cmocka_unit_test(test_workspace_reuse_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

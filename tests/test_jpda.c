/* JPDA association probabilities: a hand-worked 2-track 3-plot cluster, PDA as the one-track
 * case, JPDA*'s pruning of reordered events, and the cheap (Fitzgerald) approximation's
 * properties on a large cluster. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "track/track_internal.h"

/* Track 1 gates plots 1, 2; track 2 gates plots 2, 3. Likelihood ratios a1 = 2, a2 = 1,
 * b2 = 3, b3 = 0.5, miss weights 0.1. The eight feasible joint events and their weights:
 *   (miss,miss) 0.01  (miss,p2) 0.3  (miss,p3) 0.05  (p1,miss) 0.2
 *   (p1,p2) 6         (p1,p3) 1      (p2,miss) 0.1   (p2,p3) 0.5      total 8.16
 * ((p2,p2) is infeasible: one plot, two tracks.) */
static void test_hand_worked_two_tracks_three_plots(void **state)
{
    (void)state;
    const double g[6] = {2, 1, 0, 0, 3, 0.5};
    const double miss[2] = {0.1, 0.1};
    double beta[8];
    assert_int_equal(lo_jpda_probabilities(2, 3, g, miss, beta, 1000), 0);
    const double total = 8.16;
    assert_near(beta[0], 0.36 / total, 1e-12);   /* track 1 missed */
    assert_near(beta[1], 7.2 / total, 1e-12);    /* track 1 <- plot 1 */
    assert_near(beta[2], 0.6 / total, 1e-12);    /* track 1 <- plot 2 */
    assert_near(beta[3], 0.0, 0);                /* plot 3 outside track 1's gate */
    assert_near(beta[4], 0.31 / total, 1e-12);   /* track 2 missed */
    assert_near(beta[5], 0.0, 0);
    assert_near(beta[6], 6.3 / total, 1e-12);    /* track 2 <- plot 2 */
    assert_near(beta[7], 1.55 / total, 1e-12);   /* track 2 <- plot 3 */
}

/* Two tracks that both gate both plots, g = [[4, 1], [1, 2]], miss weights 0.1. Events:
 *   (miss,miss) 0.01  (miss,p1) 0.1  (miss,p2) 0.2  (p1,miss) 0.4  (p2,miss) 0.1
 *   (p1,p2) 8         (p2,p1) 1                                        total 9.81
 * JPDA* drops (p2,p1), the same two plots for the same two tracks in the worse order (4 x 2
 * > 1 x 1): total 8.81, and neither track keeps a share of the other's plot but through the
 * events where the other is missed. */
static void test_jpda_star_drops_reordered_events(void **state)
{
    (void)state;
    const double g[4] = {4, 1, 1, 2};
    const double miss[2] = {0.1, 0.1};
    double plain[6], star[6];
    assert_int_equal(lo_jpda_probabilities(2, 2, g, miss, plain, 1000), 0);
    assert_int_equal(lo_jpda_star_probabilities(2, 2, g, miss, star, 1000), 0);
    assert_near(plain[2], 1.1 / 9.81, 1e-12); /* track 1 <- plot 2, plain JPDA */
    assert_near(plain[4], 1.1 / 9.81, 1e-12); /* track 2 <- plot 1 */
    assert_near(star[0], 0.31 / 8.81, 1e-12);
    assert_near(star[1], 8.4 / 8.81, 1e-12);
    assert_near(star[2], 0.1 / 8.81, 1e-12);
    assert_near(star[3], 0.51 / 8.81, 1e-12);
    assert_near(star[4], 0.1 / 8.81, 1e-12);
    assert_near(star[5], 8.2 / 8.81, 1e-12);
    /* Where no reordering exists (the hand-worked cluster above), JPDA* is JPDA. */
    const double g3[6] = {2, 1, 0, 0, 3, 0.5};
    double b1[8], b2[8];
    lo_jpda_probabilities(2, 3, g3, miss, b1, 1000);
    lo_jpda_star_probabilities(2, 3, g3, miss, b2, 1000);
    for (int i = 0; i < 8; i++) assert_near(b1[i], b2[i], 1e-15);
}

/* One track: JPDA is PDA, beta_j = g_j / (miss + sum g), exact and cheap alike. */
static void test_single_track_is_pda(void **state)
{
    (void)state;
    const double g[3] = {4, 1, 0.5};
    const double miss[1] = {0.5};
    double exact[4], cheap[4];
    assert_int_equal(lo_jpda_probabilities(1, 3, g, miss, exact, 1000), 0);
    assert_int_equal(lo_jpda_probabilities(1, 3, g, miss, cheap, 1), 1);
    const double expect[4] = {0.5 / 6, 4.0 / 6, 1.0 / 6, 0.5 / 6};
    for (int i = 0; i < 4; i++) {
        assert_near(exact[i], expect[i], 1e-12);
        assert_near(cheap[i], expect[i], 1e-12);
    }
}

/* A cluster too big to enumerate: the approximation keeps probabilities in [0, 1] summing to
 * one per track, and favours the strongest pairs. Compared with the exact answer on a
 * cluster small enough for both, it stays close and ranks the pairs alike. */
static void test_cheap_jpda(void **state)
{
    (void)state;
    enum { NT = 40, NP = 50 };
    static double g[NT * NP], miss[NT], beta[NT * (NP + 1)];
    for (int t = 0; t < NT; t++) {
        miss[t] = 0.1;
        for (int j = 0; j < NP; j++) {
            int d = abs(j - t);
            g[t * NP + j] = d <= 2 ? (d == 0 ? 50.0 : 2.0 / d) : 0.0;
        }
    }
    assert_int_equal(lo_jpda_probabilities(NT, NP, g, miss, beta, 2000), 1);
    for (int t = 0; t < NT; t++) {
        double s = 0;
        for (int j = 0; j <= NP; j++) {
            assert_true(beta[t * (NP + 1) + j] >= 0 && beta[t * (NP + 1) + j] <= 1);
            s += beta[t * (NP + 1) + j];
        }
        assert_near(s, 1.0, 1e-12);
        assert_true(beta[t * (NP + 1) + 1 + t] > 0.8); /* the diagonal pair dominates */
    }
    /* Small cluster: exact versus approximate. */
    const double g3[9] = {5, 1, 0, 1, 5, 1, 0, 1, 5};
    const double m3[3] = {0.2, 0.2, 0.2};
    double ex[12], ap[12];
    assert_int_equal(lo_jpda_probabilities(3, 3, g3, m3, ex, 1000), 0);
    assert_int_equal(lo_jpda_probabilities(3, 3, g3, m3, ap, 1), 1);
    /* Measured: the largest gap is 0.13 (the middle track's own plot, 0.74 versus 0.87). */
    for (int i = 0; i < 12; i++) assert_near(ap[i], ex[i], 0.15);
    for (int t = 0; t < 3; t++)
        for (int j = 0; j < 4; j++)
            if (j != t + 1) assert_true(ap[t * 4 + t + 1] > ap[t * 4 + j]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_worked_two_tracks_three_plots),
        cmocka_unit_test(test_single_track_is_pda),
        cmocka_unit_test(test_jpda_star_drops_reordered_events),
        cmocka_unit_test(test_cheap_jpda),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The simulator's radar equations and random numbers, checked statistically against their
 * closed forms: Swerling I / 0 detection probability at the reference point, the false-alarm
 * probability, the Marcum Q function, Poisson counts, and the generators' moments. */
#include <math.h>
#include <string.h>

#include "lookout/geo.h"
#include "sim/sim_internal.h"
#include "testutil.h"

/* The green-zone radar's detection parameters: 0.01 m^2 at 15 km gives 13 dB, Pfa 1e-6. */
static lo_sensor test_sensor(void)
{
    lo_sensor s;
    memset(&s, 0, sizeof s);
    s.ref_rcs_m2 = 0.01;
    s.ref_range_m = 15000;
    s.ref_snr_db = 13;
    s.pfa = 1e-6;
    return s;
}

/* Q1(a, b) by direct numerical integration of its definition,
 * Q1 = int_b^inf x exp(-(x^2 + a^2)/2) I0(a x) dx, with I0 from its integral form. */
static double marcum_by_integration(double a, double b)
{
    double sum = 0, dx = 0.002;
    for (double x = b + dx / 2; x < b + a + 40; x += dx) {
        double i0 = 0;
        int n = 400;
        for (int k = 0; k < n; k++) {
            double th = LO_PI * (k + 0.5) / n;
            /* exp(a x cos th - a x) keeps the product finite; the factor comes back below. */
            i0 += exp(a * x * (cos(th) - 1));
        }
        i0 /= n;
        sum += x * exp(-(x - a) * (x - a) / 2) * i0 * dx;
    }
    return sum;
}

static void test_snr_reference_point(void **state)
{
    (void)state;
    lo_sensor s = test_sensor();
    assert_near(10 * log10(lo_radar_snr(&s, 0.01, 15000)), 13.0, 1e-9);
    /* R^4 law: half the range, 16 times the SNR; ten times the RCS, ten times the SNR. */
    assert_near(lo_radar_snr(&s, 0.01, 7500) / lo_radar_snr(&s, 0.01, 15000), 16.0, 1e-9);
    assert_near(lo_radar_snr(&s, 0.1, 15000) / lo_radar_snr(&s, 0.01, 15000), 10.0, 1e-9);
}

static void test_marcum_q(void **state)
{
    (void)state;
    /* Q1(0, b) = exp(-b^2/2) exactly; Q1(a, 0) = 1. */
    for (double b = 0.5; b < 6; b += 0.5) assert_near(lo_marcum_q1(0, b), exp(-b * b / 2), 1e-12);
    assert_near(lo_marcum_q1(3, 0), 1.0, 0);
    const double pts[][2] = {{1, 1}, {2, 3}, {4, 5.3}, {6, 5.3}, {3, 1.5}, {8, 6}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double q = lo_marcum_q1(pts[i][0], pts[i][1]);
        double ref = marcum_by_integration(pts[i][0], pts[i][1]);
        if (fabs(q - ref) > 2e-4) print_error("Q1(%g, %g) = %g, integration %g\n", pts[i][0], pts[i][1], q, ref);
        assert_near(q, ref, 2e-4);
    }
    /* Swerling 0 needs less SNR than Swerling I for a high Pd: the fluctuation loss. */
    assert_true(lo_pd_swerling0(30, 1e-6) > lo_pd_swerling1(30, 1e-6));
    assert_near(lo_pd_swerling0(0, 1e-6), 1e-6, 1e-9);
}

/* Empirical detection rate of n looks. */
static double detect_rate(lo_rng *r, int swerling, double snr, double pfa, int n)
{
    double thr = lo_radar_threshold(pfa);
    int hits = 0;
    for (int i = 0; i < n; i++) hits += lo_radar_look(r, swerling, snr) > thr;
    return (double)hits / n;
}

static void test_pd_at_reference(void **state)
{
    (void)state;
    lo_sensor s = test_sensor();
    lo_rng r;
    lo_rng_seed(&r, 42, 0);
    const int n = 400000;
    double snr = lo_radar_snr(&s, s.ref_rcs_m2, s.ref_range_m);
    /* Swerling I at the reference point: Pd = Pfa^(1/(1+SNR)) = 0.517. */
    double want1 = lo_pd_swerling1(snr, s.pfa);
    assert_near(want1, pow(1e-6, 1 / (1 + pow(10, 1.3))), 1e-12);
    double got1 = detect_rate(&r, 1, snr, s.pfa, n);
    assert_near(got1, want1, 5 * sqrt(want1 * (1 - want1) / n));
    /* Swerling 0 at the same SNR through the Marcum Q function. */
    double want0 = lo_pd_swerling0(snr, s.pfa);
    double got0 = detect_rate(&r, 0, snr, s.pfa, n);
    assert_near(got0, want0, 5 * sqrt(want0 * (1 - want0) / n));
    /* Past the reference range Pd falls sharply: at 20 km (SNR 8 dB) a pigeon is mostly lost. */
    double far = lo_radar_snr(&s, 0.01, 20000);
    double pd_far = detect_rate(&r, 1, far, s.pfa, n);
    assert_near(pd_far, lo_pd_swerling1(far, s.pfa), 5 * sqrt(0.25 / n));
    assert_true(pd_far < 0.3);
}

static void test_false_alarm_probability(void **state)
{
    (void)state;
    lo_rng r;
    lo_rng_seed(&r, 7, 0);
    const int n = 2000000;
    const double pfa = 1e-3;
    /* No target: noise alone crosses the threshold with probability Pfa, both models. */
    for (int sw = 0; sw <= 1; sw++) {
        double rate = detect_rate(&r, sw, 0.0, pfa, n);
        assert_near(rate, pfa, 5 * sqrt(pfa / n));
    }
}

static void test_poisson_and_moments(void **state)
{
    (void)state;
    lo_rng r;
    lo_rng_seed(&r, 99, 3);
    const double means[] = {0.73, 4.0, 55.0};
    for (int m = 0; m < 3; m++) {
        const int n = 200000;
        double s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double k = lo_rng_poisson(&r, means[m]);
            s1 += k;
            s2 += k * k;
        }
        double mean = s1 / n, var = s2 / n - mean * mean;
        assert_near(mean, means[m], 5 * sqrt(means[m] / n));
        assert_near(var, means[m], 0.03 * means[m] + 0.01);
    }
    const int n = 1000000;
    double s1 = 0, s2 = 0, e1 = 0, u1 = 0;
    for (int i = 0; i < n; i++) {
        double z = lo_rng_normal(&r);
        s1 += z;
        s2 += z * z;
        e1 += lo_rng_exponential(&r);
        double u = lo_rng_uniform(&r);
        assert_true(u >= 0 && u < 1);
        u1 += u;
    }
    assert_near(s1 / n, 0, 5e-3);
    assert_near(s2 / n, 1, 5e-3);
    assert_near(e1 / n, 1, 5e-3);
    assert_near(u1 / n, 0.5, 2e-3);
}

static void test_rng_deterministic(void **state)
{
    (void)state;
    lo_rng a, b, c;
    lo_rng_seed(&a, 12345, 7);
    lo_rng_seed(&b, 12345, 7);
    lo_rng_seed(&c, 12345, 8);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = lo_rng_next(&a), y = lo_rng_next(&b), z = lo_rng_next(&c);
        assert_true(x == y);
        same_c += x == z;
    }
    assert_int_equal(same_c, 0);
}

static void test_fast_helpers(void **state)
{
    (void)state;
    /* The kinematic noise generator: mean 0, variance 1, bounded. */
    lo_rng r;
    lo_rng_seed(&r, 5, 5);
    const int n = 1000000;
    double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double z = lo_rng_normal_fast(&r);
        assert_true(fabs(z) <= 3.47);
        s1 += z;
        s2 += z * z;
    }
    assert_near(s1 / n, 0, 5e-3);
    assert_near(s2 / n, 1, 5e-3);
    /* The crossing-time atan2 against the library's, all round the circle. */
    double worst = 0;
    for (int i = 0; i < 100000; i++) {
        double th = 2 * LO_PI * i / 100000.0 - LO_PI, rr = 1 + i % 7;
        double e = fabs(sim_fast_atan2(rr * sin(th), rr * cos(th)) - atan2(rr * sin(th), rr * cos(th)));
        if (e > LO_PI) e = 2 * LO_PI - e;
        if (e > worst) worst = e;
    }
    assert_true(worst < 2e-5);
    /* Angle wrapping. */
    assert_near(sim_wrap_2pi(-0.1), 2 * LO_PI - 0.1, 1e-12);
    assert_near(sim_wrap_2pi(4 * LO_PI + 0.2), 0.2, 1e-12);
    assert_near(sim_wrap_pi(LO_PI + 0.1), -LO_PI + 0.1, 1e-12);
}

static void test_sigma_growth(void **state)
{
    (void)state;
    /* At or above the knee the configured sigma applies; below it grows as 1/sqrt(SNR). */
    assert_near(lo_radar_sigma_factor(1000, 100), 1.0, 0);
    assert_near(lo_radar_sigma_factor(100, 100), 1.0, 0);
    assert_near(lo_radar_sigma_factor(25, 100), 2.0, 1e-12);
    assert_near(lo_radar_sigma_factor(1, 100), 10.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snr_reference_point),
        cmocka_unit_test(test_marcum_q),
        cmocka_unit_test(test_pd_at_reference),
        cmocka_unit_test(test_false_alarm_probability),
        cmocka_unit_test(test_poisson_and_moments),
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_fast_helpers),
        cmocka_unit_test(test_sigma_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

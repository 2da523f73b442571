/* Small dense matrices: products, Cholesky, SPD inverse, log-det, the 3x3 fast path. */
#include <math.h>
#include <string.h>

#include "lookout/linalg.h"
#include "testutil.h"

/* A fixed SPD 4x4 matrix: M = B B^T + I with a full B. */
static void make_spd4(double *m)
{
    static const double b[16] = {1, 2, 0, -1, 0.5, 3, 1, 0, -2, 0, 1, 1, 0.1, 0.2, 0.3, 2};
    lo_mat_mul_abt(b, b, m, 4, 4, 4);
    for (int i = 0; i < 4; i++) m[i * 4 + i] += 1.0;
}

static void test_products(void **state)
{
    (void)state;
    const double a[6] = {1, 2, 3, 4, 5, 6};   /* 2x3 */
    const double b[6] = {7, 8, 9, 10, 11, 12}; /* 3x2 */
    double c[4];
    lo_mat_mul(a, b, c, 2, 3, 2);
    /* [1 2 3;4 5 6][7 8;9 10;11 12] = [58 64;139 154] (by hand) */
    assert_near(c[0], 58, 0);
    assert_near(c[1], 64, 0);
    assert_near(c[2], 139, 0);
    assert_near(c[3], 154, 0);
    double bt[6], c2[4];
    lo_mat_transpose(b, bt, 3, 2);
    lo_mat_mul_abt(a, bt, c2, 2, 3, 2);
    for (int i = 0; i < 4; i++) assert_near(c2[i], c[i], 0);
    double at[6], c3[4];
    lo_mat_transpose(a, at, 2, 3);
    lo_mat_mul_atb(at, b, c3, 2, 3, 2);
    for (int i = 0; i < 4; i++) assert_near(c3[i], c[i], 0);
    double y[2];
    const double x[3] = {1, -1, 2};
    lo_mat_vec(a, x, y, 2, 3);
    assert_near(y[0], 5, 0);
    assert_near(y[1], 11, 0);
}

static void test_cholesky_inverse_logdet(void **state)
{
    (void)state;
    double m[16], l[16], inv[16], prod[16];
    make_spd4(m);
    assert_int_equal(lo_chol(m, l, 4), 0);
    double llt[16];
    lo_mat_mul_abt(l, l, llt, 4, 4, 4);
    for (int i = 0; i < 16; i++) assert_near(llt[i], m[i], 1e-12);
    assert_int_equal(lo_spd_inverse(m, inv, 4), 0);
    lo_mat_mul(m, inv, prod, 4, 4, 4);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) assert_near(prod[i * 4 + j], i == j ? 1.0 : 0.0, 1e-10);
    /* log det against the product of the diagonal of L squared, and the solve against inv. */
    double det = 1;
    for (int i = 0; i < 4; i++) det *= l[i * 4 + i] * l[i * 4 + i];
    assert_near(lo_chol_logdet(l, 4), log(det), 1e-12);
    const double b[4] = {1, -2, 0.5, 3};
    double x[4], x2[4];
    lo_chol_solve(l, b, x, 4);
    lo_mat_vec(inv, b, x2, 4, 4);
    for (int i = 0; i < 4; i++) assert_near(x[i], x2[i], 1e-10);
    double q = 0;
    for (int i = 0; i < 4; i++) q += b[i] * x[i];
    assert_near(lo_chol_mahalanobis(l, b, 4), q, 1e-10);

    /* Not positive definite: refused. */
    const double bad[4] = {1, 2, 2, 1};
    assert_int_equal(lo_chol(bad, l, 2), -1);
    assert_int_equal(lo_spd_inverse(bad, inv, 2), -1);
}

static void test_sym3(void **state)
{
    (void)state;
    double m4[16], m[9], inv[9] = {0}, inv2[9];
    make_spd4(m4);
    lo_mat_block(m4, 4, m, 3);
    double det = lo_sym3_inverse(m, inv);
    assert_true(det > 0);
    assert_int_equal(lo_spd_inverse(m, inv2, 3), 0);
    for (int i = 0; i < 9; i++) assert_near(inv[i], inv2[i], 1e-10);
    double l[9];
    lo_chol(m, l, 3);
    assert_near(log(det), lo_chol_logdet(l, 3), 1e-10);
    const double y[3] = {0.3, -1, 2};
    assert_near(lo_sym3_quad(inv, y), lo_chol_mahalanobis(l, y, 3), 1e-10);
    const double singular[9] = {1, 1, 0, 1, 1, 0, 0, 0, 1};
    assert_false(lo_sym3_inverse(singular, inv) > 0);
}

static void test_nine_by_nine(void **state)
{
    (void)state;
    /* The largest size the filters use: a CA covariance. */
    double b[81], m[81], inv[81], prod[81];
    for (int i = 0; i < 81; i++) b[i] = sin(1.0 + i * 0.7);
    lo_mat_mul_abt(b, b, m, 9, 9, 9);
    for (int i = 0; i < 9; i++) m[i * 9 + i] += 0.5;
    assert_int_equal(lo_spd_inverse(m, inv, 9), 0);
    lo_mat_mul(m, inv, prod, 9, 9, 9);
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 9; j++) assert_near(prod[i * 9 + j], i == j ? 1.0 : 0.0, 1e-8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_products),
        cmocka_unit_test(test_cholesky_inverse_logdet),
        cmocka_unit_test(test_sym3),
        cmocka_unit_test(test_nine_by_nine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * lookout/linalg.h: small dense matrices for filters (n <= 9), header-only.
 *
 * Owns nothing: every function works on caller-provided arrays, never allocates, and is
 * `static inline` so the compiler can unroll the tiny loops of a Kalman filter. Matrices are
 * row-major with stride equal to their column count (an n x m matrix is double[n*m]).
 * Symmetric positive definite (SPD) matrices are inverted through their Cholesky factor.
 * Output arrays must not alias inputs unless a function says so.
 *
 * No units and no time here: this is plain arithmetic below every stage.
 */
#ifndef LOOKOUT_LINALG_H
#define LOOKOUT_LINALG_H

#include <math.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LO_LINALG_MAX 9

/* C (n x k) = A (n x m) * B (m x k). */
static inline void lo_mat_mul(const double *a, const double *b, double *c, int n, int m, int k)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < k; j++) c[i * k + j] = 0.0;
        for (int l = 0; l < m; l++) {
            double ail = a[i * m + l];
            if (ail == 0.0) continue;
            for (int j = 0; j < k; j++) c[i * k + j] += ail * b[l * k + j];
        }
    }
}

/* C (n x k) = A (n x m) * B^T, with B (k x m). */
static inline void lo_mat_mul_abt(const double *a, const double *b, double *c, int n, int m,
                                  int k)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            double s = 0.0;
            for (int l = 0; l < m; l++) s += a[i * m + l] * b[j * m + l];
            c[i * k + j] = s;
        }
}

/* C (n x k) = A^T * B, with A (m x n), B (m x k). */
static inline void lo_mat_mul_atb(const double *a, const double *b, double *c, int n, int m,
                                  int k)
{
    for (int i = 0; i < n * k; i++) c[i] = 0.0;
    for (int l = 0; l < m; l++)
        for (int i = 0; i < n; i++) {
            double ali = a[l * n + i];
            if (ali == 0.0) continue;
            for (int j = 0; j < k; j++) c[i * k + j] += ali * b[l * k + j];
        }
}

/* y (n) = A (n x m) * x (m). */
static inline void lo_mat_vec(const double *a, const double *x, double *y, int n, int m)
{
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int j = 0; j < m; j++) s += a[i * m + j] * x[j];
        y[i] = s;
    }
}

/* C = A + B and C = A - B, element-wise over `len` entries (C may alias A or B). */
static inline void lo_mat_add(const double *a, const double *b, double *c, int len)
{
    for (int i = 0; i < len; i++) c[i] = a[i] + b[i];
}
static inline void lo_mat_sub(const double *a, const double *b, double *c, int len)
{
    for (int i = 0; i < len; i++) c[i] = a[i] - b[i];
}
static inline void lo_mat_scale(double *a, double s, int len)
{
    for (int i = 0; i < len; i++) a[i] *= s;
}

/* B (m x n) = A^T, A (n x m). */
static inline void lo_mat_transpose(const double *a, double *b, int n, int m)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) b[j * n + i] = a[i * m + j];
}

static inline void lo_mat_identity(double *a, int n)
{
    memset(a, 0, sizeof(double) * (size_t)(n * n));
    for (int i = 0; i < n; i++) a[i * n + i] = 1.0;
}

/* Make an n x n matrix exactly symmetric (rounding drifts a covariance apart), in place. */
static inline void lo_mat_symmetrize(double *a, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double m = 0.5 * (a[i * n + j] + a[j * n + i]);
            a[i * n + j] = a[j * n + i] = m;
        }
}

/* Copy the top-left r x r block of an n x n matrix into a dense r x r one. */
static inline void lo_mat_block(const double *a, int n, double *out, int r)
{
    for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++) out[i * r + j] = a[i * n + j];
}

/* Cholesky factor of an SPD n x n matrix: A = L L^T, L lower triangular (upper part zeroed).
 * Returns 0, or -1 when A is not (numerically) positive definite. L may alias A. */
static inline int lo_chol(const double *a, double *l, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= i; j++) {
            double s = a[i * n + j];
            for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
            if (i == j) {
                if (!(s > 0.0)) return -1;
                l[i * n + i] = sqrt(s);
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
        for (int j = i + 1; j < n; j++) l[i * n + j] = 0.0;
    }
    return 0;
}

/* Solve L L^T x = b for one vector, given the Cholesky factor L. x may alias b. */
static inline void lo_chol_solve(const double *l, const double *b, double *x, int n)
{
    double y[LO_LINALG_MAX];
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) s -= l[i * n + k] * y[k];
        y[i] = s / l[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = y[i];
        for (int k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
        x[i] = s / l[i * n + i];
    }
}

/* log det(A) from A's Cholesky factor. */
static inline double lo_chol_logdet(const double *l, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += log(l[i * n + i]);
    return 2.0 * s;
}

/* b^T A^-1 b from A's Cholesky factor (a squared Mahalanobis distance). */
static inline double lo_chol_mahalanobis(const double *l, const double *b, int n)
{
    double y[LO_LINALG_MAX], s = 0.0;
    for (int i = 0; i < n; i++) {
        double v = b[i];
        for (int k = 0; k < i; k++) v -= l[i * n + k] * y[k];
        y[i] = v / l[i * n + i];
        s += y[i] * y[i];
    }
    return s;
}

/* Inverse of an SPD n x n matrix through Cholesky. Returns 0, or -1 when not SPD.
 * inv may not alias a. */
static inline int lo_spd_inverse(const double *a, double *inv, int n)
{
    double l[LO_LINALG_MAX * LO_LINALG_MAX];
    if (lo_chol(a, l, n) != 0) return -1;
    for (int c = 0; c < n; c++) {
        double e[LO_LINALG_MAX] = {0};
        e[c] = 1.0;
        lo_chol_solve(l, e, e, n);
        for (int r = 0; r < n; r++) inv[r * n + c] = e[r];
    }
    lo_mat_symmetrize(inv, n);
    return 0;
}

/* Closed-form inverse and determinant of a symmetric 3x3 matrix (the innovation covariance of
 * a position measurement: the hot path of gating). Returns the determinant; when it is not
 * positive the matrix is not SPD and inv is left undefined. */
static inline double lo_sym3_inverse(const double *a, double *inv)
{
    double c00 = a[4] * a[8] - a[5] * a[7];
    double c01 = a[5] * a[6] - a[3] * a[8];
    double c02 = a[3] * a[7] - a[4] * a[6];
    double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
    if (!(det > 0.0)) return det;
    double id = 1.0 / det;
    inv[0] = c00 * id;
    inv[1] = inv[3] = c01 * id;
    inv[2] = inv[6] = c02 * id;
    inv[4] = (a[0] * a[8] - a[2] * a[6]) * id;
    inv[5] = inv[7] = (a[2] * a[3] - a[0] * a[5]) * id;
    inv[8] = (a[0] * a[4] - a[1] * a[3]) * id;
    return det;
}

/* y^T A y for a symmetric 3x3 A. */
static inline double lo_sym3_quad(const double *a, const double *y)
{
    return a[0] * y[0] * y[0] + a[4] * y[1] * y[1] + a[8] * y[2] * y[2] +
           2.0 * (a[1] * y[0] * y[1] + a[2] * y[0] * y[2] + a[5] * y[1] * y[2]);
}

#ifdef __cplusplus
}
#endif
#endif /* LOOKOUT_LINALG_H */

/* Radar equations of the simulator: SNR from one reference point, detection probability for
 * Swerling 0 and I targets, one random look, and how noise grows at low SNR. See
 * docs/simulator.md for the model and its limits. */
#include <math.h>

#include "sim/sim_internal.h"

double lo_radar_snr(const lo_sensor *s, double rcs_m2, double range_m)
{
    double ref_snr = pow(10.0, s->ref_snr_db / 10.0);
    double q = s->ref_range_m / range_m;
    q *= q;
    return ref_snr * (rcs_m2 / s->ref_rcs_m2) * q * q;
}

double lo_radar_threshold(double pfa) { return -log(pfa); }

double lo_pd_swerling1(double snr, double pfa) { return pow(pfa, 1.0 / (1.0 + snr)); }

double lo_marcum_q1(double a, double b)
{
    /* Q1(a, b) = P(|a + n|^2 > b^2) for n complex normal with E|n|^2 = 2: a Poisson(a^2/2)
     * mixture of central chi-square tails. With lam = a^2/2 and mu = b^2/2,
     *   Q1 = sum_k Pois(k; lam) * sum_{j<=k} Pois(j; mu).
     * Terms are formed in log space so neither exp(-lam) nor exp(-mu) underflows. */
    if (b <= 0) return 1.0;
    double lam = 0.5 * a * a, mu = 0.5 * b * b;
    double kmax = lam + 12.0 * sqrt(lam + 1.0) + 40.0;
    double log_lam = lam > 0 ? log(lam) : -INFINITY, log_mu = log(mu);
    double inner = 0.0, sum = 0.0;
    for (int k = 0; k <= (int)kmax; k++) {
        double lg = lgamma((double)k + 1.0);
        inner += exp(-mu + k * log_mu - lg);
        if (inner > 1.0) inner = 1.0;
        double w = (k == 0) ? exp(-lam) : (lam > 0 ? exp(-lam + k * log_lam - lg) : 0.0);
        sum += w * inner;
    }
    return sum > 1.0 ? 1.0 : sum;
}

double lo_pd_swerling0(double snr, double pfa)
{
    return lo_marcum_q1(sqrt(2.0 * snr), sqrt(2.0 * lo_radar_threshold(pfa)));
}

double lo_radar_look(lo_rng *r, int swerling, double snr)
{
    if (swerling == 1) return (1.0 + snr) * lo_rng_exponential(r);
    double re = sqrt(snr) + M_SQRT1_2 * lo_rng_normal(r);
    double im = M_SQRT1_2 * lo_rng_normal(r);
    return re * re + im * im;
}

double lo_radar_sigma_factor(double snr, double snr_knee)
{
    if (!(snr > 0)) return sqrt(snr_knee);
    return snr >= snr_knee ? 1.0 : sqrt(snr_knee / snr);
}

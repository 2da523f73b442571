/* Random numbers for the simulator: xoshiro256** (Blackman and Vigna), seeded by splitmix64.
 * Our own generator, not rand(), so a seed gives the same run on every platform and libc. */
#include <math.h>

#include "sim/sim_internal.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void lo_rng_seed(lo_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    (void)splitmix64(&x);
    x ^= stream;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->spare = 0;
    r->has_spare = false;
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* the one forbidden state */
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t lo_rng_next(lo_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double lo_rng_uniform(lo_rng *r) { return (double)(lo_rng_next(r) >> 11) * 0x1.0p-53; }

double lo_rng_range(lo_rng *r, double lo, double hi) { return lo + (hi - lo) * lo_rng_uniform(r); }

/* Marsaglia's polar method; the pair's second value is kept for the next call. */
double lo_rng_normal(lo_rng *r)
{
    if (r->has_spare) {
        r->has_spare = false;
        return r->spare;
    }
    for (;;) {
        double u = 2.0 * lo_rng_uniform(r) - 1.0;
        double v = 2.0 * lo_rng_uniform(r) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0) {
            double f = sqrt(-2.0 * log(s) / s);
            r->spare = v * f;
            r->has_spare = true;
            return u * f;
        }
    }
}

double sim_fast_atan2(double y, double x)
{
    /* Octant reduction and a minimax polynomial for atan on [0, 1] (error < 1e-5 rad). */
    double ax = fabs(x), ay = fabs(y);
    double mx = ax > ay ? ax : ay, mn = ax > ay ? ay : ax;
    if (mx == 0) return 0;
    double a = mn / mx, s = a * a;
    double r = ((((-0.0134804 * s + 0.0574773) * s - 0.1212390) * s + 0.1956359) * s - 0.3329946) * s * a + 0.9999933 * a;
    if (ay > ax) r = 1.57079632679489661923 - r;
    if (x < 0) r = 3.14159265358979323846 - r;
    return y < 0 ? -r : r;
}

double lo_rng_exponential(lo_rng *r)
{
    /* 1 - u is in (0, 1], so the log is finite. */
    return -log(1.0 - lo_rng_uniform(r));
}

uint32_t lo_rng_poisson(lo_rng *r, double mean)
{
    if (!(mean > 0)) return 0;
    if (mean < 30.0) {
        double limit = exp(-mean), prod = lo_rng_uniform(r);
        uint32_t k = 0;
        while (prod > limit) {
            k++;
            prod *= lo_rng_uniform(r);
        }
        return k;
    }
    double x = floor(mean + sqrt(mean) * lo_rng_normal(r) + 0.5);
    return x < 0 ? 0 : (uint32_t)x;
}

double lo_rng_normal_fast(lo_rng *r)
{
    uint64_t x = lo_rng_next(r);
    double sum = (double)(x & 0xFFFF) + (double)((x >> 16) & 0xFFFF) + (double)((x >> 32) & 0xFFFF) +
                 (double)(x >> 48);
    /* Four uniforms on [0, 65535]: mean 2 * 65535, variance 4 * (65536^2 - 1) / 12. */
    return (sum - 2.0 * 65535.0) * (1.7320508075688772 / 65536.0);
}

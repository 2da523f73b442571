/*
 * jpda.c: joint probabilistic data association probabilities for one cluster.
 *
 * A joint event gives every track either "not detected" or one plot in its gate, no plot to
 * two tracks. Its weight is the product of the tracks' miss weights and the likelihood
 * ratios of the chosen pairs (the clutter density is folded into the ratios), so plots left
 * to clutter contribute a factor 1. The marginal probability of a pair is the summed weight
 * of the events holding it over the total (Fortmann, Bar-Shalom, Scheffe 1983).
 *
 * Exact enumeration is depth-first over tracks. When the cluster would have more events than
 * allowed, Fitzgerald's cheap JPDA (1985) replaces it:
 *   beta_tj = g_tj / (G_t + G^j - g_tj + miss_t),  G_t = sum_j g_tj,  G^j = sum_t g_tj,
 * with the miss term B/(G_t + B) and each track's row normalised; exact for one track
 * (plain PDA), and linear in the pairs apart from the column sums.
 *
 * JPDA* (Blom and Bloem 2000), optional in the exact enumeration: of the joint events that
 * give the same plots to the same tracks in a different order, only the likeliest is kept.
 * Plain JPDA weighs "A took a, B took b" against "A took b, B took a", and when two targets
 * fly closer than their tracks' errors both tracks are pulled to the pair's middle
 * (coalescence) and end up exchanging targets. Here an event is dropped when exchanging the
 * plots of any two of its detected tracks would make it likelier (a pairwise test: exact
 * for two tracks, and it never drops the best ordering, which no exchange improves). Events
 * with a missed track are kept as they are: they are not orderings of one another.
 */
/* Small fixed-size loops: -O3 unrolls and vectorises them (measured ~10% on bench_track). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "track/track_internal.h"

#define JPDA_EXACT_MAX_TRACKS 32
#define JPDA_EXACT_MAX_PLOTS 64

typedef struct enum_ctx {
    int nt, np;
    const double *g, *miss;
    double *beta;
    int choice[JPDA_EXACT_MAX_TRACKS];
    uint64_t used;
    double total;
    bool prune_permutations;
} enum_ctx;

/* JPDA*: would giving plot j to track t, with the earlier tracks' choices, be beaten by
 * exchanging plots with one of them? */
static bool beaten_by_exchange(const enum_ctx *c, int t, int j, double gtj)
{
    for (int k = 0; k < t; k++) {
        int ck = c->choice[k] - 1;
        if (ck < 0) continue;
        double gkj = c->g[k * c->np + j], gtk = c->g[t * c->np + ck];
        if (gkj > 0 && gtk > 0 && gkj * gtk > c->g[k * c->np + ck] * gtj) return true;
    }
    return false;
}

static void enumerate(enum_ctx *c, int t, double w)
{
    if (t == c->nt) {
        c->total += w;
        for (int k = 0; k < c->nt; k++) c->beta[k * (c->np + 1) + c->choice[k]] += w;
        return;
    }
    c->choice[t] = 0;
    enumerate(c, t + 1, w * c->miss[t]);
    for (int j = 0; j < c->np; j++) {
        double gj = c->g[t * c->np + j];
        if (gj <= 0 || (c->used >> j & 1u)) continue;
        if (c->prune_permutations && beaten_by_exchange(c, t, j, gj)) continue;
        c->used |= (uint64_t)1 << j;
        c->choice[t] = j + 1;
        enumerate(c, t + 1, w * gj);
        c->used &= ~((uint64_t)1 << j);
    }
}

static void cheap_jpda(int nt, int np, const double *g, const double *miss, double *beta)
{
    for (int t = 0; t < nt; t++) {
        double gt = 0;
        for (int j = 0; j < np; j++) gt += g[t * np + j];
        /* The miss term is B / (G_t + B), and the row is then normalised: Fitzgerald's raw
         * form leaves 1 - sum(beta) to the miss, which overstates it badly when a track's
         * plots are shared (a 3x3 band cluster gives 0.3 instead of the exact 0.04). */
        double sum = beta[t * (np + 1)] = miss[t] / (gt + miss[t]);
        for (int j = 0; j < np; j++) {
            double gtj = g[t * np + j];
            double b = 0;
            if (gtj > 0) {
                double gj = 0;
                for (int k = 0; k < nt; k++) gj += g[k * np + j];
                b = gtj / (gt + gj - gtj + miss[t]);
            }
            beta[t * (np + 1) + 1 + j] = b;
            sum += b;
        }
        for (int j = 0; j <= np; j++) beta[t * (np + 1) + j] /= sum;
    }
}

static int jpda(int nt, int np, const double *g, const double *miss, double *beta, long max_hypotheses,
                bool prune_permutations)
{
    memset(beta, 0, sizeof(double) * (size_t)nt * (size_t)(np + 1));
    /* Upper bound on the number of joint events: product of (1 + gated plots). */
    double bound = 1;
    for (int t = 0; t < nt && bound <= (double)max_hypotheses; t++) {
        int k = 0;
        for (int j = 0; j < np; j++) k += g[t * np + j] > 0;
        bound *= 1 + k;
    }
    if (nt > JPDA_EXACT_MAX_TRACKS || np > JPDA_EXACT_MAX_PLOTS || bound > (double)max_hypotheses) {
        cheap_jpda(nt, np, g, miss, beta);
        return 1;
    }
    enum_ctx c = {.nt = nt, .np = np, .g = g, .miss = miss, .beta = beta,
                  .prune_permutations = prune_permutations};
    enumerate(&c, 0, 1.0);
    if (!(c.total > 0)) {
        for (int t = 0; t < nt; t++) beta[t * (np + 1)] = 1.0;
        return 0;
    }
    for (int i = 0; i < nt * (np + 1); i++) beta[i] /= c.total;
    return 0;
}

int lo_jpda_probabilities(int nt, int np, const double *g, const double *miss, double *beta,
                          long max_hypotheses)
{
    return jpda(nt, np, g, miss, beta, max_hypotheses, false);
}

int lo_jpda_star_probabilities(int nt, int np, const double *g, const double *miss, double *beta,
                               long max_hypotheses)
{
    return jpda(nt, np, g, miss, beta, max_hypotheses, true);
}

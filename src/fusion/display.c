/*
 * display.c: the display role: tracks (CAT062) of every node and the alert stream into one
 * picture, through the hand-over table (fusion.h, docs/multisite.md). Subscribes only.
 *
 * The bus calls these handlers on its own threads (a libnats thread for tracks, the durable
 * consumer's thread for alerts): one mutex guards the hand-over table; the picture has its own.
 */
#include "lookout/fusion.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/asterix.h"

#define MAX_BATCH 512
#define SEEN_ALERTS 8192     /* transitions remembered to drop redeliveries */

typedef struct seen_key {
    char node[LO_NAME_MAX];
    uint64_t alert_id, seq;
} seen_key;

struct lo_display {
    const lo_site *site;
    lo_picture *pic;
    lo_display_options opt;
    pthread_mutex_t mu;
    lo_handover *h;
    double last_t;
    lo_display_stats st;
    seen_key *seen;
    size_t seen_next, seen_n;
    /* Decoding scratch (under mu). */
    lo_track batch[MAX_BATCH];
    size_t n_batch;
};


static void to_picture(void *ctx, const lo_track *regional)
{
    lo_display *d = ctx;
    lo_picture_update_tracks(d->pic, regional, 1);
}

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    lo_display *d = ctx;
    if (rec->cat != 62 || !rec->c062 || d->n_batch == MAX_BATCH) return;
    double near = d->last_t;
    if (near <= 0) {
        if (d->opt.tod_near_t > 0) {
            near = d->opt.tod_near_t;
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            near = (double)ts.tv_sec;
        }
    }
    double t = lo_tod_nearest(rec->c062->tod * LO_ASTERIX_TOD_LSB, near);
    if (t > d->last_t) d->last_t = t;
    lo_cat062_to_track(rec->c062, &d->site->frame, t, &d->batch[d->n_batch++]);
    d->st.track_records++;
}

void lo_display_bus_tracks(void *display, const lo_bus_msg *m)
{
    lo_display *d = display;
    lo_asterix_stats *st = calloc(1, sizeof *st);
    if (!st) return;
    pthread_mutex_lock(&d->mu);
    d->st.track_messages++;
    d->n_batch = 0;
    lo_asterix_decode(m->data, m->len, m->subject, 0, on_record, d, st, NULL);
    lo_handover_update(d->h, m->node ? m->node : "", d->batch, d->n_batch, to_picture, d);
    lo_handover_expire(d->h, d->last_t, to_picture, d);
    pthread_mutex_unlock(&d->mu);
    free(st);
}

bool lo_display_bus_alert(void *display, const lo_bus_alert_msg *m)
{
    lo_display *d = display;
    if (!m->parsed) return true; /* not ours to fix: acknowledged, counted by the bus */
    pthread_mutex_lock(&d->mu);
    const char *node = m->node ? m->node : "";
    for (size_t i = 0; i < d->seen_n; i++) {
        const seen_key *k = &d->seen[i];
        if (k->alert_id == m->alert.alert_id && k->seq == m->seq && strcmp(k->node, node) == 0) {
            d->st.alerts_duplicate++;
            pthread_mutex_unlock(&d->mu);
            return true;
        }
    }
    seen_key *k = &d->seen[d->seen_next];
    snprintf(k->node, sizeof k->node, "%s", node);
    k->alert_id = m->alert.alert_id;
    k->seq = m->seq;
    d->seen_next = (d->seen_next + 1) % SEEN_ALERTS;
    if (d->seen_n < SEEN_ALERTS) d->seen_n++;
    lo_alert a = m->alert;
    lo_handover_map_alert(d->h, node, &a);
    d->st.alerts++;
    pthread_mutex_unlock(&d->mu);
    lo_picture_update_alerts(d->pic, &a, 1);
    return true;
}

lo_display *lo_display_new(const lo_site *site, lo_bus *bus, lo_picture *pic,
                           const lo_display_options *opt)
{
    if (!site || !pic) return NULL;
    lo_display *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->site = site;
    d->pic = pic;
    if (opt) d->opt = *opt;
    lo_handover_config hc = d->opt.handover;
    if (hc.gate_chi2 <= 0) lo_handover_config_defaults(&hc);
    d->h = lo_handover_new(&hc, d->opt.regions);
    d->seen = calloc(SEEN_ALERTS, sizeof *d->seen);
    pthread_mutex_init(&d->mu, NULL);
    if (!d->h || !d->seen) goto fail;
    if (bus) {
        char durable[LO_NAME_MAX + 16];
        if (d->opt.durable && d->opt.durable[0]) {
            snprintf(durable, sizeof durable, "%s", d->opt.durable);
        } else {
            snprintf(durable, sizeof durable, "display");
        }
        char tok[LO_NAME_MAX + 16];
        lo_bus_token(durable, tok, sizeof tok);
        if (lo_bus_subscribe_tracks(bus, NULL, lo_display_bus_tracks, d) != 0 ||
            lo_bus_subscribe_alerts(bus, tok, d->opt.zone, lo_display_bus_alert, d) != 0)
            goto fail;
    }
    return d;
fail:
    lo_display_free(d);
    return NULL;
}

void lo_display_free(lo_display *d)
{
    if (!d) return;
    lo_handover_free(d->h);
    free(d->seen);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void lo_display_get_stats(lo_display *d, lo_display_stats *out)
{
    pthread_mutex_lock(&d->mu);
    *out = d->st;
    lo_handover_get_stats(d->h, &out->handover);
    pthread_mutex_unlock(&d->mu);
}

int lo_display_metrics_text(lo_display *d, const char *node, char *buf, size_t len)
{
    lo_display_stats st;
    lo_display_get_stats(d, &st);
    struct {
        const char *name, *type, *help;
        double v;
    } m[] = {
        {"track_messages_total", "counter", "CAT062 messages received from the nodes",
         (double)st.track_messages},
        {"track_records_total", "counter", "CAT062 track records decoded",
         (double)st.track_records},
        {"alerts_total", "counter", "alert transitions shown (from the alert stream)",
         (double)st.alerts},
        {"alerts_duplicate_total", "counter", "alert transitions delivered again and shown once",
         (double)st.alerts_duplicate},
        {"regional_tracks", "gauge", "regional tracks live in the hand-over table",
         (double)st.handover.regional_tracks},
        {"associations_total", "counter", "node tracks that joined an existing regional track",
         (double)st.handover.associations},
        {"handovers_total", "counter", "regional tracks whose owner passed to another node",
         (double)st.handover.handovers},
    };
    size_t off = 0;
    int total = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        int n = snprintf(buf ? buf + off : NULL, buf && off < len ? len - off : 0,
                         "# HELP lookout_display_%s %s\n# TYPE lookout_display_%s %s\n"
                         "lookout_display_%s{node=\"%s\"} %.17g\n",
                         m[i].name, m[i].help, m[i].name, m[i].type, m[i].name, node, m[i].v);
        if (n < 0) return -1;
        total += n;
        off = off + (size_t)n < len ? off + (size_t)n : len;
    }
    return total;
}

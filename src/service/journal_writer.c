/* The alert journal on its own thread (journal_writer.h): a ring of transitions guarded by one
 * mutex; the thread takes the oldest, appends and publishes it through the chain with the
 * mutex released, and only then removes it from the ring, so drain() can wait for "empty". */
#include "lookout/journal_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_S 0.2
#define STOP_TRIES 3   /* a failing append while stopping: tries before giving up the rest */

struct lo_journal_writer {
    lo_journal_chain *chain;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;      /* signalled: something queued, or stop */
    pthread_cond_t idle;      /* signalled: the ring became empty */
    lo_alert *ring;
    size_t head, n, cap;
    bool stop;
    long given_up;
    lo_journal_writer_stats st;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static void *writer_main(void *arg)
{
    lo_journal_writer *w = arg;
    int failing = 0; /* consecutive failures of the oldest transition */
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->n == 0 && !w->stop) pthread_cond_wait(&w->work, &w->lock);
        if (w->n == 0) break; /* stopping, and nothing left */
        lo_alert a = w->ring[w->head];
        pthread_mutex_unlock(&w->lock);

        double t0 = mono_s();
        bool ok = lo_journal_then_publish(w->chain, &a) == 0;
        double dt = mono_s() - t0;

        pthread_mutex_lock(&w->lock);
        w->st.sum_append_s += dt;
        if (dt > w->st.max_append_s) w->st.max_append_s = dt;
        if (ok) {
            failing = 0;
            w->st.written++;
        } else {
            w->st.failures++;
            if (failing++ == 0)
                fprintf(stderr, "lookout: alert journal %s: %s (alert %llu not published; "
                        "retrying every %.1f s)\n", lo_journal_path(w->chain->journal),
                        lo_journal_error(w->chain->journal), (unsigned long long)a.alert_id,
                        RETRY_S);
            if (!(w->stop && failing > STOP_TRIES)) {
                pthread_mutex_unlock(&w->lock);
                sleep_s(RETRY_S);
                pthread_mutex_lock(&w->lock);
                continue;
            }
            /* Stopping and the journal keeps failing: give up the rest, saying so. */
            w->given_up = (long)w->n;
            fprintf(stderr, "lookout: alert journal %s: %ld alert transition%s could not be "
                    "written and were not published\n", lo_journal_path(w->chain->journal),
                    w->given_up, w->given_up == 1 ? "" : "s");
            w->n = 0;
            pthread_cond_broadcast(&w->idle);
            break;
        }
        w->head = (w->head + 1) % w->cap;
        if (--w->n == 0) pthread_cond_broadcast(&w->idle);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

lo_journal_writer *lo_journal_writer_start(lo_journal_chain *chain)
{
    if (!chain || !chain->journal) return NULL;
    lo_journal_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->chain = chain;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->idle, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->idle);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

int lo_journal_writer_submit(void *writer, const lo_alert *a)
{
    lo_journal_writer *w = writer;
    int rc = 0;
    pthread_mutex_lock(&w->lock);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        lo_alert *b = cap <= LO_JOURNAL_WRITER_MAX_QUEUE ? malloc(cap * sizeof *b) : NULL;
        if (!b) {
            w->st.refused++;
            rc = -1;
            goto out;
        }
        for (size_t i = 0; i < w->n; i++) b[i] = w->ring[(w->head + i) % w->cap];
        free(w->ring);
        w->ring = b;
        w->head = 0;
        w->cap = cap;
    }
    w->ring[(w->head + w->n) % w->cap] = *a;
    w->n++;
    w->st.submitted++;
    if (w->n > w->st.max_backlog) w->st.max_backlog = w->n;
    pthread_cond_signal(&w->work);
out:
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int lo_journal_writer_drain(lo_journal_writer *w)
{
    pthread_mutex_lock(&w->lock);
    while (w->n > 0) pthread_cond_wait(&w->idle, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void lo_journal_writer_get_stats(lo_journal_writer *w, lo_journal_writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->st;
    pthread_mutex_unlock(&w->lock);
}

long lo_journal_writer_stop(lo_journal_writer *w)
{
    if (!w) return 0;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    long lost = w->given_up;
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->idle);
    pthread_mutex_destroy(&w->lock);
    free(w->ring);
    free(w);
    return lost;
}

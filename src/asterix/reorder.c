/*
 * reorder.c: the reorder window of the recording readers (plot_source.c, track_source.c),
 * and the record stream (record_stream.h) that reads a recording through it.
 *
 * Radars and trackers interleave their records slightly out of time order; a reader holds
 * what it decoded in a min-heap on (time, arrival) and lets an item go once the newest time
 * seen is `window` seconds past it, or at the end of the recording. Equal times leave in
 * arrival order, so a recording is read in the order a CSV of the same records would be.
 * The heap holds small keys; the items (plots, tracks: hundreds of octets) stay put in a
 * pool and only their slot number moves.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record_stream.h"

void lo_reorder_init(lo_reorder *q, size_t item_size, double window_s)
{
    memset(q, 0, sizeof *q);
    q->item_size = item_size;
    q->window_s = window_s;
    q->newest = NAN;
}

static bool key_before(const lo_reorder_key *a, const lo_reorder_key *b)
{
    return a->t < b->t || (a->t == b->t && a->arrival < b->arrival);
}

bool lo_reorder_push(lo_reorder *q, double t, const void *item)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        lo_reorder_key *keys = realloc(q->keys, cap * sizeof *keys);
        if (!keys) return false;
        q->keys = keys;
        unsigned char *pool = realloc(q->pool, cap * q->item_size);
        if (!pool) return false;
        q->pool = pool;
        size_t *free_slots = realloc(q->free_slots, cap * sizeof *free_slots);
        if (!free_slots) return false;
        q->free_slots = free_slots;
        /* Slots n..cap-1 are new and free; slots below n are all in use when the heap is full. */
        q->n_free = 0;
        for (size_t s = cap; s-- > q->cap;) q->free_slots[q->n_free++] = s;
        q->cap = cap;
    }
    size_t slot = q->free_slots[--q->n_free];
    memcpy(q->pool + slot * q->item_size, item, q->item_size);
    lo_reorder_key k = {t, q->arrivals++, slot};
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!key_before(&k, &q->keys[parent])) break;
        q->keys[i] = q->keys[parent];
        i = parent;
    }
    q->keys[i] = k;
    if (isnan(q->newest) || t > q->newest) q->newest = t;
    return true;
}

bool lo_reorder_pop(lo_reorder *q, bool at_end, void *out)
{
    if (q->n == 0 || (!at_end && !(q->keys[0].t <= q->newest - q->window_s))) return false;
    size_t slot = q->keys[0].slot;
    memcpy(out, q->pool + slot * q->item_size, q->item_size);
    q->free_slots[q->n_free++] = slot;
    lo_reorder_key last = q->keys[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n) break;
        if (c + 1 < q->n && key_before(&q->keys[c + 1], &q->keys[c])) c++;
        if (!key_before(&q->keys[c], &last)) break;
        q->keys[i] = q->keys[c];
        i = c;
    }
    if (q->n) q->keys[i] = last;
    return true;
}

void lo_reorder_free(lo_reorder *q)
{
    free(q->keys);
    free(q->pool);
    free(q->free_slots);
    memset(q, 0, sizeof *q);
}

/* ---- a recording through the window (record_stream.h) ----------------------------------- */

bool lo_record_stream_open(lo_record_stream *s, const char *path, lo_rec_format fmt,
                           double date_midnight, size_t item_size, double window_s,
                           lo_diag_sink *sink)
{
    memset(s, 0, sizeof *s);
    s->rec = lo_recording_open(path, fmt, sink);
    if (!s->rec) return false;
    s->have_date = !isnan(date_midnight);
    lo_tod_resolver_init(&s->tod, s->have_date ? date_midnight : 0.0);
    s->chunk_t = NAN;
    lo_reorder_init(&s->window, item_size, window_s);
    s->sink = sink;
    return true;
}

double lo_record_stream_time(lo_record_stream *s, double tod_s)
{
    return (s->have_date || isnan(s->chunk_t)) ? lo_tod_resolve(&s->tod, tod_s)
                                               : lo_tod_nearest(tod_s, s->chunk_t);
}

int lo_record_stream_next(lo_record_stream *s, lo_asterix_record_fn on_record, void *ctx,
                          void *out)
{
    for (;;) {
        if (lo_reorder_pop(&s->window, s->eof, out)) return 1;
        if (s->eof) return s->failed ? -1 : 0;
        lo_rec_chunk c;
        int rc = lo_recording_next(s->rec, &c);
        if (rc <= 0) {
            s->eof = true;
            s->failed = rc < 0;
            continue;
        }
        s->chunk_t = c.capture_t;
        lo_asterix_decode(c.data, c.len, lo_recording_name(s->rec), c.offset, on_record, ctx,
                          &s->stats, s->sink);
    }
}

void lo_record_stream_close(lo_record_stream *s)
{
    lo_recording_close(s->rec);
    lo_reorder_free(&s->window);
}

/*
 * lookout/journal_writer.h: the alert journal written on a thread of its own.
 *
 * Owns one thread and a queue of alert transitions. The caller (the live service's pipeline
 * thread) hands each transition over and goes on at once; the thread appends it to the
 * journal through a lo_journal_chain (journal.h): durable first (one SQLite transaction,
 * fsync'ed), and only then published (the chain's publish callback: picture, terminal). The
 * rule "nobody sees an alert that is not in the journal" is the chain's and still holds; what
 * changes is that the tracker no longer waits for the disk (an fsync took 0.5-30 ms on the
 * project VM, and every plot behind it waited as long).
 *
 * Order: transitions are written and published in the order they were submitted. A failed
 * append is retried every 0.2 s, holding the later ones behind it (reported on stderr once per
 * failing streak); nothing is dropped while the process runs. The queue holds at most
 * LO_JOURNAL_WRITER_MAX_QUEUE transitions: beyond that lo_journal_writer_submit refuses, and
 * the threat engine retries at its next evaluation as it does when a synchronous append fails.
 *
 * Threads: submit, drain and stats may be called from any one thread; publish runs on the
 * writer thread. While the writer runs, the journal belongs to it: call other lo_journal_*
 * functions only after lo_journal_writer_drain (the thread is then idle) or after stop.
 *
 * Time: the alerts carry UTC seconds (types.h); the statistics are wall-clock seconds.
 */
#ifndef LOOKOUT_JOURNAL_WRITER_H
#define LOOKOUT_JOURNAL_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "lookout/journal.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LO_JOURNAL_WRITER_MAX_QUEUE 65536

typedef struct lo_journal_writer lo_journal_writer;

typedef struct lo_journal_writer_stats {
    uint64_t submitted;      /* accepted by lo_journal_writer_submit */
    uint64_t written;        /* durable and published */
    uint64_t failures;       /* appends that failed (each retry counts) */
    uint64_t refused;        /* submits refused: queue full or out of memory */
    size_t max_backlog;      /* most transitions waiting at once */
    double max_append_s;     /* slowest append + publish, wall-clock seconds */
    double sum_append_s;
} lo_journal_writer_stats;

/* Start the thread on `chain` (which must outlive the writer; its `written` counter is then
 * the thread's). Returns NULL when the thread cannot be started. */
lo_journal_writer *lo_journal_writer_start(lo_journal_chain *chain);

/* Queue one transition (copied). Returns 0, or -1 when refused (full, out of memory). Has the
 * signature of a threat alert callback (lo_alert_fn, threat.h) with the writer as ctx. */
int lo_journal_writer_submit(void *writer, const lo_alert *a);

/* Wait until every transition submitted so far is written and published. Returns 0. */
int lo_journal_writer_drain(lo_journal_writer *w);

void lo_journal_writer_get_stats(lo_journal_writer *w, lo_journal_writer_stats *out);

/* Write what is queued (a failing append is tried three more times, then it and the rest are
 * given up), stop the thread and free the writer. Returns the number of transitions that
 * could not be written (0 normally). NULL is allowed. */
long lo_journal_writer_stop(lo_journal_writer *w);

#ifdef __cplusplus
}
#endif
#endif

/*
 * lookout/journal.h: the alert journal, an SQLite database of every alert transition.
 *
 * Owns the database file (default "lookout-alerts.sqlite" in the working directory) and its
 * schema (docs/threat.md; versioned by PRAGMA user_version, currently 1). A sink at the edge of
 * the pipeline: the threat engine hands it lo_alert transitions through its callback and
 * publishes an alert (prints it, sends it) only after lo_journal_append has returned 0.
 *
 * Durability: the database runs in WAL mode with synchronous=FULL, and each append is its own
 * transaction, committed (the WAL fsync'ed) before lo_journal_append returns. An alert that
 * was published after that return survives a kill -9 of the process at any later moment, and
 * a power cut as far as the disk honours fsync. On reopen SQLite replays the WAL.
 *
 * Time: alert times are UTC seconds as double (types.h); `written_utc` is the wall-clock time
 * of the write, for forensics only.
 */
#ifndef LOOKOUT_JOURNAL_H
#define LOOKOUT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LO_JOURNAL_DEFAULT_PATH "lookout-alerts.sqlite"
#define LO_JOURNAL_SCHEMA_VERSION 1

typedef struct lo_journal lo_journal;

/* Open (creating it and its schema if absent, unless read_only) a journal. On failure
 * returns NULL and writes a message naming the file into err. A file with a newer schema
 * version than this build knows, or one that is not a lookout journal, is refused. */
lo_journal *lo_journal_open(const char *path, bool read_only, char *err, size_t errlen);
void lo_journal_close(lo_journal *j);

/* Write one transition, durable on return. Returns 0, or -1 (message in lo_journal_error). */
int lo_journal_append(lo_journal *j, const lo_alert *a);

/* The durable-then-publish chain as a ready-made lo_alert_fn (threat.h): hand
 * lo_journal_then_publish and a lo_journal_chain to lo_threat_update. Each transition is
 * appended to the journal first; only when that returned 0 is `publish` called (print it,
 * send it); a journal failure returns -1 and nothing is published (the engine retries next
 * scan). publish may be NULL. */
typedef struct lo_journal_chain {
    lo_journal *journal;
    int (*publish)(void *ctx, const lo_alert *a);
    void *publish_ctx;
    long written;             /* transitions written so far */
} lo_journal_chain;
int lo_journal_then_publish(void *chain, const lo_alert *a);

/* The largest alert_id stored, 0 for an empty journal (a restarted engine continues after it). */
uint64_t lo_journal_max_alert_id(lo_journal *j);

/* One stored transition: the alert as written (snapshot restored from its JSON, the fields
 * that JSON carries), the row's sequence number, and the snapshot JSON text itself (valid
 * during the callback only). Return true to go on. */
typedef bool (*lo_journal_row_fn)(void *ctx, int64_t seq, const lo_alert *a,
                                  const char *snapshot_json);

/* Transitions with t >= since_t in write order (since_t = -INFINITY for all). Returns the
 * number of rows visited, or -1. */
long lo_journal_list(lo_journal *j, double since_t, lo_journal_row_fn fn, void *ctx);

const char *lo_journal_error(const lo_journal *j);
const char *lo_journal_path(const lo_journal *j);

/* One alert transition as a compact JSON object (one line, caller free()s): every field of
 * lo_alert, the time also as ISO 8601 UTC ("time_utc"), the snapshot as an object. What
 * `lookout alerts --json` prints; meant for any other JSON sink too. */
char *lo_alert_json(const lo_alert *a);

/* The snapshot JSON of a track (owned by the caller, free()) and back; used by the journal,
 * useful to other JSON sinks. from_json returns false on malformed input. */
char *lo_track_snapshot_json(const lo_track *t);
bool lo_track_snapshot_from_json(const char *json, lo_track *out);

#ifdef __cplusplus
}
#endif
#endif

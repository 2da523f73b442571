/*
 * lookout/formats.h: the text file formats (see docs/formats.md).
 *
 * Owns streaming readers and writers for plots, truth and tracks as CSV (header row names the
 * columns; order is free; unknown columns are ignored with one warning) and as JSON lines (one
 * object per line with the same names). Readers never hold a whole file: one record at a time,
 * so an hour of 10,000 targets streams in bounded memory.
 *
 * Bad values are reported through the lo_diag_sink with file, line, column and column name;
 * the sink decides whether the reader skips the record and goes on or stops.
 *
 * Units at this edge: the column names carry them (range_m, azimuth_deg, ...). Readers
 * convert to the SI/radian model of types.h. Time columns hold UTC seconds since the epoch
 * (a number) or an ISO 8601 UTC time ("2026-11-22T21:03:00.250Z").
 */
#ifndef LOOKOUT_FORMATS_H
#define LOOKOUT_FORMATS_H

#include <stdio.h>

#include "lookout/diag.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lo_text_format { LO_FORMAT_CSV = 0, LO_FORMAT_JSONL } lo_text_format;

/* The three record kinds (lo_writer_from_stream's record_kind). */
enum lo_record_kind { LO_RECORD_PLOT = 0, LO_RECORD_TRUTH, LO_RECORD_TRACK };

/* Format from a file name: *.jsonl / *.ndjson / *.json -> JSONL, anything else CSV. */
lo_text_format lo_format_from_path(const char *path);

/* ---- readers: next() returns 1 with a record, 0 at the end, -1 when stopped (I/O error, or
 * the sink asked to stop). Bad records the sink lets pass are skipped. "-" reads stdin. */
typedef struct lo_reader lo_reader;

lo_reader *lo_plot_reader_open(const char *path, lo_diag_sink *sink);
lo_reader *lo_truth_reader_open(const char *path, lo_diag_sink *sink);
lo_reader *lo_track_reader_open(const char *path, lo_diag_sink *sink);
int lo_plot_reader_next(lo_reader *r, lo_plot *out);
int lo_truth_reader_next(lo_reader *r, lo_truth *out);
int lo_track_reader_next(lo_reader *r, lo_track *out);
long lo_reader_line(const lo_reader *r);   /* line of the last record returned */
void lo_reader_close(lo_reader *r);

/* ---- writers: "-" writes stdout. write() returns 0, or -1 on an I/O error. */
typedef struct lo_writer lo_writer;

lo_writer *lo_plot_writer_open(const char *path, lo_text_format fmt);
lo_writer *lo_truth_writer_open(const char *path, lo_text_format fmt);
/* Track writer: `geo_origin` (may be NULL) adds lat_deg/lon_deg/alt_m columns. */
struct lo_enu_frame;
lo_writer *lo_track_writer_open(const char *path, lo_text_format fmt,
                                const struct lo_enu_frame *geo_origin);
lo_writer *lo_writer_from_stream(FILE *f, lo_text_format fmt, int record_kind);
int lo_plot_write(lo_writer *w, const lo_plot *p);
int lo_truth_write(lo_writer *w, const lo_truth *t);
int lo_track_write(lo_writer *w, const lo_track *t);
int lo_writer_close(lo_writer *w);  /* flushes; returns -1 if any write failed */

/* Parse a time cell: seconds since the epoch or ISO 8601 UTC. Returns false when neither. */
bool lo_parse_time(const char *s, double *t);
/* ISO 8601 UTC with milliseconds, into buf (at least 32 bytes). */
void lo_format_time(double t, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif

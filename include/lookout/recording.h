/*
 * lookout/recording.h: ASTERIX recordings on disk, read and written.
 *
 * Owns the container formats around ASTERIX data blocks: pcap (libpcap's offline reader;
 * link types Ethernet, raw IP, Linux cooked, BSD loopback; IPv4/UDP datagrams, one or more
 * blocks each), raw (blocks back to back), "GPS" (.gps: 2200-octet header, each block followed
 * by a 10-octet trailer) and "final" (.ff: 8-octet frame header, blocks, A5 A5 A5 A5 padding).
 * Writers produce pcap (Ethernet/IPv4/UDP, so Wireshark/tshark decode it as ASTERIX with
 * `-d udp.port==N,asterix`) and raw. Also a plot source that turns a recording into a stream
 * of lo_plot in time order, for `lookout track`.
 *
 * A reader hands out chunks (a datagram, a block, a frame) with their byte offset in the file,
 * so every diagnostic can name the file and offset. Bad framing is reported through the sink
 * and reading stops at that point (framing cannot be resynchronised); the chunks already read
 * stay valid.
 *
 * Time: capture times are UTC seconds since the epoch (double); NAN where a format has none.
 */
#ifndef LOOKOUT_RECORDING_H
#define LOOKOUT_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/asterix.h"
#include "lookout/diag.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lo_rec_format {
    LO_REC_AUTO = 0, /* by content (pcap magic, .ff frame padding, .gps header) then extension */
    LO_REC_PCAP,
    LO_REC_RAW,
    LO_REC_GPS,
    LO_REC_FF
} lo_rec_format;

const char *lo_rec_format_name(lo_rec_format f); /* "auto", "pcap", "raw", "gps", "ff" */
bool lo_rec_format_from_name(const char *name, lo_rec_format *out);

typedef struct lo_rec_chunk {
    const uint8_t *data;     /* valid until the next call */
    size_t len;
    long long offset;        /* file offset of data[0] (pcap: of the UDP payload; for pcapng
                                files an approximation) */
    double capture_t;        /* pcap capture time, else NAN */
    long index;              /* 1-based packet / block / frame number */
    uint32_t src_addr, dst_addr; /* pcap: IPv4 addresses, host byte order; else 0 */
    uint16_t src_port, dst_port;
} lo_rec_chunk;

typedef struct lo_recording lo_recording;

/* Open a file (NULL after a diagnostic when it cannot be opened or its format is unknown). */
lo_recording *lo_recording_open(const char *path, lo_rec_format fmt, lo_diag_sink *sink);
/* Read from memory (the fuzzers; tests). buf must outlive the reader. */
lo_recording *lo_recording_open_memory(const uint8_t *buf, size_t len, lo_rec_format fmt,
                                       const char *name, lo_diag_sink *sink);
/* 1 with a chunk, 0 at the end, -1 when framing is broken (reported; reading stops). */
int lo_recording_next(lo_recording *r, lo_rec_chunk *out);
lo_rec_format lo_recording_format(const lo_recording *r);
const char *lo_recording_name(const lo_recording *r);
long lo_recording_skipped_packets(const lo_recording *r); /* pcap: not IPv4/UDP, fragments */
void lo_recording_close(lo_recording *r);

/* ---- writers ----------------------------------------------------------------------------- */

typedef struct lo_rec_writer lo_rec_writer;

/* fmt: LO_REC_PCAP (UDP from 192.0.2.1:port to 192.0.2.2:port) or LO_REC_RAW. */
lo_rec_writer *lo_rec_writer_open(const char *path, lo_rec_format fmt, uint16_t udp_port);
/* One datagram (one or more whole data blocks) captured at time t. 0, or -1 on error. */
int lo_rec_writer_write(lo_rec_writer *w, double t, const uint8_t *data, size_t len);
int lo_rec_writer_close(lo_rec_writer *w); /* -1 when any write failed */

/* ---- plot source: a recording as lo_plot in time order ----------------------------------- */

typedef struct lo_asterix_plot_source lo_asterix_plot_source;

/* Plots from the CAT048 records of a recording. `sensors` (n_sensors, may be 0) maps SAC/SIC
 * to configured sensors (id, antenna height for 3D heights); records of radars not listed are
 * still delivered with sensor_id = (SAC << 8) | SIC when n_sensors is 0, and dropped (counted)
 * otherwise. Times: `date_midnight` (UTC midnight of the recording's date; NAN = the pcap
 * capture date, or 1970-01-01 for formats without one) plus the time of day, across midnight.
 * Plots are released in time order through a reorder window of `window_s` seconds (records
 * from several radars arrive slightly out of order; 0 = 2 s). */
lo_asterix_plot_source *lo_asterix_plot_source_open(const char *path, lo_rec_format fmt,
                                                    const lo_sensor *sensors, int n_sensors,
                                                    double date_midnight, double window_s,
                                                    lo_diag_sink *sink);
/* 1 with a plot, 0 at the end, -1 when reading stopped on an error. */
int lo_asterix_plot_source_next(lo_asterix_plot_source *s, lo_plot *out);
const lo_asterix_stats *lo_asterix_plot_source_stats(const lo_asterix_plot_source *s);
long lo_asterix_plot_source_dropped(const lo_asterix_plot_source *s); /* unknown radar, no position */
void lo_asterix_plot_source_close(lo_asterix_plot_source *s);

/* ---- track source: another tracker's CAT062 recording as lo_track reports ----------------- */

typedef struct lo_asterix_track_source lo_asterix_track_source;

/* Track reports from the CAT062 records of a recording, in time order (reorder window
 * `window_s`, 0 = 10 s: a system's reports lag each other by several seconds). Position via
 * `sys` from I062/105 when given, else I062/100 (see lo_cat062_to_track). Track ids are the
 * I062/040 track numbers. Times as for the plot source. */
lo_asterix_track_source *lo_asterix_track_source_open(const char *path, lo_rec_format fmt,
                                                      const lo_enu_frame *sys,
                                                      double date_midnight, double window_s,
                                                      lo_diag_sink *sink);
int lo_asterix_track_source_next(lo_asterix_track_source *s, lo_track *out); /* 1, 0, -1 */
const lo_asterix_stats *lo_asterix_track_source_stats(const lo_asterix_track_source *s);
void lo_asterix_track_source_close(lo_asterix_track_source *s);

/* ---- plot writer: lo_plot in, a radar's CAT048 + CAT034 datagrams out --------------------- */

typedef struct lo_asterix_plot_writer lo_asterix_plot_writer;

/* Write plots (in time order) from `sensors` as a radar would send them: per sensor, CAT048
 * records packed into data blocks, a datagram when the block is full or `flush_s` (0 = 0.25 s)
 * after its first plot; for rotating sensors a CAT034 north marker at every scan start (times
 * k * scan_period_s, azimuth north_azimuth_rad) and a sector crossing every 1/8 scan.
 * fmt: LO_REC_PCAP or LO_REC_RAW. Plots of sensors not listed are dropped and counted. */
lo_asterix_plot_writer *lo_asterix_plot_writer_open(const char *path, lo_rec_format fmt,
                                                    uint16_t udp_port, const lo_sensor *sensors,
                                                    int n_sensors, double flush_s);
int lo_asterix_plot_writer_write(lo_asterix_plot_writer *w, const lo_plot *p); /* 0 or -1 */
long lo_asterix_plot_writer_dropped(const lo_asterix_plot_writer *w);
int lo_asterix_plot_writer_close(lo_asterix_plot_writer *w); /* flushes; -1 if a write failed */

/* ---- track writer: lo_track reports in, CAT062 datagrams out ------------------------------ */

typedef struct lo_asterix_track_writer lo_asterix_track_writer;

/* CAT062 from track reports for a file (fmt PCAP or RAW; path may be NULL) and/or a UDP sender
 * (may be NULL). TSB is set on the first report of each track id, TSE on a DELETED report.
 * Reports of one call to lo_asterix_track_writer_write_batch share datagrams. `sys` is the
 * system frame for I062/105; `sensors` give I062/340. */
struct lo_udp_sender;
lo_asterix_track_writer *lo_asterix_track_writer_open(const char *path, lo_rec_format fmt,
                                                      uint16_t udp_port, struct lo_udp_sender *udp,
                                                      const lo_enu_frame *sys, uint8_t sac,
                                                      uint8_t sic, const lo_sensor *sensors,
                                                      int n_sensors);
int lo_asterix_track_writer_write_batch(lo_asterix_track_writer *w, const lo_track *tracks, int n);
int lo_asterix_track_writer_close(lo_asterix_track_writer *w);

#ifdef __cplusplus
}
#endif
#endif

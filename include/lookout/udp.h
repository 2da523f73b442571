/*
 * lookout/udp.h: ASTERIX over UDP: receive radar feeds, send system tracks.
 *
 * Owns the sockets. A receiver listens on one or more ports (unicast, or joined to a multicast
 * group), decodes each datagram with the ASTERIX decoder, and passes on only the records whose
 * SAC/SIC and sender address match an entry of its allow-list (one entry per configured
 * sensor). Everything else is counted: datagrams from unknown addresses, records whose SAC/SIC
 * do not belong to the sending address, malformed datagrams. Problems are logged through the
 * diag sink at most `log_burst` times per 10 s (the rest counted as suppressed), so a flood of
 * garbage cannot flood the log. The receiver never blocks longer than the poll timeout and
 * never reads outside a datagram.
 *
 * A sender sends datagrams (whole data blocks) to a list of destinations ("host:port", IPv4,
 * unicast or multicast).
 *
 * Time: receive times are UTC seconds since the epoch (double, CLOCK_REALTIME).
 */
#ifndef LOOKOUT_UDP_H
#define LOOKOUT_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/asterix.h"
#include "lookout/diag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lo_udp_listen {
    uint16_t port;              /* 0 = any free port (tests; see lo_udp_receiver_port) */
    char bind_addr[64];         /* "" = 0.0.0.0 */
    char multicast_group[64];   /* "" = unicast; else joined on multicast_if */
    char multicast_if[64];      /* local interface address, "" = default */
} lo_udp_listen;

/* One allowed sender: a sensor's SAC/SIC and the IPv4 address its datagrams come from. */
typedef struct lo_udp_allow {
    uint8_t sac, sic;
    char address[64];
} lo_udp_allow;

typedef struct lo_udp_rx_stats {
    long datagrams;             /* received */
    long bytes;
    long records;               /* delivered */
    long rejected_sender;       /* datagrams from an address not in the allow-list */
    long rejected_records;      /* records whose SAC/SIC are not allowed from that address */
    long malformed_datagrams;   /* datagrams with at least one decoding problem */
    long truncated;             /* larger than the receive buffer */
    long log_suppressed;        /* diagnostics not logged because of the rate limit */
    lo_asterix_stats asterix;   /* decoder counters over all datagrams */
} lo_udp_rx_stats;

/* Who sent the record and when it arrived. */
typedef struct lo_udp_from {
    uint32_t addr;              /* IPv4, host byte order */
    uint16_t port;
    uint16_t local_port;
    double t_recv;              /* UTC s: when the kernel received it (SO_TIMESTAMPNS) */
} lo_udp_from;

typedef void (*lo_udp_record_fn)(void *ctx, const lo_asterix_record *rec, const lo_udp_from *from);

typedef struct lo_udp_receiver lo_udp_receiver;

/* allow_any: accept every sender (lab use); otherwise only the allow-list. log_burst: at most
 * this many diagnostics per 10 s (0 = 10). Returns NULL after a diagnostic when a socket
 * cannot be opened, bound or joined. */
lo_udp_receiver *lo_udp_receiver_open(const lo_udp_listen *listens, int n_listens,
                                      const lo_udp_allow *allow, int n_allow, bool allow_any,
                                      int log_burst, lo_diag_sink *sink);
/* Wait up to timeout_ms for datagrams, then read what is there (at most 1024 datagrams per
 * call) and deliver the allowed records. Returns the number of records delivered, or -1 on a
 * socket error that is not transient. */
int lo_udp_receiver_poll(lo_udp_receiver *r, int timeout_ms, lo_udp_record_fn fn, void *ctx);
uint16_t lo_udp_receiver_port(const lo_udp_receiver *r, int i); /* bound port of listens[i] */
/* The socket of listens[i] (-1 when none), for an event loop (epoll) that waits on it and
 * then calls lo_udp_receiver_poll with timeout 0. Owned by the receiver: never close it. */
int lo_udp_receiver_fd(const lo_udp_receiver *r, int i);
const lo_udp_rx_stats *lo_udp_receiver_stats(const lo_udp_receiver *r);
void lo_udp_receiver_close(lo_udp_receiver *r);

typedef struct lo_udp_sender lo_udp_sender;

/* destinations: "host:port" (IPv4 address or name). ttl: multicast TTL (0 = 1).
 * multicast_if: local interface address for multicast destinations (NULL or "" = default). */
lo_udp_sender *lo_udp_sender_open(const char *const *destinations, int n, int ttl,
                                  const char *multicast_if, lo_diag_sink *sink);
/* Send one datagram to every destination. Returns the number of destinations that failed. */
int lo_udp_sender_send(lo_udp_sender *s, const uint8_t *data, size_t len);
long lo_udp_sender_sent(const lo_udp_sender *s);   /* datagrams sent (per destination) */
void lo_udp_sender_close(lo_udp_sender *s);

#ifdef __cplusplus
}
#endif
#endif

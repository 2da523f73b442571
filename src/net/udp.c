/*
 * udp.c: ASTERIX UDP receiver (allow-listed, rate-limited diagnostics) and sender.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lookout/udp.h"

#define MAX_LISTENS 16
#define RX_BUF 65536
#define LOG_WINDOW_S 10.0

struct lo_udp_receiver {
    int fds[MAX_LISTENS];
    uint16_t ports[MAX_LISTENS];
    int n;
    lo_udp_allow *allow;
    uint32_t *allow_addr;
    int n_allow;
    bool allow_any;
    lo_udp_rx_stats stats;
    lo_diag_sink *sink;      /* where rate-limited diagnostics go */
    lo_diag_sink limiter;    /* handed to the decoder */
    int log_burst;
    int logged_in_window;
    double window_start;
    uint8_t buf[RX_BUF];
    /* per datagram */
    lo_udp_from from;
    lo_udp_record_fn fn;
    void *ctx;
    int delivered;
};

static double now_utc(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The arrival time the kernel recorded (SO_TIMESTAMPNS), else now. */
static double kernel_stamp(struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
        }
    }
    return now_utc();
}

static bool parse_ipv4(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (!s || !*s) return false;
    if (inet_pton(AF_INET, s, &a) != 1) return false;
    *out = ntohl(a.s_addr);
    return true;
}

/* Rate limit: pass at most log_burst diagnostics per window on to the real sink. */
static bool limited_report(void *ctx, const lo_diag *d)
{
    lo_udp_receiver *r = ctx;
    double t = now_utc();
    if (t - r->window_start > LOG_WINDOW_S) {
        if (r->stats.log_suppressed && r->logged_in_window >= r->log_burst)
            lo_diag_report(r->sink, LO_DIAG_WARNING, "udp", 0, 0, -1, NULL,
                           "%ld diagnostics suppressed so far (rate limit)", r->stats.log_suppressed);
        r->window_start = t;
        r->logged_in_window = 0;
    }
    if (r->logged_in_window >= r->log_burst) {
        r->stats.log_suppressed++;
        return true;
    }
    r->logged_in_window++;
    if (r->sink && r->sink->fn) {
        r->sink->count++;
        if (d->severity == LO_DIAG_ERROR) r->sink->errors++;
        r->sink->fn(r->sink->ctx, d);
    } else {
        char line[512];
        lo_diag_format(d, line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    return true; /* a receiver always goes on */
}

lo_udp_receiver *lo_udp_receiver_open(const lo_udp_listen *listens, int n_listens,
                                      const lo_udp_allow *allow, int n_allow, bool allow_any,
                                      int log_burst, lo_diag_sink *sink)
{
    if (n_listens < 1 || n_listens > MAX_LISTENS || n_allow < 0) return NULL;
    lo_udp_receiver *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->sink = sink;
    r->limiter.fn = limited_report;
    r->limiter.ctx = r;
    r->log_burst = log_burst > 0 ? log_burst : 10;
    r->window_start = now_utc();
    r->allow_any = allow_any;
    for (int i = 0; i < MAX_LISTENS; i++) r->fds[i] = -1;
    if (n_allow > 0) {
        r->allow = calloc((size_t)n_allow, sizeof *r->allow);
        r->allow_addr = calloc((size_t)n_allow, sizeof *r->allow_addr);
        if (!r->allow || !r->allow_addr) { lo_udp_receiver_close(r); return NULL; }
        for (int i = 0; i < n_allow; i++) {
            r->allow[i] = allow[i];
            if (!parse_ipv4(allow[i].address, &r->allow_addr[i])) {
                lo_diag_report(sink, LO_DIAG_ERROR, "udp allow-list", 0, 0, -1, "address",
                               "entry %d (SAC %u SIC %u): '%s' is not an IPv4 address", i,
                               allow[i].sac, allow[i].sic, allow[i].address);
                lo_udp_receiver_close(r);
                return NULL;
            }
        }
        r->n_allow = n_allow;
    }
    for (int i = 0; i < n_listens; i++) {
        const lo_udp_listen *l = &listens[i];
        char where[96];
        snprintf(where, sizeof where, "udp:%s:%u", l->bind_addr[0] ? l->bind_addr : "0.0.0.0", l->port);
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) goto fail_errno;
        r->fds[i] = fd;
        r->n = i + 1;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int rcvbuf = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        /* The kernel stamps each datagram as it arrives: t_recv then includes the time it
         * waited in the socket buffer while the reader was busy (plot-to-track latency). */
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        struct sockaddr_in sa = {0};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(l->port);
        uint32_t bind_ip = 0;
        if (l->bind_addr[0] && !parse_ipv4(l->bind_addr, &bind_ip)) {
            lo_diag_report(sink, LO_DIAG_ERROR, where, 0, 0, -1, "bind_addr", "not an IPv4 address");
            goto fail;
        }
        sa.sin_addr.s_addr = htonl(bind_ip);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) goto fail_errno;
        socklen_t sl = sizeof sa;
        getsockname(fd, (struct sockaddr *)&sa, &sl);
        r->ports[i] = ntohs(sa.sin_port);
        if (l->multicast_group[0]) {
            uint32_t g, ifa = 0;
            if (!parse_ipv4(l->multicast_group, &g) || (g >> 28) != 0xe) {
                lo_diag_report(sink, LO_DIAG_ERROR, where, 0, 0, -1, "multicast_group",
                               "'%s' is not an IPv4 multicast address", l->multicast_group);
                goto fail;
            }
            if (l->multicast_if[0] && !parse_ipv4(l->multicast_if, &ifa)) {
                lo_diag_report(sink, LO_DIAG_ERROR, where, 0, 0, -1, "multicast_if", "not an IPv4 address");
                goto fail;
            }
            struct ip_mreq m;
            m.imr_multiaddr.s_addr = htonl(g);
            m.imr_interface.s_addr = htonl(ifa);
            if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) goto fail_errno;
        }
        continue;
    fail_errno:
        lo_diag_report(sink, LO_DIAG_ERROR, where, 0, 0, -1, NULL, "%s", strerror(errno));
    fail:
        lo_udp_receiver_close(r);
        return NULL;
    }
    return r;
}

uint16_t lo_udp_receiver_port(const lo_udp_receiver *r, int i)
{
    return (i >= 0 && i < r->n) ? r->ports[i] : 0;
}

const lo_udp_rx_stats *lo_udp_receiver_stats(const lo_udp_receiver *r) { return &r->stats; }

static bool allowed(const lo_udp_receiver *r, uint32_t addr, uint8_t sac, uint8_t sic)
{
    if (r->allow_any) return true;
    for (int i = 0; i < r->n_allow; i++)
        if (r->allow_addr[i] == addr && r->allow[i].sac == sac && r->allow[i].sic == sic) return true;
    return false;
}

static bool address_known(const lo_udp_receiver *r, uint32_t addr)
{
    if (r->allow_any) return true;
    for (int i = 0; i < r->n_allow; i++)
        if (r->allow_addr[i] == addr) return true;
    return false;
}

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    lo_udp_receiver *r = ctx;
    uint8_t sac, sic;
    bool has_sid;
    if (rec->c048) { sac = rec->c048->sac; sic = rec->c048->sic; has_sid = rec->c048->present & LO_FRN(LO_I048_010); }
    else if (rec->c034) { sac = rec->c034->sac; sic = rec->c034->sic; has_sid = rec->c034->present & LO_FRN(LO_I034_010); }
    else { sac = rec->c062->sac; sic = rec->c062->sic; has_sid = rec->c062->present & LO_FRN(LO_I062_010); }
    if (!has_sid || !allowed(r, r->from.addr, sac, sic)) {
        r->stats.rejected_records++;
        char src[64];
        struct in_addr a = {htonl(r->from.addr)};
        snprintf(src, sizeof src, "udp:%s:%u", inet_ntoa(a), r->from.port);
        lo_diag_report(&r->limiter, LO_DIAG_WARNING, src, 0, 0, rec->offset, "SAC/SIC",
                       "CAT%03u record from SAC %u SIC %u%s is not allowed from this address; dropped",
                       rec->cat, sac, sic, has_sid ? "" : " (no data source identifier)");
        return;
    }
    r->stats.records++;
    r->delivered++;
    if (r->fn) r->fn(r->ctx, rec, &r->from);
}

int lo_udp_receiver_poll(lo_udp_receiver *r, int timeout_ms, lo_udp_record_fn fn, void *ctx)
{
    struct pollfd pfd[MAX_LISTENS];
    for (int i = 0; i < r->n; i++) { pfd[i].fd = r->fds[i]; pfd[i].events = POLLIN; pfd[i].revents = 0; }
    int rc = poll(pfd, (nfds_t)r->n, timeout_ms);
    if (rc < 0) return errno == EINTR ? 0 : -1;
    r->fn = fn;
    r->ctx = ctx;
    r->delivered = 0;
    int budget = 1024;
    for (int i = 0; i < r->n && budget > 0; i++) {
        if (!(pfd[i].revents & POLLIN)) continue;
        while (budget-- > 0) {
            struct sockaddr_in sa;
            struct iovec iov = {.iov_base = r->buf, .iov_len = sizeof r->buf};
            union {
                char buf[CMSG_SPACE(sizeof(struct timespec))];
                struct cmsghdr align;
            } control;
            struct msghdr msg = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov,
                                 .msg_iovlen = 1, .msg_control = control.buf,
                                 .msg_controllen = sizeof control.buf};
            ssize_t n = recvmsg(r->fds[i], &msg, MSG_TRUNC);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
                if (errno == ECONNREFUSED) continue;
                return -1;
            }
            r->stats.datagrams++;
            r->from.addr = ntohl(sa.sin_addr.s_addr);
            r->from.port = ntohs(sa.sin_port);
            r->from.local_port = r->ports[i];
            r->from.t_recv = kernel_stamp(&msg);
            char src[64];
            snprintf(src, sizeof src, "udp:%s:%u", inet_ntoa(sa.sin_addr), r->from.port);
            if ((size_t)n > sizeof r->buf) {
                r->stats.truncated++;
                lo_diag_report(&r->limiter, LO_DIAG_ERROR, src, 0, 0, -1, NULL,
                               "datagram of %zd octets larger than the receive buffer; dropped", n);
                continue;
            }
            r->stats.bytes += n;
            if (!address_known(r, r->from.addr)) {
                r->stats.rejected_sender++;
                lo_diag_report(&r->limiter, LO_DIAG_WARNING, src, 0, 0, -1, NULL,
                               "sender not in the allow-list; datagram dropped");
                continue;
            }
            long before = r->stats.asterix.malformed;
            lo_asterix_decode(r->buf, (size_t)n, src, 0, on_record, r, &r->stats.asterix, &r->limiter);
            if (r->stats.asterix.malformed != before) r->stats.malformed_datagrams++;
        }
    }
    return r->delivered;
}

int lo_udp_receiver_fd(const lo_udp_receiver *r, int i)
{
    return i >= 0 && i < r->n ? r->fds[i] : -1;
}

void lo_udp_receiver_close(lo_udp_receiver *r)
{
    if (!r) return;
    for (int i = 0; i < MAX_LISTENS; i++)
        if (r->fds[i] >= 0) close(r->fds[i]);
    free(r->allow);
    free(r->allow_addr);
    free(r);
}

/* ---- sender ------------------------------------------------------------------------------ */

struct lo_udp_sender {
    int fd;
    struct sockaddr_in *dest;
    int n;
    long sent;
    lo_diag_sink *sink;
};

lo_udp_sender *lo_udp_sender_open(const char *const *destinations, int n, int ttl,
                                  const char *multicast_if, lo_diag_sink *sink)
{
    if (n < 1) return NULL;
    lo_udp_sender *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->fd = -1;
    s->sink = sink;
    s->dest = calloc((size_t)n, sizeof *s->dest);
    if (!s->dest) { lo_udp_sender_close(s); return NULL; }
    for (int i = 0; i < n; i++) {
        char host[256];
        const char *colon = strrchr(destinations[i], ':');
        long port = colon ? strtol(colon + 1, NULL, 10) : 0;
        if (!colon || colon == destinations[i] || (size_t)(colon - destinations[i]) >= sizeof host ||
            port <= 0 || port > 65535) {
            lo_diag_report(sink, LO_DIAG_ERROR, "udp destinations", 0, 0, -1, NULL,
                           "'%s' is not host:port", destinations[i]);
            lo_udp_sender_close(s);
            return NULL;
        }
        memcpy(host, destinations[i], (size_t)(colon - destinations[i]));
        host[colon - destinations[i]] = 0;
        struct addrinfo hints = {0}, *res = NULL;
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_DGRAM;
        if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) {
            lo_diag_report(sink, LO_DIAG_ERROR, "udp destinations", 0, 0, -1, NULL,
                           "cannot resolve '%s'", host);
            lo_udp_sender_close(s);
            return NULL;
        }
        s->dest[i] = *(struct sockaddr_in *)res->ai_addr;
        s->dest[i].sin_port = htons((uint16_t)port);
        freeaddrinfo(res);
    }
    s->n = n;
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (s->fd < 0) { lo_udp_sender_close(s); return NULL; }
    unsigned char t = (unsigned char)(ttl > 0 ? ttl : 1);
    setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof t);
    if (multicast_if && *multicast_if) {
        uint32_t ifa;
        struct in_addr ia;
        if (!parse_ipv4(multicast_if, &ifa)) {
            lo_diag_report(sink, LO_DIAG_ERROR, "udp destinations", 0, 0, -1, "multicast_if",
                           "'%s' is not an IPv4 address", multicast_if);
            lo_udp_sender_close(s);
            return NULL;
        }
        ia.s_addr = htonl(ifa);
        setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &ia, sizeof ia);
    }
    fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    return s;
}

int lo_udp_sender_send(lo_udp_sender *s, const uint8_t *data, size_t len)
{
    int failed = 0;
    for (int i = 0; i < s->n; i++) {
        ssize_t k = sendto(s->fd, data, len, 0, (struct sockaddr *)&s->dest[i], sizeof s->dest[i]);
        if (k != (ssize_t)len) failed++;
        else s->sent++;
    }
    return failed;
}

long lo_udp_sender_sent(const lo_udp_sender *s) { return s->sent; }

void lo_udp_sender_close(lo_udp_sender *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    free(s->dest);
    free(s);
}

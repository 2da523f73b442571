/*
 * recording.c: ASTERIX recording containers (pcap, raw, GPS, final) in and out.
 *
 * Non-pcap formats are read into memory whole: the recordings met in practice are megabytes,
 * and a flat buffer makes every bounds check plain. pcap goes through libpcap.
 */
#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asterix/asterix_internal.h"
#include "lookout/recording.h"

#define GPS_HEADER 2200
#define GPS_TRAILER 10
#define FF_HEADER 8
#define FF_PADDING 4

struct lo_recording {
    lo_rec_format fmt;
    char *name;
    lo_diag_sink *sink;
    /* memory formats */
    uint8_t *owned;
    const uint8_t *buf;
    size_t len, pos;
    long index;
    /* pcap */
    pcap_t *pcap;
    FILE *memfile;
    int linktype;
    long skipped;
    bool stopped;
};

const char *lo_rec_format_name(lo_rec_format f)
{
    switch (f) {
    case LO_REC_PCAP: return "pcap";
    case LO_REC_RAW: return "raw";
    case LO_REC_GPS: return "gps";
    case LO_REC_FF: return "ff";
    default: return "auto";
    }
}

bool lo_rec_format_from_name(const char *name, lo_rec_format *out)
{
    static const lo_rec_format all[] = {LO_REC_AUTO, LO_REC_PCAP, LO_REC_RAW, LO_REC_GPS, LO_REC_FF};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(name, lo_rec_format_name(all[i]))) { *out = all[i]; return true; }
    return false;
}

static bool is_pcap_magic(const uint8_t *b, size_t n)
{
    if (n < 4) return false;
    uint32_t m = lo_be32(b);
    return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 ||
           m == 0x0a0d0d0a;
}

static bool plausible_ff(const uint8_t *b, size_t n)
{
    if (n < FF_HEADER + 3 + FF_PADDING) return false;
    size_t fl = lo_be16(b);
    if (fl < FF_HEADER + 3 + FF_PADDING || fl > n) return false;
    size_t bl = lo_be16(b + FF_HEADER + 1); /* first block inside the frame */
    return !memcmp(b + fl - FF_PADDING, "\xa5\xa5\xa5\xa5", FF_PADDING) && bl >= 3 &&
           bl <= fl - FF_HEADER - FF_PADDING;
}

static bool plausible_gps(const uint8_t *b, size_t n)
{
    if (n < GPS_HEADER + 3 + GPS_TRAILER) return false;
    size_t bl = lo_be16(b + GPS_HEADER + 1);
    if (bl < 3 || GPS_HEADER + bl + GPS_TRAILER > n) return false;
    /* The next block (if any) must look like a block too. */
    size_t next = GPS_HEADER + bl + GPS_TRAILER;
    if (next + 3 <= n) {
        size_t nl = lo_be16(b + next + 1);
        if (nl < 3 || next + nl > n) return false;
    }
    return true;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    if (a < b) return false;
    for (size_t i = 0; i < b; i++) {
        char c = s[a - b + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suf[i]) return false;
    }
    return true;
}

static lo_rec_format detect(const uint8_t *b, size_t n, const char *name)
{
    if (is_pcap_magic(b, n)) return LO_REC_PCAP;
    if (has_suffix(name, ".ff") && plausible_ff(b, n)) return LO_REC_FF;
    if (has_suffix(name, ".gps") && plausible_gps(b, n)) return LO_REC_GPS;
    if (plausible_ff(b, n)) return LO_REC_FF;
    /* A GPS header is 2200 octets of filler; a raw file starts with a block at 0. */
    if (n >= 3 && lo_be16(b + 1) >= 3 && lo_be16(b + 1) <= n && plausible_gps(b, n) &&
        (b[0] == 0xcd || b[0] == 0)) return LO_REC_GPS;
    return LO_REC_RAW;
}

static int open_pcap(lo_recording *r, FILE *f)
{
    char err[PCAP_ERRBUF_SIZE];
    r->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, err);
    if (!r->pcap) {
        fclose(f);
        lo_diag_report(r->sink, LO_DIAG_ERROR, r->name, 0, 0, 0, NULL, "not a readable pcap: %s", err);
        return -1;
    }
    r->linktype = pcap_datalink(r->pcap);
    if (r->linktype != DLT_EN10MB && r->linktype != DLT_RAW && r->linktype != DLT_LINUX_SLL &&
        r->linktype != DLT_NULL && r->linktype != DLT_LOOP && r->linktype != DLT_IPV4
#ifdef DLT_RAW
        && r->linktype != 101
#endif
    ) {
        lo_diag_report(r->sink, LO_DIAG_ERROR, r->name, 0, 0, 0, NULL,
                       "pcap link type %d (%s) not supported (Ethernet, raw IP, Linux cooked, "
                       "loopback are)", r->linktype, pcap_datalink_val_to_name(r->linktype)
                           ? pcap_datalink_val_to_name(r->linktype) : "?");
        return -1;
    }
    return 0;
}

static lo_recording *finish_open(lo_recording *r, lo_rec_format fmt, FILE *pcapfile)
{
    if (fmt == LO_REC_AUTO) fmt = detect(r->buf, r->len, r->name);
    r->fmt = fmt;
    if (fmt == LO_REC_PCAP) {
        FILE *f = pcapfile;
        if (!f) f = r->memfile = fmemopen((void *)r->buf, r->len, "rb");
        if (!f || open_pcap(r, f) < 0) {
            if (f == r->memfile) r->memfile = NULL; /* pcap_fopen_offline closed it on failure */
            lo_recording_close(r);
            return NULL;
        }
        r->memfile = NULL; /* owned by libpcap now */
    } else if (pcapfile) {
        fclose(pcapfile);
    }
    if (fmt == LO_REC_GPS) r->pos = r->len < GPS_HEADER ? r->len : GPS_HEADER;
    return r;
}

lo_recording *lo_recording_open_memory(const uint8_t *buf, size_t len, lo_rec_format fmt,
                                       const char *name, lo_diag_sink *sink)
{
    lo_recording *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->name = strdup(name ? name : "<memory>");
    r->sink = sink;
    r->buf = buf;
    r->len = len;
    return finish_open(r, fmt, NULL);
}

lo_recording *lo_recording_open(const char *path, lo_rec_format fmt, lo_diag_sink *sink)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        lo_diag_report(sink, LO_DIAG_ERROR, path, 0, 0, -1, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    lo_recording *r = calloc(1, sizeof *r);
    if (!r) { fclose(f); return NULL; }
    r->name = strdup(path);
    r->sink = sink;
    /* Read the head to detect the format; read all of it unless it is pcap. */
    uint8_t head[4] = {0};
    size_t hn = fread(head, 1, sizeof head, f);
    if (fmt == LO_REC_PCAP || (fmt == LO_REC_AUTO && is_pcap_magic(head, hn))) {
        rewind(f);
        return finish_open(r, LO_REC_PCAP, f);
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    memcpy(b, head, hn);
    n = hn;
    for (;;) {
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) { free(b); fclose(f); lo_recording_close(r); return NULL; }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        lo_diag_report(sink, LO_DIAG_ERROR, path, 0, 0, (long long)n, NULL, "read error");
        free(b);
        lo_recording_close(r);
        return NULL;
    }
    r->owned = b;
    r->buf = b;
    r->len = n;
    return finish_open(r, fmt, NULL);
}

lo_rec_format lo_recording_format(const lo_recording *r) { return r->fmt; }
const char *lo_recording_name(const lo_recording *r) { return r->name; }
long lo_recording_skipped_packets(const lo_recording *r) { return r->skipped; }

void lo_recording_close(lo_recording *r)
{
    if (!r) return;
    if (r->pcap) pcap_close(r->pcap);
    if (r->memfile) fclose(r->memfile);
    free(r->owned);
    free(r->name);
    free(r);
}

static int stop(lo_recording *r, long long off, const char *what, const char *fmt, size_t a, size_t b)
{
    r->stopped = true;
    lo_diag_report(r->sink, LO_DIAG_ERROR, r->name, 0, 0, off, what, fmt, a, b);
    return -1;
}

/* Strip link, IPv4 and UDP headers. Returns the UDP payload offset in pkt, or -1 to skip. */
static long udp_payload(lo_recording *r, const uint8_t *pkt, size_t caplen, lo_rec_chunk *out)
{
    size_t off = 0;
    unsigned ethertype = 0x0800;
    switch (r->linktype) {
    case DLT_EN10MB:
        if (caplen < 14) return -1;
        ethertype = lo_be16(pkt + 12);
        off = 14;
        while ((ethertype == 0x8100 || ethertype == 0x88a8) && caplen >= off + 4) {
            ethertype = lo_be16(pkt + off + 2);
            off += 4;
        }
        break;
    case DLT_LINUX_SLL:
        if (caplen < 16) return -1;
        ethertype = lo_be16(pkt + 14);
        off = 16;
        break;
    case DLT_NULL:
    case DLT_LOOP: {
        if (caplen < 4) return -1;
        uint32_t fam = r->linktype == DLT_LOOP ? lo_be32(pkt)
                                               : (uint32_t)pkt[0] | (uint32_t)pkt[1] << 8 |
                                                     (uint32_t)pkt[2] << 16 | (uint32_t)pkt[3] << 24;
        if (fam != 2 && lo_be32(pkt) != 2) return -1; /* AF_INET in either byte order */
        off = 4;
        break;
    }
    default: /* raw IP */
        break;
    }
    if (ethertype != 0x0800) return -1;
    if (caplen < off + 20) return -1;
    const uint8_t *ip = pkt + off;
    if ((ip[0] >> 4) != 4) return -1;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    if (ihl < 20 || caplen < off + ihl + 8) return -1;
    if (ip[9] != 17) return -1;                     /* not UDP */
    if (lo_be16(ip + 6) & 0x3fff) return -1;        /* fragment: not reassembled */
    size_t iplen = lo_be16(ip + 2);
    const uint8_t *udp = ip + ihl;
    size_t ulen = lo_be16(udp + 4);
    if (ulen < 8) return -1;
    size_t avail = caplen - off - ihl;
    if (iplen >= ihl && iplen - ihl < avail) avail = iplen - ihl; /* Ethernet padding */
    if (ulen > avail) ulen = avail;                 /* truncated capture: decode what is there */
    if (ulen < 8) return -1;                        /* IP length cuts into the UDP header */
    out->src_addr = lo_be32(ip + 12);
    out->dst_addr = lo_be32(ip + 16);
    out->src_port = (uint16_t)lo_be16(udp);
    out->dst_port = (uint16_t)lo_be16(udp + 2);
    out->len = ulen - 8;
    return (long)(off + ihl + 8);
}

int lo_recording_next(lo_recording *r, lo_rec_chunk *out)
{
    memset(out, 0, sizeof *out);
    out->capture_t = NAN;
    if (r->stopped) return -1;
    if (r->fmt == LO_REC_PCAP) {
        for (;;) {
            struct pcap_pkthdr *h;
            const u_char *pkt;
            int rc = pcap_next_ex(r->pcap, &h, &pkt);
            if (rc == -2) return 0;
            if (rc != 1) {
                r->stopped = true;
                lo_diag_report(r->sink, LO_DIAG_ERROR, r->name, 0, 0, -1, "pcap",
                               "packet %ld: %s", r->index + 1, pcap_geterr(r->pcap));
                return -1;
            }
            r->index++;
            long po = udp_payload(r, pkt, h->caplen, out);
            if (po < 0) { r->skipped++; continue; }
            FILE *pf = pcap_file(r->pcap);
            long end = pf ? ftell(pf) : -1;
            out->data = pkt + po;
            out->offset = end >= 0 ? (long long)end - h->caplen + po : -1;
            out->capture_t = (double)h->ts.tv_sec + h->ts.tv_usec * 1e-6;
            out->index = r->index;
            return 1;
        }
    }
    size_t left = r->len - r->pos;
    if (left == 0) return 0;
    const uint8_t *p = r->buf + r->pos;
    long long off = (long long)r->pos;
    switch (r->fmt) {
    case LO_REC_RAW:
    case LO_REC_GPS: {
        if (left < 3) return stop(r, off, "block header", "%zu trailing octet(s)%.0zu, too short for a data block", left, 0);
        size_t bl = lo_be16(p + 1);
        if (bl < 3 || bl > left)
            return stop(r, off, "block LEN", "data block length %zu invalid (%zu octets left)", bl, left);
        size_t adv = bl;
        if (r->fmt == LO_REC_GPS) {
            if (bl + GPS_TRAILER > left)
                return stop(r, off + (long long)bl, "GPS trailer", "block of %zu octets lacks its 10-octet trailer (%zu left)", bl, left);
            adv += GPS_TRAILER;
        }
        out->data = p;
        out->len = bl;
        out->offset = off;
        out->index = ++r->index;
        r->pos += adv;
        return 1;
    }
    case LO_REC_FF: {
        if (left < FF_HEADER + FF_PADDING)
            return stop(r, off, "frame header", "%zu trailing octet(s)%.0zu, too short for a frame", left, 0);
        size_t fl = lo_be16(p);
        if (fl < FF_HEADER + FF_PADDING || fl > left)
            return stop(r, off, "frame length", "frame length %zu invalid (%zu octets left)", fl, left);
        if (memcmp(p + fl - FF_PADDING, "\xa5\xa5\xa5\xa5", FF_PADDING))
            lo_diag_report(r->sink, LO_DIAG_WARNING, r->name, 0, 0, off + (long long)fl - FF_PADDING,
                           "frame padding", "frame does not end in A5 A5 A5 A5");
        out->data = p + FF_HEADER;
        out->len = fl - FF_HEADER - FF_PADDING;
        out->offset = off + FF_HEADER;
        out->index = ++r->index;
        r->pos += fl;
        return 1;
    }
    default:
        return 0;
    }
}

/* ---- writers ----------------------------------------------------------------------------- */

struct lo_rec_writer {
    lo_rec_format fmt;
    FILE *raw;
    pcap_t *dead;
    pcap_dumper_t *dump;
    uint16_t port;
    uint16_t ip_id;
    bool failed;
};

lo_rec_writer *lo_rec_writer_open(const char *path, lo_rec_format fmt, uint16_t udp_port)
{
    if (fmt != LO_REC_PCAP && fmt != LO_REC_RAW) return NULL;
    lo_rec_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->fmt = fmt;
    w->port = udp_port;
    if (fmt == LO_REC_RAW) {
        w->raw = strcmp(path, "-") ? fopen(path, "wb") : stdout;
        if (!w->raw) { free(w); return NULL; }
        return w;
    }
    w->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO);
    w->dump = w->dead ? pcap_dump_open(w->dead, path) : NULL;
    if (!w->dump) {
        if (w->dead) pcap_close(w->dead);
        free(w);
        return NULL;
    }
    return w;
}

static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += lo_be16(h + i);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

int lo_rec_writer_write(lo_rec_writer *w, double t, const uint8_t *data, size_t len)
{
    if (w->fmt == LO_REC_RAW) {
        if (fwrite(data, 1, len, w->raw) != len) { w->failed = true; return -1; }
        return 0;
    }
    if (len > 65535 - 28) { w->failed = true; return -1; }
    uint8_t pkt[65535 + 14];
    static const uint8_t eth[14] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
    memcpy(pkt, eth, 14);
    uint8_t *ip = pkt + 14, *udp = ip + 20;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    lo_put16(ip + 2, (uint32_t)(20 + 8 + len));
    lo_put16(ip + 4, w->ip_id++);
    ip[8] = 64;
    ip[9] = 17;
    lo_put32(ip + 12, 0xc0000201); /* 192.0.2.1, documentation range */
    lo_put32(ip + 16, 0xc0000202);
    lo_put16(ip + 10, ip_checksum(ip, 20));
    lo_put16(udp, w->port);
    lo_put16(udp + 2, w->port);
    lo_put16(udp + 4, (uint32_t)(8 + len));
    lo_put16(udp + 6, 0); /* no UDP checksum (allowed over IPv4) */
    memcpy(udp + 8, data, len);
    struct pcap_pkthdr h;
    double sec = floor(t);
    h.ts.tv_sec = (time_t)sec;
    h.ts.tv_usec = (suseconds_t)lo_quantize((t - sec) * 1e6, 0, 999999);
    h.caplen = h.len = (bpf_u_int32)(14 + 20 + 8 + len);
    pcap_dump((u_char *)w->dump, &h, pkt);
    return 0;
}

int lo_rec_writer_close(lo_rec_writer *w)
{
    if (!w) return -1;
    int rc = w->failed ? -1 : 0;
    if (w->raw) {
        if (fflush(w->raw) != 0) rc = -1;
        if (w->raw != stdout && fclose(w->raw) != 0) rc = -1;
    }
    if (w->dump) {
        if (pcap_dump_flush(w->dump) != 0) rc = -1;
        pcap_dump_close(w->dump);
    }
    if (w->dead) pcap_close(w->dead);
    free(w);
    return rc;
}

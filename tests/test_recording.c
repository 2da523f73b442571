/*
 * test_recording: ASTERIX recording containers: pcap written and read back (several link
 * types, VLAN, non-UDP and fragments skipped), raw / GPS / final framing and their errors,
 * format detection, and the time-ordered plot source across midnight.
 */
#include "testutil.h"

#include <math.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookout/asterix.h"
#include "lookout/geo.h"
#include "lookout/recording.h"

static char *temp_path(const char *suffix)
{
    static char paths[8][64];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 64, "/tmp/lookout-rec-XXXXXX%s", suffix);
    int fd = mkstemps(p, (int)strlen(suffix));
    assert_true(fd >= 0);
    close(fd);
    return p;
}

static size_t block_with(uint8_t sic, uint32_t tod, uint16_t rho, uint8_t *out)
{
    lo_cat048 r;
    memset(&r, 0, sizeof r);
    r.present = LO_FRN(LO_I048_010) | LO_FRN(LO_I048_140) | LO_FRN(LO_I048_040);
    r.sac = 1; r.sic = sic; r.tod = tod; r.rho = rho; r.theta = 0x4000;
    lo_asterix_block b;
    lo_asterix_block_init(&b, 48);
    uint8_t rec[64];
    size_t n = lo_cat048_encode(&r, rec, sizeof rec);
    assert_true(lo_asterix_block_add(&b, rec, n));
    memcpy(out, b.data, b.len);
    return b.len;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void test_pcap_round_trip(void **state)
{
    (void)state;
    const char *path = temp_path(".pcap");
    lo_rec_writer *w = lo_rec_writer_open(path, LO_REC_PCAP, 21112);
    assert_non_null(w);
    uint8_t blocks[3][64];
    size_t lens[3];
    for (int i = 0; i < 3; i++) {
        lens[i] = block_with((uint8_t)i, 1000u + (uint32_t)i, (uint16_t)(100 + i), blocks[i]);
        assert_int_equal(lo_rec_writer_write(w, 1795305600.25 + i, blocks[i], lens[i]), 0);
    }
    assert_int_equal(lo_rec_writer_close(w), 0);
    size_t flen;
    uint8_t *file = slurp(path, &flen);
    lo_recording *r = lo_recording_open(path, LO_REC_AUTO, NULL);
    assert_non_null(r);
    assert_int_equal(lo_recording_format(r), LO_REC_PCAP);
    lo_rec_chunk c;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lo_recording_next(r, &c), 1);
        assert_int_equal(c.len, lens[i]);
        assert_memory_equal(c.data, blocks[i], lens[i]);
        assert_near(c.capture_t, 1795305600.25 + i, 1e-6);
        assert_int_equal(c.dst_port, 21112);
        assert_int_equal(c.src_addr, 0xc0000201);
        assert_int_equal(c.index, i + 1);
        assert_true(c.offset > 0 && (size_t)c.offset + c.len <= flen);
        assert_memory_equal(file + c.offset, blocks[i], lens[i]); /* offsets name file bytes */
    }
    assert_int_equal(lo_recording_next(r, &c), 0);
    lo_recording_close(r);
    free(file);
    unlink(path);
}

/* Write one packet per link type with libpcap's dumper and read it back. */
static void dump_one(const char *path, int linktype, const uint8_t *pkt, size_t n)
{
    pcap_t *dead = pcap_open_dead(linktype, 65535);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    assert_non_null(d);
    struct pcap_pkthdr h = {{1000, 0}, (bpf_u_int32)n, (bpf_u_int32)n};
    pcap_dump((u_char *)d, &h, pkt);
    pcap_dump_close(d);
    pcap_close(dead);
}

static size_t ipv4_udp(uint8_t *p, const uint8_t *payload, size_t n, int proto, bool fragment)
{
    memset(p, 0, 28);
    p[0] = 0x45;
    p[2] = (uint8_t)((28 + n) >> 8); p[3] = (uint8_t)(28 + n);
    if (fragment) p[6] = 0x20; /* more fragments */
    p[8] = 64; p[9] = (uint8_t)proto;
    p[12] = 10; p[15] = 1; p[16] = 239; p[19] = 2;
    p[20] = 0x21; p[21] = 0x98; p[22] = 0x21; p[23] = 0x98; /* port 8600 */
    p[24] = (uint8_t)((8 + n) >> 8); p[25] = (uint8_t)(8 + n);
    memcpy(p + 28, payload, n);
    return 28 + n;
}

static void test_pcap_link_types(void **state)
{
    (void)state;
    uint8_t blk[64], pkt[256], ip[200];
    size_t bn = block_with(5, 777, 42, blk);
    size_t in = ipv4_udp(ip, blk, bn, 17, false);
    const char *path = temp_path(".pcap");
    struct { int lt; size_t hdr; uint8_t h[20]; } cases[] = {
        {DLT_EN10MB, 18, {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00}}, /* VLAN */
        {DLT_RAW, 0, {0}},
        {DLT_LINUX_SLL, 16, {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00}},
        {DLT_NULL, 4, {2, 0, 0, 0}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(pkt, cases[k].h, cases[k].hdr);
        memcpy(pkt + cases[k].hdr, ip, in);
        dump_one(path, cases[k].lt, pkt, cases[k].hdr + in);
        lo_recording *r = lo_recording_open(path, LO_REC_AUTO, NULL);
        assert_non_null(r);
        lo_rec_chunk c;
        assert_int_equal(lo_recording_next(r, &c), 1);
        assert_int_equal(c.len, bn);
        assert_memory_equal(c.data, blk, bn);
        assert_int_equal(c.dst_port, 8600);
        assert_int_equal(c.dst_addr, 0xef000002);
        lo_recording_close(r);
    }
    /* TCP and a fragment: skipped and counted, not decoded. */
    size_t tn = ipv4_udp(ip, blk, bn, 6, false);
    dump_one(path, DLT_RAW, ip, tn);
    lo_recording *r = lo_recording_open(path, LO_REC_PCAP, NULL);
    lo_rec_chunk c;
    assert_int_equal(lo_recording_next(r, &c), 0);
    assert_int_equal(lo_recording_skipped_packets(r), 1);
    lo_recording_close(r);
    tn = ipv4_udp(ip, blk, bn, 17, true);
    dump_one(path, DLT_RAW, ip, tn);
    r = lo_recording_open(path, LO_REC_PCAP, NULL);
    assert_int_equal(lo_recording_next(r, &c), 0);
    assert_int_equal(lo_recording_skipped_packets(r), 1);
    lo_recording_close(r);
    /* IPv4 total length that ends inside the UDP header (found by fuzz_pcap): skipped, and
     * nothing is read past the packet. */
    tn = ipv4_udp(ip, blk, bn, 17, false);
    ip[2] = 0; ip[3] = 24;
    dump_one(path, DLT_RAW, ip, tn);
    r = lo_recording_open(path, LO_REC_PCAP, NULL);
    assert_int_equal(lo_recording_next(r, &c), 0);
    assert_int_equal(lo_recording_skipped_packets(r), 1);
    lo_recording_close(r);
    /* An unsupported link type is refused with a message. */
    dump_one(path, DLT_IEEE802_11, ip, tn);
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    assert_null(lo_recording_open(path, LO_REC_AUTO, &d.sink));
    assert_non_null(strstr(d.all, "link type"));
    unlink(path);
}

static void test_memory_formats(void **state)
{
    (void)state;
    uint8_t b1[64], b2[64];
    size_t n1 = block_with(1, 10, 1, b1), n2 = block_with(2, 20, 2, b2);
    uint8_t buf[4096];
    lo_rec_chunk c;

    /* raw */
    memcpy(buf, b1, n1); memcpy(buf + n1, b2, n2);
    lo_recording *r = lo_recording_open_memory(buf, n1 + n2, LO_REC_AUTO, "x.raw", NULL);
    assert_int_equal(lo_recording_format(r), LO_REC_RAW);
    assert_int_equal(lo_recording_next(r, &c), 1);
    assert_int_equal(c.offset, 0);
    assert_int_equal(lo_recording_next(r, &c), 1);
    assert_int_equal(c.offset, (long long)n1);
    assert_memory_equal(c.data, b2, n2);
    assert_int_equal(lo_recording_next(r, &c), 0);
    lo_recording_close(r);

    /* GPS: 2200-octet header, block + 10-octet trailer each */
    memset(buf, 0xcd, 2200);
    size_t n = 2200;
    memcpy(buf + n, b1, n1); n += n1; memset(buf + n, 0x11, 10); n += 10;
    memcpy(buf + n, b2, n2); n += n2; memset(buf + n, 0x22, 10); n += 10;
    r = lo_recording_open_memory(buf, n, LO_REC_AUTO, "x.gps", NULL);
    assert_int_equal(lo_recording_format(r), LO_REC_GPS);
    assert_int_equal(lo_recording_next(r, &c), 1);
    assert_int_equal(c.offset, 2200);
    assert_int_equal(lo_recording_next(r, &c), 1);
    assert_int_equal(c.offset, (long long)(2200 + n1 + 10));
    assert_memory_equal(c.data, b2, n2);
    assert_int_equal(lo_recording_next(r, &c), 0);
    lo_recording_close(r);
    /* GPS missing its last trailer: an error naming the offset, first block still read. */
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    r = lo_recording_open_memory(buf, n - 4, LO_REC_GPS, "x.gps", &d.sink);
    assert_int_equal(lo_recording_next(r, &c), 1);
    assert_int_equal(lo_recording_next(r, &c), -1);
    assert_non_null(strstr(d.all, "trailer"));
    lo_recording_close(r);

    /* final: [len][board][line][day][time3] block A5A5A5A5, two blocks in one frame */
    n = 0;
    size_t fl = 8 + n1 + n2 + 4;
    buf[0] = (uint8_t)(fl >> 8); buf[1] = (uint8_t)fl; buf[2] = 0; buf[3] = 1; buf[4] = 0x5c;
    buf[5] = 0x18; buf[6] = 0x90; buf[7] = 0x3e;
    memcpy(buf + 8, b1, n1); memcpy(buf + 8 + n1, b2, n2);
    memset(buf + 8 + n1 + n2, 0xa5, 4);
    memcpy(buf + fl, buf, fl); /* a second identical frame */
    r = lo_recording_open_memory(buf, 2 * fl, LO_REC_AUTO, "x.bin", NULL);
    assert_int_equal(lo_recording_format(r), LO_REC_FF);
    assert_int_equal(lo_recording_next(r, &c), 1);
    assert_int_equal(c.offset, 8);
    assert_int_equal(c.len, n1 + n2);
    lo_asterix_stats st = {0};
    assert_int_equal(lo_asterix_decode(c.data, c.len, "x", c.offset, NULL, NULL, &st, NULL), 2);
    assert_int_equal(lo_recording_next(r, &c), 1);
    assert_int_equal(c.offset, (long long)fl + 8);
    assert_int_equal(lo_recording_next(r, &c), 0);
    lo_recording_close(r);
    /* final with a frame length past the end */
    lo_test_diags_init(&d, false);
    buf[fl] = 0x7f;
    r = lo_recording_open_memory(buf, 2 * fl, LO_REC_FF, "x.ff", &d.sink);
    assert_int_equal(lo_recording_next(r, &c), 1);
    assert_int_equal(lo_recording_next(r, &c), -1);
    assert_non_null(strstr(d.all, "frame length"));
    lo_recording_close(r);

    /* raw with a zero block length */
    lo_test_diags_init(&d, false);
    uint8_t z[] = {48, 0, 0, 1, 2, 3};
    r = lo_recording_open_memory(z, sizeof z, LO_REC_RAW, "z.raw", &d.sink);
    assert_int_equal(lo_recording_next(r, &c), -1);
    assert_non_null(strstr(d.last, "z.raw"));
    lo_recording_close(r);

    /* empty input of each kind: simply nothing */
    for (int f = LO_REC_RAW; f <= LO_REC_FF; f++) {
        r = lo_recording_open_memory(buf, 0, (lo_rec_format)f, "empty", NULL);
        assert_non_null(r);
        assert_int_equal(lo_recording_next(r, &c), 0);
        lo_recording_close(r);
    }
    lo_rec_format fmt;
    assert_true(lo_rec_format_from_name("gps", &fmt));
    assert_int_equal(fmt, LO_REC_GPS);
    assert_false(lo_rec_format_from_name("xml", &fmt));
}

static void test_real_file_formats(void **state)
{
    (void)state;
    struct { const char *rel; lo_rec_format f; } cases[] = {
        {"data/asterix/croatiacontrol-asterix/cat_034_048.pcap", LO_REC_PCAP},
        {"data/asterix/croatiacontrol-asterix/parsegps.gps", LO_REC_GPS},
        {"data/asterix/jade/final_frame_062_30min.ff", LO_REC_FF},
        {"data/asterix/croatiacontrol-asterix/cat048.raw", LO_REC_RAW},
        {"data/asterix/goasterix/sample.ast", LO_REC_RAW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = lo_test_shared_path(cases[i].rel);
        if (!p) { skip(); return; }
        lo_recording *r = lo_recording_open(p, LO_REC_AUTO, NULL);
        assert_non_null(r);
        assert_int_equal(lo_recording_format(r), cases[i].f);
        lo_recording_close(r);
    }
}

static void test_plot_source_time_order_across_midnight(void **state)
{
    (void)state;
    const char *path = temp_path(".raw");
    lo_rec_writer *w = lo_rec_writer_open(path, LO_REC_RAW, 0);
    /* Two radars, 23:59:58 .. 00:00:03, each block a little out of order; SIC 9 unknown. */
    const double tods[] = {86398.0, 86398.5, 86398.2, 86399.9, 86399.5, 0.25, 86399.95, 1.0, 0.5, 3.0};
    uint8_t blk[64];
    for (size_t i = 0; i < sizeof tods / sizeof tods[0]; i++) {
        size_t n = block_with((uint8_t)(i % 2 ? 7 : 8), (uint32_t)lround(tods[i] * 128), (uint16_t)(100 + i), blk);
        assert_int_equal(lo_rec_writer_write(w, 0, blk, n), 0);
    }
    size_t n = block_with(9, 128, 1, blk);
    lo_rec_writer_write(w, 0, blk, n);
    assert_int_equal(lo_rec_writer_close(w), 0);
    lo_sensor sensors[2];
    memset(sensors, 0, sizeof sensors);
    sensors[0].sac = 1; sensors[0].sic = 7; sensors[0].id = 70;
    sensors[1].sac = 1; sensors[1].sic = 8; sensors[1].id = 80;
    double midnight;
    assert_true(lo_parse_date("2026-11-21", &midnight));
    lo_asterix_plot_source *s = lo_asterix_plot_source_open(path, LO_REC_AUTO, sensors, 2, midnight, 2.0, NULL);
    assert_non_null(s);
    lo_plot p;
    double last = -1;
    int count = 0;
    while (lo_asterix_plot_source_next(s, &p) == 1) {
        assert_true(p.t >= last);
        assert_true(p.sensor_id == 70 || p.sensor_id == 80);
        assert_true(p.t > midnight + 86000 && p.t < midnight + 86400 + 10);
        assert_false(p.flags & LO_PLOT_ELEVATION);
        last = p.t;
        count++;
    }
    assert_int_equal(count, 10);
    assert_near(last, midnight + 86400 + 3.0, 1e-6);
    assert_int_equal(lo_asterix_plot_source_dropped(s), 1);
    assert_int_equal(lo_asterix_plot_source_stats(s)->records_by_cat[48], 11);
    lo_asterix_plot_source_close(s);
    unlink(path);
}

/* A simulated radar written as CAT048/CAT034 and read back as plots: the same plots (within
 * the wire resolution), in time order, with north markers at every scan. This is what makes
 * "track from ASTERIX" equal "track from CSV". */
static void test_plot_writer_round_trip(void **state)
{
    (void)state;
    lo_sensor sensors[2];
    memset(sensors, 0, sizeof sensors);
    sensors[0].sac = 10; sensors[0].sic = 1; sensors[0].id = 101; sensors[0].kind = LO_SENSOR_ROTATING;
    sensors[0].scan_period_s = 2.0; sensors[0].height_m = 50; sensors[0].has_elevation = true;
    sensors[1].sac = 10; sensors[1].sic = 2; sensors[1].id = 102; sensors[1].kind = LO_SENSOR_STARING;
    sensors[1].scan_period_s = 0.5; sensors[1].height_m = 20;
    const char *path = temp_path(".pcap");
    lo_asterix_plot_writer *w = lo_asterix_plot_writer_open(path, LO_REC_PCAP, 8600, sensors, 2, 0);
    assert_non_null(w);
    enum { N = 400 };
    static lo_plot in[N];
    double t0 = 1795305600.0 + 36000.0;
    uint32_t seed = 99;
    for (int i = 0; i < N; i++) {
        lo_plot *p = &in[i];
        memset(p, 0, sizeof *p);
        seed = seed * 1103515245u + 12345u;
        /* 20 s of plots, on the 1/128 s grid of I048/140 so times compare exactly */
        p->t = floor((t0 + i * 0.05) * 128.0) / 128.0;
        p->sensor_id = (i % 3) ? 101 : 102;
        p->flags = LO_PLOT_POLAR | LO_PLOT_SNR;
        p->range_m = 500.0 + (seed % 20000);
        p->azimuth_rad = (seed % 6283) * 1e-3;
        p->snr_db = 10.0 + (seed % 100) * 0.1;
        p->truth_id = (uint32_t)(i % 7);
        if (p->sensor_id == 101) {
            p->flags |= LO_PLOT_ELEVATION | LO_PLOT_RADIAL_VEL;
            p->elevation_rad = (seed % 300) * 1e-3;
            p->radial_velocity_mps = (double)(seed % 80) - 40.0;
        }
        assert_int_equal(lo_asterix_plot_writer_write(w, p), 0);
    }
    lo_plot stranger = in[0];
    stranger.sensor_id = 999;
    lo_asterix_plot_writer_write(w, &stranger);
    assert_int_equal(lo_asterix_plot_writer_dropped(w), 1);
    assert_int_equal(lo_asterix_plot_writer_close(w), 0);

    lo_asterix_plot_source *s = lo_asterix_plot_source_open(path, LO_REC_AUTO, sensors, 2, NAN, 0, NULL);
    assert_non_null(s);
    lo_plot q;
    int i = 0;
    double last = 0;
    while (lo_asterix_plot_source_next(s, &q) == 1) {
        assert_true(i < N);
        const lo_plot *p = &in[i];
        assert_true(q.t >= last);
        last = q.t;
        assert_near(q.t, p->t, 1e-6);
        assert_int_equal(q.sensor_id, p->sensor_id);
        assert_near(q.range_m, p->range_m, 0.03);
        assert_near(lo_wrap_pi(q.azimuth_rad - p->azimuth_rad), 0.0, 2e-6);
        assert_near(q.snr_db, p->snr_db, 1.0 / 256);
        assert_int_equal(q.truth_id, p->truth_id);
        assert_int_equal(q.flags & LO_PLOT_ELEVATION, p->flags & LO_PLOT_ELEVATION);
        if (p->flags & LO_PLOT_ELEVATION) {
            assert_near(q.elevation_rad, p->elevation_rad, 1e-4);
            assert_near(q.radial_velocity_mps, p->radial_velocity_mps, 1.0 / 64);
        }
        i++;
    }
    assert_int_equal(i, N);
    const lo_asterix_stats *st = lo_asterix_plot_source_stats(s);
    /* 20 s of a 2 s rotating radar: 10 or 11 north markers and 7 sector crossings per scan */
    assert_true(st->records_by_cat[34] >= 80 && st->records_by_cat[34] <= 90);
    assert_int_equal(st->malformed, 0);
    lo_asterix_plot_source_close(s);

    if (system("tshark --version >/dev/null 2>&1") == 0) {
        char cmd[512], out[256];
        snprintf(cmd, sizeof cmd, "tshark -r '%s' -Y '_ws.malformed || _ws.expert.severity>=error' "
                                  "2>/dev/null | wc -l", path);
        assert_int_equal(lo_test_run(cmd, out, sizeof out), 0);
        assert_int_equal(atoi(out), 0);
        snprintf(cmd, sizeof cmd, "tshark -r '%s' -T fields -e asterix.034_000_VALUE 2>/dev/null | "
                                  "tr ',' '\\n' | grep -c '^1$'", path);
        lo_test_run(cmd, out, sizeof out);
        assert_true(atoi(out) >= 10 && atoi(out) <= 11);
    }
    unlink(path);
}

static void test_track_writer(void **state)
{
    (void)state;
    lo_geodetic o = {52.0 * LO_DEG2RAD, 21.0 * LO_DEG2RAD, 100};
    lo_enu_frame sys;
    lo_enu_frame_init(&sys, &o);
    const char *path = temp_path(".raw");
    lo_asterix_track_writer *w = lo_asterix_track_writer_open(path, LO_REC_RAW, 0, NULL, &sys, 7, 8, NULL, 0);
    assert_non_null(w);
    lo_track t[3];
    memset(t, 0, sizeof t);
    for (int k = 0; k < 3; k++) {
        for (int j = 0; j < 3; j++) {
            t[j].id = 100 + (uint32_t)j;
            t[j].t = 1000.0 + k;
            t[j].status = (k == 2 && j == 1) ? LO_TRACK_DELETED : LO_TRACK_CONFIRMED;
            t[j].pos[0] = 100.0 * j + 10.0 * k;
        }
        assert_int_equal(lo_asterix_track_writer_write_batch(w, t, 3), 0);
    }
    assert_int_equal(lo_asterix_track_writer_close(w), 0);
    size_t len;
    uint8_t *b = slurp(path, &len);
    lo_recording *r = lo_recording_open_memory(b, len, LO_REC_RAW, path, NULL);
    lo_rec_chunk c;
    int blocks = 0, tsb = 0, tse = 0, recs = 0;
    while (lo_recording_next(r, &c) == 1) {
        blocks++;
        lo_cat062 rec;
        long skipped = 0;
        const char *why, *item;
        size_t pos = 3;
        while (pos < c.len) {
            long n = lo_cat062_decode(c.data + pos, c.len - pos, &rec, &skipped, &why, &item);
            assert_true(n > 0);
            tsb += rec.tsb;
            tse += rec.tse;
            if (rec.tse) assert_int_equal(rec.track_number, 101);
            assert_int_equal(rec.sac, 7);
            lo_track q;
            lo_cat062_to_track(&rec, &sys, 0, &q);
            assert_near(q.pos[0], 100.0 * (q.id - 100) + 10.0 * (blocks - 1), 0.6);
            pos += (size_t)n;
            recs++;
        }
    }
    assert_int_equal(blocks, 3);
    assert_int_equal(recs, 9);
    assert_int_equal(tsb, 3);
    assert_int_equal(tse, 1);
    lo_recording_close(r);
    free(b);
    unlink(path);
}

/* A real CAT062 recording read as track reports: 34,957 reports of 191 tracks over 30 min,
 * in time order, WGS-84 positions within a few hundred km of a Baltic reference point. */
static void test_track_source_real_recording(void **state)
{
    (void)state;
    const char *path = lo_test_shared_path("data/asterix/jade/final_frame_062_30min.ff");
    if (!path) { skip(); return; }
    lo_geodetic o = {54.0 * LO_DEG2RAD, 18.0 * LO_DEG2RAD, 0};
    lo_enu_frame sys;
    lo_enu_frame_init(&sys, &o);
    double midnight;
    assert_true(lo_parse_date("2020-06-01", &midnight));
    lo_asterix_track_source *s = lo_asterix_track_source_open(path, LO_REC_AUTO, &sys, midnight, 0, NULL);
    assert_non_null(s);
    lo_track t;
    long n = 0;
    double last = -1, first = 0;
    static uint8_t ids[65536];
    memset(ids, 0, sizeof ids);
    int distinct = 0;
    while (lo_asterix_track_source_next(s, &t) == 1) {
        if (n == 0) first = t.t;
        assert_true(t.t >= last);
        last = t.t;
        assert_true(hypot(t.pos[0], t.pos[1]) < 1500e3);
        assert_true(isfinite(t.vel[0]) && isfinite(t.vel[1]));
        if (!ids[t.id & 0xffff]) { ids[t.id & 0xffff] = 1; distinct++; }
        n++;
    }
    assert_int_equal(n, 34957);
    assert_int_equal(distinct, 191);
    assert_true(last - first > 25 * 60 && last - first < 35 * 60);
    assert_true(first >= midnight && first < midnight + 86400);
    assert_int_equal(lo_asterix_track_source_stats(s)->malformed, 0);
    lo_asterix_track_source_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_round_trip),
        cmocka_unit_test(test_pcap_link_types),
        cmocka_unit_test(test_memory_formats),
        cmocka_unit_test(test_real_file_formats),
        cmocka_unit_test(test_plot_source_time_order_across_midnight),
        cmocka_unit_test(test_plot_writer_round_trip),
        cmocka_unit_test(test_track_writer),
        cmocka_unit_test(test_track_source_real_recording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_asterix: ASTERIX decoding and encoding without external tools: blocks with several
 * records, skipping by length rules, malformed input (oversized and zero lengths, FSPEC past
 * the end, truncated items), time of day across midnight, and the conversions to and from
 * lo_plot / lo_track.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asterix/asterix_internal.h"
#include "lookout/asterix.h"
#include "lookout/geo.h"

static int32_t lo_test_sext24(uint32_t v)
{
    v &= 0xffffff;
    return (v & 0x800000) ? (int32_t)v - 0x1000000 : (int32_t)v;
}

typedef struct got {
    int n;
    uint8_t cats[64];
    lo_cat048 r048[64];
    lo_cat034 r034[64];
    lo_cat062 r062[64];
    long long offsets[64];
} got;

static void on_rec(void *ctx, const lo_asterix_record *rec)
{
    got *g = ctx;
    if (g->n >= 64) return;
    g->cats[g->n] = rec->cat;
    g->offsets[g->n] = rec->offset;
    if (rec->c048) g->r048[g->n] = *rec->c048;
    if (rec->c034) g->r034[g->n] = *rec->c034;
    if (rec->c062) g->r062[g->n] = *rec->c062;
    g->n++;
}

static size_t sample048(lo_cat048 *r, uint8_t *buf, uint16_t rho)
{
    memset(r, 0, sizeof *r);
    r->present = LO_FRN(LO_I048_010) | LO_FRN(LO_I048_140) | LO_FRN(LO_I048_020) |
                 LO_FRN(LO_I048_040) | LO_FRN(LO_I048_070) | LO_FRN(LO_I048_220);
    r->sac = 25; r->sic = 7; r->tod = 1234567; r->typ = 5; r->rho = rho; r->theta = 40000;
    r->mode3a = 07700; r->address = 0x3c5eeb;
    return lo_cat048_encode(r, buf, 128);
}

static void test_block_with_several_records(void **state)
{
    (void)state;
    lo_asterix_block b;
    lo_asterix_block_init(&b, 48);
    uint8_t rec[128];
    lo_cat048 r;
    for (int i = 0; i < 3; i++) {
        size_t n = sample048(&r, rec, (uint16_t)(1000 + i));
        assert_true(n > 0);
        assert_true(lo_asterix_block_add(&b, rec, n));
    }
    got g = {0};
    lo_asterix_stats st = {0};
    long n = lo_asterix_decode(b.data, b.len, "t", 100, on_rec, &g, &st, NULL);
    assert_int_equal(n, 3);
    assert_int_equal(st.records_by_cat[48], 3);
    assert_int_equal(st.malformed, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g.r048[i].rho, 1000 + i);
        assert_int_equal(g.r048[i].theta, 40000);
        assert_int_equal(g.r048[i].mode3a, 07700);
        assert_int_equal(g.r048[i].address, 0x3c5eeb);
        assert_int_equal(g.r048[i].sac, 25);
        assert_int_equal(g.r048[i].tod, 1234567);
    }
    assert_int_equal(g.offsets[0], 103); /* base 100 + block header */
    assert_int_equal(lo_mode3a_octal(07700), 7700);
}

static void test_unknown_category_and_items_skipped(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = 0;
    /* CAT001 block: skipped whole by LEN. */
    const uint8_t cat1[] = {1, 0, 7, 0xf0, 1, 2, 3};
    memcpy(buf, cat1, sizeof cat1);
    n += sizeof cat1;
    /* CAT048 record with items we do not interpret: 250 (repetitive), RE (explicit), 030
     * (repetitive with FX), 120 with the raw Doppler subfield, then 161 after them. */
    uint8_t *blk = buf + n;
    size_t k = 3;
    blk[k++] = 0xc1;              /* FSPEC1: 010, 140, FX */
    blk[k++] = 0x31;              /* FSPEC2: 250 (FRN10), 161 (FRN11), FX */
    blk[k++] = 0x45;              /* FSPEC3: 030 (FRN16), 120 (FRN20), FX */
    blk[k++] = 0x02;              /* FSPEC4: RE (FRN28) */
    blk[k++] = 1; blk[k++] = 2;                       /* 010 */
    blk[k++] = 0; blk[k++] = 1; blk[k++] = 0;         /* 140 */
    blk[k++] = 2;                                     /* 250: two BDS */
    for (int i = 0; i < 16; i++) blk[k++] = (uint8_t)(i == 7 ? 0x40 : i == 15 ? 0x50 : 0xaa);
    blk[k++] = 0x0a; blk[k++] = 0xbc;                 /* 161 */
    blk[k++] = 0x03; blk[k++] = 0x08;                 /* 030: two codes (FX on the first) */
    blk[k++] = 0xc0;                                  /* 120: CAL + RDS */
    blk[k++] = 0x00; blk[k++] = 0x05;                 /* CAL = 5 m/s */
    blk[k++] = 1; for (int i = 0; i < 6; i++) blk[k++] = 0x11; /* RDS x1 */
    blk[k++] = 3; blk[k++] = 0xde; blk[k++] = 0xad;   /* RE: len 3 */
    blk[0] = 48; blk[1] = 0; blk[2] = (uint8_t)k;
    n += k;
    /* CAT063 block: skipped. */
    const uint8_t cat63[] = {63, 0, 4, 0x00};
    memcpy(buf + n, cat63, sizeof cat63);
    n += sizeof cat63;
    got g = {0};
    lo_asterix_stats st = {0};
    assert_int_equal(lo_asterix_decode(buf, n, "t", 0, on_rec, &g, &st, NULL), 1);
    assert_int_equal(st.skipped_blocks, 2);
    assert_int_equal(st.blocks, 3);
    assert_int_equal(st.malformed, 0);
    assert_true(st.skipped_items >= 3);
    assert_int_equal(g.r048[0].track_number, 0xabc);
    assert_int_equal(g.r048[0].n_bds, 2);
    assert_int_equal(g.r048[0].bds[1], 0x50);
    assert_int_equal(g.r048[0].n_030, 2);
    assert_int_equal(g.r048[0].codes_030[1], 4);
    assert_int_equal(g.r048[0].doppler_cal, 5);
    assert_int_equal(g.r048[0].n_doppler_raw, 1);
    assert_int_equal(g.r048[0].re_len, 3);
}

static long decode_count(const uint8_t *b, size_t n, lo_asterix_stats *st, lo_test_diags *d)
{
    memset(st, 0, sizeof *st);
    lo_test_diags_init(d, false);
    got g = {0};
    return lo_asterix_decode(b, n, "feed.bin", 1000, on_rec, &g, st, &d->sink);
}

static void test_malformed_inputs(void **state)
{
    (void)state;
    lo_asterix_stats st;
    lo_test_diags d;
    uint8_t rec[128];
    lo_cat048 r;
    size_t rn = sample048(&r, rec, 500);
    uint8_t buf[512];

    /* Oversized block LEN: larger than the datagram. */
    buf[0] = 48; buf[1] = 0x10; buf[2] = 0; memcpy(buf + 3, rec, rn);
    assert_int_equal(decode_count(buf, 3 + rn, &st, &d), 0);
    assert_int_equal(st.malformed, 1);
    assert_non_null(strstr(d.last, "feed.bin"));
    assert_non_null(strstr(d.last, "1000")); /* byte offset */

    /* Zero block LEN. */
    buf[1] = 0; buf[2] = 0;
    assert_int_equal(decode_count(buf, 3 + rn, &st, &d), 0);
    assert_int_equal(st.malformed, 1);

    /* FSPEC runs past the end: every octet has FX set. */
    uint8_t fs[] = {48, 0, 6, 0xff, 0xff, 0xff};
    assert_int_equal(decode_count(fs, sizeof fs, &st, &d), 0);
    assert_int_equal(st.malformed, 1);
    assert_non_null(strstr(d.all, "FSPEC"));

    /* Truncated item: the block ends inside I048/040. Good record first, then a cut one. */
    size_t n = 3;
    memcpy(buf + n, rec, rn); n += rn;
    memcpy(buf + n, rec, 8); n += 8; /* FSPEC + 010 + 140 + 020 + part of 040 */
    buf[0] = 48; buf[1] = 0; buf[2] = (uint8_t)n;
    /* then a good block after it */
    size_t m = n;
    buf[m] = 48; buf[m + 1] = 0; buf[m + 2] = (uint8_t)(3 + rn); memcpy(buf + m + 3, rec, rn);
    assert_int_equal(decode_count(buf, m + 3 + rn, &st, &d), 2);
    assert_int_equal(st.malformed, 1);
    assert_non_null(strstr(d.all, "I048/040"));
    /* the diagnostic points at the cut record: base 1000 + 3 + rn */
    char want[32];
    snprintf(want, sizeof want, "%zu", 1000 + 3 + rn);
    assert_non_null(strstr(d.all, want));

    /* Explicit item (SP) with length 0. */
    uint8_t sp0[] = {48, 0, 10, 0x81, 0x01, 0x04, 0x05, 0x06, 0x00, 0x00};
    /* FSPEC: 010 + FX, 2nd: FX, 3rd: FX... simpler: build SP-only record */
    uint8_t spz[16] = {48, 0, 0};
    size_t z = 3;
    spz[z++] = 0x01; spz[z++] = 0x01; spz[z++] = 0x01; spz[z++] = 0x04; /* FRN 27 = SP */
    spz[z++] = 0x00;                                                     /* LEN 0 */
    spz[2] = (uint8_t)z;
    (void)sp0;
    assert_int_equal(decode_count(spz, z, &st, &d), 0);
    assert_int_equal(st.malformed, 1);
    assert_non_null(strstr(d.all, "I048/SP"));

    /* Repetition factor larger than the data. */
    uint8_t rep[] = {48, 0, 8, 0x01, 0x40, 0xff, 0x01, 0x02};
    assert_int_equal(decode_count(rep, sizeof rep, &st, &d), 0);
    assert_int_equal(st.malformed, 1);

    /* Compound with an undefined subfield (I034/050 slot 2 is spare). */
    uint8_t c34[] = {34, 0, 6, 0x04, 0x20, 0x00};
    assert_int_equal(decode_count(c34, sizeof c34, &st, &d), 0);
    assert_int_equal(st.malformed, 1);

    /* CAT062 FRN 2 is not defined: a set bit cannot be skipped. */
    uint8_t c62[] = {62, 0, 6, 0x40, 0x00, 0x00};
    assert_int_equal(decode_count(c62, sizeof c62, &st, &d), 0);
    assert_int_equal(st.malformed, 1);

    /* Trailing octets after the last block. */
    memcpy(buf, "\x30\x00", 2); buf[2] = (uint8_t)(3 + rn); memcpy(buf + 3, rec, rn);
    buf[3 + rn] = 48; buf[4 + rn] = 0;
    assert_int_equal(decode_count(buf, 5 + rn, &st, &d), 1);
    assert_int_equal(st.malformed, 1);

    /* Empty input: nothing, no complaint. */
    assert_int_equal(decode_count(buf, 0, &st, &d), 0);
    assert_int_equal(st.malformed, 0);
}

static void test_time_of_day(void **state)
{
    (void)state;
    double midnight;
    assert_true(lo_parse_date("2026-11-22", &midnight));
    assert_near(midnight, 1795305600.0, 0.0);
    assert_false(lo_parse_date("2026-13-01", &midnight));
    assert_false(lo_parse_date("22.11.2026", &midnight));
    assert_true(lo_parse_date("1970-01-01", &midnight));
    assert_near(midnight, 0.0, 0.0);

    lo_tod_resolver r;
    double d0 = 1795305600.0;
    lo_tod_resolver_init(&r, d0);
    assert_near(lo_tod_resolve(&r, 86390.0), d0 + 86390.0, 1e-9);
    assert_near(lo_tod_resolve(&r, 86399.5), d0 + 86399.5, 1e-9);
    assert_near(lo_tod_resolve(&r, 0.5), d0 + 86400.5, 1e-9);       /* midnight wrap */
    assert_near(lo_tod_resolve(&r, 86399.9), d0 + 86399.9, 1e-9);   /* a late one from before */
    assert_near(lo_tod_resolve(&r, 2.0), d0 + 86402.0, 1e-9);
    assert_near(lo_tod_resolve(&r, 1.0), d0 + 86401.0, 1e-9);       /* small step back */

    assert_near(lo_tod_nearest(10.0, d0 + 86395.0), d0 + 86410.0, 1e-9);
    assert_near(lo_tod_nearest(86395.0, d0 + 5.0), d0 - 5.0, 1e-9);
    assert_near(lo_tod_nearest(3600.0, d0 + 3000.0), d0 + 3600.0, 1e-9);
}

static lo_sensor test_sensor(void)
{
    lo_sensor s;
    memset(&s, 0, sizeof s);
    strcpy(s.name, "r1");
    s.sac = 25; s.sic = 7; s.id = 25 << 8 | 7;
    s.lat = 46.0 * LO_DEG2RAD; s.lon = 15.0 * LO_DEG2RAD; s.height_m = 300.0;
    s.scan_period_s = 4.0;
    s.has_elevation = true;
    return s;
}

static void test_plot_round_trip(void **state)
{
    (void)state;
    lo_sensor s = test_sensor();
    lo_plot p;
    memset(&p, 0, sizeof p);
    p.t = 1795305600.0 + 45296.789;
    p.sensor_id = s.id;
    p.flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION | LO_PLOT_SNR | LO_PLOT_RADIAL_VEL | LO_PLOT_MODE_S |
              LO_PLOT_DOPPLER_SPREAD;
    p.doppler_spread_mps = 23.7;
    p.range_m = 12345.678;
    p.azimuth_rad = 2.3456789;
    p.elevation_rad = 0.0345678;
    p.snr_db = 17.25;
    p.radial_velocity_mps = -23.4;
    p.mode_s_address = 0xabcdef;
    p.truth_id = 4242;
    lo_cat048 r, d;
    lo_cat048_from_plot(&p, &s, &r);
    uint8_t buf[128];
    size_t n = lo_cat048_encode(&r, buf, sizeof buf);
    assert_true(n > 10);
    long skipped = 0;
    const char *why, *item;
    assert_int_equal(lo_cat048_decode(buf, n, &d, &skipped, &why, &item), (long)n);
    lo_plot q;
    assert_true(lo_cat048_to_plot(&d, &s, p.t, &q));
    assert_int_equal(q.sensor_id, s.id);
    assert_near(q.range_m, p.range_m, 0.03);
    assert_near(q.azimuth_rad, p.azimuth_rad, 1e-6);
    assert_near(q.elevation_rad, p.elevation_rad, 1e-4);
    assert_near(q.snr_db, p.snr_db, 1.0 / 256);
    assert_near(q.radial_velocity_mps, p.radial_velocity_mps, 1.0 / 64);
    assert_true(q.flags & LO_PLOT_DOPPLER_SPREAD);
    assert_near(q.doppler_spread_mps, p.doppler_spread_mps, 1.0 / 128);
    assert_int_equal(q.truth_id, 4242);
    assert_int_equal(q.mode_s_address, 0xabcdef);
    assert_true(q.flags & LO_PLOT_ELEVATION);
    assert_true(q.flags & LO_PLOT_MODE_S);
    assert_false(q.flags & LO_PLOT_MODE_3A);
    /* The time of day on the wire. */
    assert_int_equal(d.tod, (uint32_t)lround(45296.789 * 128));
    assert_int_equal(d.typ, 5);

    /* Without our SP (a foreign 3D radar): the elevation comes from I048/110 via the height. */
    d.sp_lookout = 0;
    assert_true(lo_cat048_to_plot(&d, &s, p.t, &q));
    assert_true(q.flags & LO_PLOT_ELEVATION);
    assert_near(q.elevation_rad, p.elevation_rad, 8.0 / p.range_m); /* 25 ft quantum */
    assert_near(q.radial_velocity_mps, -23.0, 0.0);                 /* I048/120 CAL, 1 m/s */
    assert_false(q.flags & LO_PLOT_DOPPLER_SPREAD);                 /* only in our SP */

    /* Primary-only plot: no altitude at all stays a 2D plot. */
    lo_plot p2 = {0};
    p2.t = 100.0; p2.sensor_id = s.id; p2.flags = LO_PLOT_POLAR;
    p2.range_m = 5000; p2.azimuth_rad = 1.0;
    lo_cat048_from_plot(&p2, &s, &r);
    n = lo_cat048_encode(&r, buf, sizeof buf);
    assert_int_equal(lo_cat048_decode(buf, n, &d, &skipped, &why, &item), (long)n);
    assert_false(d.present & LO_FRN(LO_I048_110));
    assert_false(d.present & LO_FRN(LO_I048_090));
    assert_int_equal(d.typ, 1);
    assert_true(lo_cat048_to_plot(&d, &s, 100.0, &q));
    assert_false(q.flags & LO_PLOT_ELEVATION);
    assert_false(q.flags & LO_PLOT_FLIGHT_LVL);
    assert_near(q.range_m, 5000, 0.03);

    /* No I048/040: no plot. */
    d.present &= ~LO_FRN(LO_I048_040);
    assert_false(lo_cat048_to_plot(&d, &s, 100.0, &q));
}

/* lo_cat048_wire_plot: what a receiver sees, and idempotent, so that a simulator writing its
 * plots through it gives the same plots in CSV and on the wire. */
static void test_wire_plot_is_what_the_wire_carries(void **state)
{
    (void)state;
    lo_sensor s = test_sensor();
    srand(48);
    for (int i = 0; i < 2000; i++) {
        double u = rand() / (RAND_MAX + 1.0), v = rand() / (RAND_MAX + 1.0);
        lo_plot p = {0};
        p.t = 1795305600.0 + 86400.0 * u; /* any time of day, midnight near the ends */
        p.sensor_id = s.id;
        p.flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION | LO_PLOT_SNR | LO_PLOT_RADIAL_VEL | LO_PLOT_SIGMAS |
                  (i % 2 ? LO_PLOT_DOPPLER_SPREAD : 0);
        p.doppler_spread_mps = (i % 2) ? 60.0 * u * v : 0.0;
        p.range_m = 100.0 + 40000.0 * v;
        p.azimuth_rad = 2.0 * LO_PI * u;
        p.elevation_rad = (v - 0.2) * 0.5;
        p.snr_db = 40.0 * v;
        p.radial_velocity_mps = (u - 0.5) * 120.0;
        p.sigma_range_m = 5.0 + v;
        p.sigma_azimuth_rad = 0.005 * u;
        p.sigma_elevation_rad = 0.008 * v;
        p.sigma_radial_velocity_mps = 0.5;
        p.truth_id = (uint32_t)i + 1;
        lo_plot w, ww;
        assert_true(lo_cat048_wire_plot(&p, &s, &w));
        /* Within the fine LSBs of what was sent (1.5 of them: the s8 residual clamps at 127/256
         * of the coarse LSB), plus the double's step at 1.8e9 s for the time. */
        assert_near(w.t, p.t, 1.5 / 32768.0 + 1e-6);
        assert_near(w.range_m, p.range_m, 1.5 * LO_NM2M / 65536.0);
        double daz = fabs(w.azimuth_rad - p.azimuth_rad);
        assert_true(fmin(daz, 2.0 * LO_PI - daz) < 1.5 * 2.0 * LO_PI / (1 << 24));
        assert_near(w.radial_velocity_mps, p.radial_velocity_mps, 1.0 / 128.0);
        assert_near(w.doppler_spread_mps, p.doppler_spread_mps, 1.0 / 128.0);
        assert_int_equal(w.truth_id, p.truth_id);
        assert_int_equal(w.flags, p.flags);
        /* Idempotent, to the bit. */
        assert_true(lo_cat048_wire_plot(&w, &s, &ww));
        if (memcmp(&w, &ww, sizeof w) != 0)
            fail_msg("plot %d: wire plot changes when sent again (range %.17g -> %.17g, az %.17g -> %.17g, t %.17g -> %.17g)",
                     i, w.range_m, ww.range_m, w.azimuth_rad, ww.azimuth_rad, w.t, ww.t);
    }
    /* A Cartesian plot is not a CAT048 plot: copied, and said so. */
    lo_plot c = {.t = 5.0, .sensor_id = s.id, .flags = LO_PLOT_CARTESIAN, .enu = {1, 2, 3}}, cw;
    assert_false(lo_cat048_wire_plot(&c, &s, &cw));
    assert_memory_equal(&c, &cw, sizeof c);
}

/* The recording readers' reorder window: time order, equal times in arrival order, release
 * only `window` behind the newest, everything at the end; thousands of items through growth
 * and slot reuse. */
static void test_reorder_window(void **state)
{
    (void)state;
    typedef struct { double t; int id; char pad[200]; } item;
    lo_reorder q;
    lo_reorder_init(&q, sizeof(item), 16.0); /* ~2,000 in flight: the pool grows 3 times */
    item it = {0}, out;
    srand(34);
    int pushed = 0, popped = 0;
    double last_t = -INFINITY;
    int last_id = -1;
    for (int round = 0; round < 20000; round++) {
        /* Mostly increasing, up to 15 s late, many exact ties. */
        it.t = round * 0.01 - (rand() % 1500) * 0.01;
        it.id = pushed++;
        assert_true(lo_reorder_push(&q, it.t, &it));
        while (lo_reorder_pop(&q, false, &out)) {
            assert_true(out.t <= round * 0.01 - 16.0);
            if (out.t == last_t) assert_true(out.id > last_id); /* ties in arrival order */
            assert_true(out.t >= last_t);
            last_t = out.t;
            last_id = out.id;
            popped++;
        }
    }
    assert_true(popped > 17000); /* released as the window moved, not all at the end */
    while (lo_reorder_pop(&q, true, &out)) {
        assert_true(out.t >= last_t);
        if (out.t == last_t) assert_true(out.id > last_id);
        last_t = out.t;
        last_id = out.id;
        popped++;
    }
    assert_int_equal(popped, pushed);
    assert_false(lo_reorder_pop(&q, true, &out));
    lo_reorder_free(&q);
}

static void test_cat034_messages(void **state)
{
    (void)state;
    lo_sensor s = test_sensor();
    lo_cat034 r, d;
    uint8_t buf[64];
    long skipped = 0;
    const char *why, *item;
    lo_cat034_make(&s, LO_CAT034_NORTH_MARKER, 1000.5, 0, &r);
    size_t n = lo_cat034_encode(&r, buf, sizeof buf);
    assert_int_equal(lo_cat034_decode(buf, n, &d, &skipped, &why, &item), (long)n);
    assert_int_equal(d.msg_type, 1);
    assert_int_equal(d.tod, 1000.5 * 128);
    assert_int_equal(d.rotation_period, 4 * 128);
    assert_near(d.site_lat * (180.0 / 8388608.0), 46.0, 1e-4);
    lo_cat034_make(&s, LO_CAT034_SECTOR_CROSSING, 1001.0, LO_PI / 2, &r);
    n = lo_cat034_encode(&r, buf, sizeof buf);
    assert_int_equal(lo_cat034_decode(buf, n, &d, &skipped, &why, &item), (long)n);
    assert_int_equal(d.msg_type, 2);
    assert_int_equal(d.sector, 64);
}

static void test_cat062_track_round_trip(void **state)
{
    (void)state;
    lo_sensor s = test_sensor();
    lo_geodetic origin = {46.05 * LO_DEG2RAD, 15.02 * LO_DEG2RAD, 250.0};
    lo_enu_frame sys;
    lo_enu_frame_init(&sys, &origin);
    lo_geodetic sg = {s.lat, s.lon, s.height_m};
    lo_geodetic_to_enu(&sys, &sg, s.enu);
    lo_track t;
    memset(&t, 0, sizeof t);
    t.id = 77; t.status = LO_TRACK_COASTING; t.t = 1795305600.0 + 3600.25;
    t.t_last_update = t.t - 2.0; t.n_updates = 9;
    t.pos[0] = 1234.5; t.pos[1] = -2345.25; t.pos[2] = 150.0;
    t.vel[0] = 12.25; t.vel[1] = -3.5; t.vel[2] = 2.0;
    t.acc[0] = 0.5; t.acc[1] = -0.25;
    t.pos_cov[0] = 25; t.pos_cov[4] = 36; t.pos_cov[8] = 100; t.vel_cov[0] = 4; t.vel_cov[4] = 1;
    t.class_prob[LO_CLASS_MULTIROTOR] = 0.8; t.class_prob[LO_CLASS_BIRD] = 0.2;
    t.last_sensor_id = s.id;
    t.last_flags = LO_PLOT_MODE_3A;
    t.mode_3a = 01234;
    lo_cat062 r, d;
    lo_cat062_from_track(&t, &sys, 1, 2, true, false, &s, 1, &r);
    assert_false(r.present & LO_FRN(LO_I062_510));
    uint8_t buf[256];
    size_t n = lo_cat062_encode(&r, buf, sizeof buf);
    assert_true(n > 30);
    long skipped = 0;
    const char *why, *item;
    assert_int_equal(lo_cat062_decode(buf, n, &d, &skipped, &why, &item), (long)n);
    assert_true(d.tsb);
    assert_false(d.tse);
    assert_true(d.cst);
    assert_int_equal(d.m_sac, 25);
    assert_true(d.sub340_present & LO_I340_POS);
    lo_track q;
    lo_cat062_to_track(&d, &sys, t.t, &q);
    assert_int_equal(q.id, 77);
    assert_int_equal(q.status, LO_TRACK_COASTING);
    assert_near(q.pos[0], t.pos[0], 0.5);   /* I062/105: 5.4e-6 degrees ~ 0.6 m north */
    assert_near(q.pos[1], t.pos[1], 0.7);
    assert_near(q.pos[2], t.pos[2], 1.0);   /* 6.25 ft */
    assert_near(q.vel[0], t.vel[0], 0.125);
    assert_near(q.vel[1], t.vel[1], 0.125);
    assert_near(q.vel[2], t.vel[2], 0.02);
    assert_near(q.acc[0], 0.5, 0.125);
    assert_near(q.t_last_update, t.t_last_update, 0.125);
    assert_near(q.class_prob[LO_CLASS_MULTIROTOR], 0.8, 1.0 / 255);
    assert_near(q.class_prob[LO_CLASS_BIRD], 0.2, 1.0 / 255);
    assert_int_equal(q.mode_3a, 01234);
    assert_near(sqrt(q.pos_cov[0]), 5.0, 0.25);
    /* I062/100 carries the same position to 0.5 m. */
    assert_near(d.x * 0.5, t.pos[0], 0.25);
    /* last report of a track */
    t.status = LO_TRACK_DELETED;
    lo_cat062_from_track(&t, &sys, 1, 2, false, false, &s, 1, &r);
    n = lo_cat062_encode(&r, buf, sizeof buf);
    assert_int_equal(lo_cat062_decode(buf, n, &d, &skipped, &why, &item), (long)n);
    assert_true(d.tse);
    assert_false(d.tsb);
}

static void test_cat062_with_510_from_real_sample(void **state)
{
    (void)state;
    const char *path = lo_test_shared_path("data/asterix/jasterix-testbin/cat062ed1.16.bin");
    if (!path) { skip(); return; }
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    got g = {0};
    lo_asterix_stats st = {0};
    assert_int_equal(lo_asterix_decode(buf, n, path, 0, on_rec, &g, &st, NULL), 1);
    assert_int_equal(st.malformed, 0);
    assert_int_equal(g.r062[0].track_number, 5533);
    assert_true(g.r062[0].n_510 >= 1);
    assert_int_equal(g.r062[0].sic, 5);
}

static uint32_t rs = 2463534242u;
static uint32_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 17;
    rs ^= rs << 5;
    return rs;
}

/* Our decoder reads back every field our encoders write, for random values over the whole
 * range of each field (tshark checks the same encodings independently when installed). */
static void test_random_encode_decode_round_trip(void **state)
{
    (void)state;
    uint8_t buf[256];
    long skipped = 0;
    const char *why, *item;
    for (int i = 0; i < 3000; i++) {
        lo_cat048 a, b;
        memset(&a, 0, sizeof a);
        a.present = LO_FRN(LO_I048_010) | LO_FRN(LO_I048_140) | LO_FRN(LO_I048_020) | LO_FRN(LO_I048_040);
        const int opt[] = {LO_I048_070, LO_I048_090, LO_I048_130, LO_I048_220, LO_I048_240, LO_I048_161,
                           LO_I048_042, LO_I048_200, LO_I048_170, LO_I048_210, LO_I048_110, LO_I048_120, LO_I048_SP};
        for (size_t k = 0; k < sizeof opt / sizeof opt[0]; k++) if (rnd() & 1) a.present |= LO_FRN(opt[k]);
        a.sac = (uint8_t)rnd(); a.sic = (uint8_t)rnd(); a.tod = rnd() & 0xffffff; a.typ = rnd() & 7;
        a.sim = rnd() & 1; a.rdp = rnd() & 1; a.spi = rnd() & 1; a.rab = rnd() & 1;
        a.rho = (uint16_t)rnd(); a.theta = (uint16_t)rnd(); a.mode3a = rnd() & 0xfff;
        a.mode3a_v = rnd() & 1; a.fl = (int16_t)((int)(rnd() % 16384) - 8192); a.fl_g = rnd() & 1;
        a.sub130_present = (uint8_t)(rnd() & 0x7f); a.sam = (int8_t)rnd(); a.apd = (int8_t)rnd();
        a.address = rnd() & 0xffffff; strcpy(a.ident, "Z9 Y8   ");
        a.track_number = rnd() & 0xfff; a.x = (int16_t)rnd(); a.y = (int16_t)rnd();
        a.gsp = (uint16_t)rnd(); a.hdg = (uint16_t)rnd(); a.i170[0] = (uint8_t)(rnd() & 0xfe);
        a.sigx = (uint8_t)rnd(); a.sigh = (uint8_t)rnd();
        a.height_3d = (int16_t)((int)(rnd() % 16384) - 8192);
        a.has_doppler_cal = true; a.doppler_cal = (int16_t)((int)(rnd() % 1024) - 512);
        a.sp_lookout = (uint8_t)(rnd() & 0x1f) | LO_SP048_TRUTH; a.sp_elevation = (int16_t)rnd();
        a.sp_snr = (int16_t)rnd(); a.sp_radial_vel = (int16_t)rnd(); a.sp_truth_id = rnd();
        a.sp_range_fine = (int8_t)((int)(rnd() % 255) - 127); a.sp_azimuth_fine = (int8_t)((int)(rnd() % 255) - 127);
        size_t n = lo_cat048_encode(&a, buf, sizeof buf);
        assert_true(n > 0);
        assert_int_equal(lo_cat048_decode(buf, n, &b, &skipped, &why, &item), (long)n);
        uint64_t want = a.present;
        if (!a.sub130_present) want &= ~LO_FRN(LO_I048_130); /* an empty compound is left out */
        assert_true(b.present == want);
        assert_int_equal(b.sac, a.sac); assert_int_equal(b.sic, a.sic); assert_int_equal(b.tod, a.tod);
        assert_int_equal(b.typ, a.typ); assert_int_equal(b.sim, a.sim); assert_int_equal(b.rab, a.rab);
        assert_int_equal(b.rho, a.rho); assert_int_equal(b.theta, a.theta);
        uint64_t p = a.present;
        if (p & LO_FRN(LO_I048_070)) { assert_int_equal(b.mode3a, a.mode3a); assert_int_equal(b.mode3a_v, a.mode3a_v); }
        if (p & LO_FRN(LO_I048_090)) { assert_int_equal(b.fl, a.fl); assert_int_equal(b.fl_g, a.fl_g); }
        if ((p & LO_FRN(LO_I048_130)) && a.sub130_present) {
            assert_int_equal(b.sub130_present, a.sub130_present);
            if (a.sub130_present & LO_I130_SAM) assert_int_equal(b.sam, a.sam);
            if (a.sub130_present & LO_I130_APD) assert_int_equal(b.apd, a.apd);
        }
        if (p & LO_FRN(LO_I048_220)) assert_int_equal(b.address, a.address);
        if (p & LO_FRN(LO_I048_240)) assert_string_equal(b.ident, a.ident);
        if (p & LO_FRN(LO_I048_161)) assert_int_equal(b.track_number, a.track_number);
        if (p & LO_FRN(LO_I048_042)) { assert_int_equal(b.x, a.x); assert_int_equal(b.y, a.y); }
        if (p & LO_FRN(LO_I048_200)) { assert_int_equal(b.gsp, a.gsp); assert_int_equal(b.hdg, a.hdg); }
        if (p & LO_FRN(LO_I048_170)) assert_int_equal(b.i170[0], a.i170[0]);
        if (p & LO_FRN(LO_I048_210)) { assert_int_equal(b.sigx, a.sigx); assert_int_equal(b.sigh, a.sigh); }
        if (p & LO_FRN(LO_I048_110)) assert_int_equal(b.height_3d, a.height_3d);
        if (p & LO_FRN(LO_I048_120)) assert_int_equal(b.doppler_cal, a.doppler_cal);
        if (p & LO_FRN(LO_I048_SP)) {
            assert_int_equal(b.sp_lookout, a.sp_lookout);
            assert_int_equal(b.sp_truth_id, a.sp_truth_id);
            if (a.sp_lookout & LO_SP048_ELEVATION) assert_int_equal(b.sp_elevation, a.sp_elevation);
            if (a.sp_lookout & LO_SP048_SNR) assert_int_equal(b.sp_snr, a.sp_snr);
            if (a.sp_lookout & LO_SP048_RADIAL_VEL) assert_int_equal(b.sp_radial_vel, a.sp_radial_vel);
            if (a.sp_lookout & LO_SP048_FINE) {
                assert_int_equal(b.sp_range_fine, a.sp_range_fine);
                assert_int_equal(b.sp_azimuth_fine, a.sp_azimuth_fine);
            }
        }

        lo_cat062 c, d;
        memset(&c, 0, sizeof c);
        c.present = LO_FRN(LO_I062_010) | LO_FRN(LO_I062_070) | LO_FRN(LO_I062_040) | LO_FRN(LO_I062_080);
        const int opt62[] = {LO_I062_015, LO_I062_105, LO_I062_100, LO_I062_185, LO_I062_210, LO_I062_060,
                             LO_I062_380, LO_I062_290, LO_I062_200, LO_I062_136, LO_I062_130, LO_I062_220,
                             LO_I062_500, LO_I062_340, LO_I062_SP};
        for (size_t k = 0; k < sizeof opt62 / sizeof opt62[0]; k++) if (rnd() & 1) c.present |= LO_FRN(opt62[k]);
        c.sac = (uint8_t)rnd(); c.service_id = (uint8_t)rnd(); c.tod = rnd() & 0xffffff;
        c.lat = (int32_t)rnd(); c.lon = (int32_t)rnd();
        c.x = lo_test_sext24(rnd()); c.y = lo_test_sext24(rnd());
        c.vx = (int16_t)rnd(); c.vy = (int16_t)rnd(); c.ax = (int8_t)rnd(); c.ay = (int8_t)rnd();
        c.mode3a = rnd() & 0xfff; c.has_address = true; c.address = rnd() & 0xffffff;
        c.track_number = (uint16_t)rnd(); c.cnf = rnd() & 1; c.tsb = rnd() & 1; c.tse = rnd() & 1;
        c.cst = rnd() & 1; c.mon = rnd() & 1; c.sim = rnd() & 1;
        c.sub290_present = (uint8_t)(rnd() & 0xf); c.age_trk = (uint8_t)rnd(); c.age_mds = (uint8_t)rnd();
        c.mode_of_movement = (uint8_t)(rnd() & 0xfe); c.measured_fl = (int16_t)rnd();
        c.geo_alt = (int16_t)rnd(); c.rocd = (int16_t)rnd();
        c.sub500_present = (uint8_t)rnd(); c.apc_x = (uint16_t)rnd(); c.apc_cov = (int16_t)rnd();
        c.apw_lon = (uint16_t)rnd(); c.aga = (uint8_t)rnd(); c.atv_y = (uint8_t)rnd(); c.aa_x = (uint8_t)rnd();
        c.arc = (uint8_t)rnd();
        c.sub340_present = (uint8_t)(rnd() & 0x3f); c.m_sac = (uint8_t)rnd(); c.m_rho = (uint16_t)rnd();
        c.m_theta = (uint16_t)rnd(); c.m_height = (int16_t)rnd(); c.m_mdc = (uint16_t)rnd();
        c.m_mda = (uint16_t)rnd(); c.m_typ = (uint8_t)(rnd() & 0xf8);
        c.sp_lookout = true; c.sp_n_classes = (uint8_t)(rnd() % (LO_CLASS_COUNT + 1));
        for (int k = 0; k < LO_CLASS_COUNT; k++) c.sp_class_prob[k] = (uint8_t)rnd();
        n = lo_cat062_encode(&c, buf, sizeof buf);
        assert_true(n > 0);
        assert_int_equal(lo_cat062_decode(buf, n, &d, &skipped, &why, &item), (long)n);
        assert_false(d.present & LO_FRN(LO_I062_510));
        uint64_t want62 = c.present;
        if (!c.sub290_present) want62 &= ~LO_FRN(LO_I062_290);
        if (!c.sub500_present) want62 &= ~LO_FRN(LO_I062_500);
        if (!c.sub340_present) want62 &= ~LO_FRN(LO_I062_340);
        assert_true(d.present == want62);
        assert_int_equal(d.tod, c.tod); assert_int_equal(d.track_number, c.track_number);
        assert_int_equal(d.cnf, c.cnf); assert_int_equal(d.tsb, c.tsb); assert_int_equal(d.tse, c.tse);
        assert_int_equal(d.cst, c.cst); assert_int_equal(d.mon, c.mon); assert_int_equal(d.sim, c.sim);
        p = c.present;
        if (p & LO_FRN(LO_I062_015)) assert_int_equal(d.service_id, c.service_id);
        if (p & LO_FRN(LO_I062_105)) { assert_int_equal(d.lat, c.lat); assert_int_equal(d.lon, c.lon); }
        if (p & LO_FRN(LO_I062_100)) { assert_int_equal(d.x, c.x); assert_int_equal(d.y, c.y); }
        if (p & LO_FRN(LO_I062_185)) { assert_int_equal(d.vx, c.vx); assert_int_equal(d.vy, c.vy); }
        if (p & LO_FRN(LO_I062_210)) { assert_int_equal(d.ax, c.ax); assert_int_equal(d.ay, c.ay); }
        if (p & LO_FRN(LO_I062_060)) assert_int_equal(d.mode3a, c.mode3a);
        if (p & LO_FRN(LO_I062_380)) assert_int_equal(d.address, c.address);
        if ((p & LO_FRN(LO_I062_290)) && c.sub290_present) {
            assert_int_equal(d.sub290_present, c.sub290_present);
            if (c.sub290_present & LO_I290_TRK) assert_int_equal(d.age_trk, c.age_trk);
            if (c.sub290_present & LO_I290_MDS) assert_int_equal(d.age_mds, c.age_mds);
        }
        if (p & LO_FRN(LO_I062_200)) assert_int_equal(d.mode_of_movement, c.mode_of_movement);
        if (p & LO_FRN(LO_I062_136)) assert_int_equal(d.measured_fl, c.measured_fl);
        if (p & LO_FRN(LO_I062_130)) assert_int_equal(d.geo_alt, c.geo_alt);
        if (p & LO_FRN(LO_I062_220)) assert_int_equal(d.rocd, c.rocd);
        if ((p & LO_FRN(LO_I062_500)) && c.sub500_present) {
            assert_int_equal(d.sub500_present, c.sub500_present);
            if (c.sub500_present & LO_I500_APC) assert_int_equal(d.apc_x, c.apc_x);
            if (c.sub500_present & LO_I500_COV) assert_int_equal(d.apc_cov, c.apc_cov);
            if (c.sub500_present & LO_I500_APW) assert_int_equal(d.apw_lon, c.apw_lon);
            if (c.sub500_present & LO_I500_AGA) assert_int_equal(d.aga, c.aga);
            if (c.sub500_present & LO_I500_ATV) assert_int_equal(d.atv_y, c.atv_y);
            if (c.sub500_present & LO_I500_AA) assert_int_equal(d.aa_x, c.aa_x);
            if (c.sub500_present & LO_I500_ARC) assert_int_equal(d.arc, c.arc);
        }
        if ((p & LO_FRN(LO_I062_340)) && c.sub340_present) {
            assert_int_equal(d.sub340_present, c.sub340_present);
            if (c.sub340_present & LO_I340_SID) assert_int_equal(d.m_sac, c.m_sac);
            if (c.sub340_present & LO_I340_POS) { assert_int_equal(d.m_rho, c.m_rho); assert_int_equal(d.m_theta, c.m_theta); }
            if (c.sub340_present & LO_I340_HEIGHT) assert_int_equal(d.m_height, c.m_height);
            if (c.sub340_present & LO_I340_MDC) assert_int_equal(d.m_mdc, c.m_mdc);
            if (c.sub340_present & LO_I340_MDA) assert_int_equal(d.m_mda, c.m_mda);
            if (c.sub340_present & LO_I340_TYP) assert_int_equal(d.m_typ, c.m_typ);
        }
        if (p & LO_FRN(LO_I062_SP)) {
            assert_true(d.sp_lookout);
            assert_int_equal(d.sp_n_classes, c.sp_n_classes);
            assert_memory_equal(d.sp_class_prob, c.sp_class_prob, c.sp_n_classes);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_with_several_records),
        cmocka_unit_test(test_unknown_category_and_items_skipped),
        cmocka_unit_test(test_malformed_inputs),
        cmocka_unit_test(test_time_of_day),
        cmocka_unit_test(test_plot_round_trip),
        cmocka_unit_test(test_wire_plot_is_what_the_wire_carries),
        cmocka_unit_test(test_reorder_window),
        cmocka_unit_test(test_cat034_messages),
        cmocka_unit_test(test_cat062_track_round_trip),
        cmocka_unit_test(test_cat062_with_510_from_real_sample),
        cmocka_unit_test(test_random_encode_decode_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

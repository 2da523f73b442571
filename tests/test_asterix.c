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

#include "lookout/asterix.h"
#include "lookout/geo.h"

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
    p.flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION | LO_PLOT_SNR | LO_PLOT_RADIAL_VEL | LO_PLOT_MODE_S;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_with_several_records),
        cmocka_unit_test(test_unknown_category_and_items_skipped),
        cmocka_unit_test(test_malformed_inputs),
        cmocka_unit_test(test_time_of_day),
        cmocka_unit_test(test_plot_round_trip),
        cmocka_unit_test(test_cat034_messages),
        cmocka_unit_test(test_cat062_track_round_trip),
        cmocka_unit_test(test_cat062_with_510_from_real_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

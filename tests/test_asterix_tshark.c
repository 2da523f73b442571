/*
 * test_asterix_tshark: our decoder and encoder checked against an independent decoder,
 * Wireshark's tshark (4.0.x, generated from the same specs).
 *
 * 1. Every real recording in ../shared/data/asterix with CAT048/034/062 of supported editions:
 *    same number of records per category and per datagram, and the same position, time,
 *    identity and address values for every record (non-pcap recordings are wrapped into pcap
 *    with our writer first).
 * 2. Thousands of random CAT048 and CAT062 records from our encoder: tshark reports no
 *    malformed or error-level frame, and decodes every compared field to the value we encoded.
 *
 * Skips (77) when tshark or ../shared is absent.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asterix_fields.h"
#include "lookout/recording.h"

typedef struct frame_vals {
    char *v[N_TEST_FIELDS];
} frame_vals;

typedef struct collect {
    frame_vals *frames;
    long n_frames;
    long cur;
    long records[256];
} collect;

static void append(char **slot, const char *s)
{
    size_t old = *slot ? strlen(*slot) : 0, add = strlen(s);
    char *n = realloc(*slot, old + add + 2);
    if (old) n[old++] = ',';
    memcpy(n + old, s, add + 1);
    *slot = n;
}

static frame_vals *frame_at(collect *c, long idx)
{
    if (idx >= c->n_frames) {
        long nn = idx + 1024;
        c->frames = realloc(c->frames, (size_t)nn * sizeof *c->frames);
        memset(c->frames + c->n_frames, 0, (size_t)(nn - c->n_frames) * sizeof *c->frames);
        c->n_frames = nn;
    }
    return &c->frames[idx];
}

static void on_record(void *ctx, const lo_asterix_record *rec)
{
    collect *c = ctx;
    frame_vals *f = frame_at(c, c->cur);
    c->records[rec->cat]++;
    for (size_t i = 0; i < N_TEST_FIELDS; i++) {
        double num = 0;
        char str[32] = "", buf[64];
        if (!field_value(i, rec, &num, str)) continue;
        if (test_fields[i].kind == FV_NUM) snprintf(buf, sizeof buf, "%.12g", num);
        else snprintf(buf, sizeof buf, "%s", str);
        append(&f->v[i], buf);
    }
}

static void free_collect(collect *c)
{
    for (long i = 0; i < c->n_frames; i++)
        for (size_t k = 0; k < N_TEST_FIELDS; k++) free(c->frames[i].v[k]);
    free(c->frames);
    memset(c, 0, sizeof *c);
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
}

/* Compare two comma lists; returns true when equal within tol. */
static bool same_list(const char *ours, const char *theirs, const test_field *f)
{
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s", ours ? ours : "");
    snprintf(b, sizeof b, "%s", theirs ? theirs : "");
    char *sa, *sb;
    char *ta = strtok_r(a, ",", &sa), *tb = strtok_r(b, ",", &sb);
    while (ta && tb) {
        if (f->kind == FV_NUM) {
            double x = strtod(ta, NULL), y = strtod(tb, NULL);
            double d = fabs(x - y);
            if (f->wrap > 0) d = fmin(fmod(d, f->wrap), f->wrap - fmod(d, f->wrap));
            if (!(d <= f->tol)) return false;
        } else {
            trim(ta);
            trim(tb);
            if (strcmp(ta, tb)) return false;
        }
        ta = strtok_r(NULL, ",", &sa);
        tb = strtok_r(NULL, ",", &sb);
    }
    return !ta && !tb;
}

/* Run tshark over pcap and compare with c. Returns the number of mismatches; *tshark_counts
 * gets the records per category tshark saw (count of 0xx_010_SAC values). */
static long compare_with_tshark(const char *label, const char *pcap, const char *decode_as,
                                collect *c, long tshark_counts[3], bool only_present_in_ours)
{
    char cmd[8192];
    size_t n = (size_t)snprintf(cmd, sizeof cmd,
                                "tshark -r '%s' %s -T fields -E separator=/t -E occurrence=a "
                                "-E aggregator=, -e frame.number", pcap, decode_as);
    for (size_t i = 0; i < N_TEST_FIELDS; i++)
        n += (size_t)snprintf(cmd + n, sizeof cmd - n, " -e %s", test_fields[i].tshark);
    snprintf(cmd + n, sizeof cmd - n, " 2>/dev/null");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *line = NULL;
    size_t cap = 0;
    long mismatches = 0, frames = 0;
    tshark_counts[0] = tshark_counts[1] = tshark_counts[2] = 0;
    while (getline(&line, &cap, p) > 0) {
        trim(line);
        char *cols[N_TEST_FIELDS + 1] = {0};
        char *s = line;
        for (size_t k = 0; k <= N_TEST_FIELDS; k++) {
            cols[k] = s;
            char *tab = s ? strchr(s, '\t') : NULL;
            if (tab) { *tab = 0; s = tab + 1; } else s = NULL;
        }
        long fno = strtol(cols[0], NULL, 10);
        frames++;
        frame_vals *fv = frame_at(c, fno);
        for (size_t k = 0; k < N_TEST_FIELDS; k++) {
            const char *theirs = cols[k + 1] ? cols[k + 1] : "";
            if (!strcmp(test_fields[k].tshark + 11, "_010_SAC") || strstr(test_fields[k].tshark, "_010_SAC")) {
                if (*theirs) {
                    long cnt = 1;
                    for (const char *q = theirs; *q; q++) cnt += *q == ',';
                    int ci = test_fields[k].cat == 48 ? 0 : test_fields[k].cat == 34 ? 1 : 2;
                    tshark_counts[ci] += cnt;
                }
            }
            if (only_present_in_ours && !fv->v[k]) continue;
            if (!same_list(fv->v[k], theirs, &test_fields[k])) {
                if (mismatches < 10)
                    print_message("%s frame %ld %s: ours '%s', tshark '%s'\n", label, fno,
                                  test_fields[k].tshark, fv->v[k] ? fv->v[k] : "", theirs);
                mismatches++;
            }
        }
    }
    free(line);
    int st = pclose(p);
    assert_int_equal(st, 0);
    assert_true(frames > 0);
    return mismatches;
}

static bool have_tshark(void)
{
    return system("tshark --version >/dev/null 2>&1") == 0;
}

typedef struct recording_case {
    const char *rel;
    long min048, min034, min062; /* record counts from the data README */
} recording_case;

/* Recordings with CAT048/034/062 of supported editions. Left out: asterix.pcap (CAT062
 * edition 0.17), cat_001_002.pcap (CAT001/002 only), jasterix cat062ed1.12.bin (edition
 * 1.12), final_frame_062_one_packet_sample2.FF (not in the 8-octet-header frame layout),
 * jasterix cat062ed1.16.bin (holds I062/510, which tshark 4.0.17 mis-decodes into a second,
 * malformed record; test_asterix checks our decoding of it directly). */
static const recording_case cases[] = {
    {"data/asterix/croatiacontrol-asterix/cat_034_048.pcap", 128, 34, 0},
    {"data/asterix/croatiacontrol-asterix/cat_062_065.pcap", 0, 0, 2},
    {"data/asterix/croatiacontrol-asterix/cat062cat065.raw", 0, 0, 2},
    {"data/asterix/croatiacontrol-asterix/cat048.raw", 1, 0, 0},
    {"data/asterix/croatiacontrol-asterix/cat034.raw", 0, 1, 0},
    {"data/asterix/croatiacontrol-asterix/parsegps.gps", 15, 3, 0},
    {"data/asterix/reader_network/068test_bds30.gps", 1830, 951, 0},
    {"data/asterix/reader_network/068test_rrd3.gps", 770, 0, 0},
    {"data/asterix/reader_network/066test_filter.gps", 1, 0, 0},
    {"data/asterix/jade/final_frame_062_30min.ff", 0, 0, 34957},
    {"data/asterix/jade/final_frame_062_065_large_packet_30min.ff", 0, 0, 22396},
    {"data/asterix/jade/final_frame_cat062_one_packet.ff", 0, 0, 1},
    {"data/asterix/jade/NATS_CAT048_119bytes_TCAS.ff", 1, 0, 0},
    {"data/asterix/jasterix-testbin/cat048ed1.15.bin", 1, 0, 0},
    {"data/asterix/jasterix-testbin/cat048ed1.23.bin", 1, 0, 0},
    {"data/asterix/jasterix-testbin/cat034ed1.26.bin", 0, 1, 0},
    {"data/asterix/goasterix/sample.ast", 1, 1, 0},
};

static void test_real_recordings_match_tshark(void **state)
{
    (void)state;
    long total = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const char *path = lo_test_shared_path(cases[ci].rel);
        assert_non_null(path);
        lo_test_diags diags;
        lo_test_diags_init(&diags, false);
        lo_recording *rec = lo_recording_open(path, LO_REC_AUTO, &diags.sink);
        assert_non_null(rec);
        bool is_pcap = lo_recording_format(rec) == LO_REC_PCAP;
        char tmp[] = "/tmp/lookout-tshark-XXXXXX.pcap";
        lo_rec_writer *w = NULL;
        if (!is_pcap) {
            int fd = mkstemps(tmp, 5);
            assert_true(fd >= 0);
            close(fd);
            w = lo_rec_writer_open(tmp, LO_REC_PCAP, 8600);
            assert_non_null(w);
        }
        collect c = {0};
        lo_asterix_stats st = {0};
        char decode_as[2048] = "";
        size_t dn = 0;
        int ports[64], n_ports = 0;
        lo_rec_chunk ch;
        int rc;
        while ((rc = lo_recording_next(rec, &ch)) == 1) {
            c.cur = ch.index;
            if (w) assert_int_equal(lo_rec_writer_write(w, 1.0e9 + (double)ch.index, ch.data, ch.len), 0);
            if (is_pcap) {
                bool seen = false;
                for (int k = 0; k < n_ports; k++) seen |= ports[k] == ch.dst_port;
                if (!seen && n_ports < 64) {
                    ports[n_ports++] = ch.dst_port;
                    dn += (size_t)snprintf(decode_as + dn, sizeof decode_as - dn,
                                           " -d udp.port==%u,asterix", ch.dst_port);
                }
            }
            lo_asterix_decode(ch.data, ch.len, path, ch.offset, on_record, &c, &st, &diags.sink);
        }
        lo_recording_close(rec);
        if (w) assert_int_equal(lo_rec_writer_close(w), 0);
        long tc[3];
        long mism = compare_with_tshark(cases[ci].rel, is_pcap ? path : tmp, decode_as, &c, tc, false);
        print_message("%s: ours CAT048 %ld CAT034 %ld CAT062 %ld; tshark %ld %ld %ld; %ld mismatches; "
                      "%ld malformed\n", cases[ci].rel, c.records[48], c.records[34], c.records[62],
                      tc[0], tc[1], tc[2], mism, st.malformed);
        if (!is_pcap) unlink(tmp);
        assert_int_equal(mism, 0);
        assert_int_equal(c.records[48], tc[0]);
        assert_int_equal(c.records[34], tc[1]);
        assert_int_equal(c.records[62], tc[2]);
        assert_true(c.records[48] >= cases[ci].min048);
        assert_true(c.records[34] >= cases[ci].min034);
        assert_true(c.records[62] >= cases[ci].min062);
        assert_int_equal(st.malformed, 0);
        total += c.records[48] + c.records[34] + c.records[62];
        free_collect(&c);
    }
    assert_true(total > 60000);
}

/* ---- encoder ----------------------------------------------------------------------------- */

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}
static long rnd_range(long lo, long hi) { return lo + (long)(rnd() % (uint32_t)(hi - lo + 1)); }

static void random048(lo_cat048 *r)
{
    memset(r, 0, sizeof *r);
    r->present = LO_FRN(LO_I048_010) | LO_FRN(LO_I048_140) | LO_FRN(LO_I048_020) | LO_FRN(LO_I048_040);
    static const int optional[] = {LO_I048_070, LO_I048_090, LO_I048_130, LO_I048_220, LO_I048_240,
                                   LO_I048_161, LO_I048_042, LO_I048_200, LO_I048_170, LO_I048_210,
                                   LO_I048_110, LO_I048_120, LO_I048_SP};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (rnd() & 1) r->present |= LO_FRN(optional[i]);
    r->sac = (uint8_t)rnd(); r->sic = (uint8_t)rnd();
    r->tod = (uint32_t)rnd_range(0, 86400L * 128 - 1);
    r->typ = (uint8_t)rnd_range(0, 7); r->sim = rnd() & 1; r->rdp = rnd() & 1;
    r->i020_len = (uint8_t)rnd_range(1, 2); r->tst = r->i020_len == 2 && (rnd() & 1);
    r->rho = (uint16_t)rnd(); r->theta = (uint16_t)rnd();
    r->mode3a = (uint16_t)(rnd() & 0x0fff);
    /* tshark 4.0 reads I048/090 FL as unsigned (edition 1.31 wording); older editions and we
     * read two's complement. Only non-negative flight levels compare. */
    r->fl = (int16_t)rnd_range(0, 8191);
    r->sub130_present = (uint8_t)(rnd() & 0x7f) | LO_I130_PAM;
    r->srl = (uint8_t)rnd(); r->srr = (uint8_t)rnd(); r->sam = (int8_t)rnd(); r->prl = (uint8_t)rnd();
    r->pam = (int8_t)rnd(); r->rpd = (int8_t)rnd(); r->apd = (int8_t)rnd();
    r->address = rnd() & 0xffffff;
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    int idlen = (int)rnd_range(1, 8);
    for (int i = 0; i < 8; i++) r->ident[i] = i < idlen ? chars[rnd() % 36] : ' ';
    r->track_number = (uint16_t)(rnd() & 0x0fff);
    r->x = (int16_t)rnd(); r->y = (int16_t)rnd();
    r->gsp = (uint16_t)rnd(); r->hdg = (uint16_t)rnd();
    r->i170[0] = (uint8_t)(rnd() & 0xfe);
    r->sigx = (uint8_t)rnd(); r->sigy = (uint8_t)rnd(); r->sigv = (uint8_t)rnd(); r->sigh = (uint8_t)rnd();
    r->height_3d = (int16_t)rnd_range(-8192, 8191);
    r->has_doppler_cal = true;
    r->doppler_cal = (int16_t)rnd_range(-512, 511);
    r->sp_lookout = (uint8_t)(rnd() & 0x1f) | LO_SP048_TRUTH;
    r->sp_elevation = (int16_t)rnd(); r->sp_snr = (int16_t)rnd(); r->sp_radial_vel = (int16_t)rnd();
    r->sp_truth_id = rnd(); r->sp_range_fine = (int8_t)rnd_range(-127, 127);
    r->sp_azimuth_fine = (int8_t)rnd_range(-127, 127);
}

static void random062(lo_cat062 *r)
{
    memset(r, 0, sizeof *r);
    r->present = LO_FRN(LO_I062_010) | LO_FRN(LO_I062_070) | LO_FRN(LO_I062_040) | LO_FRN(LO_I062_080);
    static const int optional[] = {LO_I062_015, LO_I062_105, LO_I062_100, LO_I062_185, LO_I062_210,
                                   LO_I062_060, LO_I062_380, LO_I062_290, LO_I062_200, LO_I062_136,
                                   LO_I062_130, LO_I062_220, LO_I062_500, LO_I062_340, LO_I062_SP};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (rnd() & 1) r->present |= LO_FRN(optional[i]);
    r->sac = (uint8_t)rnd(); r->sic = (uint8_t)rnd(); r->service_id = (uint8_t)rnd();
    r->tod = (uint32_t)rnd_range(0, 86400L * 128 - 1);
    r->lat = (int32_t)rnd_range(-16777216, 16777216); r->lon = (int32_t)rnd_range(-33554431, 33554431);
    r->x = (int32_t)rnd_range(-8388608, 8388607); r->y = (int32_t)rnd_range(-8388608, 8388607);
    r->vx = (int16_t)rnd(); r->vy = (int16_t)rnd(); r->ax = (int8_t)rnd(); r->ay = (int8_t)rnd();
    r->mode3a = (uint16_t)(rnd() & 0x0fff);
    r->has_address = true; r->address = rnd() & 0xffffff;
    r->track_number = (uint16_t)rnd();
    r->cnf = rnd() & 1; r->tsb = rnd() & 1; r->tse = rnd() & 1; r->cst = rnd() & 1; r->mon = rnd() & 1;
    r->i080[0] = (uint8_t)(rnd() & 0x7c);
    r->i080_len = 2; /* the encoder always writes at least two octets */
    r->sub290_present = (uint8_t)(rnd() & 0x0f) | LO_I290_TRK;
    r->age_trk = (uint8_t)rnd(); r->age_psr = (uint8_t)rnd(); r->age_ssr = (uint8_t)rnd(); r->age_mds = (uint8_t)rnd();
    r->mode_of_movement = (uint8_t)(rnd() & 0xfe);
    r->measured_fl = (int16_t)rnd(); r->geo_alt = (int16_t)rnd(); r->rocd = (int16_t)rnd();
    r->sub500_present = (uint8_t)(rnd() & 0xff) | LO_I500_APC | LO_I500_ATV;
    r->apc_x = (uint16_t)rnd(); r->apc_y = (uint16_t)rnd(); r->apc_cov = (int16_t)rnd();
    r->apw_lat = (uint16_t)rnd(); r->apw_lon = (uint16_t)rnd();
    r->aga = (uint8_t)rnd(); r->aba = (uint8_t)rnd(); r->atv_x = (uint8_t)rnd(); r->atv_y = (uint8_t)rnd();
    r->aa_x = (uint8_t)rnd(); r->aa_y = (uint8_t)rnd(); r->arc = (uint8_t)rnd();
    r->sub340_present = (uint8_t)(rnd() & 0x3f) | LO_I340_SID | LO_I340_POS;
    r->m_sac = (uint8_t)rnd(); r->m_sic = (uint8_t)rnd(); r->m_rho = (uint16_t)rnd(); r->m_theta = (uint16_t)rnd();
    r->m_height = (int16_t)rnd(); r->m_mdc = (uint16_t)(rnd() & 0xffff); r->m_mda = (uint16_t)(rnd() & 0xefff);
    r->m_typ = (uint8_t)(rnd() & 0xf8);
    r->sp_lookout = true; r->sp_n_classes = LO_CLASS_COUNT;
    for (int i = 0; i < LO_CLASS_COUNT; i++) r->sp_class_prob[i] = (uint8_t)rnd();
}

static void test_encoder_output_matches_tshark(void **state)
{
    (void)state;
    const int n_each = 3000;
    char tmp[] = "/tmp/lookout-enc-XXXXXX.pcap";
    int fd = mkstemps(tmp, 5);
    assert_true(fd >= 0);
    close(fd);
    lo_rec_writer *w = lo_rec_writer_open(tmp, LO_REC_PCAP, 8600);
    assert_non_null(w);
    collect c = {0};
    long frame = 0;
    lo_asterix_block blk;
    uint8_t buf[256];
    for (int cat = 0; cat < 2; cat++) {
        lo_asterix_block_init(&blk, cat == 0 ? 48 : 62);
        c.cur = frame + 1;
        for (int i = 0; i < n_each; i++) {
            lo_cat048 r48;
            lo_cat062 r62;
            lo_asterix_record rec = {(uint8_t)(cat == 0 ? 48 : 62), 0, 0, 0, NULL, NULL, NULL};
            size_t n;
            if (cat == 0) { random048(&r48); n = lo_cat048_encode(&r48, buf, sizeof buf); rec.c048 = &r48; }
            else { random062(&r62); n = lo_cat062_encode(&r62, buf, sizeof buf); rec.c062 = &r62; }
            assert_true(n > 0);
            /* A block of a few records, then the next datagram. */
            if (blk.n_records >= 1 + (int)(rnd() % 8) || !lo_asterix_block_add(&blk, buf, n)) {
                assert_int_equal(lo_rec_writer_write(w, 1.0e9 + (double)frame, blk.data, blk.len), 0);
                frame++;
                c.cur = frame + 1;
                lo_asterix_block_init(&blk, blk.cat);
                assert_true(lo_asterix_block_add(&blk, buf, n));
            }
            on_record(&c, &rec);
        }
        assert_int_equal(lo_rec_writer_write(w, 1.0e9 + (double)frame, blk.data, blk.len), 0);
        frame++;
    }
    assert_int_equal(lo_rec_writer_close(w), 0);

    long tc[3];
    long mism = compare_with_tshark("encoder", tmp, "", &c, tc, false);
    print_message("encoder: %d CAT048 + %d CAT062 records in %ld datagrams; tshark saw %ld + %ld; "
                  "%ld mismatches\n", n_each, n_each, frame, tc[0], tc[2], mism);
    assert_int_equal(mism, 0);
    assert_int_equal(tc[0], n_each);
    assert_int_equal(tc[2], n_each);

    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd,
             "tshark -r '%s' -Y '_ws.malformed || _ws.expert.severity>=error' 2>/dev/null | wc -l", tmp);
    int st = lo_test_run(cmd, out, sizeof out);
    assert_int_equal(st, 0);
    print_message("malformed/error frames: %s", out);
    assert_int_equal(atoi(out), 0);
    free_collect(&c);
    unlink(tmp);
}

int main(void)
{
    if (!have_tshark()) {
        printf("SKIP: tshark is not installed\n");
        return LO_TEST_SKIP;
    }
    if (!lo_test_shared_path("data/asterix")) return LO_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoder_output_matches_tshark),
        cmocka_unit_test(test_real_recordings_match_tshark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

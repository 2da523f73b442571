/*
 * make_seeds.c: writes the seed corpora in fuzz/corpus/ from our own encoder (no third-party
 * recordings). Not built by CMake; run by hand after changing the encoders:
 *   cc -std=c17 -D_DEFAULT_SOURCE -Iinclude -Isrc fuzz/make_seeds.c build/liblookout.a \
 *      $(pkg-config --libs libpcap jansson yaml-0.1 sqlite3) -lcsv -lm -o /tmp/make_seeds
 *   /tmp/make_seeds fuzz/corpus
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/asterix.h"
#include "lookout/geo.h"
#include "lookout/recording.h"

static void put(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n) { perror(path); exit(1); }
    fclose(f);
}

static size_t file_bytes(const char *path, uint8_t *b, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(b, 1, cap, f) : 0;
    if (f) fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: make_seeds DIR\n"); return 2; }
    const char *dir = argv[1];
    char sub[512];
    lo_sensor s;
    memset(&s, 0, sizeof s);
    s.sac = 25; s.sic = 7; s.id = 25 << 8 | 7; s.height_m = 120; s.scan_period_s = 4.0;
    s.lat = 46 * LO_DEG2RAD; s.lon = 15 * LO_DEG2RAD; s.kind = LO_SENSOR_ROTATING;

    /* CAT048: a 2D primary plot, a 3D plot with everything, an SSR plot. */
    lo_asterix_block b48;
    lo_asterix_block_init(&b48, 48);
    uint8_t rec[256];
    for (int i = 0; i < 3; i++) {
        lo_plot p;
        memset(&p, 0, sizeof p);
        p.t = 43200.0 + i;
        p.sensor_id = s.id;
        p.flags = LO_PLOT_POLAR;
        p.range_m = 4000.0 + 1000 * i;
        p.azimuth_rad = 0.7 * i;
        if (i == 1) {
            p.flags |= LO_PLOT_ELEVATION | LO_PLOT_SNR | LO_PLOT_RADIAL_VEL;
            p.elevation_rad = 0.05; p.snr_db = 14; p.radial_velocity_mps = -12; p.truth_id = 3;
        }
        if (i == 2) {
            p.flags |= LO_PLOT_MODE_3A | LO_PLOT_MODE_S | LO_PLOT_FLIGHT_LVL;
            p.mode_3a = 01234; p.mode_s_address = 0x3c5eeb; p.baro_altitude_m = 3000;
        }
        lo_cat048 r;
        lo_cat048_from_plot(&p, &s, &r);
        if (i == 2) {
            r.present |= LO_FRN(LO_I048_130) | LO_FRN(LO_I048_240) | LO_FRN(LO_I048_161) |
                         LO_FRN(LO_I048_042) | LO_FRN(LO_I048_200) | LO_FRN(LO_I048_170) |
                         LO_FRN(LO_I048_210);
            r.sub130_present = 0x7f; strcpy(r.ident, "ABC123  "); r.track_number = 99;
        }
        size_t n = lo_cat048_encode(&r, rec, sizeof rec);
        snprintf(sub, sizeof sub, "%s/fuzz_cat048", dir);
        char name[32];
        snprintf(name, sizeof name, "record%d", i);
        put(sub, name, rec, n);
        lo_asterix_block_add(&b48, rec, n);
    }
    snprintf(sub, sizeof sub, "%s/fuzz_cat048", dir);
    put(sub, "block3", b48.data, b48.len);

    /* CAT034: north marker, sector crossing. */
    lo_asterix_block b34;
    lo_asterix_block_init(&b34, 34);
    for (int i = 0; i < 2; i++) {
        lo_cat034 r;
        lo_cat034_make(&s, i ? LO_CAT034_SECTOR_CROSSING : LO_CAT034_NORTH_MARKER, 43200.0 + i, 1.0, &r);
        size_t n = lo_cat034_encode(&r, rec, sizeof rec);
        snprintf(sub, sizeof sub, "%s/fuzz_cat034", dir);
        put(sub, i ? "sector" : "north", rec, n);
        lo_asterix_block_add(&b34, rec, n);
    }
    put(sub, "block2", b34.data, b34.len);

    /* CAT062: a track with all the items we send. */
    lo_geodetic o = {46.01 * LO_DEG2RAD, 15.01 * LO_DEG2RAD, 100};
    lo_enu_frame sys;
    lo_enu_frame_init(&sys, &o);
    lo_track t;
    memset(&t, 0, sizeof t);
    t.id = 12; t.status = LO_TRACK_COASTING; t.t = 43210; t.t_last_update = 43208; t.n_updates = 5;
    t.pos[0] = 1000; t.pos[1] = -500; t.pos[2] = 80; t.vel[0] = 10; t.vel[2] = -1;
    t.pos_cov[0] = t.pos_cov[4] = t.pos_cov[8] = 25; t.vel_cov[0] = t.vel_cov[4] = 4;
    t.class_prob[LO_CLASS_MULTIROTOR] = 0.9; t.class_prob[LO_CLASS_BIRD] = 0.1;
    t.last_sensor_id = s.id; t.last_flags = LO_PLOT_MODE_3A | LO_PLOT_MODE_S; t.mode_3a = 7000;
    lo_cat062 r62;
    lo_cat062_from_track(&t, &sys, 1, 2, true, false, &s, 1, &r62);
    r62.present |= LO_FRN(LO_I062_136);
    size_t n = lo_cat062_encode(&r62, rec, sizeof rec);
    snprintf(sub, sizeof sub, "%s/fuzz_cat062", dir);
    put(sub, "track", rec, n);
    lo_asterix_block b62;
    lo_asterix_block_init(&b62, 62);
    lo_asterix_block_add(&b62, rec, n);
    lo_asterix_block_add(&b62, rec, n);
    put(sub, "block2", b62.data, b62.len);

    /* Containers: raw = blocks back to back; gps; ff; pcap via our writer. */
    uint8_t all[8192];
    size_t an = 0;
    memcpy(all + an, b48.data, b48.len); an += b48.len;
    memcpy(all + an, b34.data, b34.len); an += b34.len;
    memcpy(all + an, b62.data, b62.len); an += b62.len;
    snprintf(sub, sizeof sub, "%s/fuzz_raw", dir);
    put(sub, "three_blocks", all, an);

    uint8_t gps[8192];
    memset(gps, 0xcd, 2200);
    size_t gn = 2200;
    const lo_asterix_block *bl[3] = {&b48, &b34, &b62};
    for (int i = 0; i < 3; i++) {
        memcpy(gps + gn, bl[i]->data, bl[i]->len); gn += bl[i]->len;
        memset(gps + gn, 0, 10); gn += 10;
    }
    snprintf(sub, sizeof sub, "%s/fuzz_gps", dir);
    put(sub, "three_blocks", gps, gn);

    uint8_t ff[8192];
    size_t fn = 0;
    for (int i = 0; i < 3; i++) {
        size_t fl = 8 + bl[i]->len + 4;
        ff[fn] = (uint8_t)(fl >> 8); ff[fn + 1] = (uint8_t)fl;
        memset(ff + fn + 2, 0, 6);
        memcpy(ff + fn + 8, bl[i]->data, bl[i]->len);
        memset(ff + fn + 8 + bl[i]->len, 0xa5, 4);
        fn += fl;
    }
    snprintf(sub, sizeof sub, "%s/fuzz_ff", dir);
    put(sub, "three_frames", ff, fn);

    char pcap_path[512];
    snprintf(pcap_path, sizeof pcap_path, "%s/fuzz_pcap/three_datagrams", dir);
    lo_rec_writer *w = lo_rec_writer_open(pcap_path, LO_REC_PCAP, 8600);
    for (int i = 0; i < 3; i++) lo_rec_writer_write(w, 1000.0 + i, bl[i]->data, bl[i]->len);
    lo_rec_writer_close(w);
    uint8_t pc[8192];
    size_t pn = file_bytes(pcap_path, pc, sizeof pc);
    printf("seeds written (pcap %zu octets)\n", pn);
    return 0;
}

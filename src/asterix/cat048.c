/*
 * cat048.c: CAT048 monoradar target reports: decode, encode, and plot conversion.
 *
 * UAP of editions 1.15 to 1.32 (the FRN order did not change across them). Every item is
 * interpreted into lo_cat048 except I048/250's MB data and I048/120's raw Doppler repetitions,
 * which are counted.
 */
#include <math.h>
#include <string.h>

#include "asterix/asterix_internal.h"
#include "lookout/asterix.h"

static const lo_subfield_rule sub130[7] = {
    {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 1},
    {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 1}};
static const lo_subfield_rule sub120[2] = {{LO_ITEM_FIXED, 2}, {LO_ITEM_REP, 6}};

#define MAX_FRN_048 28
static const lo_item_rule uap048[MAX_FRN_048 + 1] = {
    [LO_I048_010] = {"I048/010", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_140] = {"I048/140", LO_ITEM_FIXED, 3, NULL, 0},
    [LO_I048_020] = {"I048/020", LO_ITEM_EXT, 1, NULL, 0},
    [LO_I048_040] = {"I048/040", LO_ITEM_FIXED, 4, NULL, 0},
    [LO_I048_070] = {"I048/070", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_090] = {"I048/090", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_130] = {"I048/130", LO_ITEM_COMPOUND, 0, sub130, 7},
    [LO_I048_220] = {"I048/220", LO_ITEM_FIXED, 3, NULL, 0},
    [LO_I048_240] = {"I048/240", LO_ITEM_FIXED, 6, NULL, 0},
    [LO_I048_250] = {"I048/250", LO_ITEM_REP, 8, NULL, 0},
    [LO_I048_161] = {"I048/161", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_042] = {"I048/042", LO_ITEM_FIXED, 4, NULL, 0},
    [LO_I048_200] = {"I048/200", LO_ITEM_FIXED, 4, NULL, 0},
    [LO_I048_170] = {"I048/170", LO_ITEM_EXT, 1, NULL, 0},
    [LO_I048_210] = {"I048/210", LO_ITEM_FIXED, 4, NULL, 0},
    [LO_I048_030] = {"I048/030", LO_ITEM_REPFX, 1, NULL, 0},
    [LO_I048_080] = {"I048/080", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_100] = {"I048/100", LO_ITEM_FIXED, 4, NULL, 0},
    [LO_I048_110] = {"I048/110", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_120] = {"I048/120", LO_ITEM_COMPOUND, 0, sub120, 2},
    [LO_I048_230] = {"I048/230", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_260] = {"I048/260", LO_ITEM_FIXED, 7, NULL, 0},
    [LO_I048_055] = {"I048/055", LO_ITEM_FIXED, 1, NULL, 0},
    [LO_I048_050] = {"I048/050", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_065] = {"I048/065", LO_ITEM_FIXED, 1, NULL, 0},
    [LO_I048_060] = {"I048/060", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I048_SP] = {"I048/SP", LO_ITEM_EXPLICIT, 0, NULL, 0},
    [LO_I048_RE] = {"I048/RE", LO_ITEM_EXPLICIT, 0, NULL, 0},
};

#define SP048_MAGIC 0x4C /* 'L': lookout's own layout, see docs/asterix.md */

static void decode_sp(lo_cat048 *r, const uint8_t *p, long n)
{
    r->sp_len = p[0];
    if (n < 3 || p[1] != SP048_MAGIC) return;
    uint8_t flags = p[2];
    long need = 3 + ((flags & LO_SP048_ELEVATION) ? 2 : 0) + ((flags & LO_SP048_SNR) ? 2 : 0) +
                ((flags & LO_SP048_RADIAL_VEL) ? 2 : 0) + ((flags & LO_SP048_TRUTH) ? 4 : 0) +
                ((flags & LO_SP048_FINE) ? 2 : 0) + ((flags & LO_SP048_SIGMAS) ? 8 : 0) +
                ((flags & LO_SP048_FINE_TIME) ? 1 : 0) + ((flags & LO_SP048_DOPPLER_SPREAD) ? 2 : 0);
    if (need != n) return; /* someone else's SP: leave it alone */
    const uint8_t *q = p + 3;
    if (flags & LO_SP048_ELEVATION) { r->sp_elevation = (int16_t)lo_sext(lo_be16(q), 16); q += 2; }
    if (flags & LO_SP048_SNR) { r->sp_snr = (int16_t)lo_sext(lo_be16(q), 16); q += 2; }
    if (flags & LO_SP048_RADIAL_VEL) { r->sp_radial_vel = (int16_t)lo_sext(lo_be16(q), 16); q += 2; }
    if (flags & LO_SP048_TRUTH) { r->sp_truth_id = lo_be32(q); q += 4; }
    if (flags & LO_SP048_FINE) { r->sp_range_fine = (int8_t)q[0]; r->sp_azimuth_fine = (int8_t)q[1]; q += 2; }
    if (flags & LO_SP048_SIGMAS) {
        r->sp_sigma_range = lo_be16(q);
        r->sp_sigma_azimuth = lo_be16(q + 2);
        r->sp_sigma_elevation = lo_be16(q + 4);
        r->sp_sigma_radial_vel = lo_be16(q + 6);
        q += 8;
    }
    if (flags & LO_SP048_FINE_TIME) { r->sp_time_fine = (int8_t)q[0]; q += 1; }
    if (flags & LO_SP048_DOPPLER_SPREAD) r->sp_doppler_spread = (uint16_t)lo_be16(q);
    r->sp_lookout = flags;
}

long lo_cat048_decode(const uint8_t *p, size_t avail, lo_cat048 *r, long *skipped_items,
                      const char **why, const char **item)
{
    memset(r, 0, sizeof *r);
    lo_item_walk w;
    if (!lo_item_walk_begin(&w, p, avail, MAX_FRN_048, uap048, "I048 FSPEC", &r->present, why, item))
        return -1;
    const uint8_t *q;
    long n;
    int frn;
    while ((frn = lo_item_walk_next(&w, &q, &n, why, item)) >= 0) {
        switch (frn) {
        case LO_I048_010: r->sac = q[0]; r->sic = q[1]; break;
        case LO_I048_140: r->tod = lo_be24(q); break;
        case LO_I048_020:
            r->i020_len = (uint8_t)(n > 3 ? 3 : n);
            memcpy(r->i020, q, r->i020_len);
            r->typ = q[0] >> 5;
            r->sim = q[0] >> 4 & 1;
            r->rdp = q[0] >> 3 & 1;
            r->spi = q[0] >> 2 & 1;
            r->rab = q[0] >> 1 & 1;
            if (n >= 2) r->tst = q[1] >> 7;
            break;
        case LO_I048_040: r->rho = (uint16_t)lo_be16(q); r->theta = (uint16_t)lo_be16(q + 2); break;
        case LO_I048_070:
            r->mode3a_v = q[0] >> 7; r->mode3a_g = q[0] >> 6 & 1; r->mode3a_l = q[0] >> 5 & 1;
            r->mode3a = (uint16_t)(lo_be16(q) & 0x0fff);
            break;
        case LO_I048_090:
            r->fl_v = q[0] >> 7; r->fl_g = q[0] >> 6 & 1;
            r->fl = (int16_t)lo_sext(lo_be16(q), 14);
            break;
        case LO_I048_130: {
            uint64_t slots;
            long k = lo_compound_primary(q, (size_t)n, &slots, why);
            r->sub130_present = (uint8_t)slots;
            const uint8_t *s = q + k;
            if (slots & LO_I130_SRL) r->srl = *s++;
            if (slots & LO_I130_SRR) r->srr = *s++;
            if (slots & LO_I130_SAM) r->sam = (int8_t)*s++;
            if (slots & LO_I130_PRL) r->prl = *s++;
            if (slots & LO_I130_PAM) r->pam = (int8_t)*s++;
            if (slots & LO_I130_RPD) r->rpd = (int8_t)*s++;
            if (slots & LO_I130_APD) r->apd = (int8_t)*s++;
            break;
        }
        case LO_I048_220: r->address = lo_be24(q); break;
        case LO_I048_240: lo_icao_chars_decode(q, r->ident); break;
        case LO_I048_250:
            r->n_bds = q[0];
            for (int i = 0; i < q[0] && i < 8; i++) r->bds[i] = q[1 + 8 * i + 7];
            (*skipped_items)++; /* MB data itself is not interpreted */
            break;
        case LO_I048_161: r->track_number = (uint16_t)(lo_be16(q) & 0x0fff); break;
        case LO_I048_042:
            r->x = (int16_t)lo_sext(lo_be16(q), 16); r->y = (int16_t)lo_sext(lo_be16(q + 2), 16);
            break;
        case LO_I048_200: r->gsp = (uint16_t)lo_be16(q); r->hdg = (uint16_t)lo_be16(q + 2); break;
        case LO_I048_170:
            r->i170_len = (uint8_t)(n > 2 ? 2 : n);
            memcpy(r->i170, q, r->i170_len);
            break;
        case LO_I048_210: r->sigx = q[0]; r->sigy = q[1]; r->sigv = q[2]; r->sigh = q[3]; break;
        case LO_I048_030:
            r->n_030 = (uint8_t)(n > 8 ? 8 : n);
            for (int i = 0; i < r->n_030; i++) r->codes_030[i] = q[i] >> 1;
            break;
        case LO_I048_080: r->i080 = (uint16_t)lo_be16(q); break;
        case LO_I048_100:
            r->modec_v = q[0] >> 7; r->modec_g = q[0] >> 6 & 1;
            r->modec = (uint16_t)(lo_be16(q) & 0x0fff);
            r->modec_conf = (uint16_t)(lo_be16(q + 2) & 0x0fff);
            break;
        case LO_I048_110: r->height_3d = (int16_t)lo_sext(lo_be16(q), 14); break;
        case LO_I048_120: {
            uint64_t slots;
            long k = lo_compound_primary(q, (size_t)n, &slots, why);
            const uint8_t *s = q + k;
            if (slots & 1) {
                r->has_doppler_cal = true;
                r->doppler_doubtful = s[0] >> 7;
                r->doppler_cal = (int16_t)lo_sext(lo_be16(s), 10);
                s += 2;
            }
            if (slots & 2) { r->n_doppler_raw = s[0]; (*skipped_items)++; }
            break;
        }
        case LO_I048_230: r->i230 = (uint16_t)lo_be16(q); break;
        case LO_I048_260: memcpy(r->i260, q, 7); break;
        case LO_I048_055: r->mode1 = q[0]; break;
        case LO_I048_050: r->mode2 = (uint16_t)lo_be16(q); break;
        case LO_I048_065: r->i065 = q[0]; break;
        case LO_I048_060: r->i060 = (uint16_t)lo_be16(q); break;
        case LO_I048_SP: decode_sp(r, q, n); break;
        case LO_I048_RE: r->re_len = q[0]; (*skipped_items)++; break;
        default: (*skipped_items)++; break;
        }
    }
    return frn == LO_WALK_END ? w.pos : -1;
}

size_t lo_cat048_encode(const lo_cat048 *r, uint8_t *out, size_t cap)
{
    uint8_t tmp[128];
    size_t n = 0;
    uint64_t bits = 0;
    uint64_t pr = r->present;
    if (pr & LO_FRN(LO_I048_010)) { tmp[n++] = r->sac; tmp[n++] = r->sic; bits |= LO_FRN(LO_I048_010); }
    if (pr & LO_FRN(LO_I048_140)) { lo_put24(tmp + n, r->tod & 0xffffff); n += 3; bits |= LO_FRN(LO_I048_140); }
    if (pr & LO_FRN(LO_I048_020)) {
        /* First octet from the fields; a second (TST ...) only when it was received. */
        uint8_t o1 = (uint8_t)((r->typ & 7) << 5 | r->sim << 4 | r->rdp << 3 | r->spi << 2 | r->rab << 1);
        if (r->i020_len >= 2) {
            tmp[n++] = o1 | 1;
            tmp[n++] = (uint8_t)((r->i020[1] & 0xfe) | (r->tst ? 0x80 : 0));
        } else {
            tmp[n++] = o1;
        }
        bits |= LO_FRN(LO_I048_020);
    }
    if (pr & LO_FRN(LO_I048_040)) {
        lo_put16(tmp + n, r->rho); lo_put16(tmp + n + 2, r->theta); n += 4;
        bits |= LO_FRN(LO_I048_040);
    }
    if (pr & LO_FRN(LO_I048_070)) {
        lo_put16(tmp + n, (uint32_t)(r->mode3a_v << 15 | r->mode3a_g << 14 | r->mode3a_l << 13 | (r->mode3a & 0x0fff)));
        n += 2; bits |= LO_FRN(LO_I048_070);
    }
    if (pr & LO_FRN(LO_I048_090)) {
        lo_put16(tmp + n, (uint32_t)(r->fl_v << 15 | r->fl_g << 14 | ((uint32_t)r->fl & 0x3fff)));
        n += 2; bits |= LO_FRN(LO_I048_090);
    }
    if ((pr & LO_FRN(LO_I048_130)) && (r->sub130_present & 0x7f)) {
        uint8_t s = r->sub130_present & 0x7f;
        tmp[n++] = (uint8_t)(s << 1);
        /* slot i is bit (7 - i) of the primary octet: reverse the order */
        tmp[n - 1] = 0;
        for (int i = 0; i < 7; i++) if (s & (1 << i)) tmp[n - 1] |= (uint8_t)(0x80 >> i);
        if (s & LO_I130_SRL) tmp[n++] = r->srl;
        if (s & LO_I130_SRR) tmp[n++] = r->srr;
        if (s & LO_I130_SAM) tmp[n++] = (uint8_t)r->sam;
        if (s & LO_I130_PRL) tmp[n++] = r->prl;
        if (s & LO_I130_PAM) tmp[n++] = (uint8_t)r->pam;
        if (s & LO_I130_RPD) tmp[n++] = (uint8_t)r->rpd;
        if (s & LO_I130_APD) tmp[n++] = (uint8_t)r->apd;
        bits |= LO_FRN(LO_I048_130);
    }
    if (pr & LO_FRN(LO_I048_220)) { lo_put24(tmp + n, r->address & 0xffffff); n += 3; bits |= LO_FRN(LO_I048_220); }
    if (pr & LO_FRN(LO_I048_240)) { lo_icao_chars_encode(r->ident, tmp + n); n += 6; bits |= LO_FRN(LO_I048_240); }
    if (pr & LO_FRN(LO_I048_161)) { lo_put16(tmp + n, r->track_number & 0x0fff); n += 2; bits |= LO_FRN(LO_I048_161); }
    if (pr & LO_FRN(LO_I048_042)) {
        lo_put16(tmp + n, (uint16_t)r->x); lo_put16(tmp + n + 2, (uint16_t)r->y); n += 4;
        bits |= LO_FRN(LO_I048_042);
    }
    if (pr & LO_FRN(LO_I048_200)) {
        lo_put16(tmp + n, r->gsp); lo_put16(tmp + n + 2, r->hdg); n += 4; bits |= LO_FRN(LO_I048_200);
    }
    if (pr & LO_FRN(LO_I048_170)) {
        tmp[n++] = (uint8_t)(r->i170[0] & 0xfe); /* first octet only */
        bits |= LO_FRN(LO_I048_170);
    }
    if (pr & LO_FRN(LO_I048_210)) {
        tmp[n++] = r->sigx; tmp[n++] = r->sigy; tmp[n++] = r->sigv; tmp[n++] = r->sigh;
        bits |= LO_FRN(LO_I048_210);
    }
    if (pr & LO_FRN(LO_I048_110)) {
        lo_put16(tmp + n, (uint32_t)r->height_3d & 0x3fff); n += 2; bits |= LO_FRN(LO_I048_110);
    }
    if ((pr & LO_FRN(LO_I048_120)) && r->has_doppler_cal) {
        tmp[n++] = 0x80; /* CAL only */
        lo_put16(tmp + n, (uint32_t)(r->doppler_doubtful << 15 | ((uint32_t)r->doppler_cal & 0x3ff)));
        n += 2; bits |= LO_FRN(LO_I048_120);
    }
    if ((pr & LO_FRN(LO_I048_SP)) && r->sp_lookout) {
        size_t start = n;
        uint8_t f = r->sp_lookout;
        tmp[n++] = 0; tmp[n++] = SP048_MAGIC; tmp[n++] = f;
        if (f & LO_SP048_ELEVATION) { lo_put16(tmp + n, (uint16_t)r->sp_elevation); n += 2; }
        if (f & LO_SP048_SNR) { lo_put16(tmp + n, (uint16_t)r->sp_snr); n += 2; }
        if (f & LO_SP048_RADIAL_VEL) { lo_put16(tmp + n, (uint16_t)r->sp_radial_vel); n += 2; }
        if (f & LO_SP048_TRUTH) { lo_put32(tmp + n, r->sp_truth_id); n += 4; }
        if (f & LO_SP048_FINE) { tmp[n++] = (uint8_t)r->sp_range_fine; tmp[n++] = (uint8_t)r->sp_azimuth_fine; }
        if (f & LO_SP048_SIGMAS) {
            lo_put16(tmp + n, r->sp_sigma_range);
            lo_put16(tmp + n + 2, r->sp_sigma_azimuth);
            lo_put16(tmp + n + 4, r->sp_sigma_elevation);
            lo_put16(tmp + n + 6, r->sp_sigma_radial_vel);
            n += 8;
        }
        if (f & LO_SP048_FINE_TIME) tmp[n++] = (uint8_t)r->sp_time_fine;
        if (f & LO_SP048_DOPPLER_SPREAD) { lo_put16(tmp + n, r->sp_doppler_spread); n += 2; }
        tmp[start] = (uint8_t)(n - start);
        bits |= LO_FRN(LO_I048_SP);
    }
    return lo_record_assemble(bits, tmp, n, out, cap);
}

/* ---- plots ------------------------------------------------------------------------------- */

#define EARTH_43_RADIUS (6371000.0 * 4.0 / 3.0)

double lo_cat048_range_m(const lo_cat048 *r)
{
    double rho = r->rho;
    if (r->sp_lookout & LO_SP048_FINE) rho += r->sp_range_fine / 256.0;
    return rho / 256.0 * LO_NM2M;
}

double lo_cat048_azimuth_rad(const lo_cat048 *r)
{
    double th = r->theta;
    if (r->sp_lookout & LO_SP048_FINE) th += r->sp_azimuth_fine / 256.0;
    double a = th * (2.0 * LO_PI / 65536.0);
    /* Only the fine residual can leave [0, 2pi); no fmod on the hot path. */
    if (a < 0) a += 2.0 * LO_PI;
    else if (a >= 2.0 * LO_PI) a -= 2.0 * LO_PI;
    return a;
}

/* Height above the antenna of a target at slant range R, elevation el (4/3 earth). */
static double height_above_antenna(double range, double el)
{
    double ka = EARTH_43_RADIUS;
    return sqrt(range * range + ka * ka + 2.0 * range * ka * sin(el)) - ka;
}

bool lo_cat048_to_plot(const lo_cat048 *r, const lo_sensor *sensor, double t, lo_plot *out)
{
    memset(out, 0, sizeof *out);
    if (!(r->present & LO_FRN(LO_I048_040))) return false;
    out->t = t;
    out->sensor_id = (sensor && sensor->sac == r->sac && sensor->sic == r->sic)
                         ? sensor->id : (uint16_t)(r->sac << 8 | r->sic);
    out->flags = LO_PLOT_POLAR;
    out->range_m = lo_cat048_range_m(r);
    out->azimuth_rad = lo_cat048_azimuth_rad(r);
    if (r->sp_lookout & LO_SP048_ELEVATION) {
        out->elevation_rad = r->sp_elevation * (LO_PI / 32768.0);
        out->flags |= LO_PLOT_ELEVATION;
    } else if ((r->present & LO_FRN(LO_I048_110)) && sensor && out->range_m > 0) {
        double dh = r->height_3d * 25.0 * LO_FT2M - sensor->height_m;
        double ka = EARTH_43_RADIUS, R = out->range_m;
        double s = ((dh + ka) * (dh + ka) - R * R - ka * ka) / (2.0 * R * ka);
        if (s >= -1.0 && s <= 1.0) {
            out->elevation_rad = asin(s);
            out->flags |= LO_PLOT_ELEVATION;
        }
    }
    if (r->sp_lookout & LO_SP048_RADIAL_VEL) {
        out->radial_velocity_mps = r->sp_radial_vel / 64.0;
        out->flags |= LO_PLOT_RADIAL_VEL;
    } else if (r->has_doppler_cal) {
        out->radial_velocity_mps = r->doppler_cal;
        out->flags |= LO_PLOT_RADIAL_VEL;
    }
    if ((r->sp_lookout & LO_SP048_DOPPLER_SPREAD) && (out->flags & LO_PLOT_RADIAL_VEL)) {
        out->doppler_spread_mps = r->sp_doppler_spread / 64.0;
        out->flags |= LO_PLOT_DOPPLER_SPREAD;
    }
    if (r->sp_lookout & LO_SP048_SNR) {
        out->snr_db = r->sp_snr / 256.0;
        out->flags |= LO_PLOT_SNR;
    }
    if (r->present & LO_FRN(LO_I048_220)) {
        out->mode_s_address = r->address;
        out->flags |= LO_PLOT_MODE_S;
    }
    if (r->present & LO_FRN(LO_I048_070)) {
        out->mode_3a = r->mode3a;
        out->flags |= LO_PLOT_MODE_3A;
    }
    if (r->present & LO_FRN(LO_I048_090)) {
        out->baro_altitude_m = r->fl * 25.0 * LO_FT2M;
        out->flags |= LO_PLOT_FLIGHT_LVL;
    }
    if (r->sp_lookout & LO_SP048_TRUTH) out->truth_id = r->sp_truth_id;
    if (r->sp_lookout & LO_SP048_SIGMAS) {
        out->flags |= LO_PLOT_SIGMAS;
        out->sigma_range_m = r->sp_sigma_range / 64.0;
        out->sigma_azimuth_rad = r->sp_sigma_azimuth * (LO_PI / 1048576.0);
        out->sigma_elevation_rad = r->sp_sigma_elevation * (LO_PI / 1048576.0);
        out->sigma_radial_velocity_mps = r->sp_sigma_radial_vel / 256.0;
    }
    /* The caller resolved I048/140 alone: add the sub-LSB residual when we sent one. */
    if (r->sp_lookout & LO_SP048_FINE_TIME) out->t += r->sp_time_fine / 32768.0;
    return true;
}

void lo_cat048_from_plot(const lo_plot *p, const lo_sensor *s, lo_cat048 *r)
{
    memset(r, 0, sizeof *r);
    r->present = LO_FRN(LO_I048_010) | LO_FRN(LO_I048_140) | LO_FRN(LO_I048_020) | LO_FRN(LO_I048_040);
    r->sac = s ? s->sac : (uint8_t)(p->sensor_id >> 8);
    r->sic = s ? s->sic : (uint8_t)p->sensor_id;
    double tod = fmod(p->t, 86400.0);
    if (tod < 0) tod += 86400.0;
    r->tod = (uint32_t)lo_quantize(tod * 128.0, 0, 86400L * 128 - 1);
    r->sp_lookout |= LO_SP048_FINE_TIME;
    r->sp_time_fine = (int8_t)lo_quantize((tod * 128.0 - r->tod) * 256.0, -127, 127);
    bool ssr = p->flags & (LO_PLOT_MODE_3A | LO_PLOT_MODE_S);
    r->typ = (p->flags & LO_PLOT_MODE_S) ? 5 : ssr ? 3 : 1;
    r->i020_len = 1;
    double rho = p->range_m / LO_NM2M * 256.0;
    double th = lo_wrap_2pi(p->azimuth_rad) * (65536.0 / (2.0 * LO_PI));
    r->rho = (uint16_t)lo_quantize(rho, 0, 65535);
    long thq = lo_quantize(th, 0, 65536);
    r->theta = (uint16_t)(thq & 0xffff);
    r->sp_lookout |= LO_SP048_FINE;
    r->sp_range_fine = (int8_t)lo_quantize((rho - r->rho) * 256.0, -127, 127);
    r->sp_azimuth_fine = (int8_t)lo_quantize((th - (double)thq) * 256.0, -127, 127);
    if (p->flags & LO_PLOT_MODE_3A) { r->present |= LO_FRN(LO_I048_070); r->mode3a = p->mode_3a & 0x0fff; }
    if (p->flags & LO_PLOT_FLIGHT_LVL) {
        r->present |= LO_FRN(LO_I048_090);
        r->fl = (int16_t)lo_quantize(p->baro_altitude_m / LO_FT2M / 25.0, -8192, 8191);
    }
    if (p->flags & LO_PLOT_MODE_S) { r->present |= LO_FRN(LO_I048_220); r->address = p->mode_s_address & 0xffffff; }
    if (p->flags & LO_PLOT_ELEVATION) {
        r->sp_lookout |= LO_SP048_ELEVATION;
        r->sp_elevation = (int16_t)lo_quantize(lo_wrap_pi(p->elevation_rad) * (32768.0 / LO_PI), -32768, 32767);
        if (s) {
            double h = height_above_antenna(p->range_m, p->elevation_rad) + s->height_m;
            r->present |= LO_FRN(LO_I048_110);
            r->height_3d = (int16_t)lo_quantize(h / LO_FT2M / 25.0, -8192, 8191);
        }
    }
    if (p->flags & LO_PLOT_RADIAL_VEL) {
        r->present |= LO_FRN(LO_I048_120);
        r->has_doppler_cal = true;
        r->doppler_cal = (int16_t)lo_quantize(p->radial_velocity_mps, -512, 511);
        r->sp_lookout |= LO_SP048_RADIAL_VEL;
        r->sp_radial_vel = (int16_t)lo_quantize(p->radial_velocity_mps * 64.0, -32768, 32767);
        if (p->flags & LO_PLOT_DOPPLER_SPREAD) {
            r->sp_lookout |= LO_SP048_DOPPLER_SPREAD;
            r->sp_doppler_spread = (uint16_t)lo_quantize(p->doppler_spread_mps * 64.0, 0, 65535);
        }
    }
    if (p->flags & LO_PLOT_SNR) {
        r->sp_lookout |= LO_SP048_SNR;
        r->sp_snr = (int16_t)lo_quantize(p->snr_db * 256.0, -32768, 32767);
    }
    if (p->truth_id) { r->sp_lookout |= LO_SP048_TRUTH; r->sp_truth_id = p->truth_id; }
    if (p->flags & LO_PLOT_SIGMAS) {
        r->sp_lookout |= LO_SP048_SIGMAS;
        r->sp_sigma_range = (uint16_t)lo_quantize(p->sigma_range_m * 64.0, 0, 65535);
        r->sp_sigma_azimuth = (uint16_t)lo_quantize(p->sigma_azimuth_rad * (1048576.0 / LO_PI), 0, 65535);
        r->sp_sigma_elevation = (uint16_t)lo_quantize(p->sigma_elevation_rad * (1048576.0 / LO_PI), 0, 65535);
        r->sp_sigma_radial_vel = (uint16_t)lo_quantize(p->sigma_radial_velocity_mps * 256.0, 0, 65535);
    }
    r->present |= LO_FRN(LO_I048_SP);
}

bool lo_cat048_wire_plot(const lo_plot *p, const lo_sensor *sensor, lo_plot *out)
{
    *out = *p;
    if (!(p->flags & LO_PLOT_POLAR) || (p->flags & (LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE)))
        return false;
    lo_cat048 rec, back;
    lo_cat048_from_plot(p, sensor, &rec);
    uint8_t bytes[128];
    size_t n = lo_cat048_encode(&rec, bytes, sizeof bytes);
    long skipped = 0;
    const char *why = NULL, *item = NULL;
    if (n == 0 || lo_cat048_decode(bytes, n, &back, &skipped, &why, &item) != (long)n) return false;
    double t = lo_tod_nearest(back.tod * LO_ASTERIX_TOD_LSB, p->t);
    if (!lo_cat048_to_plot(&back, sensor, t, out)) {
        *out = *p;
        return false;
    }
    return true;
}

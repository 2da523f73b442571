/*
 * cat034.c: CAT034 monoradar service messages (edition 1.29 UAP; 1.26 and later share it):
 * north markers and sector crossings, which tell a receiver the antenna's position and
 * rotation period.
 */
#include <math.h>
#include <string.h>

#include "asterix/asterix_internal.h"
#include "lookout/asterix.h"

static const lo_subfield_rule sub050[6] = {
    {LO_ITEM_FIXED, 1}, {LO_ITEM_NONE, 0}, {LO_ITEM_NONE, 0},
    {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 2}};
static const lo_subfield_rule sub060[6] = {
    {LO_ITEM_FIXED, 1}, {LO_ITEM_NONE, 0}, {LO_ITEM_NONE, 0},
    {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 1}, {LO_ITEM_FIXED, 1}};

#define MAX_FRN_034 14
static const lo_item_rule uap034[MAX_FRN_034 + 1] = {
    [LO_I034_010] = {"I034/010", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I034_000] = {"I034/000", LO_ITEM_FIXED, 1, NULL, 0},
    [LO_I034_030] = {"I034/030", LO_ITEM_FIXED, 3, NULL, 0},
    [LO_I034_020] = {"I034/020", LO_ITEM_FIXED, 1, NULL, 0},
    [LO_I034_041] = {"I034/041", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I034_050] = {"I034/050", LO_ITEM_COMPOUND, 0, sub050, 6},
    [LO_I034_060] = {"I034/060", LO_ITEM_COMPOUND, 0, sub060, 6},
    [LO_I034_070] = {"I034/070", LO_ITEM_REP, 2, NULL, 0},
    [LO_I034_100] = {"I034/100", LO_ITEM_FIXED, 8, NULL, 0},
    [LO_I034_110] = {"I034/110", LO_ITEM_FIXED, 1, NULL, 0},
    [LO_I034_120] = {"I034/120", LO_ITEM_FIXED, 8, NULL, 0},
    [LO_I034_090] = {"I034/090", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I034_RE] = {"I034/RE", LO_ITEM_EXPLICIT, 0, NULL, 0},
    [LO_I034_SP] = {"I034/SP", LO_ITEM_EXPLICIT, 0, NULL, 0},
};

long lo_cat034_decode(const uint8_t *p, size_t avail, lo_cat034 *r, long *skipped_items,
                      const char **why, const char **item)
{
    memset(r, 0, sizeof *r);
    lo_item_walk w;
    if (!lo_item_walk_begin(&w, p, avail, MAX_FRN_034, uap034, "I034 FSPEC", &r->present, why, item))
        return -1;
    const uint8_t *q;
    long n;
    int frn;
    while ((frn = lo_item_walk_next(&w, &q, &n, why, item)) >= 0) {
        uint64_t slots;
        switch (frn) {
        case LO_I034_010: r->sac = q[0]; r->sic = q[1]; break;
        case LO_I034_000: r->msg_type = q[0]; break;
        case LO_I034_030: r->tod = lo_be24(q); break;
        case LO_I034_020: r->sector = q[0]; break;
        case LO_I034_041: r->rotation_period = (uint16_t)lo_be16(q); break;
        case LO_I034_050: {
            long k = lo_compound_primary(q, (size_t)n, &slots, why);
            r->i050_sub = (uint8_t)slots;
            if (slots & 1) r->i050_com = q[k];
            (*skipped_items)++;
            break;
        }
        case LO_I034_060:
            lo_compound_primary(q, (size_t)n, &slots, why);
            r->i060_sub = (uint8_t)slots;
            (*skipped_items)++;
            break;
        case LO_I034_070: r->n_counters = q[0]; (*skipped_items)++; break;
        case LO_I034_100:
            r->rho_start = (uint16_t)lo_be16(q); r->rho_end = (uint16_t)lo_be16(q + 2);
            r->theta_start = (uint16_t)lo_be16(q + 4); r->theta_end = (uint16_t)lo_be16(q + 6);
            break;
        case LO_I034_110: r->data_filter = q[0]; break;
        case LO_I034_120:
            r->site_height = (int16_t)lo_sext(lo_be16(q), 16);
            r->site_lat = lo_sext(lo_be24(q + 2), 24);
            r->site_lon = lo_sext(lo_be24(q + 5), 24);
            break;
        case LO_I034_090: r->coll_range = (int8_t)q[0]; r->coll_azimuth = (int8_t)q[1]; break;
        case LO_I034_RE: r->re_len = q[0]; (*skipped_items)++; break;
        case LO_I034_SP: r->sp_len = q[0]; (*skipped_items)++; break;
        default: (*skipped_items)++; break;
        }
    }
    return frn == LO_WALK_END ? w.pos : -1;
}

size_t lo_cat034_encode(const lo_cat034 *r, uint8_t *out, size_t cap)
{
    uint8_t tmp[64];
    size_t n = 0;
    uint64_t bits = 0, pr = r->present;
    if (pr & LO_FRN(LO_I034_010)) { tmp[n++] = r->sac; tmp[n++] = r->sic; bits |= LO_FRN(LO_I034_010); }
    if (pr & LO_FRN(LO_I034_000)) { tmp[n++] = r->msg_type; bits |= LO_FRN(LO_I034_000); }
    if (pr & LO_FRN(LO_I034_030)) { lo_put24(tmp + n, r->tod & 0xffffff); n += 3; bits |= LO_FRN(LO_I034_030); }
    if (pr & LO_FRN(LO_I034_020)) { tmp[n++] = r->sector; bits |= LO_FRN(LO_I034_020); }
    if (pr & LO_FRN(LO_I034_041)) { lo_put16(tmp + n, r->rotation_period); n += 2; bits |= LO_FRN(LO_I034_041); }
    if (pr & LO_FRN(LO_I034_050)) { tmp[n++] = 0x80; tmp[n++] = r->i050_com & 0xfe; bits |= LO_FRN(LO_I034_050); }
    if (pr & LO_FRN(LO_I034_120)) {
        lo_put16(tmp + n, (uint16_t)r->site_height);
        lo_put24(tmp + n + 2, (uint32_t)r->site_lat & 0xffffff);
        lo_put24(tmp + n + 5, (uint32_t)r->site_lon & 0xffffff);
        n += 8; bits |= LO_FRN(LO_I034_120);
    }
    return lo_record_assemble(bits, tmp, n, out, cap);
}

void lo_cat034_make(const lo_sensor *s, int msg_type, double t, double sector_az_rad,
                    lo_cat034 *r)
{
    memset(r, 0, sizeof *r);
    r->present = LO_FRN(LO_I034_010) | LO_FRN(LO_I034_000) | LO_FRN(LO_I034_030) | LO_FRN(LO_I034_050);
    r->sac = s->sac;
    r->sic = s->sic;
    r->msg_type = (uint8_t)msg_type;
    double tod = fmod(t, 86400.0);
    if (tod < 0) tod += 86400.0;
    r->tod = (uint32_t)lo_quantize(tod * 128.0, 0, 86400L * 128 - 1);
    r->i050_com = 0; /* released for operational use, no overload */
    if (s->kind == LO_SENSOR_ROTATING && s->scan_period_s > 0) {
        r->present |= LO_FRN(LO_I034_041);
        r->rotation_period = (uint16_t)lo_quantize(s->scan_period_s * 128.0, 0, 65535);
    }
    if (msg_type == LO_CAT034_SECTOR_CROSSING) {
        r->present |= LO_FRN(LO_I034_020);
        double a = fmod(sector_az_rad, 2.0 * LO_PI);
        if (a < 0) a += 2.0 * LO_PI;
        r->sector = (uint8_t)(lo_quantize(a * (256.0 / (2.0 * LO_PI)), 0, 256) & 0xff);
    }
    if (msg_type == LO_CAT034_NORTH_MARKER) {
        r->present |= LO_FRN(LO_I034_120);
        r->site_height = (int16_t)lo_quantize(s->height_m, -32768, 32767);
        r->site_lat = (int32_t)lo_quantize(s->lat * LO_RAD2DEG * (8388608.0 / 180.0), -8388608, 8388607);
        r->site_lon = (int32_t)lo_quantize(s->lon * LO_RAD2DEG * (8388608.0 / 180.0), -8388608, 8388607);
    }
}

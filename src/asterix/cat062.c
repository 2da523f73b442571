/*
 * cat062.c: CAT062 SDPS system tracks: decode (editions 1.16 .. 1.20), encode (1.19/1.20
 * compatible: never I062/510, I062/080 up to its fourth octet), and track conversion.
 */
#include <math.h>
#include <string.h>

#include "asterix/asterix_internal.h"
#include "lookout/asterix.h"

#define F1 {LO_ITEM_FIXED, 1}
static const lo_subfield_rule sub380[28] = {
    {LO_ITEM_FIXED, 3}, {LO_ITEM_FIXED, 6}, {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2},
    {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2}, {LO_ITEM_EXT, 1},
    {LO_ITEM_REP, 15},  {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 7},
    {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2},
    {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2}, F1, {LO_ITEM_FIXED, 8}, F1,
    {LO_ITEM_FIXED, 6}, {LO_ITEM_FIXED, 2}, F1, {LO_ITEM_REP, 8}, {LO_ITEM_FIXED, 2},
    {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2}};
static const lo_subfield_rule sub390[18] = {
    {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 7}, {LO_ITEM_FIXED, 4}, F1, {LO_ITEM_FIXED, 4}, F1,
    {LO_ITEM_FIXED, 4}, {LO_ITEM_FIXED, 4}, {LO_ITEM_FIXED, 3}, {LO_ITEM_FIXED, 2},
    {LO_ITEM_FIXED, 2}, {LO_ITEM_REP, 4}, {LO_ITEM_FIXED, 6}, F1, {LO_ITEM_FIXED, 7},
    {LO_ITEM_FIXED, 7}, {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 7}};
static const lo_subfield_rule sub290[10] = {F1, F1, F1, F1, {LO_ITEM_FIXED, 2}, F1, F1, F1, F1, F1};
static const lo_subfield_rule sub295[31] = {F1, F1, F1, F1, F1, F1, F1, F1, F1, F1, F1,
                                            F1, F1, F1, F1, F1, F1, F1, F1, F1, F1, F1,
                                            F1, F1, F1, F1, F1, F1, F1, F1, F1};
static const lo_subfield_rule sub110[7] = {F1, {LO_ITEM_FIXED, 4}, {LO_ITEM_FIXED, 6},
                                           {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2}, F1, F1};
static const lo_subfield_rule sub500[8] = {{LO_ITEM_FIXED, 4}, {LO_ITEM_FIXED, 2},
                                           {LO_ITEM_FIXED, 4}, F1, F1, {LO_ITEM_FIXED, 2},
                                           {LO_ITEM_FIXED, 2}, F1};
static const lo_subfield_rule sub340[6] = {{LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 4},
                                           {LO_ITEM_FIXED, 2}, {LO_ITEM_FIXED, 2},
                                           {LO_ITEM_FIXED, 2}, F1};

#define MAX_FRN_062 35
static const lo_item_rule uap062[MAX_FRN_062 + 1] = {
    [LO_I062_010] = {"I062/010", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_015] = {"I062/015", LO_ITEM_FIXED, 1, NULL, 0},
    [LO_I062_070] = {"I062/070", LO_ITEM_FIXED, 3, NULL, 0},
    [LO_I062_105] = {"I062/105", LO_ITEM_FIXED, 8, NULL, 0},
    [LO_I062_100] = {"I062/100", LO_ITEM_FIXED, 6, NULL, 0},
    [LO_I062_185] = {"I062/185", LO_ITEM_FIXED, 4, NULL, 0},
    [LO_I062_210] = {"I062/210", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_060] = {"I062/060", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_245] = {"I062/245", LO_ITEM_FIXED, 7, NULL, 0},
    [LO_I062_380] = {"I062/380", LO_ITEM_COMPOUND, 0, sub380, 28},
    [LO_I062_040] = {"I062/040", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_080] = {"I062/080", LO_ITEM_EXT, 1, NULL, 0},
    [LO_I062_290] = {"I062/290", LO_ITEM_COMPOUND, 0, sub290, 10},
    [LO_I062_200] = {"I062/200", LO_ITEM_FIXED, 1, NULL, 0},
    [LO_I062_295] = {"I062/295", LO_ITEM_COMPOUND, 0, sub295, 31},
    [LO_I062_136] = {"I062/136", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_130] = {"I062/130", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_135] = {"I062/135", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_220] = {"I062/220", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_390] = {"I062/390", LO_ITEM_COMPOUND, 0, sub390, 18},
    [LO_I062_270] = {"I062/270", LO_ITEM_EXT, 1, NULL, 0},
    [LO_I062_300] = {"I062/300", LO_ITEM_FIXED, 1, NULL, 0},
    [LO_I062_110] = {"I062/110", LO_ITEM_COMPOUND, 0, sub110, 7},
    [LO_I062_120] = {"I062/120", LO_ITEM_FIXED, 2, NULL, 0},
    [LO_I062_510] = {"I062/510", LO_ITEM_REPFX, 3, NULL, 0},
    [LO_I062_500] = {"I062/500", LO_ITEM_COMPOUND, 0, sub500, 8},
    [LO_I062_340] = {"I062/340", LO_ITEM_COMPOUND, 0, sub340, 6},
    [LO_I062_RE] = {"I062/RE", LO_ITEM_EXPLICIT, 0, NULL, 0},
    [LO_I062_SP] = {"I062/SP", LO_ITEM_EXPLICIT, 0, NULL, 0},
};

#define SP062_MAGIC 0x4C /* lookout's class layout, docs/asterix.md */

/* Offset of subfield `slot` inside a compound item whose primary ends at `k`. */
static const uint8_t *subfield_at(const uint8_t *q, long k, uint64_t slots,
                                  const lo_subfield_rule *rules, int slot)
{
    const uint8_t *s = q + k;
    for (int i = 0; i < slot; i++) {
        if (!(slots & ((uint64_t)1 << i))) continue;
        if (rules[i].kind == LO_ITEM_FIXED) s += rules[i].size;
        else if (rules[i].kind == LO_ITEM_REP) s += 1 + (size_t)s[0] * rules[i].size;
        else { while (*s & 1) s++; s++; } /* EXT, bounds already checked by the length rule */
    }
    return s;
}

long lo_cat062_decode(const uint8_t *p, size_t avail, lo_cat062 *r, long *skipped_items,
                      const char **why, const char **item)
{
    memset(r, 0, sizeof *r);
    lo_item_walk w;
    if (!lo_item_walk_begin(&w, p, avail, MAX_FRN_062, uap062, "I062 FSPEC", &r->present, why, item))
        return -1;
    const uint8_t *q;
    long n;
    int frn;
    while ((frn = lo_item_walk_next(&w, &q, &n, why, item)) >= 0) {
        const uint8_t *s;
        uint64_t slots = 0;
        long k = 0;
        if (uap062[frn].kind == LO_ITEM_COMPOUND) k = lo_compound_primary(q, (size_t)n, &slots, why);
        switch (frn) {
        case LO_I062_010: r->sac = q[0]; r->sic = q[1]; break;
        case LO_I062_015: r->service_id = q[0]; break;
        case LO_I062_070: r->tod = lo_be24(q); break;
        case LO_I062_105: r->lat = (int32_t)lo_be32(q); r->lon = (int32_t)lo_be32(q + 4); break;
        case LO_I062_100: r->x = lo_sext(lo_be24(q), 24); r->y = lo_sext(lo_be24(q + 3), 24); break;
        case LO_I062_185:
            r->vx = (int16_t)lo_sext(lo_be16(q), 16); r->vy = (int16_t)lo_sext(lo_be16(q + 2), 16);
            break;
        case LO_I062_210: r->ax = (int8_t)q[0]; r->ay = (int8_t)q[1]; break;
        case LO_I062_060: r->mode3a = (uint16_t)(lo_be16(q) & 0x0fff); break;
        case LO_I062_245: lo_icao_chars_decode(q + 1, r->ident); break;
        case LO_I062_380:
            r->sub380_count = (uint8_t)__builtin_popcountll(slots);
            if (slots & 1) { r->has_address = true; r->address = lo_be24(q + k); }
            if (slots & 2) lo_icao_chars_decode(subfield_at(q, k, slots, sub380, 1), r->adr_ident);
            (*skipped_items)++;
            break;
        case LO_I062_040: r->track_number = (uint16_t)lo_be16(q); break;
        case LO_I062_080:
            r->i080_len = (uint8_t)(n > 7 ? 7 : n);
            memcpy(r->i080, q, r->i080_len);
            r->mon = q[0] >> 7;
            r->cnf = q[0] >> 1 & 1;
            if (n >= 2) { r->sim = q[1] >> 7; r->tse = q[1] >> 6 & 1; r->tsb = q[1] >> 5 & 1; }
            if (n >= 4) r->cst = q[3] >> 7;
            break;
        case LO_I062_290:
            r->sub290_present = (uint8_t)(slots & 0x0f);
            s = q + k;
            if (slots & 1) r->age_trk = *s++;
            if (slots & 2) r->age_psr = *s++;
            if (slots & 4) r->age_ssr = *s++;
            if (slots & 8) r->age_mds = *s++;
            if (slots & ~(uint64_t)0x0f) (*skipped_items)++;
            break;
        case LO_I062_200: r->mode_of_movement = q[0]; break;
        case LO_I062_136: r->measured_fl = (int16_t)lo_sext(lo_be16(q), 16); break;
        case LO_I062_130: r->geo_alt = (int16_t)lo_sext(lo_be16(q), 16); break;
        case LO_I062_135:
            r->baro_qnh = q[0] >> 7;
            r->baro_alt = (int16_t)lo_sext(lo_be16(q), 15);
            break;
        case LO_I062_220: r->rocd = (int16_t)lo_sext(lo_be16(q), 16); break;
        case LO_I062_390:
            if (slots & 2) {
                memcpy(r->callsign, subfield_at(q, k, slots, sub390, 1), 7);
                r->callsign[7] = 0;
            }
            (*skipped_items)++;
            break;
        case LO_I062_500:
            r->sub500_present = (uint8_t)slots;
            s = q + k;
            if (slots & LO_I500_APC) { r->apc_x = (uint16_t)lo_be16(s); r->apc_y = (uint16_t)lo_be16(s + 2); s += 4; }
            if (slots & LO_I500_COV) { r->apc_cov = (int16_t)lo_sext(lo_be16(s), 16); s += 2; }
            if (slots & LO_I500_APW) { r->apw_lat = (uint16_t)lo_be16(s); r->apw_lon = (uint16_t)lo_be16(s + 2); s += 4; }
            if (slots & LO_I500_AGA) r->aga = *s++;
            if (slots & LO_I500_ABA) r->aba = *s++;
            if (slots & LO_I500_ATV) { r->atv_x = s[0]; r->atv_y = s[1]; s += 2; }
            if (slots & LO_I500_AA) { r->aa_x = s[0]; r->aa_y = s[1]; s += 2; }
            if (slots & LO_I500_ARC) r->arc = *s++;
            break;
        case LO_I062_340:
            r->sub340_present = (uint8_t)slots;
            s = q + k;
            if (slots & LO_I340_SID) { r->m_sac = s[0]; r->m_sic = s[1]; s += 2; }
            if (slots & LO_I340_POS) { r->m_rho = (uint16_t)lo_be16(s); r->m_theta = (uint16_t)lo_be16(s + 2); s += 4; }
            if (slots & LO_I340_HEIGHT) { r->m_height = (int16_t)lo_sext(lo_be16(s), 16); s += 2; }
            if (slots & LO_I340_MDC) { r->m_mdc = (uint16_t)lo_be16(s); s += 2; }
            if (slots & LO_I340_MDA) { r->m_mda = (uint16_t)lo_be16(s); s += 2; }
            if (slots & LO_I340_TYP) r->m_typ = *s++;
            break;
        case LO_I062_510: r->n_510 = (uint8_t)(n / 3); (*skipped_items)++; break;
        case LO_I062_SP:
            r->sp_len = q[0];
            if (n >= 3 && q[1] == SP062_MAGIC && q[2] <= LO_CLASS_COUNT && n == 3 + q[2]) {
                r->sp_lookout = true;
                r->sp_n_classes = q[2];
                memcpy(r->sp_class_prob, q + 3, q[2]);
            } else {
                (*skipped_items)++;
            }
            break;
        case LO_I062_RE: r->re_len = q[0]; (*skipped_items)++; break;
        default: (*skipped_items)++; break;
        }
    }
    return frn == LO_WALK_END ? w.pos : -1;
}

size_t lo_cat062_encode(const lo_cat062 *r, uint8_t *out, size_t cap)
{
    uint8_t tmp[160];
    size_t n = 0;
    uint64_t bits = 0, pr = r->present;
#define HAS(i) (pr & LO_FRN(i))
    if (HAS(LO_I062_010)) { tmp[n++] = r->sac; tmp[n++] = r->sic; bits |= LO_FRN(LO_I062_010); }
    if (HAS(LO_I062_015)) { tmp[n++] = r->service_id; bits |= LO_FRN(LO_I062_015); }
    if (HAS(LO_I062_070)) { lo_put24(tmp + n, r->tod & 0xffffff); n += 3; bits |= LO_FRN(LO_I062_070); }
    if (HAS(LO_I062_105)) {
        lo_put32(tmp + n, (uint32_t)r->lat); lo_put32(tmp + n + 4, (uint32_t)r->lon); n += 8;
        bits |= LO_FRN(LO_I062_105);
    }
    if (HAS(LO_I062_100)) {
        lo_put24(tmp + n, (uint32_t)r->x & 0xffffff); lo_put24(tmp + n + 3, (uint32_t)r->y & 0xffffff);
        n += 6; bits |= LO_FRN(LO_I062_100);
    }
    if (HAS(LO_I062_185)) {
        lo_put16(tmp + n, (uint16_t)r->vx); lo_put16(tmp + n + 2, (uint16_t)r->vy); n += 4;
        bits |= LO_FRN(LO_I062_185);
    }
    if (HAS(LO_I062_210)) { tmp[n++] = (uint8_t)r->ax; tmp[n++] = (uint8_t)r->ay; bits |= LO_FRN(LO_I062_210); }
    if (HAS(LO_I062_060)) { lo_put16(tmp + n, r->mode3a & 0x0fff); n += 2; bits |= LO_FRN(LO_I062_060); }
    if (HAS(LO_I062_380) && r->has_address) {
        tmp[n++] = 0x80; /* ADR only */
        lo_put24(tmp + n, r->address & 0xffffff); n += 3;
        bits |= LO_FRN(LO_I062_380);
    }
    if (HAS(LO_I062_040)) { lo_put16(tmp + n, r->track_number); n += 2; bits |= LO_FRN(LO_I062_040); }
    if (HAS(LO_I062_080)) {
        /* Octets 1-2 always; 3-4 only to say "coasting" (CST). */
        tmp[n++] = (uint8_t)(r->mon << 7 | (r->i080[0] & 0x7c) | r->cnf << 1 | 1);
        uint8_t o2 = (uint8_t)(r->sim << 7 | r->tse << 6 | r->tsb << 5);
        if (r->cst) {
            tmp[n++] = o2 | 1;
            tmp[n++] = 1;
            tmp[n++] = 0x80;
        } else {
            tmp[n++] = o2;
        }
        bits |= LO_FRN(LO_I062_080);
    }
    if (HAS(LO_I062_290) && (r->sub290_present & 0x0f)) {
        uint8_t sp = r->sub290_present & 0x0f;
        tmp[n++] = (uint8_t)((sp & 1 ? 0x80 : 0) | (sp & 2 ? 0x40 : 0) | (sp & 4 ? 0x20 : 0) | (sp & 8 ? 0x10 : 0));
        if (sp & 1) tmp[n++] = r->age_trk;
        if (sp & 2) tmp[n++] = r->age_psr;
        if (sp & 4) tmp[n++] = r->age_ssr;
        if (sp & 8) tmp[n++] = r->age_mds;
        bits |= LO_FRN(LO_I062_290);
    }
    if (HAS(LO_I062_200)) { tmp[n++] = r->mode_of_movement & 0xfe; bits |= LO_FRN(LO_I062_200); }
    if (HAS(LO_I062_136)) { lo_put16(tmp + n, (uint16_t)r->measured_fl); n += 2; bits |= LO_FRN(LO_I062_136); }
    if (HAS(LO_I062_130)) { lo_put16(tmp + n, (uint16_t)r->geo_alt); n += 2; bits |= LO_FRN(LO_I062_130); }
    if (HAS(LO_I062_220)) { lo_put16(tmp + n, (uint16_t)r->rocd); n += 2; bits |= LO_FRN(LO_I062_220); }
    if (HAS(LO_I062_500) && r->sub500_present) {
        uint8_t sp = r->sub500_present;
        /* 8 subfields: slots 0-6 in octet 1, slot 7 (ARC) in octet 2 */
        uint8_t o1 = 0;
        for (int i = 0; i < 7; i++) if (sp & (1 << i)) o1 |= (uint8_t)(0x80 >> i);
        if (sp & LO_I500_ARC) { tmp[n++] = o1 | 1; tmp[n++] = 0x80; } else tmp[n++] = o1;
        if (sp & LO_I500_APC) { lo_put16(tmp + n, r->apc_x); lo_put16(tmp + n + 2, r->apc_y); n += 4; }
        if (sp & LO_I500_COV) { lo_put16(tmp + n, (uint16_t)r->apc_cov); n += 2; }
        if (sp & LO_I500_APW) { lo_put16(tmp + n, r->apw_lat); lo_put16(tmp + n + 2, r->apw_lon); n += 4; }
        if (sp & LO_I500_AGA) tmp[n++] = r->aga;
        if (sp & LO_I500_ABA) tmp[n++] = r->aba;
        if (sp & LO_I500_ATV) { tmp[n++] = r->atv_x; tmp[n++] = r->atv_y; }
        if (sp & LO_I500_AA) { tmp[n++] = r->aa_x; tmp[n++] = r->aa_y; }
        if (sp & LO_I500_ARC) tmp[n++] = r->arc;
        bits |= LO_FRN(LO_I062_500);
    }
    if (HAS(LO_I062_340) && (r->sub340_present & 0x3f)) {
        uint8_t sp = r->sub340_present & 0x3f, o1 = 0;
        for (int i = 0; i < 6; i++) if (sp & (1 << i)) o1 |= (uint8_t)(0x80 >> i);
        tmp[n++] = o1;
        if (sp & LO_I340_SID) { tmp[n++] = r->m_sac; tmp[n++] = r->m_sic; }
        if (sp & LO_I340_POS) { lo_put16(tmp + n, r->m_rho); lo_put16(tmp + n + 2, r->m_theta); n += 4; }
        if (sp & LO_I340_HEIGHT) { lo_put16(tmp + n, (uint16_t)r->m_height); n += 2; }
        if (sp & LO_I340_MDC) { lo_put16(tmp + n, r->m_mdc); n += 2; }
        if (sp & LO_I340_MDA) { lo_put16(tmp + n, r->m_mda); n += 2; }
        if (sp & LO_I340_TYP) tmp[n++] = r->m_typ & 0xf8;
        bits |= LO_FRN(LO_I062_340);
    }
    if (HAS(LO_I062_SP) && r->sp_lookout && r->sp_n_classes <= LO_CLASS_COUNT) {
        tmp[n++] = (uint8_t)(3 + r->sp_n_classes);
        tmp[n++] = SP062_MAGIC;
        tmp[n++] = r->sp_n_classes;
        memcpy(tmp + n, r->sp_class_prob, r->sp_n_classes);
        n += r->sp_n_classes;
        bits |= LO_FRN(LO_I062_SP);
    }
#undef HAS
    return lo_record_assemble(bits, tmp, n, out, cap);
}

/* ---- tracks ------------------------------------------------------------------------------ */

static uint8_t age_quarter_s(double age)
{
    return (uint8_t)lo_quantize(age * 4.0, 0, 255);
}

void lo_cat062_from_track(const lo_track *trk, const lo_enu_frame *sys, uint8_t sac, uint8_t sic,
                          bool first, bool last, const lo_sensor *sensors, int n_sensors,
                          lo_cat062 *r)
{
    memset(r, 0, sizeof *r);
    r->present = LO_FRN(LO_I062_010) | LO_FRN(LO_I062_015) | LO_FRN(LO_I062_070) |
                 LO_FRN(LO_I062_100) | LO_FRN(LO_I062_185) | LO_FRN(LO_I062_210) |
                 LO_FRN(LO_I062_040) | LO_FRN(LO_I062_080) | LO_FRN(LO_I062_290) |
                 LO_FRN(LO_I062_200) | LO_FRN(LO_I062_220) | LO_FRN(LO_I062_500);
    r->sac = sac;
    r->sic = sic;
    r->service_id = 1;
    double tod = fmod(trk->t, 86400.0);
    if (tod < 0) tod += 86400.0;
    r->tod = (uint32_t)lo_quantize(tod * 128.0, 0, 86400L * 128 - 1);
    if (sys) {
        lo_geodetic g;
        lo_enu_to_geodetic(sys, trk->pos, &g);
        r->present |= LO_FRN(LO_I062_105) | LO_FRN(LO_I062_130);
        r->lat = (int32_t)lo_quantize(g.lat * LO_RAD2DEG * (33554432.0 / 180.0), -2147483647L, 2147483647L);
        r->lon = (int32_t)lo_quantize(g.lon * LO_RAD2DEG * (33554432.0 / 180.0), -2147483647L, 2147483647L);
        r->geo_alt = (int16_t)lo_quantize(g.h / LO_FT2M / 6.25, -32768, 32767);
    }
    r->x = (int32_t)lo_quantize(trk->pos[0] * 2.0, -8388608, 8388607);
    r->y = (int32_t)lo_quantize(trk->pos[1] * 2.0, -8388608, 8388607);
    r->vx = (int16_t)lo_quantize(trk->vel[0] * 4.0, -32768, 32767);
    r->vy = (int16_t)lo_quantize(trk->vel[1] * 4.0, -32768, 32767);
    r->ax = (int8_t)lo_quantize(trk->acc[0] * 4.0, -128, 127);
    r->ay = (int8_t)lo_quantize(trk->acc[1] * 4.0, -128, 127);
    r->rocd = (int16_t)lo_quantize(trk->vel[2] / LO_FT2M * 60.0 / 6.25, -32768, 32767);
    r->track_number = (uint16_t)trk->id;
    r->cnf = trk->status == LO_TRACK_TENTATIVE;
    r->cst = trk->status == LO_TRACK_COASTING;
    r->tsb = first;
    r->tse = last || trk->status == LO_TRACK_DELETED;
    r->i080[0] = 2 << 2; /* SRC: 3D radar (heights come from radar elevation) */
    double age = trk->t - trk->t_last_update;
    r->sub290_present = LO_I290_TRK | LO_I290_PSR;
    r->age_trk = age_quarter_s(age);
    r->age_psr = age_quarter_s(age);
    /* Mode of movement from velocity and acceleration; thresholds keep noise "constant". */
    double vh = hypot(trk->vel[0], trk->vel[1]);
    int trans = 0, lng = 0, vert = 0;
    if (vh > 1.0) {
        double cross = trk->vel[0] * trk->acc[1] - trk->vel[1] * trk->acc[0];
        double along = (trk->vel[0] * trk->acc[0] + trk->vel[1] * trk->acc[1]) / vh;
        double lat_acc = cross / vh;
        trans = lat_acc > 0.5 ? 2 : lat_acc < -0.5 ? 1 : 0; /* ENU: positive cross = left turn */
        lng = along > 0.5 ? 1 : along < -0.5 ? 2 : 0;
    } else {
        trans = 3;
        lng = 3;
    }
    vert = trk->vel[2] > 1.0 ? 1 : trk->vel[2] < -1.0 ? 2 : 0;
    r->mode_of_movement = (uint8_t)(trans << 6 | lng << 4 | vert << 2);
    r->sub500_present = LO_I500_APC | LO_I500_COV | LO_I500_ATV | LO_I500_AGA | LO_I500_ARC;
    r->apc_x = (uint16_t)lo_quantize(sqrt(fmax(trk->pos_cov[0], 0)) * 2.0, 0, 65535);
    r->apc_y = (uint16_t)lo_quantize(sqrt(fmax(trk->pos_cov[4], 0)) * 2.0, 0, 65535);
    double cxy = trk->pos_cov[1];
    r->apc_cov = (int16_t)lo_quantize(copysign(sqrt(fabs(cxy)), cxy) * 2.0, -32768, 32767);
    r->atv_x = (uint8_t)lo_quantize(sqrt(fmax(trk->vel_cov[0], 0)) * 4.0, 0, 255);
    r->atv_y = (uint8_t)lo_quantize(sqrt(fmax(trk->vel_cov[4], 0)) * 4.0, 0, 255);
    r->aga = (uint8_t)lo_quantize(sqrt(fmax(trk->pos_cov[8], 0)) / LO_FT2M / 6.25, 0, 255);
    r->arc = (uint8_t)lo_quantize(sqrt(fmax(trk->vel_cov[8], 0)) / LO_FT2M * 60.0 / 6.25, 0, 255);
    if (trk->last_flags & LO_PLOT_MODE_3A) {
        r->present |= LO_FRN(LO_I062_060);
        r->mode3a = trk->mode_3a & 0x0fff;
    }
    if (trk->last_flags & LO_PLOT_MODE_S) {
        r->present |= LO_FRN(LO_I062_380);
        r->has_address = true;
        r->address = trk->mode_s_address & 0xffffff;
    }
    /* Last measured plot: the sensor that made it, and where that sensor saw the track. */
    for (int i = 0; sys && i < n_sensors; i++) {
        const lo_sensor *s = &sensors[i];
        if (s->id != trk->last_sensor_id || trk->n_updates == 0) continue;
        lo_enu_frame sf;
        lo_geodetic sg = {s->lat, s->lon, s->height_m};
        lo_enu_frame_init(&sf, &sg);
        double range, az, el;
        lo_system_enu_to_polar(sys, &sf, LO_PROP_STRAIGHT, trk->pos, &range, &az, &el);
        r->present |= LO_FRN(LO_I062_340);
        r->sub340_present = LO_I340_SID | LO_I340_POS | LO_I340_TYP;
        r->m_sac = s->sac;
        r->m_sic = s->sic;
        r->m_rho = (uint16_t)lo_quantize(range / LO_NM2M * 256.0, 0, 65535);
        r->m_theta = (uint16_t)(lo_quantize(az * (65536.0 / (2.0 * LO_PI)), 0, 65536) & 0xffff);
        bool ssr = trk->last_flags & (LO_PLOT_MODE_3A | LO_PLOT_MODE_S);
        r->m_typ = (uint8_t)((trk->last_flags & LO_PLOT_MODE_S ? 5 : ssr ? 3 : 1) << 5);
        if (trk->last_flags & LO_PLOT_MODE_3A) {
            r->sub340_present |= LO_I340_MDA;
            r->m_mda = trk->mode_3a & 0x0fff;
        }
        break;
    }
    double psum = 0;
    for (int c = 0; c < LO_CLASS_COUNT; c++) psum += trk->class_prob[c];
    if (psum > 0) {
        r->present |= LO_FRN(LO_I062_SP);
        r->sp_lookout = true;
        r->sp_n_classes = LO_CLASS_COUNT;
        for (int c = 0; c < LO_CLASS_COUNT; c++)
            r->sp_class_prob[c] = (uint8_t)lo_quantize(trk->class_prob[c] * 255.0, 0, 255);
    }
}

void lo_cat062_to_track(const lo_cat062 *r, const lo_enu_frame *sys, double t, lo_track *out)
{
    memset(out, 0, sizeof *out);
    out->id = r->track_number;
    out->t = t;
    out->status = LO_TRACK_CONFIRMED;
    if (r->cnf) out->status = LO_TRACK_TENTATIVE;
    if (r->cst) out->status = LO_TRACK_COASTING;
    if (r->tse) out->status = LO_TRACK_DELETED;
    double h = (r->present & LO_FRN(LO_I062_130)) ? r->geo_alt * 6.25 * LO_FT2M : 0.0;
    if (sys && (r->present & LO_FRN(LO_I062_105))) {
        lo_geodetic g = {r->lat * (180.0 / 33554432.0) * LO_DEG2RAD,
                         r->lon * (180.0 / 33554432.0) * LO_DEG2RAD, h};
        lo_geodetic_to_enu(sys, &g, out->pos);
        if (!(r->present & LO_FRN(LO_I062_130))) out->pos[2] = 0.0;
    } else if (r->present & LO_FRN(LO_I062_100)) {
        out->pos[0] = r->x * 0.5;
        out->pos[1] = r->y * 0.5;
        out->pos[2] = h;
    }
    out->vel[0] = r->vx * 0.25;
    out->vel[1] = r->vy * 0.25;
    out->vel[2] = r->rocd * 6.25 * LO_FT2M / 60.0;
    out->acc[0] = r->ax * 0.25;
    out->acc[1] = r->ay * 0.25;
    if (r->sub500_present & LO_I500_APC) {
        out->pos_cov[0] = (r->apc_x * 0.5) * (r->apc_x * 0.5);
        out->pos_cov[4] = (r->apc_y * 0.5) * (r->apc_y * 0.5);
    }
    if (r->sub500_present & LO_I500_ATV) {
        out->vel_cov[0] = (r->atv_x * 0.25) * (r->atv_x * 0.25);
        out->vel_cov[4] = (r->atv_y * 0.25) * (r->atv_y * 0.25);
    }
    if (r->sub290_present & LO_I290_TRK) out->t_last_update = t - r->age_trk * 0.25;
    else out->t_last_update = t;
    out->last_plot_t = out->t_last_update;
    if (r->present & LO_FRN(LO_I062_060)) { out->last_flags |= LO_PLOT_MODE_3A; out->mode_3a = r->mode3a; }
    if (r->has_address) { out->last_flags |= LO_PLOT_MODE_S; out->mode_s_address = r->address; }
    if (r->sub340_present & LO_I340_SID) out->last_sensor_id = (uint16_t)(r->m_sac << 8 | r->m_sic);
    if (r->sp_lookout)
        for (int c = 0; c < r->sp_n_classes && c < LO_CLASS_COUNT; c++)
            out->class_prob[c] = r->sp_class_prob[c] / 255.0;
}

/*
 * asterix_fields.h: for the ASTERIX tests: the tshark field names we compare, and how to get
 * the same value out of our decoded record structs (physical units exactly as tshark prints
 * them: raw * LSB). tshark prints Mode 3/A codes as the 12-bit number, not octal digits. Included by test_asterix_tshark.c only (static functions).
 */
#ifndef LOOKOUT_TEST_ASTERIX_FIELDS_H
#define LOOKOUT_TEST_ASTERIX_FIELDS_H

#include <string.h>

#include "lookout/asterix.h"

typedef enum { FV_NUM, FV_STR } field_kind;

typedef struct test_field {
    const char *tshark;   /* tshark field name */
    int cat;
    field_kind kind;
    double tol;           /* absolute tolerance: a small fraction of the LSB */
    double wrap;          /* compare modulo this (0: not) */
} test_field;

static const test_field test_fields[] = {
    {"asterix.048_010_SAC", 48, FV_NUM, 0.1, 0},
    {"asterix.048_010_SIC", 48, FV_NUM, 0.1, 0},
    {"asterix.048_140_VALUE", 48, FV_NUM, 1e-4, 0},
    {"asterix.048_020_TYP", 48, FV_NUM, 0.1, 0},
    {"asterix.048_040_RHO", 48, FV_NUM, 1e-5, 0},
    {"asterix.048_040_THETA", 48, FV_NUM, 1e-5, 0},
    {"asterix.048_070_MODE3A", 48, FV_NUM, 0.1, 0},
    /* tshark 4.0 reads FL as unsigned 14 bits (the edition 1.31 text), we as two's complement
     * (earlier editions; FL -1 is real near sea level): equal modulo 2^14 * 1/4 FL. */
    {"asterix.048_090_FL", 48, FV_NUM, 1e-4, 4096.0},
    {"asterix.048_220_VALUE", 48, FV_NUM, 0.1, 0},
    {"asterix.048_240_VALUE", 48, FV_STR, 0, 0},
    {"asterix.048_161_TRN", 48, FV_NUM, 0.1, 0},
    {"asterix.048_042_X", 48, FV_NUM, 1e-5, 0},
    {"asterix.048_042_Y", 48, FV_NUM, 1e-5, 0},
    {"asterix.048_200_HDG", 48, FV_NUM, 1e-5, 0},
    {"asterix.048_110_3DH", 48, FV_NUM, 1e-3, 0},
    {"asterix.048_130_PAM_VALUE", 48, FV_NUM, 1e-3, 0},
    {"asterix.048_120_CAL_CAL", 48, FV_NUM, 1e-3, 0},
    {"asterix.034_010_SAC", 34, FV_NUM, 0.1, 0},
    {"asterix.034_010_SIC", 34, FV_NUM, 0.1, 0},
    {"asterix.034_000_VALUE", 34, FV_NUM, 0.1, 0},
    {"asterix.034_030_VALUE", 34, FV_NUM, 1e-4, 0},
    {"asterix.034_020_VALUE", 34, FV_NUM, 1e-4, 0},
    {"asterix.034_041_VALUE", 34, FV_NUM, 1e-4, 0},
    {"asterix.062_010_SAC", 62, FV_NUM, 0.1, 0},
    {"asterix.062_010_SIC", 62, FV_NUM, 0.1, 0},
    {"asterix.062_015_VALUE", 62, FV_NUM, 0.1, 0},
    {"asterix.062_070_VALUE", 62, FV_NUM, 1e-4, 0},
    {"asterix.062_105_LAT", 62, FV_NUM, 1e-7, 0},
    {"asterix.062_105_LON", 62, FV_NUM, 1e-7, 0},
    {"asterix.062_100_X", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_100_Y", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_185_VX", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_185_VY", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_210_AX", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_210_AY", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_040_VALUE", 62, FV_NUM, 0.1, 0},
    {"asterix.062_060_MODE3A", 62, FV_NUM, 0.1, 0},
    {"asterix.062_380_ADR_VALUE", 62, FV_NUM, 0.1, 0},
    {"asterix.062_080_CNF", 62, FV_NUM, 0.1, 0},
    {"asterix.062_080_TSB", 62, FV_NUM, 0.1, 0},
    {"asterix.062_080_TSE", 62, FV_NUM, 0.1, 0},
    {"asterix.062_290_TRK_VALUE", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_136_VALUE", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_130_VALUE", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_220_VALUE", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_340_SID_SAC", 62, FV_NUM, 0.1, 0},
    {"asterix.062_340_POS_RHO", 62, FV_NUM, 1e-5, 0},
    {"asterix.062_340_POS_THETA", 62, FV_NUM, 1e-5, 0},
    {"asterix.062_500_APC_X", 62, FV_NUM, 1e-3, 0},
    {"asterix.062_500_ATV_X", 62, FV_NUM, 1e-3, 0},
};
#define N_TEST_FIELDS (sizeof test_fields / sizeof test_fields[0])

/* Value of field i in a record; false when the record does not carry it. */
static bool field_value(size_t i, const lo_asterix_record *rec, double *num, char *str)
{
    const char *name = test_fields[i].tshark + 8; /* after "asterix." */
    if (rec->cat != test_fields[i].cat) return false;
#define IS(s) (!strcmp(name, s))
    if (rec->cat == 48) {
        const lo_cat048 *r = rec->c048;
        uint64_t p = r->present;
        if (IS("048_010_SAC")) { *num = r->sac; return p & LO_FRN(LO_I048_010); }
        if (IS("048_010_SIC")) { *num = r->sic; return p & LO_FRN(LO_I048_010); }
        if (IS("048_140_VALUE")) { *num = r->tod / 128.0; return p & LO_FRN(LO_I048_140); }
        if (IS("048_020_TYP")) { *num = r->typ; return p & LO_FRN(LO_I048_020); }
        if (IS("048_040_RHO")) { *num = r->rho / 256.0; return p & LO_FRN(LO_I048_040); }
        if (IS("048_040_THETA")) { *num = r->theta * (360.0 / 65536.0); return p & LO_FRN(LO_I048_040); }
        if (IS("048_070_MODE3A")) { *num = r->mode3a; return p & LO_FRN(LO_I048_070); }
        if (IS("048_090_FL")) { *num = r->fl / 4.0; return p & LO_FRN(LO_I048_090); }
        if (IS("048_220_VALUE")) { *num = r->address; return p & LO_FRN(LO_I048_220); }
        if (IS("048_240_VALUE")) { strcpy(str, r->ident); return p & LO_FRN(LO_I048_240); }
        if (IS("048_161_TRN")) { *num = r->track_number; return p & LO_FRN(LO_I048_161); }
        if (IS("048_042_X")) { *num = r->x / 128.0; return p & LO_FRN(LO_I048_042); }
        if (IS("048_042_Y")) { *num = r->y / 128.0; return p & LO_FRN(LO_I048_042); }
        if (IS("048_200_HDG")) { *num = r->hdg * (360.0 / 65536.0); return p & LO_FRN(LO_I048_200); }
        if (IS("048_110_3DH")) { *num = r->height_3d * 25.0; return p & LO_FRN(LO_I048_110); }
        if (IS("048_130_PAM_VALUE")) { *num = r->pam; return (p & LO_FRN(LO_I048_130)) && (r->sub130_present & LO_I130_PAM); }
        if (IS("048_120_CAL_CAL")) { *num = r->doppler_cal; return (p & LO_FRN(LO_I048_120)) && r->has_doppler_cal; }
    } else if (rec->cat == 34) {
        const lo_cat034 *r = rec->c034;
        uint64_t p = r->present;
        if (IS("034_010_SAC")) { *num = r->sac; return p & LO_FRN(LO_I034_010); }
        if (IS("034_010_SIC")) { *num = r->sic; return p & LO_FRN(LO_I034_010); }
        if (IS("034_000_VALUE")) { *num = r->msg_type; return p & LO_FRN(LO_I034_000); }
        if (IS("034_030_VALUE")) { *num = r->tod / 128.0; return p & LO_FRN(LO_I034_030); }
        if (IS("034_020_VALUE")) { *num = r->sector * (360.0 / 256.0); return p & LO_FRN(LO_I034_020); }
        if (IS("034_041_VALUE")) { *num = r->rotation_period / 128.0; return p & LO_FRN(LO_I034_041); }
    } else if (rec->cat == 62) {
        const lo_cat062 *r = rec->c062;
        uint64_t p = r->present;
        if (IS("062_010_SAC")) { *num = r->sac; return p & LO_FRN(LO_I062_010); }
        if (IS("062_010_SIC")) { *num = r->sic; return p & LO_FRN(LO_I062_010); }
        if (IS("062_015_VALUE")) { *num = r->service_id; return p & LO_FRN(LO_I062_015); }
        if (IS("062_070_VALUE")) { *num = r->tod / 128.0; return p & LO_FRN(LO_I062_070); }
        if (IS("062_105_LAT")) { *num = r->lat * (180.0 / 33554432.0); return p & LO_FRN(LO_I062_105); }
        if (IS("062_105_LON")) { *num = r->lon * (180.0 / 33554432.0); return p & LO_FRN(LO_I062_105); }
        if (IS("062_100_X")) { *num = r->x * 0.5; return p & LO_FRN(LO_I062_100); }
        if (IS("062_100_Y")) { *num = r->y * 0.5; return p & LO_FRN(LO_I062_100); }
        if (IS("062_185_VX")) { *num = r->vx * 0.25; return p & LO_FRN(LO_I062_185); }
        if (IS("062_185_VY")) { *num = r->vy * 0.25; return p & LO_FRN(LO_I062_185); }
        if (IS("062_210_AX")) { *num = r->ax * 0.25; return p & LO_FRN(LO_I062_210); }
        if (IS("062_210_AY")) { *num = r->ay * 0.25; return p & LO_FRN(LO_I062_210); }
        if (IS("062_040_VALUE")) { *num = r->track_number; return p & LO_FRN(LO_I062_040); }
        if (IS("062_060_MODE3A")) { *num = r->mode3a; return p & LO_FRN(LO_I062_060); }
        if (IS("062_380_ADR_VALUE")) { *num = r->address; return (p & LO_FRN(LO_I062_380)) && r->has_address; }
        if (IS("062_080_CNF")) { *num = r->cnf; return p & LO_FRN(LO_I062_080); }
        if (IS("062_080_TSB")) { *num = r->tsb; return (p & LO_FRN(LO_I062_080)) && r->i080_len >= 2; }
        if (IS("062_080_TSE")) { *num = r->tse; return (p & LO_FRN(LO_I062_080)) && r->i080_len >= 2; }
        if (IS("062_290_TRK_VALUE")) { *num = r->age_trk * 0.25; return (p & LO_FRN(LO_I062_290)) && (r->sub290_present & LO_I290_TRK); }
        if (IS("062_136_VALUE")) { *num = r->measured_fl * 0.25; return p & LO_FRN(LO_I062_136); }
        if (IS("062_130_VALUE")) { *num = r->geo_alt * 6.25; return p & LO_FRN(LO_I062_130); }
        if (IS("062_220_VALUE")) { *num = r->rocd * 6.25; return p & LO_FRN(LO_I062_220); }
        if (IS("062_340_SID_SAC")) { *num = r->m_sac; return (p & LO_FRN(LO_I062_340)) && (r->sub340_present & LO_I340_SID); }
        if (IS("062_340_POS_RHO")) { *num = r->m_rho / 256.0; return (p & LO_FRN(LO_I062_340)) && (r->sub340_present & LO_I340_POS); }
        if (IS("062_340_POS_THETA")) { *num = r->m_theta * (360.0 / 65536.0); return (p & LO_FRN(LO_I062_340)) && (r->sub340_present & LO_I340_POS); }
        if (IS("062_500_APC_X")) { *num = r->apc_x * 0.5; return (p & LO_FRN(LO_I062_500)) && (r->sub500_present & LO_I500_APC); }
        if (IS("062_500_ATV_X")) { *num = r->atv_x * 0.25; return (p & LO_FRN(LO_I062_500)) && (r->sub500_present & LO_I500_ATV); }
    }
#undef IS
    return false;
}

#endif

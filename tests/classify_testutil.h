/* What the classifier tests share: a radar of known sensitivity (0.01 m^2 at 15 km gives
 * 13 dB) and a confirmed track report from it, at time t with position and velocity in the
 * site ENU frame (metres, m/s). */
#ifndef LOOKOUT_CLASSIFY_TESTUTIL_H
#define LOOKOUT_CLASSIFY_TESTUTIL_H

#include <string.h>

#include "lookout/types.h"

static inline lo_sensor classify_test_sensor(void)
{
    lo_sensor s;
    memset(&s, 0, sizeof s);
    s.id = 0x0101;
    s.ref_rcs_m2 = 0.01;
    s.ref_range_m = 15000;
    s.ref_snr_db = 13;
    return s;
}

static inline lo_track classify_test_report(uint32_t id, double t, double x, double y, double up,
                                            double vx, double vy, double vz)
{
    lo_track r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.status = LO_TRACK_CONFIRMED;
    r.t = t;
    r.pos[0] = x, r.pos[1] = y, r.pos[2] = up;
    r.vel[0] = vx, r.vel[1] = vy, r.vel[2] = vz;
    r.last_plot_t = t;
    r.last_sensor_id = 0x0101;
    return r;
}

#endif

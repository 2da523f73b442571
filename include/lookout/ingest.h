/*
 * lookout/ingest.h: from a raw plot to a plot the tracker can use.
 *
 * Owns the conversion of a sensor's polar plot into the system ENU frame with its
 * converted-measurement covariance (using the site's sensor frames and propagation model),
 * and the checks that a plot is plausible (known sensor, finite values, inside coverage).
 * Time ordering across sensors is the tracker input queue's job (tracker.h).
 *
 * Units: SI and radians, time UTC seconds (double).
 */
#ifndef LOOKOUT_INGEST_H
#define LOOKOUT_INGEST_H

#include "lookout/config.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Vertical 1-sigma given to a 2D plot: placed at the caller's default height, or at its
 * pressure altitude (which differs from geometric height by tens of metres with the weather,
 * and Mode C reports in 100 ft steps). */
#define LO_INGEST_2D_SIGMA_UP_M 1000.0
#define LO_INGEST_BARO_SIGMA_UP_M 50.0
/* A Doppler spread (m/s) beyond this is no echo's: blade tips of the fastest rotors turn at
 * 250 m/s; a wider value is a unit error or garbage. */
#define LO_INGEST_MAX_DOPPLER_SPREAD_MPS 1000.0

/* Fill p->enu and p->enu_cov (LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE) from its polar part,
 * or its covariance from the sensor's sigmas when it came Cartesian without one. A 2D plot
 * (no elevation) is placed at `default_height_m` above the system reference (or at the
 * baro altitude when it has one) with a large vertical variance.
 * Returns 0, or -1 with `why` set when the plot cannot be used (unknown sensor, NaN). */
int lo_ingest_plot(const lo_site *site, lo_plot *p, double default_height_m, const char **why);
/*
 * Details of the contract:
 * - The sensor's configured biases are known systematic errors (measured = true + bias): they
 *   are subtracted before conversion. The plot's own range/azimuth fields are left as measured.
 * - Per-plot sigmas (LO_PLOT_SIGMAS, non-zero) replace the sensor's.
 * - A 2D plot's height: its baro altitude (taken as height above the ellipsoid) when it has
 *   LO_PLOT_FLIGHT_LVL, else `default_height_m` above the reference point's level, both
 *   following the earth's curvature; the elevation that puts it there is solved for with the
 *   site's propagation model. Vertical sigma LO_INGEST_BARO_SIGMA_UP_M or
 *   LO_INGEST_2D_SIGMA_UP_M; the horizontal covariance follows from range, azimuth and that
 *   height spread.
 * - A plot with both polar and Cartesian parts is converted from its polar part.
 * - Refused: unknown sensor, non-finite time or values, a time beyond
 *   LO_MAX_ABS_TIME_S (types.h), no position, negative range, an elevation outside [-90, 90] deg,
 *   a range (or a Cartesian position's distance from the sensor) beyond twice the sensor's
 *   max_range_m (a wrong sensor or unit), a negative sigma or variance, a Doppler spread
 *   outside [0, LO_INGEST_MAX_DOPPLER_SPREAD_MPS].
 */

#ifdef __cplusplus
}
#endif
#endif

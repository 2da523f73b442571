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

/* Fill p->enu and p->enu_cov (LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE) from its polar part,
 * or its covariance from the sensor's sigmas when it came Cartesian without one. A 2D plot
 * (no elevation) is placed at `default_height_m` above the system reference (or at the
 * baro altitude when it has one) with a large vertical variance.
 * Returns 0, or -1 with `why` set when the plot cannot be used (unknown sensor, NaN). */
int lo_ingest_plot(const lo_site *site, lo_plot *p, double default_height_m, const char **why);

#ifdef __cplusplus
}
#endif
#endif

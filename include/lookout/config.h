/*
 * lookout/config.h: the site configuration (one YAML file).
 *
 * Owns lo_site: the system reference point and its ENU frame, the sensors, the protected
 * zones, and the parsed YAML document itself so that later stages (scenario targets, tracker
 * settings, service settings) read their own sections from the same file with the same error
 * reporting. See docs/config.md for every key.
 *
 * Units at this edge are named by the key's suffix (_deg, _m, _s, _km, _db); a key with an
 * unknown name, e.g. a unit we do not take, is an error naming the key path and line.
 * Inside lo_site everything is SI and radians (types.h).
 */
#ifndef LOOKOUT_CONFIG_H
#define LOOKOUT_CONFIG_H

#include "lookout/diag.h"
#include "lookout/geo.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lo_ydoc;

typedef struct lo_site {
    char name[64];
    char *path;                  /* file it came from (owned) */
    lo_geodetic reference;       /* system reference point */
    lo_enu_frame frame;          /* system frame: ENU at the reference point */
    lo_propagation propagation;  /* radar propagation model for every sensor */

    int n_sensors;
    lo_sensor *sensors;          /* owned */
    lo_enu_frame *sensor_frames; /* owned; [i] is the antenna frame of sensors[i] */

    int n_zones;
    lo_zone *zones;              /* owned */

    struct lo_ydoc *doc;         /* owned; the whole file, for sections parsed elsewhere */
} lo_site;

/* Load a site file. Returns 0, or -1 after reporting every error found through `sink`
 * (all of them, not just the first, each with key path and line). */
int lo_site_load(const char *path, lo_site *site, lo_diag_sink *sink);
/* The same from a string; `source_name` labels diagnostics. */
int lo_site_load_string(const char *yaml, const char *source_name, lo_site *site,
                        lo_diag_sink *sink);
void lo_site_free(lo_site *site);

/* Index of the sensor with this id, or -1. */
int lo_site_sensor_index(const lo_site *site, uint16_t sensor_id);

/* Zone geometry in the system frame: is the horizontal point inside the zone's footprint,
 * and the signed horizontal distance to its edge (negative inside). */
bool lo_zone_contains_xy(const lo_zone *z, const double xy[2]);
double lo_zone_edge_distance(const lo_zone *z, const double xy[2]);
/* Inside the footprint and within the altitude band [alt_min_m, alt_max_m] (enu[2]). */
bool lo_zone_contains_enu(const lo_zone *z, const double enu[3]);

#ifdef __cplusplus
}
#endif
#endif

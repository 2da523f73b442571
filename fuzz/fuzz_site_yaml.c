/* libFuzzer harness: the site configuration (libyaml document, typed getters, sensors, zones). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool quiet(void *ctx, const lo_diag *d)
{
    (void)ctx;
    (void)d;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    lo_diag_sink sink = {quiet, NULL, 0, 0};
    lo_site site;
    if (lo_site_load_string(text, "fuzz.yaml", &site, &sink) == 0) {
        /* An accepted site holds only what the contract allows. */
        if (!site.doc || site.n_sensors < 0 || site.n_zones < 0) __builtin_trap();
        for (int i = 0; i < site.n_sensors; i++) {
            const lo_sensor *s = &site.sensors[i];
            if (!(s->scan_period_s > 0) || !(s->max_range_m > s->min_range_m) ||
                !(s->pfa > 0 && s->pfa < 1) || lo_site_sensor_index(&site, s->id) < 0)
                __builtin_trap();
        }
        for (int i = 0; i < site.n_zones; i++) {
            const lo_zone *z = &site.zones[i];
            if (!(z->alt_min_m < z->alt_max_m)) __builtin_trap();
            double c[2] = {z->center_enu[0], z->center_enu[1]};
            (void)lo_zone_contains_xy(z, c);
            (void)lo_zone_edge_distance(z, c);
        }
        lo_site_free(&site);
    } else if (site.doc || site.sensors || site.zones || site.path) {
        __builtin_trap(); /* a refused site owns nothing */
    }
    free(text);
    return 0;
}

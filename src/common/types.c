/* Names of the enumerations in lookout/types.h, as every file format spells them. */
#include "lookout/types.h"

#include <string.h>

static const char *const class_names[LO_CLASS_COUNT] = {
    [LO_CLASS_UNKNOWN] = "unknown",
    [LO_CLASS_MULTIROTOR] = "multirotor",
    [LO_CLASS_FIXED_WING] = "fixed_wing",
    [LO_CLASS_BIRD] = "bird",
    [LO_CLASS_AIRLINER] = "airliner",
    [LO_CLASS_HELICOPTER] = "helicopter",
    [LO_CLASS_LIGHT_AIRCRAFT] = "light_aircraft",
    [LO_CLASS_ROCKET] = "rocket",
    [LO_CLASS_GROUND_VEHICLE] = "ground_vehicle",
    [LO_CLASS_CLUTTER] = "clutter",
};

const char *lo_class_name(lo_class c)
{
    return (c >= 0 && c < LO_CLASS_COUNT) ? class_names[c] : "unknown";
}

bool lo_class_from_name(const char *name, lo_class *out)
{
    static const struct { const char *alias; lo_class c; } aliases[] = {
        {"fixedwing", LO_CLASS_FIXED_WING}, {"mortar", LO_CLASS_ROCKET},
        {"artillery", LO_CLASS_ROCKET},     {"vehicle", LO_CLASS_GROUND_VEHICLE},
        {"light", LO_CLASS_LIGHT_AIRCRAFT}, {"aircraft", LO_CLASS_AIRLINER},
        {"false_alarm", LO_CLASS_CLUTTER},
    };
    if (!name) return false;
    for (int i = 0; i < LO_CLASS_COUNT; i++)
        if (strcmp(name, class_names[i]) == 0) {
            *out = (lo_class)i;
            return true;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0) {
            *out = aliases[i].c;
            return true;
        }
    return false;
}

lo_class_group lo_class_group_of(lo_class c)
{
    switch (c) {
    case LO_CLASS_MULTIROTOR:
    case LO_CLASS_FIXED_WING: return LO_GROUP_DRONE;
    case LO_CLASS_BIRD: return LO_GROUP_BIRD;
    case LO_CLASS_AIRLINER:
    case LO_CLASS_HELICOPTER:
    case LO_CLASS_LIGHT_AIRCRAFT: return LO_GROUP_AIRCRAFT;
    case LO_CLASS_ROCKET: return LO_GROUP_ROCKET;
    case LO_CLASS_GROUND_VEHICLE: return LO_GROUP_VEHICLE;
    case LO_CLASS_CLUTTER: return LO_GROUP_CLUTTER;
    default: return LO_GROUP_UNKNOWN;
    }
}

const char *lo_class_group_name(lo_class_group g)
{
    static const char *const names[LO_GROUP_COUNT] = {
        "unknown", "drone", "bird", "aircraft", "rocket", "vehicle", "clutter",
    };
    return (g >= 0 && g < LO_GROUP_COUNT) ? names[g] : "unknown";
}

static const char *const status_names[] = {"tentative", "confirmed", "coasting", "deleted"};

const char *lo_track_status_name(lo_track_status s)
{
    return (s >= LO_TRACK_TENTATIVE && s <= LO_TRACK_DELETED) ? status_names[s] : "unknown";
}

bool lo_track_status_from_name(const char *name, lo_track_status *out)
{
    for (int i = 0; i <= LO_TRACK_DELETED; i++)
        if (name && strcmp(name, status_names[i]) == 0) {
            *out = (lo_track_status)i;
            return true;
        }
    return false;
}

const char *lo_alert_level_name(lo_alert_level l)
{
    static const char *const names[] = {"info", "warning", "alarm"};
    return (l >= LO_ALERT_INFO && l <= LO_ALERT_ALARM) ? names[l] : "unknown";
}

const char *lo_alert_transition_name(lo_alert_transition t)
{
    static const char *const names[] = {"raised", "updated", "cleared"};
    return (t >= LO_ALERT_RAISED && t <= LO_ALERT_CLEARED) ? names[t] : "unknown";
}

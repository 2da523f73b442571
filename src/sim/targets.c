/* Target models of the simulator: randomised kinematics for each kind of target, stepped on a
 * fixed kinematic grid in flat coordinates (x east, y north, a above ground; see
 * sim_internal.h). One sim_mover moves one target, or all the birds of a flock. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/geo.h"
#include "sim/sim_internal.h"

const char *const sim_kind_names[SIM_KIND_COUNT + 1] = {
    "multirotor", "fixed_wing", "bird",       "bird_flock",     "soaring_bird", "rocket",
    "mortar",     "airliner",   "helicopter", "ground_vehicle", "replay",       "wind_turbine",
    NULL};

/* A wandering flyer: a bird, or the centre of a flock. Heading changes with a turn rate that
 * is an Ornstein-Uhlenbeck process; speed and height wander around their means; outside its
 * home circle it is pulled back toward home. */
typedef struct walker {
    double x, y, a, vx, vy, va;
    double heading, speed, turn_rate;
    double speed_mean, agl_mean, agl_goal;
    double home_x, home_y, home_r;
    double turn_sigma;        /* rad/s, stationary spread of the turn rate */
    bool chase;               /* steer hard toward (chase_x, chase_y) */
    double chase_x, chase_y;
} walker;

typedef struct flock_state {
    walker center[2];
    bool split;
    double merge_at;
    double radius;
    double split_rate;        /* per second */
    uint8_t *group;           /* per member: which centre it follows */
    double *off;              /* per member: offset from its centre (3 each) */
    double *goal;             /* per member: offset it drifts toward (3 each) */
} flock_state;

struct sim_mover {
    sim_kind kind;
    int first, count;
    lo_rng rng;
    const sim_target_spec *spec;
    double t_start;
    bool finished;
    /* guided vehicles (multirotor, fixed wing, airliner, helicopter) */
    double heading, speed, cruise, hold_left, course_err, speed_err;
    int wp_index;
    bool diving, can_hover;
    sim_point patrol_center, patrol_goal;   /* patrol: random waypoints around the start */
    sim_point aim;
    double dive_distance, max_turn, max_accel, max_climb, stop_rate;
    /* birds */
    walker w;
    flock_state *flock;
    /* soaring */
    bool thermal;
    double th_cx, th_cy, th_r, th_dir, th_angle, climb, a_top, a_bottom;
    /* ballistic */
    double drag_k, impact_a;
    /* road */
    int seg;
    double seg_s, dir;
    /* replay */
    int n_samples, next_sample;
    double *rt, *rx, *ry, *ra;
};

static double urange(lo_rng *r, const double range[2]) { return lo_rng_range(r, range[0], range[1]); }

static double log_uniform(lo_rng *r, const double range[2])
{
    if (range[0] <= 0 || range[1] <= range[0]) return range[0];
    return exp(lo_rng_range(r, log(range[0]), log(range[1])));
}

static void disc(lo_rng *r, double radius, double *dx, double *dy)
{
    double rr = radius * sqrt(lo_rng_uniform(r)), th = 2 * LO_PI * lo_rng_uniform(r);
    *dx = rr * sin(th);
    *dy = rr * cos(th);
}

static double bearing_to(double x0, double y0, double x1, double y1) { return atan2(x1 - x0, y1 - y0); }

void sim_target_at(const sim_target *tg, double t, double p[3], double v[3])
{
    double dt = t - tg->t;
    for (int i = 0; i < 3; i++) {
        p[i] = tg->p[i] + dt * (tg->v[i] + 0.5 * dt * tg->acc[i]);
        v[i] = tg->v[i] + dt * tg->acc[i];
    }
}

void sim_flat_to_enu(const sim_world *w, const double p[3], const double v[3], double enu[3],
                     double venu[3])
{
    double inv2r = 0.5 / w->earth_radius_m;
    enu[0] = p[0];
    enu[1] = p[1];
    enu[2] = p[2] + w->ground_minus_ref_m - (p[0] * p[0] + p[1] * p[1]) * inv2r;
    if (venu) {
        venu[0] = v[0];
        venu[1] = v[1];
        venu[2] = v[2] - (p[0] * v[0] + p[1] * v[1]) * 2 * inv2r;
    }
}

/* Set a target's state, deriving acceleration from the change of velocity over dt. */
static void set_state(sim_target *tg, double t, double x, double y, double a, double vx, double vy,
                      double va, double dt)
{
    if (dt > 0) {
        tg->acc[0] = (vx - tg->v[0]) / dt;
        tg->acc[1] = (vy - tg->v[1]) / dt;
        tg->acc[2] = (va - tg->v[2]) / dt;
    } else {
        tg->acc[0] = tg->acc[1] = tg->acc[2] = 0;
    }
    tg->t = t;
    tg->p[0] = x;
    tg->p[1] = y;
    tg->p[2] = a;
    tg->v[0] = vx;
    tg->v[1] = vy;
    tg->v[2] = va;
}

static void finish(sim_world *w, sim_mover *m, double t)
{
    m->finished = true;
    for (int i = 0; i < m->count; i++) {
        sim_target *tg = &w->targets[m->first + i];
        tg->done = true;
        if (tg->t_end > t) tg->t_end = t;
        tg->acc[0] = tg->acc[1] = tg->acc[2] = 0;
    }
}

/* ---- walker (birds) ------------------------------------------------------------------ */

static void walker_step(walker *k, lo_rng *r, double dt)
{
    const double tau_turn = 4.0, tau_speed = 10.0, tau_alt = 30.0;
    double sq = sqrt(dt);
    k->turn_rate += -k->turn_rate * dt / tau_turn +
                    k->turn_sigma * sqrt(2.0 / tau_turn) * sq * lo_rng_normal_fast(r);
    double pull = 0;
    if (k->chase) {
        double want = bearing_to(k->x, k->y, k->chase_x, k->chase_y);
        pull = 0.6 * sim_wrap_pi(want - k->heading);
    } else if (k->home_r > 0) {
        double dx = k->x - k->home_x, dy = k->y - k->home_y;
        double d = sqrt(dx * dx + dy * dy);
        if (d > k->home_r) {
            double want = bearing_to(k->x, k->y, k->home_x, k->home_y);
            pull = 0.15 * fmin(1.0, (d - k->home_r) / k->home_r + 0.3) *
                   sim_wrap_pi(want - k->heading);
        }
    }
    k->heading = sim_wrap_2pi(k->heading + (k->turn_rate + pull) * dt);
    double mean = k->chase ? 1.3 * k->speed_mean : k->speed_mean;
    k->speed += (mean - k->speed) * dt / tau_speed +
                0.15 * k->speed_mean * sqrt(2.0 / tau_speed) * sq * lo_rng_normal_fast(r);
    if (k->speed < 0.5 * k->speed_mean) k->speed = 0.5 * k->speed_mean;
    if (k->speed > 1.6 * k->speed_mean) k->speed = 1.6 * k->speed_mean;
    /* Height: the goal wanders around the mean, the bird climbs or sinks toward it. */
    k->agl_goal += (k->agl_mean - k->agl_goal) * dt / tau_alt +
                   0.2 * k->agl_mean * sqrt(2.0 / tau_alt) * sq * lo_rng_normal_fast(r);
    if (k->agl_goal < 5) k->agl_goal = 5;
    double va = (k->agl_goal - k->a) / 8.0;
    if (va > 2.0) va = 2.0;
    if (va < -2.0) va = -2.0;
    k->vx = k->speed * sin(k->heading);
    k->vy = k->speed * cos(k->heading);
    k->va = va;
    k->x += k->vx * dt;
    k->y += k->vy * dt;
    k->a += k->va * dt;
    if (k->a < 2) k->a = 2;
}

static void walker_init(walker *k, lo_rng *r, const sim_target_spec *s, double x, double y)
{
    memset(k, 0, sizeof *k);
    k->x = x;
    k->y = y;
    k->agl_mean = urange(r, s->agl_m);
    k->a = k->agl_goal = s->position.a > 0 ? s->position.a : k->agl_mean;
    k->speed_mean = urange(r, s->speed_mps);
    k->speed = k->speed_mean;
    k->heading = s->has_heading ? urange(r, s->heading_deg) * LO_DEG2RAD
                                : lo_rng_uniform(r) * 2 * LO_PI;
    k->home_x = s->position.x;
    k->home_y = s->position.y;
    k->home_r = s->home_radius_m;
    k->turn_sigma = (s->max_turn_rate_deg_s > 0 ? s->max_turn_rate_deg_s : 10.0) * LO_DEG2RAD;
    k->vx = k->speed * sin(k->heading);
    k->vy = k->speed * cos(k->heading);
}

/* ---- guided vehicles ------------------------------------------------------------------ */

static void guided_step(sim_world *w, sim_mover *m, double t, double dt)
{
    sim_target *tg = &w->targets[m->first];
    const sim_target_spec *s = m->spec;
    double x = tg->p[0], y = tg->p[1], a = tg->p[2];
    lo_rng *r = &m->rng;

    /* Where it is going: the next waypoint, then the aim point, then round again (loop). */
    if (m->wp_index >= s->n_waypoints && !s->has_aim && s->loop && s->n_waypoints > 0)
        m->wp_index = 0;
    bool to_aim = m->wp_index >= s->n_waypoints && s->has_aim;
    bool patrol = s->n_waypoints == 0 && !s->has_aim && s->patrol_radius_m > 0;
    bool have_goal = m->wp_index < s->n_waypoints || to_aim || patrol;
    sim_point goal = {0, 0, a};
    if (to_aim) goal = m->aim;
    else if (patrol) goal = m->patrol_goal;
    else if (have_goal) goal = s->waypoints[m->wp_index];
    double dx = goal.x - x, dy = goal.y - y, dist = sqrt(dx * dx + dy * dy);

    /* Course corrections: a slowly wandering error on the ideal course, damped near the goal. */
    const double tau_course = 20.0;
    m->course_err += -m->course_err * dt / tau_course +
                     s->course_noise_deg * LO_DEG2RAD * sqrt(2.0 / tau_course) * sqrt(dt) *
                         lo_rng_normal_fast(r);

    /* Airspeed and wind gusts: a slow +-3% wander of the ground speed. */
    m->speed_err += -m->speed_err * dt / tau_course +
                    0.03 * m->cruise * sqrt(2.0 / tau_course) * sqrt(dt) * lo_rng_normal_fast(r);

    if (m->can_hover && m->hold_left <= 0 && s->stop_rate_per_min > 0 &&
        lo_rng_uniform(r) < s->stop_rate_per_min / 60.0 * dt)
        m->hold_left = lo_rng_range(r, 3.0, 15.0);

    double want_speed = m->cruise + m->speed_err, want_heading = m->heading, va = 0;
    if (m->hold_left > 0) {
        m->hold_left -= dt;
        if (m->can_hover) want_speed = 0;
        else want_heading = m->heading + m->max_turn * dt; /* a fixed wing orbits */
    } else if (have_goal) {
        want_heading = atan2(dx, dy) + m->course_err * fmin(1.0, dist / 2000.0);
        if (m->can_hover && !to_aim) /* slow down to stop at a waypoint */
            want_speed = fmin(want_speed, sqrt(2.0 * m->max_accel * dist) + 0.5);
    }
    double turn = sim_wrap_pi(want_heading - m->heading), lim = m->max_turn * dt;
    if (turn > lim) turn = lim;
    if (turn < -lim) turn = -lim;
    m->heading = sim_wrap_2pi(m->heading + turn);
    double dv = want_speed - m->speed, alim = m->max_accel * dt;
    m->speed += dv > alim ? alim : (dv < -alim ? -alim : dv);

    if (to_aim && !m->diving && dist < m->dive_distance) m->diving = true;
    if (m->diving) {
        /* Terminal dive: a straight line to the aim point. */
        double ttg = dist / fmax(m->speed, 1.0);
        va = (goal.a - a) / fmax(ttg, dt);
        if (va < -m->speed) va = -m->speed;
    } else if (have_goal && m->hold_left <= 0) {
        double ttg = dist / fmax(m->speed, 1.0);
        va = (goal.a - a) / fmax(ttg, 5.0);
    } else if (m->hold_left <= 0 && !have_goal) {
        va = 0;
    }
    if (!m->diving) {
        if (va > m->max_climb) va = m->max_climb;
        if (va < -m->max_climb) va = -m->max_climb;
    }
    double vx = m->speed * sin(m->heading), vy = m->speed * cos(m->heading);
    double nx = x + vx * dt, ny = y + vy * dt, na = a + va * dt;
    if (na < 0) na = 0;
    set_state(tg, t + dt, nx, ny, na, vx, vy, va, dt);

    double ndx = goal.x - nx, ndy = goal.y - ny, ndist = sqrt(ndx * ndx + ndy * ndy);
    if (to_aim) {
        if (na <= goal.a + 0.5 || ndist < 3.0 || (m->diving && na <= 0.5)) finish(w, m, t + dt);
    } else if (have_goal) {
        double reach = fmax(m->can_hover ? 5.0 : 40.0, 1.5 * m->speed * dt);
        if (ndist < reach && patrol) {
            double dx2, dy2;
            disc(r, s->patrol_radius_m, &dx2, &dy2);
            m->patrol_goal = (sim_point){m->patrol_center.x + dx2, m->patrol_center.y + dy2,
                                         fmax(10.0, m->patrol_center.a * lo_rng_range(r, 0.6, 1.4))};
            if (m->can_hover && (s->hover_s[1] > 0)) m->hold_left = urange(r, s->hover_s);
        } else if (ndist < reach) {
            m->wp_index++;
            if (m->can_hover && (s->hover_s[1] > 0)) m->hold_left = urange(r, s->hover_s);
        }
    }
}

/* ---- flock ----------------------------------------------------------------------------- */

static void flock_step(sim_world *w, sim_mover *m, double t, double dt)
{
    flock_state *f = m->flock;
    lo_rng *r = &m->rng;
    if (!f->split && lo_rng_uniform(r) < f->split_rate * dt && m->count >= 4) {
        /* Split: a second group peels off at 30-60 degrees and rejoins later. */
        f->split = true;
        f->center[1] = f->center[0];
        f->center[1].heading = sim_wrap_2pi(f->center[0].heading +
                                           (lo_rng_uniform(r) < 0.5 ? -1 : 1) *
                                               lo_rng_range(r, 30, 60) * LO_DEG2RAD);
        f->center[1].chase = false;
        f->merge_at = t + lo_rng_range(r, 30, 90);
        for (int i = 0; i < m->count; i++) f->group[i] = lo_rng_uniform(r) < 0.5;
    }
    if (f->split && t >= f->merge_at) {
        f->center[1].chase = true;
        f->center[1].chase_x = f->center[0].x;
        f->center[1].chase_y = f->center[0].y;
    }
    walker_step(&f->center[0], r, dt);
    if (f->split) walker_step(&f->center[1], r, dt);
    if (f->split && f->center[1].chase) {
        double dx = f->center[1].x - f->center[0].x, dy = f->center[1].y - f->center[0].y;
        if (dx * dx + dy * dy < 0.25 * f->radius * f->radius) {
            /* Merge: members of group 1 keep their place, now relative to centre 0. */
            for (int i = 0; i < m->count; i++)
                if (f->group[i]) {
                    f->off[3 * i] += dx;
                    f->off[3 * i + 1] += dy;
                    f->off[3 * i + 2] += f->center[1].a - f->center[0].a;
                    f->group[i] = 0;
                }
            f->split = false;
        }
    }
    const double tau_off = 6.0, regoal_rate = 1.0 / 20.0;
    for (int i = 0; i < m->count; i++) {
        sim_target *tg = &w->targets[m->first + i];
        double *o = &f->off[3 * i], *g = &f->goal[3 * i];
        if (lo_rng_uniform(r) < regoal_rate * dt) {
            disc(r, f->radius, &g[0], &g[1]);
            g[2] = lo_rng_range(r, -0.25, 0.25) * f->radius;
        }
        double dof[3];
        for (int k = 0; k < 3; k++) {
            dof[k] = (g[k] - o[k]) * dt / tau_off + 0.2 * sqrt(dt) * lo_rng_normal_fast(r);
            o[k] += dof[k];
        }
        const walker *c = &f->center[f->group[i]];
        double na = c->a + o[2];
        if (na < 1) na = 1;
        set_state(tg, t + dt, c->x + o[0], c->y + o[1], na, c->vx + dof[0] / dt,
                  c->vy + dof[1] / dt, c->va + dof[2] / dt, dt);
    }
}

/* ---- soaring bird ---------------------------------------------------------------------- */

static void soaring_step(sim_world *w, sim_mover *m, double t, double dt)
{
    sim_target *tg = &w->targets[m->first];
    lo_rng *r = &m->rng;
    double x = tg->p[0], y = tg->p[1], a = tg->p[2];
    if (m->thermal) {
        m->th_angle += m->th_dir * m->speed / m->th_r * dt;
        double nx = m->th_cx + m->th_r * sin(m->th_angle), ny = m->th_cy + m->th_r * cos(m->th_angle);
        double hd = m->th_angle + m->th_dir * LO_PI / 2;
        double vx = m->speed * sin(hd), vy = m->speed * cos(hd);
        double na = a + m->climb * dt;
        set_state(tg, t + dt, nx, ny, na, vx, vy, m->climb, dt);
        m->heading = hd;
        if (na >= m->a_top) {
            /* Leave the thermal and glide, toward home when far from it. */
            m->thermal = false;
            m->speed = lo_rng_range(r, 12, 15);
            double hx = m->spec->position.x - nx, hy = m->spec->position.y - ny;
            double want = sqrt(hx * hx + hy * hy) > m->spec->home_radius_m ? atan2(hx, hy)
                                                                         : m->heading;
            m->course_err = want + lo_rng_range(r, -0.5, 0.5);
        }
    } else {
        double turn = sim_wrap_pi(m->course_err - m->heading), lim = 10 * LO_DEG2RAD * dt;
        m->heading = sim_wrap_2pi(m->heading + (turn > lim ? lim : (turn < -lim ? -lim : turn)));
        double sink = -1.2, vx = m->speed * sin(m->heading), vy = m->speed * cos(m->heading);
        double na = a + sink * dt;
        set_state(tg, t + dt, x + vx * dt, y + vy * dt, na, vx, vy, sink, dt);
        if (na <= m->a_bottom) {
            m->thermal = true;
            m->speed = lo_rng_range(r, 8, 11);
            m->th_r = lo_rng_range(r, 30, 80);
            m->th_dir = lo_rng_uniform(r) < 0.5 ? -1 : 1;
            m->climb = lo_rng_range(r, 1.0, 3.0);
            m->a_top = fmax(lo_rng_range(r, m->spec->agl_m[0], m->spec->agl_m[1]), m->a_bottom + 100);
            /* Position on the circle so that the tangent is the current heading. */
            m->th_angle = m->heading - m->th_dir * LO_PI / 2;
            m->th_cx = tg->p[0] - m->th_r * sin(m->th_angle);
            m->th_cy = tg->p[1] - m->th_r * cos(m->th_angle);
        }
    }
}

/* ---- ballistic --------------------------------------------------------------------------- */

static void ballistic_deriv(const double s[6], double k, double d[6])
{
    double sp = sqrt(s[3] * s[3] + s[4] * s[4] + s[5] * s[5]);
    d[0] = s[3];
    d[1] = s[4];
    d[2] = s[5];
    d[3] = -k * sp * s[3];
    d[4] = -k * sp * s[4];
    d[5] = -LO_G0 - k * sp * s[5];
}

static void rk4(double s[6], double k, double h)
{
    double k1[6], k2[6], k3[6], k4[6], tmp[6];
    ballistic_deriv(s, k, k1);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + 0.5 * h * k1[i];
    ballistic_deriv(tmp, k, k2);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + 0.5 * h * k2[i];
    ballistic_deriv(tmp, k, k3);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + h * k3[i];
    ballistic_deriv(tmp, k, k4);
    for (int i = 0; i < 6; i++) s[i] += h / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

#define BALLISTIC_H 0.01

double sim_ballistic_fly(const double p0[3], const double v0[3], double k, double ground_a,
                         double t_max, double p_end[3], double v_end[3])
{
    double s[6] = {p0[0], p0[1], p0[2], v0[0], v0[1], v0[2]}, t = 0;
    while (t < t_max) {
        double prev[6];
        memcpy(prev, s, sizeof s);
        double h = fmin(BALLISTIC_H, t_max - t);
        rk4(s, k, h);
        if (s[2] < ground_a && s[5] < 0) {
            /* Came down within this step: interpolate to the crossing. */
            double f = (prev[2] - ground_a) / (prev[2] - s[2]);
            for (int i = 0; i < 6; i++) s[i] = prev[i] + f * (s[i] - prev[i]);
            t += f * h;
            break;
        }
        t += h;
    }
    memcpy(p_end, s, 3 * sizeof(double));
    if (v_end) memcpy(v_end, s + 3, 3 * sizeof(double));
    return t;
}

/* Where a projectile launched from `from` with v0 is after exactly T seconds. */
static void fly_for(const double from[3], const double v0[3], double k, double T, double out[3])
{
    double st[6] = {from[0], from[1], from[2], v0[0], v0[1], v0[2]};
    int n = (int)ceil(T / BALLISTIC_H);
    double h = T / n;
    for (int i = 0; i < n; i++) rk4(st, k, h);
    memcpy(out, st, 3 * sizeof(double));
}

static double det3(const double m[9])
{
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
           m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/* Newton's method on the launch velocity with a finite-difference Jacobian of the position
 * at time T; starts from v0 when `guess`, else from the drag-free solution. */
static bool solve_time(const double from[3], const double to[3], double T, double k, double v0[3],
                       bool guess)
{
    if (!guess) {
        v0[0] = (to[0] - from[0]) / T;
        v0[1] = (to[1] - from[1]) / T;
        v0[2] = (to[2] - from[2]) / T + 0.5 * LO_G0 * T;
    }
    for (int it = 0; it < 40; it++) {
        double end[3], miss[3], J[9];
        fly_for(from, v0, k, T, end);
        double m2 = 0;
        for (int i = 0; i < 3; i++) {
            miss[i] = to[i] - end[i];
            m2 += miss[i] * miss[i];
        }
        if (m2 < 1e-6) return true;
        if (!isfinite(m2)) return false;
        for (int j = 0; j < 3; j++) {
            double vp[3] = {v0[0], v0[1], v0[2]}, ep[3];
            double dv = 1e-4 * (1.0 + fabs(v0[j]));
            vp[j] += dv;
            fly_for(from, vp, k, T, ep);
            for (int i = 0; i < 3; i++) J[3 * i + j] = (ep[i] - end[i]) / dv;
        }
        double d = det3(J);
        if (fabs(d) < 1e-30) return false;
        for (int j = 0; j < 3; j++) { /* Cramer's rule */
            double Jj[9];
            memcpy(Jj, J, sizeof Jj);
            for (int i = 0; i < 3; i++) Jj[3 * i + j] = miss[i];
            v0[j] += det3(Jj) / d;
        }
    }
    return false;
}

bool sim_ballistic_solve_time(const double from[3], const double to[3], double flight_time_s,
                              double k, double v0[3])
{
    return solve_time(from, to, flight_time_s, k, v0, false);
}

bool sim_ballistic_solve_elevation(const double from[3], const double to[3], double elev_rad,
                                   double k, double v0[3], double *flight_time_s)
{
    /* The launch elevation grows with the flight time for a fixed range: bisect on it. */
    /* Bracket around the drag-free flight time sqrt(2 D tan(elevation) / g) (level ground). */
    double D = hypot(to[0] - from[0], to[1] - from[1]);
    double T0 = sqrt(2.0 * fmax(D, 1.0) * tan(elev_rad) / LO_G0);
    double lo = 0.4 * T0, hi = fmin(3.0 * T0 + 5.0, 400.0);
    bool have = false;
    for (int it = 0; it < 60; it++) {
        double T = 0.5 * (lo + hi);
        if (!solve_time(from, to, T, k, v0, have)) {
            have = false;
            hi = T;
            continue;
        }
        have = true;
        double el = atan2(v0[2], sqrt(v0[0] * v0[0] + v0[1] * v0[1]));
        if (el < elev_rad) lo = T;
        else hi = T;
        if (hi - lo < 1e-3) break;
    }
    *flight_time_s = 0.5 * (lo + hi);
    return solve_time(from, to, *flight_time_s, k, v0, have) &&
           fabs(atan2(v0[2], sqrt(v0[0] * v0[0] + v0[1] * v0[1])) - elev_rad) < 1e-3;
}

static void ballistic_step(sim_world *w, sim_mover *m, double t, double dt)
{
    sim_target *tg = &w->targets[m->first];
    double s[6] = {tg->p[0], tg->p[1], tg->p[2], tg->v[0], tg->v[1], tg->v[2]}, tt = 0;
    while (tt < dt - 1e-12) {
        double h = fmin(BALLISTIC_H, dt - tt), prev[6];
        memcpy(prev, s, sizeof s);
        rk4(s, m->drag_k, h);
        if (s[2] < m->impact_a && s[5] < 0) {
            double f = (prev[2] - m->impact_a) / (prev[2] - s[2]);
            for (int i = 0; i < 6; i++) s[i] = prev[i] + f * (s[i] - prev[i]);
            set_state(tg, t + tt + f * h, s[0], s[1], s[2], s[3], s[4], s[5], 0);
            finish(w, m, t + tt + f * h);
            return;
        }
        tt += h;
    }
    double d[6];
    ballistic_deriv(s, m->drag_k, d);
    set_state(tg, t + dt, s[0], s[1], s[2], s[3], s[4], s[5], 0);
    tg->acc[0] = d[3];
    tg->acc[1] = d[4];
    tg->acc[2] = d[5];
}

/* ---- road vehicle ------------------------------------------------------------------------- */

static void road_step(sim_world *w, sim_mover *m, double t, double dt)
{
    sim_target *tg = &w->targets[m->first];
    const sim_target_spec *s = m->spec;
    lo_rng *r = &m->rng;
    if (m->hold_left > 0) {
        m->hold_left -= dt;
        m->speed = fmax(0, m->speed - 3 * dt);
    } else {
        if (lo_rng_uniform(r) < dt / 120.0) m->hold_left = lo_rng_range(r, 5, 30); /* lights */
        m->speed += (m->cruise - m->speed) * dt / 8.0 + 0.4 * sqrt(dt) * lo_rng_normal_fast(r);
        if (m->speed < 0) m->speed = 0;
    }
    double go = m->speed * dt;
    for (int guard = 0; guard < 64 && go > 0; guard++) {
        const sim_point *p0 = &s->waypoints[m->seg], *p1 = &s->waypoints[m->seg + 1];
        double len = hypot(p1->x - p0->x, p1->y - p0->y);
        double room = m->dir > 0 ? len - m->seg_s : m->seg_s;
        if (go <= room) {
            m->seg_s += m->dir * go;
            go = 0;
        } else {
            go -= room;
            if (m->dir > 0) {
                if (m->seg + 2 < s->n_waypoints) { m->seg++; m->seg_s = 0; }
                else { m->seg_s = len; m->dir = -1; } /* end of the road: turn round */
            } else {
                if (m->seg > 0) {
                    m->seg--;
                    m->seg_s = hypot(s->waypoints[m->seg + 1].x - s->waypoints[m->seg].x,
                                     s->waypoints[m->seg + 1].y - s->waypoints[m->seg].y);
                } else { m->seg_s = 0; m->dir = 1; }
            }
        }
    }
    const sim_point *p0 = &s->waypoints[m->seg], *p1 = &s->waypoints[m->seg + 1];
    double len = fmax(hypot(p1->x - p0->x, p1->y - p0->y), 1e-9);
    double ux = (p1->x - p0->x) / len, uy = (p1->y - p0->y) / len, f = m->seg_s / len;
    set_state(tg, t + dt, p0->x + f * (p1->x - p0->x), p0->y + f * (p1->y - p0->y),
              p0->a + f * (p1->a - p0->a), m->dir * m->speed * ux, m->dir * m->speed * uy, 0, dt);
}

/* ---- replay -------------------------------------------------------------------------------- */

static void replay_sample(const sim_mover *m, double t, int *hint, double p[3], double v[3])
{
    int i = *hint;
    while (i + 2 < m->n_samples && m->rt[i + 1] <= t) i++;
    *hint = i;
    double t0 = m->rt[i], t1 = m->rt[i + 1], span = t1 - t0;
    double f = span > 0 ? (t - t0) / span : 0;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    p[0] = m->rx[i] + f * (m->rx[i + 1] - m->rx[i]);
    p[1] = m->ry[i] + f * (m->ry[i + 1] - m->ry[i]);
    p[2] = m->ra[i] + f * (m->ra[i + 1] - m->ra[i]);
    v[0] = span > 0 ? (m->rx[i + 1] - m->rx[i]) / span : 0;
    v[1] = span > 0 ? (m->ry[i + 1] - m->ry[i]) / span : 0;
    v[2] = span > 0 ? (m->ra[i + 1] - m->ra[i]) / span : 0;
}

static void replay_step(sim_world *w, sim_mover *m, double t, double dt)
{
    sim_target *tg = &w->targets[m->first];
    double p[3], v[3];
    replay_sample(m, t + dt, &m->next_sample, p, v);
    set_state(tg, t + dt, p[0], p[1], p[2], v[0], v[1], v[2], 0);
    if (t + dt >= m->rt[m->n_samples - 1]) finish(w, m, m->rt[m->n_samples - 1]);
}

/* ---- building the world -------------------------------------------------------------------- */

static sim_target *new_target(sim_world *w)
{
    if (w->n_targets == w->cap_targets) {
        int cap = w->cap_targets ? 2 * w->cap_targets : 64;
        sim_target *nt = realloc(w->targets, (size_t)cap * sizeof *nt);
        if (!nt) return NULL;
        w->targets = nt;
        w->cap_targets = cap;
    }
    sim_target *tg = &w->targets[w->n_targets++];
    memset(tg, 0, sizeof *tg);
    return tg;
}

static sim_mover *new_mover(sim_world *w)
{
    if (w->n_movers == w->cap_movers) {
        int cap = w->cap_movers ? 2 * w->cap_movers : 64;
        sim_mover **nm = realloc(w->movers, (size_t)cap * sizeof *nm);
        if (!nm) return NULL;
        w->movers = nm;
        w->cap_movers = cap;
    }
    sim_mover *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    w->movers[w->n_movers++] = m;
    return m;
}

static lo_class class_of(const sim_target_spec *s)
{
    switch (s->kind) {
    case SIM_MULTIROTOR: return LO_CLASS_MULTIROTOR;
    case SIM_FIXED_WING: return LO_CLASS_FIXED_WING;
    case SIM_BIRD: case SIM_BIRD_FLOCK: case SIM_SOARING_BIRD: return LO_CLASS_BIRD;
    case SIM_ROCKET: case SIM_MORTAR: return LO_CLASS_ROCKET;
    case SIM_AIRLINER: return LO_CLASS_AIRLINER;
    case SIM_HELICOPTER: return LO_CLASS_HELICOPTER;
    case SIM_GROUND_VEHICLE: return LO_CLASS_GROUND_VEHICLE;
    case SIM_REPLAY: return s->cls;
    default: return LO_CLASS_CLUTTER;
    }
}

static bool is_bird(sim_kind k) { return k == SIM_BIRD || k == SIM_BIRD_FLOCK || k == SIM_SOARING_BIRD; }

/* Micro-Doppler by kind: illustrative figures with the physics' ordering, not measurements
 * (docs/simulator.md). Blade tips of a small multirotor turn at 60-120 m/s, but the blades
 * return 10-15 dB less than the body and the spectrum's RMS width is a fraction of the tip
 * speed; a helicopter's main rotor flashes strongly; a pusher propeller is weaker; jet
 * engine modulation (JEM) is weak against an airliner's huge body. Flapping wings spread a
 * bird's own return by a metre or two per second; a soaring bird barely flaps; wheels spread
 * a car's. Rockets and mortars are rigid. No random draw: the world's random streams stay as
 * they were. */
static void set_micro_doppler(sim_target *tg, const sim_target_spec *s)
{
    float body = 0.2f, blade = 0, blade_db = 0, catch = 0;
    switch (tg->cls) {
    /* Four rotors of two blades at 80-100 rev/s flash many times in a dwell of a few ms; a
     * propeller fewer; a helicopter's main rotor (3-5 blades at 4-6 rev/s) flashes rarely but
     * its tail rotor and hub modulate often; JEM needs the engine face in view. */
    case LO_CLASS_MULTIROTOR: blade = 25; blade_db = -12; catch = 0.8f; break;
    case LO_CLASS_FIXED_WING: blade = 15; blade_db = -18; catch = 0.6f; break;
    case LO_CLASS_BIRD: body = s->kind == SIM_SOARING_BIRD ? 0.4f : 1.5f; break;
    case LO_CLASS_AIRLINER: blade = 30; blade_db = -25; catch = 0.5f; break;
    case LO_CLASS_HELICOPTER: blade = 40; blade_db = -10; catch = 0.6f; break;
    case LO_CLASS_LIGHT_AIRCRAFT: blade = 15; blade_db = -18; catch = 0.6f; break;
    case LO_CLASS_GROUND_VEHICLE: body = 0.8f; break;
    default: break;
    }
    /* A turbine's return is its blades (their radial velocity already spread, sim.c). */
    if (s->kind == SIM_WIND_TURBINE) {
        blade = (float)(s->tip_speed_mps / sqrt(3.0));
        blade_db = 0;
        catch = 1;
    }
    tg->md_body_mps = body;
    tg->md_blade_mps = blade;
    tg->md_blade_db = blade_db;
    tg->md_catch = catch;
}

static void init_target_common(sim_target *tg, const sim_target_spec *s, lo_rng *r, uint32_t *next_id,
                               uint32_t first_id_of_spec, double t_start, double t_end, int mover)
{
    tg->truth_id = s->kind == SIM_WIND_TURBINE ? 0 : (*next_id)++;
    tg->cls = class_of(s);
    tg->swerling = (uint8_t)s->swerling;
    tg->t_start = tg->t = t_start;
    tg->t_end = t_end;
    tg->rcs_m2 = log_uniform(r, s->rcs_m2);
    if (is_bird(s->kind) && s->wingbeat_hz[1] > 0) {
        tg->wingbeat_hz = urange(r, s->wingbeat_hz);
        tg->wingbeat_depth = s->kind == SIM_SOARING_BIRD ? 0.15 : 0.6;
        tg->wingbeat_phase = lo_rng_uniform(r) * 2 * LO_PI;
    }
    if (s->kind == SIM_WIND_TURBINE) tg->doppler_spread_mps = s->tip_speed_mps;
    set_micro_doppler(tg, s);
    if (s->has_mode_s) {
        /* Copies of one entry get consecutive addresses. */
        tg->mode_s = (s->mode_s + (uint32_t)(tg->truth_id - first_id_of_spec)) & 0xFFFFFF;
        tg->ssr_flags |= 1;
    }
    if (s->has_mode_3a) {
        tg->mode_3a = s->mode_3a;
        tg->ssr_flags |= 2;
    }
    tg->mover = mover;
}

static int build_one(sim_world *w, const sim_scenario *sc, const sim_target_spec *s,
                     uint32_t *next_id, uint32_t first_id, double t0, lo_diag_sink *sink,
                     const char *source)
{
    sim_mover *m = new_mover(w);
    if (!m) return -1;
    int mover_index = w->n_movers - 1;
    m->kind = s->kind;
    m->spec = s;
    /* One generator per mover, from the seed and the mover's index: a target's path does not
     * depend on the radars, the clutter, or the number of targets listed after it. */
    lo_rng_seed(&m->rng, sc->seed, 1000003ull + (uint64_t)mover_index);
    lo_rng *r = &m->rng;
    double step = sc->step_s;
    double start = t0 + ceil(urange(r, s->start_s) / step - 1e-9) * step;
    double end = s->end_s > 0 ? t0 + s->end_s : INFINITY;
    m->t_start = start;
    double px = s->position.x, py = s->position.y;
    if (s->spread_m > 0 && s->kind != SIM_BIRD_FLOCK) {
        double dx, dy;
        disc(r, s->spread_m, &dx, &dy);
        px += dx;
        py += dy;
    }
    int n = s->kind == SIM_BIRD_FLOCK ? s->count : 1;
    m->first = w->n_targets;
    m->count = n;
    for (int i = 0; i < n; i++) {
        sim_target *tg = new_target(w);
        if (!tg) return -1;
        init_target_common(tg, s, r, next_id, first_id, start, end, mover_index);
    }
    sim_target *tg = &w->targets[m->first];
    double a0 = s->position.a;
    switch (s->kind) {
    case SIM_MULTIROTOR: case SIM_FIXED_WING: case SIM_AIRLINER: case SIM_HELICOPTER: {
        m->cruise = m->speed = urange(r, s->speed_mps);
        m->can_hover = s->kind == SIM_MULTIROTOR || s->kind == SIM_HELICOPTER;
        double turn = s->kind == SIM_MULTIROTOR ? 90 : s->kind == SIM_FIXED_WING ? 15
                    : s->kind == SIM_AIRLINER ? 3 : 12;
        m->max_turn = (s->max_turn_rate_deg_s > 0 ? s->max_turn_rate_deg_s : turn) * LO_DEG2RAD;
        m->max_accel = s->kind == SIM_MULTIROTOR ? 3 : s->kind == SIM_AIRLINER ? 1 : 2;
        m->max_climb = s->kind == SIM_AIRLINER ? 15 : s->kind == SIM_MULTIROTOR ? 4 : 6;
        if (s->has_aim) {
            m->aim = s->aim;
            if (s->aim_jitter_m > 0) {
                double dx, dy;
                disc(r, s->aim_jitter_m, &dx, &dy);
                m->aim.x += dx;
                m->aim.y += dy;
            }
            m->dive_distance = urange(r, s->dive_distance_m);
        }
        m->patrol_center = (sim_point){px, py, a0};
        if (s->patrol_radius_m > 0) {
            double dx, dy;
            disc(r, s->patrol_radius_m, &dx, &dy);
            m->patrol_goal = (sim_point){px + dx, py + dy, a0};
        }
        sim_point first = s->n_waypoints ? s->waypoints[0]
                        : s->has_aim      ? m->aim
                        : s->patrol_radius_m > 0 ? m->patrol_goal
                                          : (sim_point){px, py + 1, a0};
        m->heading = s->has_heading ? urange(r, s->heading_deg) * LO_DEG2RAD
                                    : atan2(first.x - px, first.y - py);
        tg->p[0] = px; tg->p[1] = py; tg->p[2] = a0;
        tg->v[0] = m->speed * sin(m->heading);
        tg->v[1] = m->speed * cos(m->heading);
        break;
    }
    case SIM_BIRD: {
        walker_init(&m->w, r, s, px, py);
        tg->p[0] = px; tg->p[1] = py; tg->p[2] = m->w.a;
        tg->v[0] = m->w.vx; tg->v[1] = m->w.vy;
        break;
    }
    case SIM_BIRD_FLOCK: {
        flock_state *f = calloc(1, sizeof *f);
        if (!f) return -1;
        m->flock = f;
        f->group = calloc((size_t)n, 1);
        f->off = calloc((size_t)n * 3, sizeof(double));
        f->goal = calloc((size_t)n * 3, sizeof(double));
        if (!f->group || !f->off || !f->goal) return -1;
        walker_init(&f->center[0], r, s, px, py);
        f->radius = s->flock_radius_m;
        f->split_rate = s->split_rate_per_min / 60.0;
        for (int i = 0; i < n; i++) {
            double *o = &f->off[3 * i], *g = &f->goal[3 * i];
            disc(r, f->radius, &o[0], &o[1]);
            o[2] = lo_rng_range(r, -0.25, 0.25) * f->radius;
            memcpy(g, o, 3 * sizeof(double));
            sim_target *b = &w->targets[m->first + i];
            b->p[0] = px + o[0];
            b->p[1] = py + o[1];
            b->p[2] = fmax(1, f->center[0].a + o[2]);
            b->v[0] = f->center[0].vx;
            b->v[1] = f->center[0].vy;
        }
        break;
    }
    case SIM_SOARING_BIRD: {
        m->thermal = true;
        m->speed = lo_rng_range(r, 8, 11);
        m->th_r = lo_rng_range(r, 30, 80);
        m->th_dir = lo_rng_uniform(r) < 0.5 ? -1 : 1;
        m->climb = lo_rng_range(r, 1.0, 3.0);
        m->a_bottom = s->agl_m[0];
        m->a_top = fmax(urange(r, s->agl_m), m->a_bottom + 100);
        m->th_angle = lo_rng_uniform(r) * 2 * LO_PI;
        m->th_cx = px - m->th_r * sin(m->th_angle);
        m->th_cy = py - m->th_r * cos(m->th_angle);
        double hd = m->th_angle + m->th_dir * LO_PI / 2;
        tg->p[0] = px; tg->p[1] = py;
        tg->p[2] = a0 > 0 ? a0 : lo_rng_range(r, s->agl_m[0], s->agl_m[1]);
        tg->v[0] = m->speed * sin(hd); tg->v[1] = m->speed * cos(hd); tg->v[2] = m->climb;
        break;
    }
    case SIM_ROCKET: case SIM_MORTAR: {
        m->drag_k = s->drag_per_m;
        double from[3] = {px, py, a0}, v0[3], T = 0;
        if (s->has_impact) {
            double to[3] = {s->impact.x, s->impact.y, s->impact.a};
            if (s->aim_jitter_m > 0) {
                double dx, dy;
                disc(r, s->aim_jitter_m, &dx, &dy);
                to[0] += dx;
                to[1] += dy;
            }
            m->impact_a = to[2];
            bool ok;
            if (s->flight_time_s[1] > 0) {
                T = urange(r, s->flight_time_s);
                ok = sim_ballistic_solve_time(from, to, T, m->drag_k, v0);
            } else {
                ok = sim_ballistic_solve_elevation(from, to, urange(r, s->elevation_deg) * LO_DEG2RAD,
                                                   m->drag_k, v0, &T);
            }
            if (!ok) {
                char kp[64];
                snprintf(kp, sizeof kp, "%s.impact", s->key_path);
                lo_diag_report(sink, LO_DIAG_ERROR, source, s->line, 0, -1, kp,
                               "no ballistic path reaches the impact point from the launch point "
                               "with these parameters (flight time / elevation / drag)");
                return -1;
            }
        } else {
            /* Launch by speed, azimuth and elevation; flies until it comes down. */
            double sp = urange(r, s->speed_mps), el = urange(r, s->elevation_deg) * LO_DEG2RAD;
            double az = s->azimuth_deg * LO_DEG2RAD;
            v0[0] = sp * cos(el) * sin(az);
            v0[1] = sp * cos(el) * cos(az);
            v0[2] = sp * sin(el);
            m->impact_a = 0;
        }
        tg->p[0] = px; tg->p[1] = py; tg->p[2] = a0;
        memcpy(tg->v, v0, sizeof v0);
        tg->acc[2] = -LO_G0;
        break;
    }
    case SIM_GROUND_VEHICLE: {
        m->cruise = m->speed = urange(r, s->speed_mps);
        /* Start somewhere along the road, in either direction. */
        double total = 0;
        for (int i = 0; i + 1 < s->n_waypoints; i++)
            total += hypot(s->waypoints[i + 1].x - s->waypoints[i].x, s->waypoints[i + 1].y - s->waypoints[i].y);
        double at = lo_rng_uniform(r) * total;
        m->dir = lo_rng_uniform(r) < 0.5 ? 1 : -1;
        m->seg = 0;
        for (; m->seg + 2 < s->n_waypoints; m->seg++) {
            double len = hypot(s->waypoints[m->seg + 1].x - s->waypoints[m->seg].x,
                               s->waypoints[m->seg + 1].y - s->waypoints[m->seg].y);
            if (at <= len) break;
            at -= len;
        }
        m->seg_s = at;
        road_step(w, m, start, 0.0);
        tg->t = start;
        break;
    }
    case SIM_REPLAY: {
        if (sim_replay_load(s, start, &m->rt, &m->rx, &m->ry, &m->ra, &m->n_samples, sink,
                            source) != 0)
            return -1;
        for (int i = 0; i < m->n_samples; i++) {
            m->rx[i] += px;
            m->ry[i] += py;
            m->ra[i] += a0;
        }
        double p[3], v[3];
        int hint = 0;
        replay_sample(m, start, &hint, p, v);
        memcpy(tg->p, p, sizeof p);
        memcpy(tg->v, v, sizeof v);
        if (tg->t_end > m->rt[m->n_samples - 1]) tg->t_end = m->rt[m->n_samples - 1];
        break;
    }
    case SIM_WIND_TURBINE:
        tg->p[0] = px; tg->p[1] = py; tg->p[2] = a0;
        break;
    default:
        break;
    }
    return 0;
}

int sim_world_build(sim_world *w, const sim_scenario *sc, double t0, lo_diag_sink *sink,
                    const char *source)
{
    uint32_t next_id = 1;
    for (int i = 0; i < sc->n_specs; i++) {
        const sim_target_spec *s = &sc->specs[i];
        int copies = s->kind == SIM_BIRD_FLOCK ? 1 : s->count;
        uint32_t first_id = next_id;
        for (int c = 0; c < copies; c++)
            if (build_one(w, sc, s, &next_id, first_id, t0, sink, source) != 0) return -1;
    }
    return 0;
}

void sim_world_free(sim_world *w)
{
    for (int i = 0; i < w->n_movers; i++) {
        sim_mover *m = w->movers[i];
        if (m->flock) {
            free(m->flock->group);
            free(m->flock->off);
            free(m->flock->goal);
            free(m->flock);
        }
        free(m->rt);
        free(m->rx);
        free(m->ry);
        free(m->ra);
        free(m);
    }
    free(w->movers);
    free(w->targets);
    memset(w, 0, sizeof *w);
}

void sim_world_step(sim_world *w, double t, double dt)
{
    for (int i = 0; i < w->n_movers; i++) {
        sim_mover *m = w->movers[i];
        if (m->finished || m->t_start > t + 1e-9) continue;
        if (w->targets[m->first].t_end <= t) continue;
        switch (m->kind) {
        case SIM_MULTIROTOR: case SIM_FIXED_WING: case SIM_AIRLINER: case SIM_HELICOPTER:
            guided_step(w, m, t, dt);
            break;
        case SIM_BIRD: {
            sim_target *tg = &w->targets[m->first];
            walker_step(&m->w, &m->rng, dt);
            set_state(tg, t + dt, m->w.x, m->w.y, m->w.a, m->w.vx, m->w.vy, m->w.va, dt);
            break;
        }
        case SIM_BIRD_FLOCK: flock_step(w, m, t, dt); break;
        case SIM_SOARING_BIRD: soaring_step(w, m, t, dt); break;
        case SIM_ROCKET: case SIM_MORTAR: ballistic_step(w, m, t, dt); break;
        case SIM_GROUND_VEHICLE: road_step(w, m, t, dt); break;
        case SIM_REPLAY: replay_step(w, m, t, dt); break;
        default: break; /* wind turbines stand still */
        }
    }
}

const char *sim_target_name(const sim_world *w, int target)
{
    return w->movers[w->targets[target].mover]->spec->name;
}

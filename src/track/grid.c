/* grid.c: the uniform spatial hash used for gating, initiation and merging (see grid.h). */
#include "track/grid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY_KEY INT64_MIN
#define MAX_CELLS_PER_SIDE 16

void lo_grid_init(lo_grid *g, double cell_m)
{
    memset(g, 0, sizeof *g);
    g->cell_m = cell_m > 1.0 ? cell_m : 1.0;
}

void lo_grid_free(lo_grid *g)
{
    free(g->cells);
    free(g->node_item);
    free(g->node_next);
    memset(g, 0, sizeof *g);
}

void lo_grid_clear(lo_grid *g)
{
    if (g->n_cells)
        for (uint32_t i = 0; i <= g->mask; i++) g->cells[i].key = EMPTY_KEY;
    g->n_cells = 0;
    g->n_nodes = 0;
}

static inline uint32_t hash_key(int64_t k)
{
    uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32);
}

static inline int64_t cell_key(int64_t cx, int64_t cy)
{
    return (int64_t)(((uint64_t)cx << 32) ^ ((uint64_t)cy & 0xffffffffu));
}

static bool grow_table(lo_grid *g)
{
    uint32_t old_size = g->mask ? g->mask + 1 : 0;
    uint32_t size = old_size ? old_size * 2 : 1024;
    lo_grid_cell *cells = malloc(sizeof *cells * size);
    if (!cells) return false;
    for (uint32_t i = 0; i < size; i++) cells[i].key = EMPTY_KEY;
    uint32_t mask = size - 1;
    for (uint32_t i = 0; i < old_size; i++) {
        if (g->cells[i].key == EMPTY_KEY) continue;
        uint32_t b = hash_key(g->cells[i].key) & mask;
        while (cells[b].key != EMPTY_KEY) b = (b + 1) & mask;
        cells[b] = g->cells[i];
    }
    free(g->cells);
    g->cells = cells;
    g->mask = mask;
    return true;
}

static bool insert_cell(lo_grid *g, int64_t key, int32_t item)
{
    if ((g->n_cells + 1) * 2 > (g->mask ? g->mask + 1 : 0) && !grow_table(g)) return false;
    if (g->n_nodes == g->cap_nodes) {
        int32_t cap = g->cap_nodes ? g->cap_nodes * 2 : 1024;
        int32_t *items = realloc(g->node_item, sizeof *items * (size_t)cap);
        if (!items) return false;
        g->node_item = items;
        int32_t *next = realloc(g->node_next, sizeof *next * (size_t)cap);
        if (!next) return false;
        g->node_next = next;
        g->cap_nodes = cap;
    }
    uint32_t b = hash_key(key) & g->mask;
    lo_grid_cell *c = &g->cells[b];
    while (c->key != EMPTY_KEY && c->key != key) b = (b + 1) & g->mask, c = &g->cells[b];
    int32_t node = g->n_nodes++;
    g->node_item[node] = item;
    if (c->key == EMPTY_KEY) {
        c->key = key;
        c->head = -1;
        g->n_cells++;
    }
    g->node_next[node] = c->head;
    c->head = node;
    return true;
}

static void cell_range(const lo_grid *g, double x, double y, double r, int64_t *x0, int64_t *x1,
                       int64_t *y0, int64_t *y1)
{
    if (!(r >= 0)) r = 0;
    double maxr = 0.5 * MAX_CELLS_PER_SIDE * g->cell_m;
    if (r > maxr) r = maxr;
    *x0 = (int64_t)floor((x - r) / g->cell_m);
    *x1 = (int64_t)floor((x + r) / g->cell_m);
    *y0 = (int64_t)floor((y - r) / g->cell_m);
    *y1 = (int64_t)floor((y + r) / g->cell_m);
}

bool lo_grid_insert(lo_grid *g, int32_t item, double x, double y, double r)
{
    if (!isfinite(x) || !isfinite(y)) return true;
    int64_t x0, x1, y0, y1;
    cell_range(g, x, y, r, &x0, &x1, &y0, &y1);
    for (int64_t cx = x0; cx <= x1; cx++)
        for (int64_t cy = y0; cy <= y1; cy++)
            if (!insert_cell(g, cell_key(cx, cy), item)) return false;
    return true;
}

void lo_grid_query(const lo_grid *g, double x, double y, double r, lo_grid_visit_fn fn, void *ctx)
{
    if (!g->n_cells || !isfinite(x) || !isfinite(y)) return;
    int64_t x0, x1, y0, y1;
    cell_range(g, x, y, r, &x0, &x1, &y0, &y1);
    for (int64_t cx = x0; cx <= x1; cx++)
        for (int64_t cy = y0; cy <= y1; cy++) {
            int64_t key = cell_key(cx, cy);
            uint32_t b = hash_key(key) & g->mask;
            while (g->cells[b].key != EMPTY_KEY && g->cells[b].key != key) b = (b + 1) & g->mask;
            if (g->cells[b].key == EMPTY_KEY) continue;
            for (int32_t n = g->cells[b].head; n >= 0; n = g->node_next[n]) fn(ctx, g->node_item[n]);
        }
}

size_t lo_grid_memory(const lo_grid *g)
{
    size_t table = g->mask ? (size_t)(g->mask + 1) * sizeof(lo_grid_cell) : 0;
    return table + (size_t)g->cap_nodes * 2 * sizeof(int32_t);
}

void lo_grid_prefetch(const lo_grid *g, double x, double y)
{
    if (!g->n_cells || !isfinite(x) || !isfinite(y)) return;
    int64_t key = cell_key((int64_t)floor(x / g->cell_m), (int64_t)floor(y / g->cell_m));
    __builtin_prefetch(&g->cells[hash_key(key) & g->mask]);
}

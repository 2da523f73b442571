/*
 * grid.h: a uniform spatial hash over the horizontal ENU plane (internal to the tracker).
 *
 * Owns a table of occupied cells (open addressing on the integer cell coordinates) and a pool
 * of nodes chaining the items (int indices chosen by the caller) of each cell. Inserting is
 * O(1) amortised, clearing is O(table), and the memory is reused: no allocation per scan once
 * the arrays have grown. Units: metres.
 */
#ifndef LOOKOUT_TRACK_GRID_H
#define LOOKOUT_TRACK_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lo_grid_cell {
    int64_t key;
    int32_t head;
} lo_grid_cell;

typedef struct lo_grid {
    double cell_m;
    uint32_t mask;       /* table size - 1 (a power of two), 0 before the first insert */
    uint32_t n_cells;
    struct lo_grid_cell *cells; /* key and first node together: one cache miss per probe */
    int32_t *node_item, *node_next;
    int32_t n_nodes, cap_nodes;
} lo_grid;

void lo_grid_init(lo_grid *g, double cell_m);
void lo_grid_free(lo_grid *g);
void lo_grid_clear(lo_grid *g);
/* Insert `item` into every cell overlapped by the square [x-r, x+r] x [y-r, y+r]; at most
 * max_cells per side (a huge r is clamped). Returns false when out of memory. */
bool lo_grid_insert(lo_grid *g, int32_t item, double x, double y, double r);
/* Visit the items of the cells overlapped by the square; fn returns nothing. An item in
 * several of those cells is visited once per cell: callers dedupe. */
typedef void (*lo_grid_visit_fn)(void *ctx, int32_t item);
void lo_grid_query(const lo_grid *g, double x, double y, double r, lo_grid_visit_fn fn, void *ctx);
size_t lo_grid_memory(const lo_grid *g);
/* Hint that the cell holding (x, y) will be looked up soon (a prefetch; no effect on results). */
void lo_grid_prefetch(const lo_grid *g, double x, double y);

#endif

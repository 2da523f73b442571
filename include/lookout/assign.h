/*
 * lookout/assign.h: the linear assignment problem on rectangular cost matrices.
 *
 * Owns one solver: shortest augmenting paths with dual potentials (Jonker-Volgenant /
 * Crouse 2016), O(n^2 m) worst case, for n rows <= m columns (it transposes internally when
 * rows > columns). Forbidden pairs (a track and a plot outside the gate) are marked with
 * LO_ASSIGN_FORBIDDEN; a row whose every column is forbidden stays unassigned, and the solver
 * maximises the number of assigned rows first, then minimises the total cost among those.
 * Used by GOSPA and by the tracker's global-nearest-neighbour association.
 *
 * Costs: any finite double (negative allowed); -INFINITY and NaN are refused. No units of its
 * own. Forbidden pairs are handled by a finite penalty larger than any difference of two
 * assignments' real costs (see src/geo/assign.c): with forbidden pairs present, cost
 * differences below about 4 n^2 max|cost| x 1e-16 (n = the smaller dimension) are lost to
 * rounding; for 1,000 x 1,000 costs up to 1e4 that is 4e-6.
 */
#ifndef LOOKOUT_ASSIGN_H
#define LOOKOUT_ASSIGN_H

#include <math.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LO_ASSIGN_FORBIDDEN INFINITY

/* Reusable scratch memory so a tracker can solve thousands of problems without malloc. */
typedef struct lo_assign_workspace lo_assign_workspace;

lo_assign_workspace *lo_assign_workspace_new(void);
void lo_assign_workspace_free(lo_assign_workspace *ws);

/* cost: rows x cols, row-major. On return row_to_col[r] is the column of row r or -1, and
 * col_to_row (may be NULL) likewise. Returns the total cost of the assignment, or NAN when
 * the arguments are invalid (negative sizes, NaN cost, out of memory). ws may be NULL. */
double lo_assign_solve(lo_assign_workspace *ws, const double *cost, int rows, int cols,
                       int *row_to_col, int *col_to_row);

#ifdef __cplusplus
}
#endif
#endif

/* The journal's past alerts onto the display at start-up, shared by `serve` and `demo`: an
 * operator who restarts the service sees what was raised before (the picture keeps the latest
 * transition of each alert). */
#include <math.h>
#include <stdlib.h>

#include "commands.h"
#include "lookout/journal.h"
#include "lookout/picture.h"

typedef struct past_alerts {
    lo_alert *a;
    size_t n, cap;
} past_alerts;

static bool collect(void *ctx, int64_t seq, const lo_alert *a, const char *json)
{
    (void)seq;
    (void)json;
    past_alerts *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        lo_alert *b = realloc(c->a, cap * sizeof *b);
        if (!b) return false;
        c->a = b;
        c->cap = cap;
    }
    c->a[c->n++] = *a;
    return true;
}

long lo_app_show_past_alerts(lo_picture *pic, lo_journal *journal)
{
    past_alerts c = {0};
    long rows = lo_journal_list(journal, -INFINITY, collect, &c);
    if (c.n) lo_picture_update_alerts(pic, c.a, c.n);
    free(c.a);
    return rows;
}

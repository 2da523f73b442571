/*
 * asterix_internal.h: what the ASTERIX category decoders share (not a public header).
 *
 * Item length rules (the part of a UAP that lets a decoder skip an item it does not interpret),
 * FSPEC parsing, and big-endian octet helpers.
 */
#ifndef LOOKOUT_ASTERIX_INTERNAL_H
#define LOOKOUT_ASTERIX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lo_item_kind {
    LO_ITEM_NONE = 0,  /* FRN not used by this UAP: a set bit is malformed */
    LO_ITEM_FIXED,     /* `size` octets */
    LO_ITEM_EXT,       /* parts of `size` octets while the last octet's LSB (FX) is 1 */
    LO_ITEM_REP,       /* 1 octet REP, then REP elements of `size` octets */
    LO_ITEM_REPFX,     /* elements of `size` octets while the element's last LSB (FX) is 1 */
    LO_ITEM_EXPLICIT,  /* 1 octet LEN (counting itself, >= 1), then LEN - 1 octets */
    LO_ITEM_COMPOUND   /* primary subfield (FX chain), then the subfields it flags */
};

typedef struct lo_subfield_rule {
    uint8_t kind;      /* LO_ITEM_NONE (spare slot), FIXED, EXT, REP */
    uint8_t size;
} lo_subfield_rule;

typedef struct lo_item_rule {
    const char *name;  /* "I048/130" */
    uint8_t kind;
    uint8_t size;
    const lo_subfield_rule *sub; /* COMPOUND only */
    uint8_t n_sub;
} lo_item_rule;

/* Length of the item at p (avail octets left in the record's block), or -1 when it does not
 * fit or breaks its rule (*why says which). */
long lo_item_length(const lo_item_rule *rule, const uint8_t *p, size_t avail, const char **why);

/* Parse an FSPEC: sets LO_FRN(frn) in *bits for each item bit. Returns its length, or -1
 * (runs past the end, longer than max_frn allows, or flags an FRN above max_frn). */
long lo_fspec_parse(const uint8_t *p, size_t avail, int max_frn, uint64_t *bits, const char **why);

/* Build an FSPEC for `bits` into out (at most 8 octets). Returns its length (>= 1). */
size_t lo_fspec_build(uint64_t bits, uint8_t *out);
/* A record from its items' octets (n, in FSPEC order) behind the FSPEC for `bits`, into out.
 * Returns its length, or 0 when no item is present or it does not fit in cap octets. */
size_t lo_record_assemble(uint64_t bits, const uint8_t *items, size_t n, uint8_t *out, size_t cap);

/* Walking a record's items in FSPEC order, which every category decoder does around its own
 * switch. lo_item_walk_begin parses the FSPEC (named in *item for its errors) and sets
 * *present; lo_item_walk_next gives the FRN of the next present item, its octets at *q and
 * its length *n, LO_WALK_END after the last, LO_WALK_MALFORMED (with *why and *item) when an
 * item breaks its length rule. The record's length is then w->pos. Inline: the decoders' hot
 * loop. */
typedef struct lo_item_walk {
    const uint8_t *p;
    size_t avail;
    long pos;
    uint64_t bits;
    const lo_item_rule *uap;
    const char *fspec_name;
} lo_item_walk;

enum { LO_WALK_END = -1, LO_WALK_MALFORMED = -2 };

static inline bool lo_item_walk_begin(lo_item_walk *w, const uint8_t *p, size_t avail, int max_frn,
                                      const lo_item_rule *uap, const char *fspec_name,
                                      uint64_t *present, const char **why, const char **item)
{
    *item = fspec_name;
    w->pos = lo_fspec_parse(p, avail, max_frn, &w->bits, why);
    if (w->pos < 0) return false;
    if (!w->bits) {
        *why = "empty FSPEC";
        return false;
    }
    w->p = p;
    w->avail = avail;
    w->uap = uap;
    w->fspec_name = fspec_name;
    *present = w->bits;
    return true;
}

static inline int lo_item_walk_next(lo_item_walk *w, const uint8_t **q, long *n, const char **why,
                                    const char **item)
{
    if (!w->bits) return LO_WALK_END;
    int frn = __builtin_ctzll(w->bits);
    w->bits &= w->bits - 1;
    const lo_item_rule *rule = &w->uap[frn];
    *item = rule->name ? rule->name : w->fspec_name;
    *n = lo_item_length(rule, w->p + w->pos, w->avail - (size_t)w->pos, why);
    if (*n < 0) return LO_WALK_MALFORMED;
    *q = w->p + w->pos;
    w->pos += *n;
    return frn;
}

/* Compound primary subfield: returns its length and sets bit i (0-based slot) in *slots. */
long lo_compound_primary(const uint8_t *p, size_t avail, uint64_t *slots, const char **why);

static inline uint32_t lo_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static inline uint32_t lo_be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}
static inline uint32_t lo_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline int32_t lo_sext(uint32_t v, int bits)
{
    uint32_t m = 1u << (bits - 1);
    v &= (bits == 32) ? 0xffffffffu : ((1u << bits) - 1);
    return (int32_t)((v ^ m) - m);
}
static inline void lo_put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void lo_put24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v;
}
static inline void lo_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* The recording readers' reorder window (reorder.c): items of item_size octets leave in time
 * order, equal times in arrival order, once the newest time pushed is window_s past them, or
 * any time when at_end. Time: UTC seconds (double). */
typedef struct lo_reorder_key {
    double t;
    unsigned long long arrival;
    size_t slot;
} lo_reorder_key;

typedef struct lo_reorder {
    lo_reorder_key *keys;        /* the min-heap, n of cap */
    unsigned char *pool;         /* cap items */
    size_t *free_slots, n_free;  /* pool slots not in the heap */
    size_t item_size, n, cap;
    unsigned long long arrivals;
    double newest, window_s;
} lo_reorder;

void lo_reorder_init(lo_reorder *q, size_t item_size, double window_s);
/* False when memory ran out (the item is not kept). */
bool lo_reorder_push(lo_reorder *q, double t, const void *item);
/* The earliest item into *out when it may leave; false when none may (yet). */
bool lo_reorder_pop(lo_reorder *q, bool at_end, void *out);
void lo_reorder_free(lo_reorder *q);

/* ICAO 6-bit characters (I048/240, I062/245): 6 octets -> 8 characters + NUL. */
void lo_icao_chars_decode(const uint8_t *p, char out[9]);
void lo_icao_chars_encode(const char *s, uint8_t out[6]);

/* Round a double to the nearest integer and clamp to [lo, hi]. */
long lo_quantize(double v, long lo, long hi);

#endif

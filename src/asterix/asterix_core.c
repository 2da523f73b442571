/*
 * asterix_core.c: data blocks, FSPEC, item length rules, time of day, block building.
 *
 * The per-category files (cat048.c, cat034.c, cat062.c) hold the UAPs and the item
 * interpretation; this file walks blocks and records and knows how long an item is.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "asterix/asterix_internal.h"
#include "lookout/asterix.h"

long lo_item_length(const lo_item_rule *rule, const uint8_t *p, size_t avail, const char **why)
{
    size_t n = 0;
    switch (rule->kind) {
    case LO_ITEM_FIXED:
        n = rule->size;
        break;
    case LO_ITEM_EXT:
        for (;;) {
            n += rule->size;
            if (n > avail) break;
            if (!(p[n - 1] & 1)) break;
        }
        break;
    case LO_ITEM_REP:
        if (avail < 1) { *why = "repetition factor past the end"; return -1; }
        n = 1 + (size_t)p[0] * rule->size;
        break;
    case LO_ITEM_REPFX:
        for (;;) {
            n += rule->size;
            if (n > avail) break;
            if (!(p[n - 1] & 1)) break;
        }
        break;
    case LO_ITEM_EXPLICIT:
        if (avail < 1) { *why = "length octet past the end"; return -1; }
        if (p[0] == 0) { *why = "explicit length 0"; return -1; }
        n = p[0];
        break;
    case LO_ITEM_COMPOUND: {
        uint64_t slots = 0;
        long prim = lo_compound_primary(p, avail, &slots, why);
        if (prim < 0) return -1;
        n = (size_t)prim;
        for (int i = 0; slots; i++, slots >>= 1) {
            if (!(slots & 1)) continue;
            if (i >= rule->n_sub || rule->sub[i].kind == LO_ITEM_NONE) {
                *why = "compound subfield not defined in this edition";
                return -1;
            }
            lo_subfield_rule s = rule->sub[i];
            lo_item_rule sr = {rule->name, s.kind, s.size, NULL, 0};
            if (n > avail) break;
            long sl = lo_item_length(&sr, p + n, avail - n, why);
            if (sl < 0) return -1;
            n += (size_t)sl;
        }
        break;
    }
    default:
        *why = "item not defined in this UAP";
        return -1;
    }
    if (n > avail) { *why = "item runs past the end of the data block"; return -1; }
    return (long)n;
}

long lo_compound_primary(const uint8_t *p, size_t avail, uint64_t *slots, const char **why)
{
    uint64_t s = 0;
    size_t i = 0;
    for (;;) {
        if (i >= avail) { *why = "compound primary subfield past the end"; return -1; }
        if (i >= 5) { *why = "compound primary subfield too long"; return -1; }
        for (int b = 0; b < 7; b++)
            if (p[i] & (0x80 >> b)) s |= (uint64_t)1 << (i * 7 + (size_t)b);
        if (!(p[i++] & 1)) break;
    }
    *slots = s;
    return (long)i;
}

long lo_fspec_parse(const uint8_t *p, size_t avail, int max_frn, uint64_t *bits, const char **why)
{
    uint64_t b = 0;
    size_t i = 0;
    size_t max_octets = (size_t)(max_frn + 6) / 7;
    for (;;) {
        if (i >= avail) { *why = "FSPEC runs past the end of the data block"; return -1; }
        if (i >= max_octets) { *why = "FSPEC longer than the UAP"; return -1; }
        unsigned o = p[i];
        for (int k = 0; k < 7; k++)
            if (o & (0x80u >> k)) b |= LO_FRN(i * 7 + (size_t)k + 1);
        i++;
        if (!(o & 1)) break;
    }
    if (b >> (max_frn + 1)) { *why = "FSPEC flags an item beyond the UAP"; return -1; }
    *bits = b;
    return (long)i;
}

size_t lo_fspec_build(uint64_t bits, uint8_t *out)
{
    int max = 0;
    for (int f = 1; f < 64; f++)
        if (bits & LO_FRN(f)) max = f;
    size_t n = max ? (size_t)(max + 6) / 7 : 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t o = 0;
        for (int k = 0; k < 7; k++)
            if (bits & LO_FRN(i * 7 + (size_t)k + 1)) o |= (uint8_t)(0x80u >> k);
        if (i + 1 < n) o |= 1;
        out[i] = o;
    }
    return n;
}

size_t lo_record_assemble(uint64_t bits, const uint8_t *items, size_t n, uint8_t *out, size_t cap)
{
    uint8_t fspec[8];
    size_t fl = lo_fspec_build(bits, fspec);
    if (!bits || fl + n > cap) return 0;
    memcpy(out, fspec, fl);
    memcpy(out + fl, items, n);
    return fl + n;
}

static const char icao_alphabet[65] =
    " ABCDEFGHIJKLMNOPQRSTUVWXYZ                     0123456789      ";

void lo_icao_chars_decode(const uint8_t *p, char out[9])
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++) v = v << 8 | p[i];
    for (int i = 0; i < 8; i++) {
        unsigned c = (unsigned)(v >> (42 - 6 * i)) & 63;
        out[i] = icao_alphabet[c];
    }
    out[8] = 0;
}

void lo_icao_chars_encode(const char *s, uint8_t out[6])
{
    uint64_t v = 0;
    size_t len = strlen(s);
    for (size_t i = 0; i < 8; i++) {
        unsigned code = 32; /* space */
        char c = i < len ? s[i] : ' ';
        if (c >= 'A' && c <= 'Z') code = (unsigned)(c - 'A' + 1);
        else if (c >= 'a' && c <= 'z') code = (unsigned)(c - 'a' + 1);
        else if (c >= '0' && c <= '9') code = (unsigned)(c - '0' + 48);
        v = v << 6 | code;
    }
    for (int i = 0; i < 6; i++) out[i] = (uint8_t)(v >> (40 - 8 * i));
}

long lo_quantize(double v, long lo, long hi)
{
    if (!(v == v)) return 0; /* NaN */
    double r = floor(v + 0.5);
    if (r < (double)lo) return lo;
    if (r > (double)hi) return hi;
    return (long)r;
}

unsigned lo_mode3a_octal(uint16_t code)
{
    return ((code >> 9) & 7) * 1000u + ((code >> 6) & 7) * 100u + ((code >> 3) & 7) * 10u + (code & 7);
}

/* ---- blocks ------------------------------------------------------------------------------ */

long lo_asterix_decode(const uint8_t *buf, size_t len, const char *source, long long base_offset,
                       lo_asterix_record_fn fn, void *ctx, lo_asterix_stats *stats,
                       lo_diag_sink *sink)
{
    static lo_asterix_stats dummy;
    if (!stats) stats = &dummy;
    if (!source) source = "<memory>";
    long delivered = 0;
    size_t pos = 0;
    lo_cat048 r048;
    lo_cat034 r034;
    lo_cat062 r062;
    while (pos < len) {
        size_t left = len - pos;
        if (left < 3) {
            stats->malformed++;
            lo_diag_report(sink, LO_DIAG_ERROR, source, 0, 0, base_offset + (long long)pos,
                           "block header", "%zu trailing octet(s) too short for a data block",
                           left);
            break;
        }
        uint8_t cat = buf[pos];
        size_t blen = lo_be16(buf + pos + 1);
        if (blen < 3 || blen > left) {
            stats->malformed++;
            lo_diag_report(sink, LO_DIAG_ERROR, source, 0, 0, base_offset + (long long)pos,
                           "block LEN", "CAT%03u block length %zu %s (%zu octets left)",
                           cat, blen, blen < 3 ? "below the 3-octet header" : "runs past the end",
                           left);
            break;
        }
        stats->blocks++;
        if (cat != 48 && cat != 34 && cat != 62) {
            stats->skipped_blocks++;
            pos += blen;
            continue;
        }
        size_t rpos = pos + 3, bend = pos + blen;
        int index = 0;
        while (rpos < bend) {
            const char *why = "?", *item = "FSPEC";
            long n;
            lo_asterix_record rec = {cat, base_offset + (long long)rpos, base_offset + (long long)pos,
                                     index, NULL, NULL, NULL};
            if (cat == 48) {
                n = lo_cat048_decode(buf + rpos, bend - rpos, &r048, &stats->skipped_items, &why, &item);
                rec.c048 = &r048;
            } else if (cat == 34) {
                n = lo_cat034_decode(buf + rpos, bend - rpos, &r034, &stats->skipped_items, &why, &item);
                rec.c034 = &r034;
            } else {
                n = lo_cat062_decode(buf + rpos, bend - rpos, &r062, &stats->skipped_items, &why, &item);
                rec.c062 = &r062;
            }
            if (n <= 0) {
                stats->malformed++;
                lo_diag_report(sink, LO_DIAG_ERROR, source, 0, 0, base_offset + (long long)rpos,
                               item, "CAT%03u record %d of the block at offset %lld: %s; rest of "
                               "the block skipped", cat, index, base_offset + (long long)pos, why);
                break;
            }
            stats->records++;
            stats->records_by_cat[cat]++;
            delivered++;
            if (fn) fn(ctx, &rec);
            rpos += (size_t)n;
            index++;
        }
        pos += blen;
    }
    return delivered;
}

void lo_asterix_block_init(lo_asterix_block *b, uint8_t cat)
{
    b->cat = cat;
    b->len = 3;
    b->n_records = 0;
    b->data[0] = cat;
    lo_put16(b->data + 1, 3);
}

bool lo_asterix_block_add(lo_asterix_block *b, const uint8_t *rec, size_t n)
{
    if (b->len + n > sizeof b->data) return false;
    memcpy(b->data + b->len, rec, n);
    b->len += n;
    b->n_records++;
    lo_put16(b->data + 1, (uint32_t)b->len);
    return true;
}

/* ---- time of day ------------------------------------------------------------------------- */

void lo_tod_resolver_init(lo_tod_resolver *r, double date_midnight)
{
    r->day_start = date_midnight;
    r->last_t = NAN;
}

double lo_tod_resolve(lo_tod_resolver *r, double tod_s)
{
    double t = r->day_start + tod_s;
    if (!isnan(r->last_t)) {
        /* A time of day more than 12 h before the last one: midnight passed. More than 12 h
         * after it: a late record from before midnight arriving after the wrap. */
        while (t < r->last_t - 43200.0) { r->day_start += 86400.0; t += 86400.0; }
        while (t > r->last_t + 43200.0) { r->day_start -= 86400.0; t -= 86400.0; }
    }
    r->last_t = t;
    return t;
}

double lo_tod_nearest(double tod_s, double near_t)
{
    double day = floor(near_t / 86400.0) * 86400.0;
    double t = day + tod_s;
    if (t - near_t > 43200.0) t -= 86400.0;
    else if (near_t - t > 43200.0) t += 86400.0;
    return t;
}

bool lo_parse_date(const char *s, double *midnight)
{
    int y, m, d;
    char extra;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3) return false;
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return false;
    /* Days from the civil date (Howard Hinnant's algorithm): no timegm, no TZ. */
    int yy = y - (m <= 2);
    int era = yy / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = (long)era * 146097 + doe - 719468;
    *midnight = (double)days * 86400.0;
    return true;
}

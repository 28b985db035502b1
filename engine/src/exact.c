/* exact.c — exact, order-independent summation of doubles (see lc_exact in livecalc.h).
 *
 * The accumulator is a Kulisch-style long fixed-point number: every finite double
 * is an integer multiple of 2^-1074, so a sum of doubles is exactly an integer in
 * those units. Limbs hold 32-bit digits in 64-bit signed integers, so additions
 * need no carry until normalisation. */
#include <math.h>

#include "internal.h"

void lc_exact_normalise(lc_exact *acc) {
  int64_t carry = 0;
  for (int i = 0; i < LC_EXACT_LIMBS - 1; i++) {
    int64_t v = acc->limb[i] + carry;
    carry = v >> 32; /* arithmetic shift: floor division by 2^32 */
    acc->limb[i] = v & 0xffffffffll;
  }
  acc->limb[LC_EXACT_LIMBS - 1] += carry;
}

/* The double nearest the exact value of a normalised accumulator (ties to even). */
double lc_exact_value(const lc_exact *acc) {
  if (acc->special) {
    if ((acc->special & 1) || (acc->special & 6) == 6) return NAN;
    return (acc->special & 2) ? INFINITY : -INFINITY;
  }
  uint32_t d[LC_EXACT_LIMBS];
  int neg = acc->limb[LC_EXACT_LIMBS - 1] < 0;
  /* Magnitude as unsigned 32-bit digits (two's complement negation if negative). */
  uint64_t borrow = 1;
  for (int i = 0; i < LC_EXACT_LIMBS; i++) {
    uint32_t v = (uint32_t)(uint64_t)acc->limb[i];
    if (neg) {
      uint64_t s = (uint64_t)(uint32_t)~v + borrow;
      d[i] = (uint32_t)s;
      borrow = s >> 32;
    } else {
      d[i] = v;
    }
  }
  int top = LC_EXACT_LIMBS - 1;
  while (top >= 0 && d[top] == 0) top--;
  if (top < 0) return 0.0;
  int hb = 31 - __builtin_clz(d[top]);
  int msb = top * 32 + hb; /* absolute bit index of the leading one */
  double r;
  if (msb < 53) {
    /* Fits in 53 bits: exact (a subnormal or a small normal multiple of 2^-1074). */
    uint64_t m = ((uint64_t)d[1] << 32) | d[0];
    r = ldexp((double)m, -1074);
  } else {
    /* Take the 64 bits below and including the leading one, plus a sticky bit. */
    int lo_bit = msb - 63; /* absolute index of the window's lowest bit (>= 0 when msb >= 63) */
    uint64_t w = 0;
    for (int k = 0; k < 64; k++) {
      int b = lo_bit + k;
      if (b >= 0 && ((d[b >> 5] >> (b & 31)) & 1u)) w |= 1ull << k;
    }
    int sticky = 0; /* any one bit below the window */
    if (lo_bit > 0) {
      int full = lo_bit >> 5;
      for (int i = 0; i < full && !sticky; i++) sticky = d[i] != 0;
      if (!sticky && (lo_bit & 31)) sticky = (d[full] & ((1u << (lo_bit & 31)) - 1u)) != 0;
    }
    if (lo_bit < 0) { /* msb in [53, 63): window holds the whole number */
      w >>= -lo_bit;
      lo_bit = 0;
      /* w now has msb+1 bits; shift so the rounding keeps 53 bits */
      int extra = msb + 1 - 53;
      uint64_t keep = w >> extra;
      uint64_t rem = w & ((1ull << extra) - 1);
      uint64_t half = 1ull << (extra - 1);
      if (rem > half || (rem == half && (keep & 1))) keep++;
      r = ldexp((double)keep, extra - 1074);
    } else {
      uint64_t keep = w >> 11;          /* 53 bits */
      uint64_t rem = w & 0x7ffu;        /* 11 bits below */
      if (rem > 0x400u || (rem == 0x400u && (sticky || (keep & 1)))) keep++;
      r = ldexp((double)keep, lo_bit + 11 - 1074); /* overflows to inf past DBL_MAX */
    }
  }
  return neg ? -r : r;
}

LC_EXPORT(lc_exact_add) void lc_exact_add(lc_exact *acc, const double *x, int32_t n) {
  for (int32_t i = 0; i < n; i++) {
    lc_exact_add1(acc, x[i]);
    if ((i & 0x3ffffff) == 0x3ffffff) lc_exact_normalise(acc);
  }
  lc_exact_normalise(acc);
}

LC_EXPORT(lc_exact_merge) void lc_exact_merge(lc_exact *dst, const lc_exact *src, int32_t n) {
  for (int32_t k = 0; k < n; k++) {
    for (int i = 0; i < LC_EXACT_LIMBS; i++) dst[k].limb[i] += src[k].limb[i];
    dst[k].special |= src[k].special;
    lc_exact_normalise(&dst[k]);
  }
}

LC_EXPORT(lc_exact_round) void lc_exact_round(const lc_exact *acc, int32_t n, double *out) {
  for (int32_t k = 0; k < n; k++) out[k] = lc_exact_value(&acc[k]);
}

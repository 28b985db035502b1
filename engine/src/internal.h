/* internal.h — helpers shared by the engine's translation units (not part of the ABI). */
#ifndef LIVECALC_INTERNAL_H
#define LIVECALC_INTERNAL_H

#include <string.h>

#include "livecalc.h"

#if defined(__wasm__)
#define LC_EXPORT(name) __attribute__((export_name(#name)))
#else
#define LC_EXPORT(name) __attribute__((visibility("default")))
#endif

/* Unroll hint for hot loops (fewer back-edges, each of which carries wasmtime's
 * epoch check); clang only, other compilers decide for themselves. */
#if defined(__clang__)
#define LC_UNROLL(n) _Pragma(LC_STR(clang loop unroll_count(n)))
#define LC_STR(x) #x
#else
#define LC_UNROLL(n)
#endif

extern lc_status lc_status_slot;

static inline int32_t lc_fail(int32_t code, int32_t detail) {
  lc_status_slot.code = code;
  lc_status_slot.detail = detail;
  return code;
}

/* Add one double to an accumulator without carrying (see livecalc.h). The caller
 * must normalise before any limb could exceed 2^62: at most LC_MAX_BATCH adds. */
static inline void lc_exact_add1(lc_exact *acc, double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  uint32_t e = (uint32_t)(bits >> 52) & 0x7ffu;
  uint64_t m = bits & 0xfffffffffffffull;
  if (e == 0x7ffu) {
    acc->special |= m ? 1 : ((bits >> 63) ? 4 : 2);
    return;
  }
  if (e) m |= 1ull << 52; else e = 1;
  uint32_t pos = e - 1u; /* bit position of m's least significant bit, in units of 2^-1074 */
  uint32_t i = pos >> 5, sh = pos & 31u;
  uint64_t lo = m << sh;
  uint64_t hi = sh ? m >> (64u - sh) : 0;
  int64_t d0 = (int64_t)(lo & 0xffffffffu), d1 = (int64_t)(lo >> 32), d2 = (int64_t)hi;
  if (bits >> 63) {
    acc->limb[i] -= d0; acc->limb[i + 1] -= d1; acc->limb[i + 2] -= d2;
  } else {
    acc->limb[i] += d0; acc->limb[i + 1] += d1; acc->limb[i + 2] += d2;
  }
}

void lc_exact_normalise(lc_exact *acc);
double lc_exact_value(const lc_exact *acc);

#endif

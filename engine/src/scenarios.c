/* scenarios.c — economic scenarios (one-factor Hull-White with a lognormal fund)
 * and per-scenario present values of aggregate cashflows. See livecalc.h for the
 * model, the random-number scheme and the layouts. Everything here is a function
 * of its inputs alone: scenario k does not depend on how many scenarios are asked
 * for, or on the order in which they are generated. */
#include <math.h>

#include "internal.h"

/* ---- Philox4x32-10 (Salmon, Moraes, Dror & Shaw, SC'11) --------------------- */

static inline void philox_round(uint32_t c[4], const uint32_t k[2]) {
  const uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
  const uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
  const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
  const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
  const uint32_t n0 = hi1 ^ c[1] ^ k[0], n2 = hi0 ^ c[3] ^ k[1];
  c[0] = n0;
  c[1] = lo1;
  c[2] = n2;
  c[3] = lo0;
}

static inline void philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
  uint32_t k[2] = {key[0], key[1]};
  for (int r = 0; r < 10; r++) {
    philox_round(c, k);
    k[0] += 0x9E3779B9u;
    k[1] += 0xBB67AE85u;
  }
  out[0] = c[0];
  out[1] = c[1];
  out[2] = c[2];
  out[3] = c[3];
}

LC_EXPORT(lc_philox4x32) void lc_philox4x32(const uint32_t *counter, const uint32_t *key, uint32_t *out) {
  philox(counter, key, out);
}

/* 52 random bits (w_hi's 32 and w_lo's top 20) as a uniform in (0, 1): never 0 or 1. */
static inline double uniform(uint32_t w_hi, uint32_t w_lo) {
  const uint64_t m = ((uint64_t)w_hi << 20) | (w_lo >> 12);
  return ((double)m + 0.5) * 0x1p-52;
}

static const double TWO_PI = 6.283185307179586476925286766559;

/* Standard normals of scenario id at month m: z[0], z[1] (block 0), z[2] (block 1). */
static inline void normals(const uint32_t key[2], uint32_t id, uint32_t m, double z[3]) {
  uint32_t ctr[4] = {m, id, 0u, 0u}, w[4];
  philox(ctr, key, w);
  double r = sqrt(-2.0 * log(uniform(w[0], w[1]))), th = TWO_PI * uniform(w[2], w[3]);
  z[0] = r * cos(th);
  z[1] = r * sin(th);
  ctr[3] = 1u;
  philox(ctr, key, w);
  r = sqrt(-2.0 * log(uniform(w[0], w[1])));
  th = TWO_PI * uniform(w[2], w[3]);
  z[2] = r * cos(th);
}

/* ---- Hull-White ------------------------------------------------------------- */

#define HW_DT (1.0 / 12.0)

/* V(t) = Var(integral_0^t x ds) for t in years:
 *   sigma^2/a^2 [t - 2(1 - e^{-at})/a + (1 - e^{-2at})/(2a)].
 * The bracket cancels to O((at)^3) for small a*t, so there the series
 *   V = sigma^2 t^3 sum_{k>=3} (-1)^{k+1} (2^{k-1} - 2) (at)^{k-3} / k!
 * (= sigma^2 t^3 (1/3 - at/4 + 7(at)^2/60 - ...)) is used instead. */
static inline double hw_var_integral(double a, double sigma, double t) {
  const double u = a * t;
  if (u < 0.5) {
    double sum = 0.0, term = 1.0 / 6.0, pw = 4.0; /* k = 3: u^0 / 3!, 2^{k-1} = 4 */
    for (int k = 3; k < 40; k++) {
      const double c = ((k & 1) ? 1.0 : -1.0) * (pw - 2.0) * term;
      sum += c;
      if (fabs(c) <= 1e-18 * fabs(sum)) break;
      term *= u / (double)(k + 1);
      pw *= 2.0;
    }
    return sigma * sigma * t * t * t * sum;
  }
  const double e1 = -expm1(-u), e2 = -expm1(-2.0 * u);
  return sigma * sigma / (a * a) * (t - 2.0 * e1 / a + e2 / (2.0 * a));
}

LC_EXPORT(lc_hull_white)
int32_t lc_hull_white(const lc_hw_spec *sp, uint32_t first_id, int32_t n_scen, double *disc, double *short_rate,
                      double *fund_return) {
  lc_status_slot.code = LC_OK;
  lc_status_slot.policy_index = -1;
  if (!sp || !sp->zcb || !disc || n_scen < 0 || sp->n_months < 0) return lc_fail(LC_E_ARG, 0);
  if (!(sp->a > 0.0) || !isfinite(sp->a) || !(sp->sigma >= 0.0) || !isfinite(sp->sigma) ||
      !(sp->fund_sigma >= 0.0) || !isfinite(sp->fund_sigma) || !isfinite(sp->fund_excess))
    return lc_fail(LC_E_ARG, 1);
  const int32_t n = sp->n_months;
  const double *P = sp->zcb;
  for (int32_t m = 0; m <= n; m++)
    if (!(P[m] > 0.0) || !isfinite(P[m])) return lc_fail(LC_E_ARG, 2 + m);
  const double a = sp->a, sigma = sp->sigma;
  /* One month of the exact OU transition of (x, Y). */
  const double e = exp(-a * HW_DT), one_e = -expm1(-a * HW_DT), one_e2 = -expm1(-2.0 * a * HW_DT);
  const double B = one_e / a;
  const double var1 = sigma * sigma * one_e2 / (2.0 * a);
  const double var2 = hw_var_integral(a, sigma, HW_DT);
  const double cov = sigma * sigma * B * B / 2.0;
  const double s1 = sqrt(var1);
  const double c21 = s1 > 0.0 ? cov / s1 : 0.0;
  const double rem = var2 - c21 * c21;
  const double c22 = rem > 0.0 ? sqrt(rem) : 0.0;
  const double fs = sp->fund_sigma, fdrift = (sp->fund_excess - 0.5 * fs * fs) * HW_DT, fvol = fs * sqrt(HW_DT);
  const uint32_t key[2] = {sp->seed_lo, sp->seed_hi};
  for (int32_t j = 0; j < n_scen; j++) {
    const uint32_t id = first_id + (uint32_t)j;
    /* id 0 is the certainty-equivalent scenario: the initial curve itself (no
     * volatility, so D = P exactly) and a fund earning the forward rate plus the
     * excess return. */
    const int ce = id == 0;
    const double vs = ce ? 0.0 : 1.0;
    const double drift = ce ? sp->fund_excess * HW_DT : fdrift;
    lc_status_slot.policy_index = j;
    double *D = disc + (size_t)j * (size_t)(n + 1);
    double *sr = short_rate ? short_rate + (size_t)j * (size_t)n : NULL;
    double *fr = fund_return ? fund_return + (size_t)j * (size_t)n : NULL;
    double x = 0.0, Y = 0.0, Vprev = 0.0;
    D[0] = P[0];
    for (int32_t m = 0; m < n; m++) {
      double z[3] = {0.0, 0.0, 0.0};
      if (!ce) normals(key, id, (uint32_t)m, z);
      const double t0 = m * HW_DT, t1 = (m + 1) * HW_DT;
      const double V1 = vs * hw_var_integral(a, sigma, t1);
      const double fwd = log(P[m] / P[m + 1]); /* integral of f(0, .) over the month */
      if (sr) {
        const double g = -expm1(-a * t0);
        sr[m] = x + fwd / HW_DT + vs * sigma * sigma / (2.0 * a * a) * g * g;
      }
      const double dY = x * B + c21 * z[0] + c22 * z[1];
      x = x * e + s1 * z[0];
      Y += dY;
      if (fr) fr[m] = expm1(dY + fwd + 0.5 * (V1 - Vprev) + drift + fvol * z[2]);
      D[m + 1] = P[m + 1] * exp(-Y - 0.5 * V1);
      Vprev = V1;
    }
  }
  lc_status_slot.policy_index = -1;
  return LC_OK;
}

/* ---- per-scenario PVs of aggregate cashflows --------------------------------- */

LC_EXPORT(lc_discount_totals)
int32_t lc_discount_totals(const double *cf, int32_t n_lines, int32_t n_months, const double *disc, int32_t n_scen,
                           int32_t disc_stride, lc_exact *out) {
  if (!cf || !disc || !out || n_lines < 0 || n_months < 0 || n_scen < 0 || disc_stride < 0)
    return lc_fail(LC_E_ARG, 0);
  for (int32_t s = 0; s < n_scen; s++) {
    const double *D = disc + (size_t)s * (size_t)disc_stride;
    for (int32_t k = 0; k < n_lines; k++) {
      lc_exact *acc = &out[(size_t)s * (size_t)n_lines + (size_t)k];
      const double *c = cf + (size_t)k * (size_t)n_months;
      for (int32_t t = 0; t < n_months; t++) lc_exact_add1(acc, c[t] * D[t]);
      lc_exact_normalise(acc);
    }
  }
  return LC_OK;
}

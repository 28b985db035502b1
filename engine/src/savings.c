/* savings.c — the savings / unit-linked contract with guarantees (path dependent).
 *
 * Lanes are (policy, scenario) pairs. For each policy, everything that does not
 * depend on the scenario is computed once into per-month arrays (premium into the
 * account, new business, maturity, mortality and base lapse rates, surrender
 * charge, inflated expenses); then the lanes run the account-value recursion.
 * Products without decrements (no mortality, no lapse) and with one discount curve
 * take a SIMD path that runs four lanes at a time; it performs, lane by lane, the
 * same IEEE operations as the general path, so both give the same bits.
 * The formulas and their order follow livecalc_lab/model/reference_savings.py. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

typedef double v2d __attribute__((vector_size(16)));

/* Per-policy, per-month quantities shared by every scenario of the policy. */
typedef struct {
  double *c1;     /* (1 - load) * prem_pp(t): the premium credited to the account     */
  double *prem;   /* prem_pp(t)                                                       */
  double *nnb;    /* new business N_nb(t)                                             */
  double *qm;     /* monthly mortality (0 outside the policy's life)                  */
  double *w0;     /* annual base lapse rate                                           */
  double *lm;     /* monthly lapse 1 - (1 - w0)^(1/12) (static lapse)                 */
  double *sc;     /* surrender charge rate                                            */
  double *infl;   /* (1 + inflation)^(t/12)                                           */
  int32_t *mat;   /* 1 in the maturity month                                          */
  /* deterministic in-force counts, used only when there are no decrements */
  double *n_bef;  /* N(t): in force before maturity                                  */
  double *n_dec;  /* N_dec(t): before decrements                                     */
  double *n_mat;  /* N_mat(t)                                                        */
} months;

typedef struct {
  const lc_savings_basis *b;
  const lc_savings_scenarios *sc;
  double *qm_table; /* monthly mortality per table cell */
  months m;
  double *scratch;
} sctx;

static inline double dmax(double a, double b) { return a > b ? a : b; }

/* Fill the per-month arrays of policy i for t = 0 .. len-1; returns an error code. */
static int32_t policy_months(sctx *c, const lc_savings_policies *p, int32_t i, int32_t len) {
  const lc_savings_basis *b = c->b;
  const int32_t entry = p->age_at_entry[i], dur0 = p->duration_mth[i], T12 = 12 * p->policy_term[i];
  const double count = p->policy_count[i], prem_pp = p->premium_pp[i], load = p->load_prem_rate[i];
  const int32_t level = p->premium_type[i] == 1, col = p->surr_col[i];
  months *m = &c->m;
  double n = dur0 > 0 ? count : 0.0;
  for (int32_t t = 0; t < len; t++) {
    const int32_t dm = dur0 + t;
    const int32_t dy = dm >= 0 ? dm / 12 : -((-dm + 11) / 12); /* floor division */
    const double prem = ((!level && dm == 0) || (level && dm < T12)) ? prem_pp : 0.0;
    m->prem[t] = prem;
    m->c1[t] = (1.0 - load) * prem;
    m->nnb[t] = dm == 0 ? count : 0.0;
    m->mat[t] = dm == T12;
    const int active = dm >= 0 && dm <= T12;
    double q = 0.0;
    /* Nobody is exposed in the maturity month (N_dec = 0), so it needs no rate. */
    if (active && dm < T12 && b->mort_qx) {
      const int32_t age = entry + dy;
      if (age < b->mort_min_age || age >= b->mort_min_age + b->mort_n_ages) {
        if (b->mort_outside) return lc_fail(LC_E_AGE, age);
      } else {
        const int32_t sel = dy < b->mort_n_select - 1 ? dy : b->mort_n_select - 1;
        q = c->qm_table[(size_t)(age - b->mort_min_age) * (size_t)b->mort_n_select + (size_t)sel];
      }
    }
    m->qm[t] = q;
    m->w0[t] = active && b->lapse_ann ? b->lapse_ann[dy < b->n_lapse - 1 ? dy : b->n_lapse - 1] : 0.0;
    m->lm[t] = 1.0 - pow(1.0 - m->w0[t], 1.0 / 12.0);
    double sc = 0.0;
    if (col >= 0 && b->surr_charge) {
      int32_t row = dy < b->n_sc_years - 1 ? dy : b->n_sc_years - 1;
      if (row < 0) row = 0;
      sc = b->surr_charge[(size_t)row * (size_t)b->n_sc_cols + (size_t)col];
    }
    m->sc[t] = sc;
    m->infl[t] = pow(1.0 + b->inflation_ann, (double)t / 12.0);
    /* in-force counts without decrements (used by the SIMD path only) */
    const double nmat = dm == T12 ? n : 0.0;
    const double ndec = (n - nmat) + m->nnb[t];
    m->n_bef[t] = n;
    m->n_mat[t] = nmat;
    m->n_dec[t] = ndec;
    n = ndec; /* - L - D, both 0 without decrements: N(t+1) = N_dec(t) - 0 - 0 */
  }
  return LC_OK;
}

/* The general path: one lane, every quantity. pv[LC_N_SAV_PV] receives the PVs. */
static void lane_general(const sctx *c, const lc_savings_policies *p, int32_t i, int32_t s, int32_t len,
                         double *pv) {
  const lc_savings_basis *b = c->b;
  const months *m = &c->m;
  const int32_t S = c->sc->n_scen, per_scen = c->sc->disc_per_scenario;
  const double sa = p->sum_assured[i], count = p->policy_count[i];
  double av = p->av_pp_init[i], n = p->duration_mth[i] > 0 ? count : 0.0;
  double acc[LC_N_SAV_PV] = {0};
  for (int32_t t = 0; t < len; t++) {
    const double v = per_scen ? c->sc->disc[(size_t)t * (size_t)S + (size_t)s] : c->sc->disc[t];
    const double r = c->sc->fund_return[(size_t)t * (size_t)S + (size_t)s];
    const double n_mat = m->mat[t] ? n : 0.0;
    const double n_dec = (n - n_mat) + m->nnb[t];
    const double av_fee = av + m->c1[t];
    const double fee = b->maint_fee_rate_mth * av_fee;
    const double coi = b->coi_rate * dmax(sa - av_fee, 0.0);
    const double av_inv = av_fee - fee - coi;
    const double inv = r * av_inv;
    const double av_mid = av_inv + 0.5 * inv;
    const double av_next = av_inv + inv;
    const double sc = m->sc[t];
    double l = m->lm[t];
    if (b->dyn_lapse && m->w0[t] != 0.0) {
      double f = b->dyn_c0 + b->dyn_c1 * ((1.0 - sc) * av_mid / sa);
      if (f < b->dyn_min) f = b->dyn_min;
      if (f > b->dyn_max) f = b->dyn_max;
      double w = f * m->w0[t];
      if (w > 1.0) w = 1.0;
      if (w < 0.0) w = 0.0;
      l = 1.0 - pow(1.0 - w, 1.0 / 12.0);
    }
    const double deaths = n_dec * m->qm[t];
    const double lapses = (n_dec - deaths) * l;
    const double n_next = n_dec - lapses - deaths;
    const double premiums = m->prem[t] * n_dec;
    const double inv_income = inv * n_next + 0.5 * inv * (deaths + lapses);
    const double claims_death = dmax(sa, av_mid) * deaths;
    const double claims_lapse = av_mid * lapses - sc * av_mid * lapses;
    const double claims_mat = dmax(sa, av) * n_mat;
    const double claims = claims_death + claims_lapse + claims_mat;
    const double expenses = b->acquisition * m->nnb[t] + n_dec * b->maintenance_ann / 12.0 * m->infl[t];
    const double commissions = b->commission_rate * premiums;
    const double av_change = av_next * n_next - av * n;
    acc[LC_SAV_PREMIUMS] += premiums * v;
    acc[LC_SAV_CLAIMS_DEATH] += claims_death * v;
    acc[LC_SAV_CLAIMS_LAPSE] += claims_lapse * v;
    acc[LC_SAV_CLAIMS_MATURITY] += claims_mat * v;
    acc[LC_SAV_CLAIMS] += claims * v;
    acc[LC_SAV_EXPENSES] += expenses * v;
    acc[LC_SAV_COMMISSIONS] += commissions * v;
    acc[LC_SAV_INV_INCOME] += inv_income * v;
    acc[LC_SAV_AV_CHANGE] += av_change * v;
    acc[LC_SAV_GMDB] += (claims_death - av_mid * deaths) * v;
    acc[LC_SAV_GMAB] += (claims_mat - av * n_mat) * v;
    acc[LC_SAV_MAINT_FEE] += fee * n_dec * v;
    av = av_next;
    n = n_next;
  }
  acc[LC_SAV_NET_CF] = acc[LC_SAV_PREMIUMS] + acc[LC_SAV_INV_INCOME] - acc[LC_SAV_CLAIMS] - acc[LC_SAV_EXPENSES] -
                       acc[LC_SAV_COMMISSIONS] - acc[LC_SAV_AV_CHANGE];
  for (int k = 0; k < LC_N_SAV_PV; k++) pv[k] = acc[k];
}

/* The SIMD path, for products without decrements and with one discount curve:
 * W lanes (W/2 v2d) at a time, so the account-value recursions of several lanes
 * overlap. Quantities that do not depend on the scenario (premiums, expenses,
 * commissions) have one PV per policy. */
#ifndef LC_SAVINGS_LANES
#define LC_SAVINGS_LANES 4
#endif
#define W LC_SAVINGS_LANES
#define NV (W / 2)
static void lanes_fast(const sctx *c, const lc_savings_policies *p, int32_t i, int32_t s0, int32_t len,
                       const double *scalar_pv, double *pv /* [LC_N_SAV_PV][W] */) {
  const lc_savings_basis *b = c->b;
  const months *m = &c->m;
  const int32_t S = c->sc->n_scen;
  const double sa = p->sum_assured[i];
  const double fee_rate = b->maint_fee_rate_mth, coi_rate = b->coi_rate;
  const int has_fee = fee_rate != 0.0 || coi_rate != 0.0;
  const double av0 = p->av_pp_init[i];
  v2d av[NV], inv[NV], avc[NV], fee[NV], prev[NV];
  double cm[W] = {0}, gmab[W] = {0};
  for (int k = 0; k < NV; k++) {
    av[k] = (v2d){av0, av0};
    inv[k] = avc[k] = fee[k] = (v2d){0.0, 0.0};
    prev[k] = av[k] * m->n_bef[0]; /* A(t) = AV(t) N(t), carried so each product is computed once */
  }
  LC_UNROLL(2)
  for (int32_t t = 0; t < len; t++) {
    const double v = c->sc->disc[t];
    const double *r = c->sc->fund_return + (size_t)t * (size_t)S + (size_t)s0;
    const double c1 = m->c1[t], n_dec = m->n_dec[t], n_next = n_dec;
    if (m->mat[t]) { /* once per policy: the maturity claim, lane by lane */
      const double n_mat = m->n_mat[t];
      for (int k = 0; k < W; k++) {
        const double a = av[k / 2][k % 2];
        const double claim = dmax(sa, a) * n_mat;
        cm[k] += claim * v;
        gmab[k] += (claim - a * n_mat) * v;
      }
    }
    for (int k = 0; k < NV; k++) {
      v2d rk;
      __builtin_memcpy(&rk, r + 2 * k, sizeof rk);
      const v2d avf = av[k] + c1;
      v2d avi = avf;
      if (has_fee) {
        const v2d f = fee_rate * avf;
        v2d g = sa - avf;
        g[0] = dmax(g[0], 0.0);
        g[1] = dmax(g[1], 0.0);
        avi = avf - f - coi_rate * g;
        fee[k] += f * n_dec * v;
      }
      const v2d ik = rk * avi;
      const v2d avn = avi + ik;
      inv[k] += ik * n_next * v;
      const v2d next = avn * n_next;
      avc[k] += (next - prev[k]) * v;
      prev[k] = next;
      av[k] = avn;
    }
  }
  for (int k = 0; k < W; k++) {
    const double inv_k = inv[k / 2][k % 2], avc_k = avc[k / 2][k % 2], fee_k = fee[k / 2][k % 2];
    double *o = pv + k;
    o[LC_SAV_PREMIUMS * W] = scalar_pv[LC_SAV_PREMIUMS];
    o[LC_SAV_CLAIMS_DEATH * W] = 0.0;
    o[LC_SAV_CLAIMS_LAPSE * W] = 0.0;
    o[LC_SAV_CLAIMS_MATURITY * W] = cm[k];
    o[LC_SAV_CLAIMS * W] = cm[k];
    o[LC_SAV_EXPENSES * W] = scalar_pv[LC_SAV_EXPENSES];
    o[LC_SAV_COMMISSIONS * W] = scalar_pv[LC_SAV_COMMISSIONS];
    o[LC_SAV_INV_INCOME * W] = inv_k;
    o[LC_SAV_AV_CHANGE * W] = avc_k;
    o[LC_SAV_GMDB * W] = 0.0;
    o[LC_SAV_GMAB * W] = gmab[k];
    o[LC_SAV_MAINT_FEE * W] = fee_k;
    o[LC_SAV_NET_CF * W] = scalar_pv[LC_SAV_PREMIUMS] + inv_k - cm[k] - scalar_pv[LC_SAV_EXPENSES] -
                           scalar_pv[LC_SAV_COMMISSIONS] - avc_k;
  }
}

/* PVs of the scenario-independent lines of a policy without decrements. */
static void scalar_lines(const sctx *c, int32_t len, double *out) {
  const lc_savings_basis *b = c->b;
  const months *m = &c->m;
  double prem = 0, exp_ = 0, comm = 0;
  for (int32_t t = 0; t < len; t++) {
    const double v = c->sc->disc[t], n_dec = m->n_dec[t];
    const double premiums = m->prem[t] * n_dec;
    prem += premiums * v;
    exp_ += (b->acquisition * m->nnb[t] + n_dec * b->maintenance_ann / 12.0 * m->infl[t]) * v;
    comm += b->commission_rate * premiums * v;
  }
  out[LC_SAV_PREMIUMS] = prem;
  out[LC_SAV_EXPENSES] = exp_;
  out[LC_SAV_COMMISSIONS] = comm;
}

static void emit(const lc_savings_results *out, int32_t n, int32_t S, int32_t i, int32_t s, const double *pv,
                 int32_t stride, uint32_t mask) {
  for (int k = 0; k < LC_N_SAV_PV; k++) {
    const double x = pv[k * stride];
    if (out->pv) out->pv[((size_t)k * (size_t)n + (size_t)i) * (size_t)S + (size_t)s] = x;
    if (mask & (1u << k)) {
      if (out->scen_totals) lc_exact_add1(&out->scen_totals[(size_t)s * LC_N_SAV_PV + (size_t)k], x);
      if (out->point_totals) lc_exact_add1(&out->point_totals[(size_t)i * LC_N_SAV_PV + (size_t)k], x);
    }
  }
}

LC_EXPORT(lc_value_savings)
int32_t lc_value_savings(const lc_savings_basis *b, const lc_savings_policies *p, const lc_savings_scenarios *sc,
                         lc_savings_results *out) {
  lc_status_slot.code = LC_OK;
  lc_status_slot.policy_index = -1;
  lc_status_slot.detail = 0;
  if (!b || !p || !sc || !out || p->n < 0 || sc->n_scen < 0 || sc->n_months < 0 || !sc->fund_return || !sc->disc)
    return lc_fail(LC_E_ARG, 0);
  if ((b->mort_qx && (b->mort_n_ages < 1 || b->mort_n_select < 1)) || (b->lapse_ann && b->n_lapse < 1) ||
      (b->surr_charge && (b->n_sc_years < 1 || b->n_sc_cols < 1)))
    return lc_fail(LC_E_ARG, 1);
  /* Bound the exact-sum carries: at most LC_MAX_BATCH additions per accumulator. */
  if ((int64_t)p->n * (int64_t)sc->n_scen > LC_MAX_BATCH) return lc_fail(LC_E_ARG, 2);
  const int32_t n = p->n, S = sc->n_scen, T = sc->n_months;
  const uint32_t mask = out->total_mask ? out->total_mask : (1u << LC_N_SAV_PV) - 1u;
  sctx c = {0};
  c.b = b;
  c.sc = sc;
  const int32_t ncell = b->mort_qx ? b->mort_n_ages * b->mort_n_select : 0;
  const size_t per = (size_t)(T > 0 ? T : 1);
  c.scratch = malloc(sizeof(double) * ((size_t)ncell + 11 * per) + sizeof(int32_t) * per);
  if (!c.scratch) return lc_fail(LC_E_NOMEM, 0);
  c.qm_table = c.scratch;
  double *q = c.scratch + ncell;
  double **arrays[] = {&c.m.c1, &c.m.prem, &c.m.nnb, &c.m.qm, &c.m.w0, &c.m.lm, &c.m.sc, &c.m.infl, &c.m.n_bef,
                       &c.m.n_dec, &c.m.n_mat};
  for (int k = 0; k < 11; k++) *arrays[k] = q + (size_t)k * per;
  c.m.mat = (int32_t *)(q + 11 * per);
  for (int32_t k = 0; k < ncell; k++) c.qm_table[k] = 1.0 - pow(1.0 - b->mort_qx[k], 1.0 / 12.0);
  const int fast = !b->mort_qx && !b->lapse_ann && !sc->disc_per_scenario;
  int32_t rc = LC_OK;
  for (int32_t i = 0; i < n && rc == LC_OK; i++) {
    lc_status_slot.policy_index = i;
    const double cnt = p->policy_count[i], sa = p->sum_assured[i];
    if (!isfinite(cnt) || cnt < 0 || !isfinite(sa) || sa < 0 || !isfinite(p->premium_pp[i]) || p->premium_pp[i] < 0 ||
        !isfinite(p->av_pp_init[i]) || p->av_pp_init[i] < 0 || !isfinite(p->load_prem_rate[i])) {
      rc = lc_fail(LC_E_VALUE, 0);
      break;
    }
    if (p->policy_term[i] < 1 || p->policy_term[i] > LC_MAX_TERM) {
      rc = lc_fail(LC_E_TERM, p->policy_term[i]);
      break;
    }
    if (p->surr_col[i] >= (b->surr_charge ? b->n_sc_cols : 0)) {
      rc = lc_fail(LC_E_ARG, 3);
      break;
    }
    int64_t len64 = 12 * (int64_t)p->policy_term[i] - (int64_t)p->duration_mth[i] + 1;
    if (len64 < 0) len64 = 0;
    if (len64 > T) {
      rc = lc_fail(LC_E_CURVE, (int32_t)(len64 - 1));
      break;
    }
    const int32_t len = (int32_t)len64;
    rc = policy_months(&c, p, i, len);
    if (rc) break;
    double lane[LC_N_SAV_PV * W];
    if (fast) {
      double spv[LC_N_SAV_PV] = {0};
      scalar_lines(&c, len, spv);
      int32_t s = 0;
      for (; s + W <= S; s += W) {
        lanes_fast(&c, p, i, s, len, spv, lane);
        for (int k = 0; k < W; k++) emit(out, n, S, i, s + k, lane + k, W, mask);
      }
      for (; s < S; s++) {
        lane_general(&c, p, i, s, len, lane);
        emit(out, n, S, i, s, lane, 1, mask);
      }
    } else {
      for (int32_t s = 0; s < S; s++) {
        lane_general(&c, p, i, s, len, lane);
        emit(out, n, S, i, s, lane, 1, mask);
      }
    }
  }
  if (rc == LC_OK) {
    lc_status_slot.policy_index = -1;
    if (out->scen_totals)
      for (int32_t k = 0; k < S * LC_N_SAV_PV; k++) lc_exact_normalise(&out->scen_totals[k]);
    if (out->point_totals)
      for (int32_t k = 0; k < n * LC_N_SAV_PV; k++) lc_exact_normalise(&out->point_totals[k]);
  }
  free(c.scratch);
  return rc;
}

/* term.c — level term projection (lifelib BasicTerm_S / BasicTerm_SE compatible).
 *
 * The calculation is stated in livecalc_lab/model/reference.py (the readable
 * numpy model, one function per actuarial quantity); this file computes the same
 * quantities fast:
 *
 *   1. Everything that does not depend on the policy is computed once per call:
 *      monthly mortality q_m = 1 - (1 - qx)^(1/12) for each table cell, monthly
 *      lapse per policy year, discount factors v(t) and inflated monthly
 *      maintenance per month.
 *   2. Policies of the same (age_at_entry, policy_term, duration_mth) share one
 *      decrement projection: per policy of count 1 and sum assured 1 it gives
 *      five unit present values (in force, deaths, commission-weighted in force,
 *      maintenance expense, new business). A policy's PVs are these times its
 *      count, sum assured and premium: O(1) work per policy.
 *   3. Totals are added to exact accumulators (lc_exact), so they do not depend
 *      on batching, threading or row order.
 *
 * Monthly cashflows, when asked for, are re-projected per policy and summed
 * exactly by month.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

typedef struct {
  uint64_t key;
  int32_t used;
  int32_t index;
} slot;

typedef struct {
  double pv_if;    /* sum_t pols_if(t) v(t)                        */
  double pv_death; /* sum_t pols_death(t) v(t)                     */
  double pv_comm;  /* sum_t comm_rate(year) pols_if(t) v(t)        */
  double pv_maint; /* sum_t pols_if(t) maint_mth(t) v(t)           */
  double pv_nb;    /* sum_t pols_new_biz(t) v(t)                   */
} unit_pv;

typedef struct {
  const lc_term_basis *b;
  double *qm;        /* [n_ages * n_select] monthly mortality       */
  double *lm;        /* [n_lapse] monthly lapse by policy year      */
  double *v;         /* [n_months] discount factor                  */
  double *maint;     /* [n_months] maintenance per policy in month t */
  int32_t n_months;
  /* group cache */
  slot *slots;
  uint32_t cap;
  unit_pv *groups;
  int32_t n_groups, groups_cap;
} ctx;

/* ---- Python-compatible rounding to d decimals ---------------------------- */

static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10};

/* Error of the product a*b (Dekker/Veltkamp): a*b = p + err exactly. */
static double two_product_err(double a, double b, double p) {
  const double split = 134217729.0; /* 2^27 + 1 */
  double ca = split * a, ah = ca - (ca - a), al = a - ah;
  double cb = split * b, bh = cb - (cb - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/* round(x, d) as Python does it: the exact binary value of x rounded to d
 * decimals, ties to even, then the nearest double to that decimal. */
static double round_decimals(double x, int32_t d) {
  if (d < 0 || !isfinite(x)) return x;
  double ax = fabs(x), p = POW10[d];
  double y = ax * p;
  if (y >= 0x1p52) return x; /* no fractional digits at this scale */
  double e = two_product_err(ax, p, y);
  double n = floor(y), f = y - n, r;
  if (f > 0.5 || (f == 0.5 && (e > 0 || (e == 0 && fmod(n, 2.0) != 0.0)))) r = n + 1.0;
  else r = n;
  r = r / p;
  return x < 0 ? -r : r;
}

/* ---- per-call tables ------------------------------------------------------ */

static int32_t setup(ctx *c, const lc_term_basis *b, int32_t n_months) {
  c->b = b;
  int32_t ncell = b->mort_n_ages * b->mort_n_select;
  c->qm = malloc(sizeof(double) * (size_t)(ncell + b->n_lapse + 2 * n_months + 2));
  if (!c->qm) return lc_fail(LC_E_NOMEM, 0);
  c->lm = c->qm + ncell;
  c->v = c->lm + b->n_lapse;
  c->maint = c->v + n_months;
  c->n_months = n_months;
  for (int32_t i = 0; i < ncell; i++) c->qm[i] = 1.0 - pow(1.0 - b->mort_qx[i], 1.0 / 12.0);
  for (int32_t i = 0; i < b->n_lapse; i++) c->lm[i] = 1.0 - pow(1.0 - b->lapse_ann[i], 1.0 / 12.0);
  for (int32_t t = 0; t < n_months; t++) {
    double j = pow(1.0 + b->disc_zero_ann[t / 12], 1.0 / 12.0) - 1.0;
    c->v[t] = pow(1.0 + j, -(double)t);
    c->maint[t] = b->maintenance_ann / 12.0 * pow(1.0 + b->inflation_ann, (double)t / 12.0);
  }
  c->cap = 1024;
  c->slots = calloc(c->cap, sizeof(slot));
  c->groups_cap = 512;
  c->groups = malloc(sizeof(unit_pv) * (size_t)c->groups_cap);
  c->n_groups = 0;
  if (!c->slots || !c->groups) return lc_fail(LC_E_NOMEM, 0);
  return LC_OK;
}

static void teardown(ctx *c) {
  free(c->qm);
  free(c->slots);
  free(c->groups);
}

/* ---- the projection of one group -----------------------------------------
 * Unit policy (count 1, sum assured 1, premium 1). For SINK != 0 the monthly
 * cashflows of a policy with the given scale factors are added to cf. */
typedef struct {
  lc_exact *cf;
  int32_t n_months;
  double count, sum_assured, premium;
} cf_sink;

static inline void project(const ctx *c, int32_t entry, int32_t term, int32_t dur0, unit_pv *u, const cf_sink *sink) {
  const lc_term_basis *b = c->b;
  const int32_t T = 12 * term;
  int32_t proj_len = T - dur0 + 1;
  if (proj_len < 0) proj_len = 0;
  const int32_t nsel = b->mort_n_select;
  const double *qm = c->qm + (size_t)(entry - b->mort_min_age) * (size_t)nsel;
  double pv_if = 0, pv_death = 0, pv_comm = 0, pv_maint = 0, pv_nb = 0;
  double bef_mat = dur0 > 0 ? 1.0 : 0.0, bef_decr = 0, deaths = 0, lapses = 0;
  for (int32_t t = 0; t < proj_len; t++) {
    const int32_t dm = dur0 + t;
    if (t > 0) bef_mat = bef_decr - lapses - deaths;
    const double mat = dm == T ? bef_mat : 0.0;
    const double nb = dm == 0 ? 1.0 : 0.0;
    bef_decr = bef_mat - mat + nb;
    double q = 0, l = 0, comm = 0;
    if (dm >= 0) { /* active: 0 <= dm <= T holds since t < proj_len */
      const int32_t dy = dm / 12;
      q = qm[(size_t)dy * (size_t)nsel + (size_t)(dy < nsel - 1 ? dy : nsel - 1)];
      l = c->lm[dy < b->n_lapse - 1 ? dy : b->n_lapse - 1];
      comm = dy < b->n_comm ? b->comm_rates[dy] : 0.0;
    }
    deaths = bef_decr * q;
    lapses = (bef_decr - deaths) * l;
    const double v = c->v[t];
    pv_if += bef_decr * v;
    pv_death += deaths * v;
    pv_comm += comm * bef_decr * v;
    pv_maint += bef_decr * c->maint[t] * v;
    pv_nb += nb * v;
    if (sink) {
      const int32_t m = sink->n_months;
      const double k = sink->count;
      const double prem = sink->premium * k * bef_decr;
      const double claims = sink->sum_assured * k * deaths;
      const double expenses = k * (b->acquisition * nb + bef_decr * c->maint[t]);
      const double commissions = comm * prem;
      lc_exact_add1(&sink->cf[LC_CF_POLS_IF * m + t], k * bef_decr);
      lc_exact_add1(&sink->cf[LC_CF_POLS_DEATH * m + t], k * deaths);
      lc_exact_add1(&sink->cf[LC_CF_POLS_LAPSE * m + t], k * lapses);
      lc_exact_add1(&sink->cf[LC_CF_POLS_MATURITY * m + t], k * mat);
      lc_exact_add1(&sink->cf[LC_CF_POLS_NEW_BIZ * m + t], k * nb);
      lc_exact_add1(&sink->cf[LC_CF_PREMIUMS * m + t], prem);
      lc_exact_add1(&sink->cf[LC_CF_CLAIMS * m + t], claims);
      lc_exact_add1(&sink->cf[LC_CF_EXPENSES * m + t], expenses);
      lc_exact_add1(&sink->cf[LC_CF_COMMISSIONS * m + t], commissions);
      lc_exact_add1(&sink->cf[LC_CF_NET_CF * m + t], prem - claims - expenses - commissions);
    }
  }
  u->pv_if = pv_if;
  u->pv_death = pv_death;
  u->pv_comm = pv_comm;
  u->pv_maint = pv_maint;
  u->pv_nb = pv_nb;
}

/* Unit PVs of group (entry, term, dur0), projected on first use. */
static const unit_pv *group(ctx *c, int32_t entry, int32_t term, int32_t dur0) {
  if (dur0 > 12 * term) dur0 = 12 * term + 1; /* matured before t = 0: all such policies are alike */
  const uint64_t key = ((uint64_t)(uint16_t)entry << 48) | ((uint64_t)(uint16_t)term << 32) | (uint32_t)dur0;
  uint64_t h = key * 0x9e3779b97f4a7c15ull;
  uint32_t i = (uint32_t)(h >> 40) & (c->cap - 1);
  while (c->slots[i].used) {
    if (c->slots[i].key == key) return &c->groups[c->slots[i].index];
    i = (i + 1) & (c->cap - 1);
  }
  if (c->n_groups == c->groups_cap) {
    unit_pv *g = realloc(c->groups, sizeof(unit_pv) * (size_t)c->groups_cap * 2);
    if (!g) return NULL;
    c->groups = g;
    c->groups_cap *= 2;
  }
  unit_pv *u = &c->groups[c->n_groups];
  project(c, entry, term, dur0, u, NULL);
  c->slots[i].used = 1;
  c->slots[i].key = key;
  c->slots[i].index = c->n_groups++;
  if ((uint32_t)c->n_groups * 2 > c->cap) { /* grow: rehash into twice the slots */
    uint32_t ncap = c->cap * 2;
    slot *ns = calloc(ncap, sizeof(slot));
    if (!ns) return NULL;
    for (uint32_t k = 0; k < c->cap; k++) {
      if (!c->slots[k].used) continue;
      uint32_t j = (uint32_t)((c->slots[k].key * 0x9e3779b97f4a7c15ull) >> 40) & (ncap - 1);
      while (ns[j].used) j = (j + 1) & (ncap - 1);
      ns[j] = c->slots[k];
    }
    free(c->slots);
    c->slots = ns;
    c->cap = ncap;
  }
  return u;
}

/* ---- validation: every active month inside the tables and the curve ------- */

static int32_t check_policy(const lc_term_basis *b, const lc_policies *p, int32_t i, int32_t *need_months) {
  const double cnt = p->policy_count[i], sa = p->sum_assured[i];
  if (!isfinite(cnt) || cnt < 0 || !isfinite(sa) || sa < 0) return lc_fail(LC_E_VALUE, 0);
  if (b->premium_basis == 1 && (!isfinite(p->premium_rate[i]) || p->premium_rate[i] < 0)) return lc_fail(LC_E_VALUE, 1);
  const int32_t term = p->policy_term[i], dur0 = p->duration_mth[i], entry = p->age_at_entry[i];
  if (term < 1 || term > LC_MAX_TERM) return lc_fail(LC_E_TERM, term);
  if (dur0 < -12 * LC_MAX_TERM || dur0 > 12 * LC_MAX_TERM + 12) return lc_fail(LC_E_TERM, dur0);
  const int32_t T = 12 * term;
  const int32_t max_age = b->mort_min_age + b->mort_n_ages - 1;
  int32_t last = T - dur0; /* last projection month with an active policy, if any */
  if (b->premium_basis == 0 && T > last) last = T; /* the equivalence premium projects from issue */
  if (last >= 0) {
    const int32_t first_age = entry + (b->premium_basis == 0 || dur0 <= 0 ? 0 : dur0 / 12);
    if (first_age < b->mort_min_age) return lc_fail(LC_E_AGE, first_age);
    if (entry + term > max_age) return lc_fail(LC_E_AGE, entry + term);
    if (last >= 12 * b->n_disc) return lc_fail(LC_E_CURVE, last);
    if (last + 1 > *need_months) *need_months = last + 1;
  }
  return LC_OK;
}

LC_EXPORT(lc_value_term)
int32_t lc_value_term(const lc_term_basis *b, const lc_policies *p, lc_term_results *out) {
  lc_status_slot.code = LC_OK;
  lc_status_slot.policy_index = -1;
  lc_status_slot.detail = 0;
  if (!b || !p || !out || p->n < 0 || p->n > LC_MAX_BATCH) return lc_fail(LC_E_ARG, 0);
  if (b->mort_n_ages < 1 || b->mort_n_select < 1 || b->n_lapse < 1 || b->n_disc < 1 || b->n_comm < 0 ||
      (b->premium_basis != 0 && b->premium_basis != 1) || b->round_decimals < -1 || b->round_decimals > 10)
    return lc_fail(LC_E_ARG, 1);
  if (b->premium_basis == 1 && !p->premium_rate) return lc_fail(LC_E_ARG, 2);
  const int32_t n = p->n;
  int32_t need = 0;
  for (int32_t i = 0; i < n; i++) {
    lc_status_slot.policy_index = i;
    int32_t rc = check_policy(b, p, i, &need);
    if (rc) return rc;
  }
  if (out->cashflows && need > out->n_months) {
    lc_status_slot.policy_index = -1;
    return lc_fail(LC_E_ARG, need);
  }
  ctx c;
  int32_t rc = setup(&c, b, need);
  if (rc) { teardown(&c); return rc; }
  const double loading = 1.0 + b->premium_loading;
  for (int32_t i = 0; i < n; i++) {
    lc_status_slot.policy_index = i;
    const int32_t entry = p->age_at_entry[i], term = p->policy_term[i], dur0 = p->duration_mth[i];
    const double cnt = p->policy_count[i], sa = p->sum_assured[i];
    double prem;
    if (b->premium_basis == 0) {
      const unit_pv *nbg = group(&c, entry, term, 0);
      if (!nbg) { teardown(&c); return lc_fail(LC_E_NOMEM, 0); }
      prem = round_decimals(loading * (sa * nbg->pv_death / nbg->pv_if), b->round_decimals);
    } else {
      prem = round_decimals(sa * p->premium_rate[i], b->round_decimals);
    }
    const unit_pv *g = group(&c, entry, term, dur0);
    if (!g) { teardown(&c); return lc_fail(LC_E_NOMEM, 0); }
    const double pk = prem * cnt;
    const double pv_prem = pk * g->pv_if;
    const double pv_claims = sa * cnt * g->pv_death;
    const double pv_exp = cnt * (b->acquisition * g->pv_nb + g->pv_maint);
    const double pv_comm = pk * g->pv_comm;
    const double pv_net = pv_prem - pv_claims - pv_exp - pv_comm;
    if (out->premium_pp) out->premium_pp[i] = prem;
    if (out->pv) {
      out->pv[(size_t)LC_PV_PREMIUMS * n + i] = pv_prem;
      out->pv[(size_t)LC_PV_CLAIMS * n + i] = pv_claims;
      out->pv[(size_t)LC_PV_EXPENSES * n + i] = pv_exp;
      out->pv[(size_t)LC_PV_COMMISSIONS * n + i] = pv_comm;
      out->pv[(size_t)LC_PV_NET_CF * n + i] = pv_net;
    }
    if (out->totals) {
      lc_exact_add1(&out->totals[LC_PV_PREMIUMS], pv_prem);
      lc_exact_add1(&out->totals[LC_PV_CLAIMS], pv_claims);
      lc_exact_add1(&out->totals[LC_PV_EXPENSES], pv_exp);
      lc_exact_add1(&out->totals[LC_PV_COMMISSIONS], pv_comm);
      lc_exact_add1(&out->totals[LC_PV_NET_CF], pv_net);
    }
    if (out->cashflows) {
      cf_sink s = {out->cashflows, out->n_months, cnt, sa, prem};
      unit_pv scratch;
      project(&c, entry, term, dur0 > 12 * term ? 12 * term + 1 : dur0, &scratch, &s);
    }
  }
  lc_status_slot.policy_index = -1;
  if (out->totals)
    for (int k = 0; k < LC_N_PV; k++) lc_exact_normalise(&out->totals[k]);
  if (out->cashflows)
    for (int32_t k = 0; k < LC_N_CF * out->n_months; k++) lc_exact_normalise(&out->cashflows[k]);
  teardown(&c);
  return LC_OK;
}

LC_EXPORT(lc_discount_factors)
int32_t lc_discount_factors(const lc_term_basis *b, int32_t n, double *v) {
  if (!b || !v || n < 0 || n > 12 * b->n_disc) return lc_fail(LC_E_ARG, n);
  for (int32_t t = 0; t < n; t++) {
    double j = pow(1.0 + b->disc_zero_ann[t / 12], 1.0 / 12.0) - 1.0;
    v[t] = pow(1.0 + j, -(double)t);
  }
  return LC_OK;
}

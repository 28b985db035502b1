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
  double pv_mat;   /* sum_t pols_maturity(t) v(t)                  */
} unit_pv;

typedef struct {
  const lc_term_basis *b;
  double *qm;        /* [n_ages * n_select] monthly mortality       */
  double *lm;        /* [n_lapse] monthly lapse by policy year      */
  double *v;         /* [n_months] discount factor                  */
  const double *v_alt; /* NULL or [n_months] another discount vector */
  double *maint;     /* [n_months] maintenance per policy in month t */
  int32_t n_months;
  /* group cache */
  slot *slots;
  uint32_t cap;
  unit_pv *groups;   /* two per group: [0] on the curve, [1] on v_alt */
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

static int32_t setup(ctx *c, const lc_term_basis *b, int32_t n_months, int32_t n_policies) {
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
  /* Sized for the common case without rehashing: up to 2 groups per policy
   * (its own and, for equivalence premiums, its new-business group), but the
   * distinct (age, term, duration) keys of real data are usually far fewer. */
  uint32_t want = n_policies < 256 ? 512u : (uint32_t)n_policies * 2u;
  if (want > (1u << 22)) want = 1u << 22;
  c->cap = 512;
  while (c->cap < want) c->cap *= 2;
  c->slots = calloc(c->cap, sizeof(slot));
  c->groups_cap = (int32_t)(c->cap / 2);
  c->groups = malloc(2 * sizeof(unit_pv) * (size_t)c->groups_cap);
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
 * A unit policy: count 1, sum assured 1, premium 1. Month by month, with the
 * lifelib BasicTerm_SE timing: in force before decrements bd(t); deaths
 * bd(t) q_m; lapses (bd(t) - deaths) l_m; survivors bd(t) (1 - q_m)(1 - l_m).
 * Months before issue hold nothing, so the walk starts at the first month the
 * policy exists, with one policy in force (in force at t = 0, or new business at
 * issue), and goes policy year by policy year, in which the mortality, lapse
 * and commission rates are constant. */

typedef struct {
  int32_t t, dm;      /* first projection month and its duration in months */
  const double *qrow; /* mortality row of the entry age */
} walk;

static inline walk walk_start(const ctx *c, int32_t entry, int32_t dur0) {
  walk w;
  w.t = dur0 < 0 ? -dur0 : 0;
  w.dm = dur0 + w.t;
  w.qrow = c->qm + (size_t)(entry - c->b->mort_min_age) * (size_t)c->b->mort_n_select;
  return w;
}

typedef struct {
  double q, l, comm, surv;
  int32_t end; /* duration month at which this policy year ends (capped at the term) */
} year_rates;

static inline year_rates rates_for_year(const ctx *c, const walk *w, int32_t dm, int32_t T) {
  const lc_term_basis *b = c->b;
  const int32_t dy = dm / 12, nsel = b->mort_n_select;
  year_rates r;
  r.q = w->qrow[(size_t)dy * (size_t)nsel + (size_t)(dy < nsel - 1 ? dy : nsel - 1)];
  r.l = c->lm[dy < b->n_lapse - 1 ? dy : b->n_lapse - 1];
  r.comm = dy < b->n_comm ? b->comm_rates[dy] : 0.0;
  r.surv = (1.0 - r.q) * (1.0 - r.l);
  r.end = 12 * (dy + 1) < T ? 12 * (dy + 1) : T;
  return r;
}

/* Unit present values of one (entry, term, dur0) group. Within a policy year the
 * sums are kept apart and added once: shorter dependency chains, and the same
 * order of operations every time, so the result depends on the key alone. */
static void project_unit(const ctx *c, const double *vv, int32_t entry, int32_t term, int32_t dur0, unit_pv *u) {
  const int32_t T = 12 * term;
  double pv_if = 0, pv_death = 0, pv_comm = 0, pv_maint = 0, pv_nb = 0, pv_mat = 0;
  if (dur0 <= T) {
    walk w = walk_start(c, entry, dur0);
    double bef = 1.0;
    if (w.dm == 0) pv_nb = vv[w.t];
    while (w.dm < T) {
      const year_rates r = rates_for_year(c, &w, w.dm, T);
      const double *v = vv + w.t, *maint = c->maint + w.t;
      const int32_t k = r.end - w.dm;
      double a_if = 0, a_death = 0, a_maint = 0;
      /* Unrolled: fewer loop back-edges, each of which carries wasmtime's epoch check. */
      LC_UNROLL(4)
      for (int32_t j = 0; j < k; j++) {
        const double bd = bef;
        a_if += bd * v[j];
        a_death += bd * r.q * v[j];
        a_maint += bd * maint[j] * v[j];
        bef = bd * r.surv;
      }
      pv_if += a_if;
      pv_death += a_death;
      pv_maint += a_maint;
      pv_comm += r.comm * a_if;
      w.t += k;
      w.dm = r.end;
    }
    pv_mat = bef * vv[w.t]; /* dm == T: the survivors mature at the start of month t */
  }
  u->pv_if = pv_if;
  u->pv_death = pv_death;
  u->pv_comm = pv_comm;
  u->pv_maint = pv_maint;
  u->pv_nb = pv_nb;
  u->pv_mat = pv_mat;
}

/* Add one policy row's monthly cashflows (count policies, sum assured, premium
 * per policy) to the exact monthly accumulators cf[LC_N_CF][n_months], for the
 * lines whose bit is set in mask. */
#define CF_ADD(line, value) \
  do { \
    if (mask & (1u << (line))) lc_exact_add1(&cf[(line) * m + t], (value)); \
  } while (0)

static void add_cashflows(const ctx *c, int32_t entry, int32_t term, int32_t dur0, double count, double sa,
                          double prem, lc_exact *cf, int32_t m, uint32_t mask) {
  const lc_term_basis *b = c->b;
  const int32_t T = 12 * term;
  if (dur0 > T) return;
  walk w = walk_start(c, entry, dur0);
  double bef = 1.0;
  while (w.dm < T) {
    const year_rates r = rates_for_year(c, &w, w.dm, T);
    for (; w.dm < r.end; w.dm++, w.t++) {
      const int32_t t = w.t;
      const double bd = bef, deaths = bd * r.q, lapses = (bd - deaths) * r.l;
      const double nb = w.dm == 0 ? count : 0.0;
      const double premiums = prem * count * bd;
      const double claims = sa * count * deaths;
      const double expenses = b->acquisition * nb + count * bd * c->maint[t];
      const double commissions = r.comm * premiums;
      CF_ADD(LC_CF_POLS_IF, count * bd);
      CF_ADD(LC_CF_POLS_DEATH, count * deaths);
      CF_ADD(LC_CF_POLS_LAPSE, count * lapses);
      CF_ADD(LC_CF_POLS_NEW_BIZ, nb);
      CF_ADD(LC_CF_PREMIUMS, premiums);
      CF_ADD(LC_CF_CLAIMS, claims);
      CF_ADD(LC_CF_EXPENSES, expenses);
      CF_ADD(LC_CF_COMMISSIONS, commissions);
      CF_ADD(LC_CF_NET_CF, premiums - claims - expenses - commissions);
      bef = bd * r.surv;
    }
  }
  /* dm == T: whatever is left matures at the start of month t; nothing else happens
   * but the maturity benefit. */
  const int32_t t = w.t;
  const double matured = count * bef, benefit = b->maturity_benefit * sa * matured;
  CF_ADD(LC_CF_POLS_MATURITY, matured);
  if (b->maturity_benefit != 0.0) {
    CF_ADD(LC_CF_CLAIMS, benefit);
    CF_ADD(LC_CF_NET_CF, -benefit);
  }
}
#undef CF_ADD

/* One policy row's monthly premiums, claims, expenses and commissions into
 * buf[4][m] (zero-filled first); the same quantities add_cashflows sums. */
static void policy_cf_vectors(const ctx *c, int32_t entry, int32_t term, int32_t dur0, double count, double sa,
                              double prem, double *buf, int32_t m) {
  const lc_term_basis *b = c->b;
  const int32_t T = 12 * term;
  for (int32_t k = 0; k < 4 * m; k++) buf[k] = 0.0;
  if (dur0 > T) return;
  double *P = buf, *C = buf + m, *E = buf + 2 * m, *M = buf + 3 * m;
  walk w = walk_start(c, entry, dur0);
  double bef = 1.0;
  while (w.dm < T) {
    const year_rates r = rates_for_year(c, &w, w.dm, T);
    for (; w.dm < r.end; w.dm++, w.t++) {
      const int32_t t = w.t;
      const double bd = bef, deaths = bd * r.q;
      const double nb = w.dm == 0 ? count : 0.0;
      P[t] = prem * count * bd;
      C[t] = sa * count * deaths;
      E[t] = b->acquisition * nb + count * bd * c->maint[t];
      M[t] = r.comm * P[t];
      bef = bd * r.surv;
    }
  }
  C[w.t] += b->maturity_benefit * sa * (count * bef);
}

/* Unit PVs of group (entry, term, dur0), projected on first use. */
static const unit_pv *group(ctx *c, int32_t entry, int32_t term, int32_t dur0) {
  if (dur0 > 12 * term) dur0 = 12 * term + 1; /* matured before t = 0: all such policies are alike */
  const uint64_t key = ((uint64_t)(uint16_t)entry << 48) | ((uint64_t)(uint16_t)term << 32) | (uint32_t)dur0;
  uint64_t h = key * 0x9e3779b97f4a7c15ull;
  uint32_t i = (uint32_t)(h >> 40) & (c->cap - 1);
  while (c->slots[i].used) {
    if (c->slots[i].key == key) return &c->groups[2 * (size_t)c->slots[i].index];
    i = (i + 1) & (c->cap - 1);
  }
  if (c->n_groups == c->groups_cap) {
    unit_pv *g = realloc(c->groups, 2 * sizeof(unit_pv) * (size_t)c->groups_cap * 2);
    if (!g) return NULL;
    c->groups = g;
    c->groups_cap *= 2;
  }
  unit_pv *u = &c->groups[2 * (size_t)c->n_groups];
  project_unit(c, c->v, entry, term, dur0, &u[0]);
  if (c->v_alt) project_unit(c, c->v_alt, entry, term, dur0, &u[1]);
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
      (b->premium_basis != 0 && b->premium_basis != 1) || b->round_decimals < -1 || b->round_decimals > 10 ||
      !isfinite(b->maturity_benefit) || b->maturity_benefit < 0)
    return lc_fail(LC_E_ARG, 1);
  if (b->premium_basis == 1 && !p->premium_rate) return lc_fail(LC_E_ARG, 2);
  const int32_t n = p->n;
  /* Projection months needed: a cheap pass over terms and durations only (the
   * full checks run inline below); clamped so bad values cannot oversize it. */
  int64_t need64 = 0, need_cf = 0;
  for (int32_t i = 0; i < n; i++) {
    const int64_t T = 12 * (int64_t)p->policy_term[i], last_cf = T - (int64_t)p->duration_mth[i];
    const int64_t last = b->premium_basis == 0 && T > last_cf ? T : last_cf;
    if (last + 1 > need64) need64 = last + 1;
    if (last_cf + 1 > need_cf) need_cf = last_cf + 1;
  }
  const int32_t need = need64 < 12 * (int64_t)b->n_disc ? (int32_t)need64 : 12 * b->n_disc;
  if (out->cashflows && need_cf > out->n_months) {
    /* name the first policy whose cashflows run past the buffer */
    for (int32_t i = 0; i < n; i++) {
      lc_status_slot.policy_index = i;
      const int64_t last_cf = 12 * (int64_t)p->policy_term[i] - (int64_t)p->duration_mth[i];
      if (last_cf + 1 > out->n_months) return lc_fail(LC_E_ARG, (int32_t)(last_cf + 1));
    }
  }
  if (out->scen_totals && (!out->scen_disc || out->n_scen < 0 || out->scen_stride < need)) {
    lc_status_slot.policy_index = -1;
    return lc_fail(LC_E_ARG, 4);
  }
  if (out->pv_alt && !out->alt_disc) return lc_fail(LC_E_ARG, 5);
  ctx c = {0};
  c.v_alt = out->pv_alt ? out->alt_disc : NULL;
  int32_t rc = setup(&c, b, need, n);
  if (rc) { teardown(&c); return rc; }
  double *scen_buf = NULL;
  if (out->scen_totals && !(scen_buf = malloc(sizeof(double) * 4 * (size_t)(need ? need : 1)))) {
    teardown(&c);
    return lc_fail(LC_E_NOMEM, 0);
  }
  const double loading = 1.0 + b->premium_loading;
  const uint32_t mask = out->cf_lines ? (uint32_t)out->cf_lines : (1u << LC_N_CF) - 1u;
  for (int32_t i = 0; i < n; i++) {
    lc_status_slot.policy_index = i;
    int32_t months = 0;
    rc = check_policy(b, p, i, &months);
    if (rc) { teardown(&c); return rc; }
    const int32_t entry = p->age_at_entry[i], term = p->policy_term[i], dur0 = p->duration_mth[i];
    const double cnt = p->policy_count[i], sa = p->sum_assured[i];
    /* Copies, not pointers: a later lookup may move the group array. */
    const unit_pv *gp = group(&c, entry, term, dur0);
    if (!gp) { teardown(&c); return lc_fail(LC_E_NOMEM, 0); }
    const unit_pv gv = gp[0], *g = &gv;
    const unit_pv ga = c.v_alt ? gp[1] : gp[0];
    double prem;
    if (b->premium_basis == 0) {
      const unit_pv *nbg = dur0 == 0 ? g : group(&c, entry, term, 0);
      if (!nbg) { teardown(&c); return lc_fail(LC_E_NOMEM, 0); }
      const double benefits = nbg->pv_death + b->maturity_benefit * nbg->pv_mat;
      prem = round_decimals(loading * (sa * benefits / nbg->pv_if), b->round_decimals);
    } else {
      prem = round_decimals(sa * p->premium_rate[i], b->round_decimals);
    }
    const double pk = prem * cnt;
    const double pv_prem = pk * g->pv_if;
    const double pv_claims = sa * cnt * (g->pv_death + b->maturity_benefit * g->pv_mat);
    const double pv_exp = cnt * (b->acquisition * g->pv_nb + g->pv_maint);
    const double pv_comm = pk * g->pv_comm;
    const double pv_net = pv_prem - pv_claims - pv_exp - pv_comm;
    if (out->pv_alt) {
      const double pka = prem * cnt;
      const double a_prem = pka * ga.pv_if;
      const double a_claims = sa * cnt * (ga.pv_death + b->maturity_benefit * ga.pv_mat);
      const double a_exp = cnt * (b->acquisition * ga.pv_nb + ga.pv_maint);
      const double a_comm = pka * ga.pv_comm;
      out->pv_alt[(size_t)LC_PV_PREMIUMS * n + i] = a_prem;
      out->pv_alt[(size_t)LC_PV_CLAIMS * n + i] = a_claims;
      out->pv_alt[(size_t)LC_PV_EXPENSES * n + i] = a_exp;
      out->pv_alt[(size_t)LC_PV_COMMISSIONS * n + i] = a_comm;
      out->pv_alt[(size_t)LC_PV_NET_CF * n + i] = a_prem - a_claims - a_exp - a_comm;
    }
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
    if (out->cashflows) add_cashflows(&c, entry, term, dur0, cnt, sa, prem, out->cashflows, out->n_months, mask);
    if (out->scen_totals) {
      policy_cf_vectors(&c, entry, term, dur0, cnt, sa, prem, scen_buf, need);
      const int32_t len = 12 * term - dur0 + 1 < need ? 12 * term - dur0 + 1 : need;
      for (int32_t s = 0; s < out->n_scen; s++) {
        const double *D = out->scen_disc + (size_t)s * (size_t)out->scen_stride;
        double pv[4] = {0, 0, 0, 0};
        for (int32_t k = 0; k < 4; k++)
          for (int32_t t = 0; t < len; t++) pv[k] += scen_buf[(size_t)k * (size_t)need + (size_t)t] * D[t];
        lc_exact *acc = &out->scen_totals[(size_t)s * LC_N_PV];
        lc_exact_add1(&acc[LC_PV_PREMIUMS], pv[0]);
        lc_exact_add1(&acc[LC_PV_CLAIMS], pv[1]);
        lc_exact_add1(&acc[LC_PV_EXPENSES], pv[2]);
        lc_exact_add1(&acc[LC_PV_COMMISSIONS], pv[3]);
        lc_exact_add1(&acc[LC_PV_NET_CF], pv[0] - pv[1] - pv[2] - pv[3]);
      }
    }
  }
  lc_status_slot.policy_index = -1;
  if (out->totals)
    for (int k = 0; k < LC_N_PV; k++) lc_exact_normalise(&out->totals[k]);
  if (out->cashflows)
    for (int32_t k = 0; k < LC_N_CF * out->n_months; k++)
      if (mask & (1u << (k / (out->n_months ? out->n_months : 1)))) lc_exact_normalise(&out->cashflows[k]);
  if (out->scen_totals)
    for (int32_t k = 0; k < out->n_scen * LC_N_PV; k++) lc_exact_normalise(&out->scen_totals[k]);
  free(scen_buf);
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

/*
 * livecalc.h — the ABI of the LiveCalc projection engine.
 *
 * This header is the one definition of what the engine module exports, how its
 * buffers are laid out and what its error codes mean. The Python host
 * (livecalc_lab/engine/_abi.py) mirrors it and checks lc_abi_version() on load.
 *
 * Conventions
 *   - Target: wasm32 (pointers are 32-bit byte offsets into linear memory),
 *     little-endian. The byte offsets below are those of wasm32 and are checked
 *     by static assertions when compiling for wasm32. Native builds (benchmarks)
 *     use the same declarations with the platform's pointer size.
 *   - t is projection time in months from the valuation date, t = 0, 1, ...
 *   - Rates named *_ann are annual effective decimals; monthly rates are derived
 *     inside the engine as 1 - (1 - r)^(1/12) (decrements) or (1 + r)^(1/12) - 1
 *     (interest).
 *   - Every array is contiguous, naturally aligned (f64 on 8 bytes).
 *   - The engine imports nothing: all maths (pow, exp) is compiled in.
 */
#ifndef LIVECALC_H
#define LIVECALC_H

#include <stdint.h>

#define LC_ABI_VERSION 4u

/* ---- error codes (lc_status.code, and return value of lc_value_term) ---- */
#define LC_OK 0
#define LC_E_ARG 1       /* bad call block: null pointer, n < 0, n > LC_MAX_BATCH, bad enum */
#define LC_E_AGE 2       /* an active month's attained age is outside the mortality table */
#define LC_E_CURVE 3     /* an active month lies beyond the discount curve */
#define LC_E_TERM 4      /* policy_term < 1 or > LC_MAX_TERM, or |duration_mth| too large */
#define LC_E_VALUE 5     /* policy_count, sum_assured or premium_rate negative or not finite */
#define LC_E_NOMEM 6     /* the engine could not allocate working memory */

#define LC_MAX_TERM 150                 /* years */
#define LC_MAX_MONTHS (12 * LC_MAX_TERM + 1)
#define LC_MAX_BATCH (1 << 26)          /* policies per call (bounds exact-sum carries) */

/* ---- exact, order-independent summation ----------------------------------
 * lc_exact holds a sum of doubles exactly, as a fixed-point integer in units of
 * 2^-1074 (the smallest subnormal), split into LC_EXACT_LIMBS signed 64-bit
 * limbs of 32 bits each: value = sum_i limb[i] * 2^(32*i - 1074).
 *   Range: every finite double and any sum of up to 2^26 x LC_MAX_BATCH of
 *   them (magnitude < 2^1088); resolution: 2^-1074, i.e. exact.
 * After every engine call the accumulator is normalised: limb[i] in [0, 2^32)
 * for i < LC_EXACT_LIMBS-1 and the top limb carries the sign, so equal sums have
 * equal limbs, whatever the order of additions. Merging = adding limbs then
 * normalising. lc_exact_round gives the double nearest the exact sum (ties to
 * even): the same value as Python's math.fsum of the addends.
 * A NaN or infinity added sets `special` (bit 0: NaN, bit 1: +inf, bit 2: -inf)
 * and rounding then gives NaN (or the infinity). Size: 552 bytes.
 */
#define LC_EXACT_LIMBS 68
typedef struct lc_exact {
  int64_t limb[LC_EXACT_LIMBS]; /* offset 0   */
  int64_t special;              /* offset 544 */
} lc_exact;

/* ---- status slot: lc_status_ptr() returns its address ---------------------
 * The kernel writes the 0-based index (within the call's batch) of the policy
 * it is working on to policy_index before touching it, so a host can name the
 * policy after a trap or a timeout.                                           */
typedef struct lc_status {
  int32_t code;         /* offset 0: last error code (LC_OK = 0)                 */
  int32_t policy_index; /* offset 4: policy being valued, -1 outside a batch     */
  int32_t detail;       /* offset 8: code-specific: the month t, or the age      */
  int32_t reserved;     /* offset 12                                             */
} lc_status;

/* ---- level term basis (assumptions resolved for one product) -------------
 * premium_basis: 0 = equivalence: premium_pp = round((1 + premium_loading) *
 *                    sum_assured * (PV(deaths) + maturity_benefit * PV(maturities))
 *                    / PV(pols_if), round_decimals),
 *                    both PVs of a new-business policy of the same entry age and
 *                    term projected from issue with the curve as at t = 0
 *                    (lifelib BasicTerm_S);
 *                1 = per-policy rate: premium_pp = round(sum_assured *
 *                    premium_rate[i], round_decimals) (lifelib BasicTerm_SE).
 * round_decimals: -1 = no rounding; else Python round(x, d): half to even on
 *                the exact binary value of x.                                 */
typedef struct lc_term_basis {
  const double *mort_qx;   /* 0:  f64[mort_n_ages * mort_n_select], row-major, annual qx;
                                  row a = age mort_min_age + a, column s = policy year s,
                                  last column ultimate                                */
  int32_t mort_min_age;    /* 4  */
  int32_t mort_n_ages;     /* 8  */
  int32_t mort_n_select;   /* 12 */
  const double *lapse_ann; /* 16: f64[n_lapse], annual lapse by policy year; later years use the last */
  int32_t n_lapse;         /* 20 */
  const double *disc_zero_ann; /* 24: f64[n_disc], annual zero-spot rate for projection year y;
                                      month t uses year t / 12                          */
  int32_t n_disc;          /* 28 */
  const double *comm_rates;/* 32: f64[n_comm], commission share of premium by policy year; 0 after */
  int32_t n_comm;          /* 36 */
  int32_t premium_basis;   /* 40 */
  int32_t round_decimals;  /* 44 */
  double premium_loading;  /* 48 */
  double acquisition;      /* 56: per policy, in the month of issue when t >= 0 */
  double maintenance_ann;  /* 64: per policy per year, charged monthly as /12   */
  double inflation_ann;    /* 72: month t expenses scaled by (1 + i)^(t/12)     */
  double maturity_benefit; /* 80: share of sum assured paid to survivors at maturity
                                  (0: term; 1: endowment, and whole life as an
                                  endowment at the table's last age)                */
} lc_term_basis;           /* size 88 */

/* ---- policies (columnar, n rows) ---------------------------------------- */
typedef struct lc_policies {
  int32_t n;                   /* 0  */
  const int32_t *age_at_entry; /* 4:  i32[n], years                                        */
  const int32_t *policy_term;  /* 8:  i32[n], years                                        */
  const int32_t *duration_mth; /* 12: i32[n], months in force at t = 0; <= 0: issued at -duration_mth */
  const double *policy_count;  /* 16: f64[n], may be fractional                            */
  const double *sum_assured;   /* 20: f64[n]                                               */
  const double *premium_rate;  /* 24: f64[n], monthly per unit sum assured (basis 1), else NULL */
} lc_policies;                 /* size 28 */

/* ---- results ----------------------------------------------------------------
 * pv:        NULL or f64[LC_N_PV * n], component-major (all pv_premiums, then all
 *            pv_claims, ...), for policy_count policies of each row.
 * premium_pp:NULL or f64[n], monthly premium per policy.
 * totals:    NULL or lc_exact[LC_N_PV]: the pv columns are ADDED to these.
 * cashflows: NULL or lc_exact[LC_N_CF * n_months], line-major (all months of
 *            pols_if, then of pols_death, ...): each policy's monthly values for
 *            t < n_months are ADDED; months past n_months are an error (LC_E_ARG)
 *            unless the policy is inactive there. Only the lines whose bit is set
 *            in cf_lines (bit k = line k; 0 means all) are computed; the others
 *            are left untouched. Claims include maturity benefits.
 * scen_totals: the full per-scenario path, for checking the separable one: each
 *            policy's monthly cashflows are discounted with every scenario's D_s(t)
 *            (P x S x T work) and each policy's five PVs are added exactly to
 *            scen_totals[s]. Scenario-independent products normally take the
 *            separable path instead: discount the exact portfolio cashflows
 *            (lc_discount_totals); the two agree to rounding.
 * pv_alt:    each policy's PVs under alt_disc instead of the curve (premiums stay
 *            those of the curve), e.g. the mean discount factor over scenarios,
 *            whose PV is the policy's mean PV over those scenarios.            */
#define LC_N_PV 5
#define LC_PV_PREMIUMS 0
#define LC_PV_CLAIMS 1
#define LC_PV_EXPENSES 2
#define LC_PV_COMMISSIONS 3
#define LC_PV_NET_CF 4

#define LC_N_CF 10
#define LC_CF_POLS_IF 0      /* in force after maturities and new business, before decrements */
#define LC_CF_POLS_DEATH 1
#define LC_CF_POLS_LAPSE 2
#define LC_CF_POLS_MATURITY 3
#define LC_CF_POLS_NEW_BIZ 4
#define LC_CF_PREMIUMS 5
#define LC_CF_CLAIMS 6
#define LC_CF_EXPENSES 7
#define LC_CF_COMMISSIONS 8
#define LC_CF_NET_CF 9

typedef struct lc_term_results {
  double *pv;                /* 0  */
  double *premium_pp;        /* 4  */
  lc_exact *totals;          /* 8  */
  lc_exact *cashflows;       /* 12 */
  int32_t n_months;          /* 16 */
  int32_t cf_lines;          /* 20: bit mask of the cashflow lines to compute (0 = all) */
  const double *scen_disc;   /* 24: NULL, or f64[n_scen][scen_stride] discount factors D_s(t) */
  int32_t n_scen;            /* 28 */
  int32_t scen_stride;       /* 32: >= the months any policy needs                     */
  lc_exact *scen_totals;     /* 36: lc_exact[n_scen][LC_N_PV]: ADDED                    */
  const double *alt_disc;    /* 40: NULL, or f64[>= months needed]: another discount vector */
  double *pv_alt;            /* 44: f64[LC_N_PV * n]: the PVs under alt_disc (same premiums) */
} lc_term_results;           /* size 48 */

/* ---- economic scenarios: one-factor Hull-White ----------------------------
 * dr = (theta(t) - a r) dt + sigma dW, fitted to the initial curve P(0, m)
 * (m in months; P from the assumption set, so theta needs no table of its own).
 * With x = r - alpha, alpha(t) = f(0, t) + sigma^2/(2a^2) (1 - e^{-at})^2, x is an
 * Ornstein-Uhlenbeck process started at 0; each month (dt = 1/12 year) the pair
 * (x, Y = integral of x) is drawn exactly from its bivariate normal law, so
 *   D(m) = P(0, m) exp(-Y(m) - V(m)/2),  V(t) = Var Y(t)
 *        = sigma^2/a^2 [t - 2(1 - e^{-at})/a + (1 - e^{-2at})/(2a)]
 * has E[D(m)] = P(0, m) exactly (the martingale property) and, with sigma = 0,
 * D(m) = P(0, m) bit for bit. The fund earns the short rate plus an excess
 * return with its own volatility, over month m:
 *   1 + R(m) = exp(Y(m+1) - Y(m) + ln(P(m)/P(m+1)) + (V(m+1) - V(m))/2
 *                  + (fund_excess - fund_sigma^2/2) dt + fund_sigma sqrt(dt) Z3),
 * so the deflated fund index D(m) prod(1 + R) has mean 1 when fund_excess = 0.
 * Source: Hull & White (1990); Brigo & Mercurio, Interest Rate Models, ch. 3.
 *
 * Random numbers: scenario k (1, 2, ...; 0 is the certainty-equivalent scenario,
 * no randomness) at month m takes two Philox4x32-10 blocks (Salmon et al. 2011)
 * with key (seed low 32 bits, seed high 32 bits) and counters (m, k_lo, k_hi, 0)
 * and (m, k_lo, k_hi, 1). Each block's words (w0, w1) and (w2, w3) give uniforms
 *   u = ((w_hi << 20 | w_lo >> 12) + 0.5) * 2^-52   in (0, 1)
 * and Box-Muller turns (u1, u2) into sqrt(-2 ln u1) cos(2 pi u2) and
 * sqrt(-2 ln u1) sin(2 pi u2). Z1, Z2 come from block 0 and Z3 from block 1
 * (cosine branch). Z1 drives x (and the part of Y correlated with it), Z2 only
 * the rest of Y, Z3 the fund. So scenario k is a function of (seed, k) alone.
 * short_rate(m) = x(m) + alpha(m) with f(0, .) over month m taken as the
 * month-average forward 12 ln(P(m) / P(m+1)).                               */
typedef struct lc_hw_spec {
  double a;            /* 0:  mean reversion per year, > 0                         */
  double sigma;        /* 8:  short-rate volatility per sqrt(year), >= 0           */
  double fund_sigma;   /* 16: fund volatility per sqrt(year), >= 0                 */
  double fund_excess;  /* 24: fund drift over the short rate per year (0: risk neutral) */
  uint32_t seed_lo;    /* 32 */
  uint32_t seed_hi;    /* 36 */
  const double *zcb;   /* 40: f64[n_months + 1]: P(0, m), m = 0..n_months; P(0,0) = 1 */
  int32_t n_months;    /* 44 */
} lc_hw_spec;          /* size 48 */

/* ---- savings / unit-linked contract (path dependent) -------------------------
 * The recursion of lifelib's CashValue_ME_EX2 / EX4 (livecalc_lab/model/
 * reference_savings.py states it, one function per quantity): per lane (policy,
 * scenario) and month t, with the account value AV(t) per policy and the
 * policies in force N(t), in this order: maturity, new business, premium into
 * the account (less the load), fund fee and cost of insurance, investment
 * return r[s, t], deaths and lapses (static by policy year, or dynamic: the
 * annual rate times clamp(c0 + c1 * CSV/SA, min, max), CSV = (1 - surrender
 * charge) * mid-month AV), claims (death: max(SA, AV_mid); lapse: AV_mid less the
 * surrender charge; maturity: max(SA, AV)), expenses, commissions, the change in
 * account value, and the guarantee costs (claims above the account value). Every
 * lane's arithmetic is the same sequence of IEEE operations, whether lanes run
 * one by one or two to a SIMD register, so results are bit-exact per lane. */
#define LC_N_SAV_PV 13
#define LC_SAV_PREMIUMS 0
#define LC_SAV_CLAIMS_DEATH 1
#define LC_SAV_CLAIMS_LAPSE 2
#define LC_SAV_CLAIMS_MATURITY 3
#define LC_SAV_CLAIMS 4
#define LC_SAV_EXPENSES 5
#define LC_SAV_COMMISSIONS 6
#define LC_SAV_INV_INCOME 7
#define LC_SAV_AV_CHANGE 8
#define LC_SAV_NET_CF 9
#define LC_SAV_GMDB 10
#define LC_SAV_GMAB 11
#define LC_SAV_MAINT_FEE 12

typedef struct lc_savings_basis {
  const double *mort_qx;    /* 0:  NULL (no mortality) or f64[mort_n_ages * mort_n_select] annual qx */
  int32_t mort_min_age;     /* 4  */
  int32_t mort_n_ages;      /* 8  */
  int32_t mort_n_select;    /* 12 */
  int32_t mort_outside;     /* 16: attained age outside the table: 0 = rate 0 (lifelib EX2), 1 = LC_E_AGE */
  int32_t dyn_lapse;        /* 20: 0 static lapse, 1 dynamic                                     */
  const double *lapse_ann;  /* 24: NULL (no lapse) or f64[n_lapse], annual base rate by policy year */
  int32_t n_lapse;          /* 28 */
  const double *surr_charge;/* 32: NULL or f64[n_sc_years * n_sc_cols], rows = policy year (later years use the last) */
  int32_t n_sc_years;       /* 36 */
  int32_t n_sc_cols;        /* 40 */
  int32_t reserved;         /* 44 */
  double dyn_c0;            /* 48 */
  double dyn_c1;            /* 56 */
  double dyn_min;           /* 64 */
  double dyn_max;           /* 72: +inf for none */
  double maint_fee_rate_mth;/* 80: monthly fee on the account value after premium */
  double coi_rate;          /* 88: monthly cost of insurance per unit of max(SA - AV, 0) */
  double acquisition;       /* 96: per new policy, in its month of issue */
  double maintenance_ann;   /* 104: per policy in force, charged monthly as /12 */
  double inflation_ann;     /* 112: expenses scaled by (1 + i)^(t/12) */
  double commission_rate;   /* 120: share of every premium */
} lc_savings_basis;         /* size 128 */

typedef struct lc_savings_policies {
  int32_t n;                     /* 0  */
  const int32_t *age_at_entry;   /* 4  */
  const int32_t *policy_term;    /* 8: years (whole life resolved by the host) */
  const int32_t *duration_mth;   /* 12 */
  const int32_t *premium_type;   /* 16: 0 single premium at issue, 1 level monthly premium */
  const int32_t *surr_col;       /* 20: column of the surrender-charge table, -1 for none */
  const double *policy_count;    /* 24 */
  const double *sum_assured;     /* 28 */
  const double *premium_pp;      /* 32 */
  const double *av_pp_init;      /* 36 */
  const double *load_prem_rate;  /* 40 */
} lc_savings_policies;           /* size 44 */

typedef struct lc_savings_scenarios {
  int32_t n_scen;             /* 0  */
  int32_t n_months;           /* 4: months projected, T (the longest policy's length) */
  const double *fund_return;  /* 8: f64[n_months][n_scen]: r[s, t] at fund_return[t * n_scen + s] (time-major) */
  const double *disc;         /* 12: discount factors v: f64[n_months] shared, or f64[n_months][n_scen] (time-major) */
  int32_t disc_per_scenario;  /* 16: 0 shared, 1 per scenario */
} lc_savings_scenarios;       /* size 20 */

typedef struct lc_savings_results {
  double *pv;               /* 0: NULL or f64[LC_N_SAV_PV][n][n_scen]: per lane                         */
  lc_exact *scen_totals;    /* 4: NULL or lc_exact[n_scen][LC_N_SAV_PV]: ADDED, sum over policies      */
  lc_exact *point_totals;   /* 8: NULL or lc_exact[n][LC_N_SAV_PV]: ADDED, sum over scenarios          */
  uint32_t total_mask;      /* 12: bit k: component k goes to the totals (0 = all)                      */
} lc_savings_results;       /* size 16 */

/* ---- exported functions ----------------------------------------------------- */
uint32_t lc_abi_version(void);
lc_status *lc_status_ptr(void);
void *lc_alloc(uint32_t nbytes);            /* 8-byte aligned, zeroed; NULL if out of memory */
void lc_free(void *p);
/* Value a batch of level-term policies. Returns LC_OK or an error code (also in
 * lc_status, with policy_index and detail). On error the outputs are partial and
 * must be discarded. */
int32_t lc_value_term(const lc_term_basis *basis, const lc_policies *pols, lc_term_results *out);
/* Projection-month discount factors v(t) = (1 + j)^(-t), j = (1 + r[t/12])^(1/12) - 1,
 * for t < n (n <= 12 * n_disc). Returns an error code. */
int32_t lc_discount_factors(const lc_term_basis *basis, int32_t n, double *v);
/* Scenarios first_id .. first_id + n_scen - 1 (id 0 = certainty equivalent).
 * disc: f64[n_scen][n_months + 1] discount factors D(m); short_rate: NULL or
 * f64[n_scen][n_months] r(m) (continuously compounded, per year); fund_return:
 * NULL or f64[n_scen][n_months] R(m), the fund's total return over month m. */
int32_t lc_hull_white(const lc_hw_spec *spec, uint32_t first_id, int32_t n_scen, double *disc, double *short_rate,
                      double *fund_return);
/* Per-scenario present values of aggregate cashflows: for each scenario s and
 * line k, out[s * n_lines + k] += sum_t fl(cf[k * n_months + t] * disc[s * disc_stride + t])
 * exactly (then normalised). disc_stride 0 means one discount vector for all. */
int32_t lc_discount_totals(const double *cf, int32_t n_lines, int32_t n_months, const double *disc, int32_t n_scen,
                           int32_t disc_stride, lc_exact *out);
/* Value a batch of savings policies under n_scen scenarios (see above). */
int32_t lc_value_savings(const lc_savings_basis *basis, const lc_savings_policies *pols,
                         const lc_savings_scenarios *scen, lc_savings_results *out);
/* Philox4x32-10 of one counter and key: out[4]. For known-answer tests. */
void lc_philox4x32(const uint32_t *counter, const uint32_t *key, uint32_t *out);
/* Add x[0..n) to acc exactly and normalise. */
void lc_exact_add(lc_exact *acc, const double *x, int32_t n);
/* dst[i] += src[i] for i < n, then normalise each. */
void lc_exact_merge(lc_exact *dst, const lc_exact *src, int32_t n);
/* out[i] = the double nearest acc[i]'s exact value (ties to even). */
void lc_exact_round(const lc_exact *acc, int32_t n, double *out);

#endif /* LIVECALC_H */

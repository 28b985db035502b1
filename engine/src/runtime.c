/* runtime.c — ABI version, status slot and memory for the host. */
#include <stdlib.h>

#include "internal.h"

lc_status lc_status_slot = {LC_OK, -1, 0, 0};

LC_EXPORT(lc_abi_version) uint32_t lc_abi_version(void) { return LC_ABI_VERSION; }

LC_EXPORT(lc_status_ptr) lc_status *lc_status_ptr(void) { return &lc_status_slot; }

LC_EXPORT(lc_alloc) void *lc_alloc(uint32_t nbytes) {
  /* calloc: zeroed, aligned for any type (16 bytes on wasm32). */
  return calloc(1, nbytes ? nbytes : 1);
}

LC_EXPORT(lc_free) void lc_free(void *p) { free(p); }

#if defined(__wasm__)
#include <stddef.h>
_Static_assert(sizeof(lc_exact) == 552, "lc_exact layout");
_Static_assert(sizeof(lc_status) == 16, "lc_status layout");
_Static_assert(offsetof(lc_term_basis, lapse_ann) == 16, "basis layout");
_Static_assert(offsetof(lc_term_basis, disc_zero_ann) == 24, "basis layout");
_Static_assert(offsetof(lc_term_basis, comm_rates) == 32, "basis layout");
_Static_assert(offsetof(lc_term_basis, premium_basis) == 40, "basis layout");
_Static_assert(offsetof(lc_term_basis, premium_loading) == 48, "basis layout");
_Static_assert(offsetof(lc_term_basis, inflation_ann) == 72, "basis layout");
_Static_assert(offsetof(lc_term_basis, maturity_benefit) == 80, "basis layout");
_Static_assert(sizeof(lc_term_basis) == 88, "basis layout");
_Static_assert(offsetof(lc_policies, premium_rate) == 24, "policies layout");
_Static_assert(sizeof(lc_policies) == 28, "policies layout");
_Static_assert(offsetof(lc_term_results, n_months) == 16, "results layout");
_Static_assert(offsetof(lc_term_results, cf_lines) == 20, "results layout");
_Static_assert(offsetof(lc_term_results, scen_totals) == 36, "results layout");
_Static_assert(offsetof(lc_term_results, pv_alt) == 44, "results layout");
_Static_assert(sizeof(lc_term_results) == 48, "results layout");
_Static_assert(offsetof(lc_hw_spec, seed_lo) == 32, "hw layout");
_Static_assert(offsetof(lc_hw_spec, zcb) == 40, "hw layout");
_Static_assert(sizeof(lc_hw_spec) == 48, "hw layout");
_Static_assert(offsetof(lc_savings_basis, dyn_c0) == 48, "savings layout");
_Static_assert(offsetof(lc_savings_basis, commission_rate) == 120, "savings layout");
_Static_assert(sizeof(lc_savings_basis) == 128, "savings layout");
_Static_assert(offsetof(lc_savings_policies, load_prem_rate) == 40, "savings layout");
_Static_assert(sizeof(lc_savings_policies) == 44, "savings layout");
_Static_assert(sizeof(lc_savings_scenarios) == 20, "savings layout");
_Static_assert(sizeof(lc_savings_results) == 16, "savings layout");
#endif

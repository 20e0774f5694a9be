# Published-value checks of qc/methods.R. Run: Rscript qc/tests/test_methods.R
# Prints one line per check: "CHECK <tab> name <tab> got <tab> expected <tab> tol <tab> PASS|FAIL"
# and exits with status 1 when any check fails. tests/qc/test_methods_r.py runs it.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "..", "methods.R"))

.failures <- 0L
check <- function(name, got, expected, tol) {
  ok <- length(got) == length(expected) &&
    all((is.na(got) & is.na(expected)) |
          (!is.na(got) & !is.na(expected) & abs(got - expected) <= tol))
  if (!ok) .failures <<- .failures + 1L
  fmt <- function(v) paste(ifelse(is.na(v), "NA", trimws(formatC(v, digits = 10, format = "g"))),
                           collapse = ",")
  cat("CHECK", name, fmt(got), fmt(expected), format(tol), if (ok) "PASS" else "FAIL",
      sep = "\t")
  cat("\n")
}
check_true <- function(name, condition) {
  check(name, as.numeric(isTRUE(condition)), 1, 0)
}

# ---- Newcombe hybrid score (method 10) ------------------------------------------------------
# Newcombe RG. Statistics in Medicine 1998;17:873-890, Table II, method 10, published to 4
# decimals; (c)-(h) are the paper's boundary examples. Tolerance: half a unit of the 4th decimal.
newcombe_table2 <- list(
  a = list(c(56, 70, 48, 80), c(0.0524, 0.3339)),
  b = list(c(9, 10, 3, 10), c(0.1705, 0.8090)),
  c = list(c(6, 7, 2, 7), c(0.0582, 0.8062)),
  d = list(c(5, 56, 0, 29), c(-0.0381, 0.1926)),
  e = list(c(0, 10, 0, 20), c(-0.1611, 0.2775)),
  f = list(c(0, 10, 0, 10), c(-0.2775, 0.2775)),
  g = list(c(10, 10, 0, 20), c(0.6791, 1.0000)),
  h = list(c(10, 10, 0, 10), c(0.6075, 1.0000))
)
for (k in names(newcombe_table2)) {
  x <- newcombe_table2[[k]][[1]]
  check(paste0("newcombe_table2_", k),
        ci_newcombe_hybrid(x[1], x[2], x[3], x[4]), newcombe_table2[[k]][[2]], 5e-5)
}
# An empty group is not estimable.
check("newcombe_empty_group", ci_newcombe_hybrid(0, 0, 3, 10), c(NA, NA), 0)
check("newcombe_conf_90_narrower",
      as.numeric(diff(ci_newcombe_hybrid(9, 10, 3, 10, conf = 0.90)) <
                   diff(ci_newcombe_hybrid(9, 10, 3, 10))), 1, 0)

# ---- Miettinen-Nurminen score interval and test ---------------------------------------------
# Newcombe RG. Statistics in Medicine 1998;17:873-890, Table II, method 6 (Miettinen-Nurminen
# score interval), published to 4 decimals; the same 8 examples as above.
mn_table2 <- list(
  a = list(c(56, 70, 48, 80), c(0.0528, 0.3382)),
  b = list(c(9, 10, 3, 10), c(0.1700, 0.8406)),
  c = list(c(6, 7, 2, 7), c(0.0342, 0.8534)),
  d = list(c(5, 56, 0, 29), c(-0.0326, 0.1933)),
  e = list(c(0, 10, 0, 20), c(-0.1658, 0.2844)),
  f = list(c(0, 10, 0, 10), c(-0.2879, 0.2879)),
  g = list(c(10, 10, 0, 20), c(0.7156, 1.0000)),
  h = list(c(10, 10, 0, 10), c(0.6636, 1.0000))
)
for (k in names(mn_table2)) {
  x <- mn_table2[[k]][[1]]
  check(paste0("mn_table2_", k),
        ci_miettinen_nurminen(x[1], x[2], x[3], x[4]), mn_table2[[k]][[2]], 5e-5)
}
# SAS PROC FREQ RISKDIFF(CL=MN) on an HIV trial, 84/101 vs 89/105: (-0.1191, 0.0860); WUSS 2016
# paper 127, page 9, https://www.lexjansen.com/wuss/2016/127_Final_Paper_PDF.pdf
check("mn_sas_wuss2016_hiv", ci_miettinen_nurminen(84, 101, 89, 105), c(-0.1191, 0.0860), 5e-5)
# Mirror image: swapping the groups negates and swaps the limits (Table II (g) read backwards).
check("mn_all_events_vs_none_mirrored", ci_miettinen_nurminen(0, 10, 10, 10), c(-1, -0.6636), 5e-5)
check("mn_empty_group", ci_miettinen_nurminen(3, 10, 0, 0), c(NA, NA), 0)
# The closed-form restricted MLE (MN 1985 appendix) must maximise the binomial likelihood under
# p1 - p2 = delta: compare with a direct numerical maximisation over p2.
mle_gap <- 0
for (x in list(c(56, 70, 48, 80), c(5, 56, 0, 29), c(0, 10, 0, 20), c(10, 10, 0, 20), c(3, 7, 6, 9))) {
  for (delta in c(-0.6, -0.2, 0, 0.15, 0.5)) {
    ll <- function(q2) dbinom(x[1], x[2], q2 + delta, log = TRUE) + dbinom(x[3], x[4], q2, log = TRUE)
    lo <- max(0, -delta); hi <- min(1, 1 - delta)
    q2 <- optimize(ll, c(lo, hi), maximum = TRUE, tol = 1e-12)$maximum
    mle_gap <- max(mle_gap, abs(.mn_restricted_mle(x[1], x[2], x[3], x[4], delta)[2] - q2))
  }
}
check("mn_restricted_mle_vs_numerical", mle_gap, 0, 1e-5)
# Under H0 p1 = p2 the restricted MLE is the pooled proportion, so the MN statistic is Pearson's
# uncorrected chi-square (base R chisq.test) times (N - 1)/N: Miettinen & Nurminen 1985, and the
# "N - 1" chi-square test of Campbell I, Statistics in Medicine 2007;26:3661-3675.
for (x in list(c(56, 70, 48, 80), c(9, 10, 3, 10), c(84, 101, 89, 105), c(5, 56, 0, 29))) {
  N <- x[2] + x[4]
  pearson <- suppressWarnings(chisq.test(matrix(c(x[1], x[2] - x[1], x[3], x[4] - x[3]), 2),
                                         correct = FALSE)$statistic)
  check(sprintf("mn_p_equals_n_minus_1_chisq_%d_%d_%d_%d", x[1], x[2], x[3], x[4]),
        p_miettinen_nurminen(x[1], x[2], x[3], x[4]),
        pchisq(unname(pearson) * (N - 1) / N, 1, lower.tail = FALSE), 1e-12)
}
# Duality: the score test of H: p1 - p2 = (a limit of the 95% interval) has p = 0.05.
lim <- ci_miettinen_nurminen(56, 70, 48, 80)
check("mn_interval_limits_are_5pct_tests",
      sapply(lim, function(l) 2 * pnorm(-abs(.mn_z(56, 70, 48, 80, l)))), c(0.05, 0.05), 1e-8)
# Identical proportions at the boundary (0/10 vs 0/20): z is 0/0, the observed difference equals
# the null, p = 1. Empty group: NA.
check("mn_p_no_events_either_group", p_miettinen_nurminen(0, 10, 0, 20), 1, 0)
check("mn_p_all_events_vs_none", p_miettinen_nurminen(10, 10, 0, 20),
      pchisq(30 * 29 / 30, 1, lower.tail = FALSE), 1e-12)
check("mn_p_empty_group", p_miettinen_nurminen(0, 0, 3, 10), NA, 0)

# ---- Clopper-Pearson --------------------------------------------------------------------------
# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Statistics in Medicine 1998;17:857-872, Table II, method 5 (exact), 4 decimals.
cp_published <- list(
  "81_263" = list(c(81, 263), c(0.2527, 0.3676)),
  "15_148" = list(c(15, 148), c(0.0578, 0.1617)),
  "0_20" = list(c(0, 20), c(0.0000, 0.1684)),
  "1_29" = list(c(1, 29), c(0.0009, 0.1776))
)
for (k in names(cp_published)) {
  x <- cp_published[[k]][[1]]
  check(paste0("cp_newcombe1998a_", k), ci_clopper_pearson(x[1], x[2]), cp_published[[k]][[2]], 5e-5)
}
# All events: the lower limit has the closed form (alpha/2)^(1/n) (Clopper & Pearson 1934).
check("cp_all_events_closed_form", ci_clopper_pearson(29, 29), c(0.025^(1 / 29), 1), 1e-10)
check("cp_empty", ci_clopper_pearson(0, 0), c(NA, NA), 0)

# ---- Boschloo ----------------------------------------------------------------------------------
# scipy.stats.boschloo_exact documentation, Examples (Saari et al. 2004 job-satisfaction survey):
# 74 of 117 professors vs 31 of 63 scientists very satisfied, alternative "greater":
# statistic (one-sided Fisher p) 0.0483, p-value 0.0355, printed truncated to 4 decimals (the
# doctest elides the rest), so each value must lie in [printed, printed + 0.0001].
# https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.boschloo_exact.html
check("boschloo_scipy_doc_fisher_statistic", phyper(74 - 1, 117, 63, 105, lower.tail = FALSE),
      0.04835, 5e-5)
check("boschloo_scipy_doc_greater", .boschloo_one_sided(74, 117, 31, 63, "greater"), 0.03555, 5e-5)
# Two-sided, by the documented convention: twice the smaller one-sided p-value.
check("boschloo_two_sided_is_twice_smaller_side", p_boschloo(74, 117, 31, 63),
      2 * min(.boschloo_one_sided(74, 117, 31, 63, "greater"),
              .boschloo_one_sided(74, 117, 31, 63, "less")), 1e-12)
# All events vs none, 10/10 vs 0/10: only the observed table is as extreme on its side, its
# probability pi^10 (1 - pi)^10 peaks at pi = 1/2, so p = 2 * 2^-20 (Boschloo 1970 definition).
check("boschloo_all_vs_none_closed_form", p_boschloo(10, 10, 0, 10), 2 * 2^-20, 1e-12)
# No events in either group: every table is at least as extreme, p = 1.
check("boschloo_no_events", p_boschloo(0, 10, 0, 10), 1, 1e-12)
check("boschloo_empty_group", p_boschloo(0, 0, 4, 9), NA, 0)
# Boschloo's test is uniformly more powerful than Fisher's (Boschloo 1970): its one-sided p is at
# most the one-sided Fisher p on which it is built.
check("boschloo_not_above_fisher",
      as.numeric(.boschloo_one_sided(7, 25, 15, 25, "less") <= phyper(7, 25, 25, 22)), 1, 0)

if (.failures > 0L) {
  cat("FAILED", .failures, "check(s)\n")
  quit(status = 1)
}
cat("ALL CHECKS PASSED\n")

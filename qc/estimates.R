# Independent QC: every row of results/estimates.csv, from the spec's "Endpoints and methods".
# Clopper-Pearson (binom.test), Fisher's exact test and the conditional MLE odds ratio with its
# exact interval (fisher.test), Kaplan-Meier and log-rank (survival::survfit, survdiff); the
# methods base R lacks (Newcombe, Miettinen-Nurminen, Boschloo, Firth) are in methods.R.

CONF <- 0.95
BOSCHLOO_MAX_TABLES <- 250000
COHORT_ORDER <- c("continuing", "stopped")
SUBGROUPS <- list(best_response = CANONICAL$best_response, hr_status = CANONICAL$hr_status,
                  presentation = CANONICAL$presentation, anti_her2 = CANONICAL$anti_her2)

est_row <- function(analysis, parameter, group, n, N, estimate = NA_real_, lower = NA_real_,
                    upper = NA_real_, level = NA_real_, p = NA_real_, status = NULL) {
  if (is.null(status)) status <- if (is.na(estimate)) "not estimable" else "estimated"
  key <- paste0(parameter, "|", group)
  fields <- list(n = n, N = N, estimate = estimate, ci_lower = lower, ci_upper = upper,
                 ci_level = level, p_value = p, status = status)
  do.call(rbind, lapply(names(fields), function(f) long("estimates", analysis, key, f, fields[[f]])))
}

# Conditional maximum-likelihood odds ratio of a 2 x 2 table and its exact conditional interval
# (Cornfield 1956; Agresti, Categorical Data Analysis, 2nd ed., 3.6.1-3.6.2): given the margins,
# the first cell follows the noncentral hypergeometric distribution with the odds ratio as its
# parameter. The same definitions as fisher.test, whose roots are found only to uniroot's default
# tolerance (about 1e-4): here to 1e-12, so that the comparison can be held to 1e-6.
fisher_odds_ratio <- function(tab, conf = CONF) {
  m <- sum(tab[, 1]); n <- sum(tab[, 2]); k <- sum(tab[1, ]); x <- tab[1, 1]
  lo <- max(0, k - n); hi <- min(k, m); support <- lo:hi
  # a single possible table (no positive, or no negative, participant at all): the conditional
  # likelihood is flat and the odds ratio not estimable
  if (lo == hi) return(c(NA_real_, NA_real_, NA_real_))
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dn <- function(psi) { d <- logdc + log(psi) * support; d <- exp(d - max(d)); d / sum(d) }
  mean_at <- function(psi) sum(support * dn(psi))
  p_at <- function(psi, upper) { d <- dn(psi); if (upper) sum(d[support >= x]) else sum(d[support <= x]) }
  root <- function(f, target) {
    # psi in (0, 1] directly, beyond 1 through 1 / psi
    if (f(1) - target > 0) return(uniroot(function(t) f(t) - target, c(1e-300, 1), tol = 1e-12)$root)
    1 / uniroot(function(t) f(1 / t) - target, c(1e-300, 1), tol = 1e-12)$root
  }
  est <- if (x == lo) 0 else if (x == hi) Inf else if (mean_at(1) == x) 1 else
    root(mean_at, x)
  alpha <- (1 - conf) / 2
  upper <- if (x == hi) Inf else {
    f <- function(psi) -p_at(psi, FALSE)
    if (p_at(1, FALSE) == alpha) 1 else root(f, -alpha)
  }
  lower <- if (x == lo) 0 else {
    if (p_at(1, TRUE) == alpha) 1 else root(function(psi) p_at(psi, TRUE), alpha)
  }
  c(est, lower, upper)
}

proportion <- function(analysis, group, x, n) {
  if (n == 0) return(est_row(analysis, "proportion", group, x, n, level = CONF))
  ci <- binom.test(x, n, conf.level = CONF)$conf.int
  est_row(analysis, "proportion", group, x, n, x / n, ci[1], ci[2], CONF)
}

# y: positive (TRUE/FALSE) and cohort of each participant analysed
two_cohorts <- function(analysis, y, cohort, proportions = TRUE, odds_ratio = FALSE) {
  x <- sapply(COHORT_ORDER, function(g) sum(y[cohort == g]))
  n <- sapply(COHORT_ORDER, function(g) sum(cohort == g))
  out <- list()
  if (proportions) for (g in COHORT_ORDER) out[[g]] <- proportion(analysis, g, x[[g]], n[[g]])
  grp <- "stopped vs continuing"
  if (any(n == 0)) {
    out$rd <- est_row(analysis, "risk_difference", grp, sum(x), sum(n), level = CONF)
    if (odds_ratio) out$or <- est_row(analysis, "odds_ratio", grp, sum(x), sum(n), level = CONF)
    return(do.call(rbind, out))
  }
  tab <- matrix(c(x[["stopped"]], n[["stopped"]] - x[["stopped"]],
                  x[["continuing"]], n[["continuing"]] - x[["continuing"]]), 2, byrow = TRUE)
  ft <- fisher.test(tab, conf.level = CONF)
  ci <- ci_newcombe_hybrid(x[["stopped"]], n[["stopped"]], x[["continuing"]], n[["continuing"]], CONF)
  d <- x[["stopped"]] / n[["stopped"]] - x[["continuing"]] / n[["continuing"]]
  out$rd <- est_row(analysis, "risk_difference", grp, sum(x), sum(n), d, ci[1], ci[2], CONF, ft$p.value)
  if (odds_ratio)
  {
    or <- fisher_odds_ratio(tab)
    out$or <- est_row(analysis, "odds_ratio", grp, sum(x), sum(n), or[1], or[2], or[3], CONF,
                      if (is.na(or[1])) NA_real_ else ft$p.value)
  }
  do.call(rbind, out)
}

km_rows <- function(analysis, time, event, group, levels, compare_label) {
  out <- list()
  for (g in levels) {
    k <- group == g
    if (!any(k)) { out[[g]] <- est_row(analysis, "median_days", g, 0, 0, level = CONF); next }
    fit <- survival::survfit(survival::Surv(time[k], event[k]) ~ 1, conf.int = CONF, conf.type = "log")
    tb <- summary(fit)$table
    out[[g]] <- est_row(analysis, "median_days", g, sum(event[k]), sum(k), unname(tb["median"]),
                        unname(tb["0.95LCL"]), unname(tb["0.95UCL"]), CONF)
  }
  # log-rank: not estimable without an event while both groups were at risk (no information)
  ok <- all(sapply(levels, function(g) any(group == g)))
  chi <- NA_real_; p <- NA_real_
  if (ok) {
    sd <- survival::survdiff(survival::Surv(time, event) ~ factor(group, levels = levels))
    v <- if (is.matrix(sd$var)) sd$var[1, 1] else sd$var
    if (!is.na(v) && v > 1e-12) {
      chi <- sd$chisq
      p <- pchisq(chi, df = 1, lower.tail = FALSE)
    }
  }
  out$lr <- est_row(analysis, "logrank", compare_label, sum(event), length(time), chi, p = p)
  do.call(rbind, out)
}

estimate_values <- function(s, draws) {
  out <- list()
  ps <- s[s$primary_set, , drop = FALSE]
  el <- s[s$eligible, , drop = FALSE]
  out$primary <- two_cohorts("primary", ps$baseline_positive, ps$cohort, odds_ratio = TRUE)

  x <- sapply(COHORT_ORDER, function(g) sum(ps$baseline_positive[ps$cohort == g]))
  n <- sapply(COHORT_ORDER, function(g) sum(ps$cohort == g))
  d <- if (all(n > 0)) x[["stopped"]] / n[["stopped"]] - x[["continuing"]] / n[["continuing"]] else NA_real_
  grp <- "stopped vs continuing"
  if (all(n > 0)) {
    mn <- ci_miettinen_nurminen(x[["stopped"]], n[["stopped"]], x[["continuing"]], n[["continuing"]], CONF)
    out$mn <- est_row("sensitivity_miettinen_nurminen", "risk_difference", grp, sum(x), sum(n), d,
                      mn[1], mn[2], CONF,
                      p_miettinen_nurminen(x[["stopped"]], n[["stopped"]], x[["continuing"]], n[["continuing"]]))
    # the methods section: Boschloo's test is computed up to n1 x n2 = 250,000 (the exact test
    # enumerates every table), and beyond that reported as not computed
    out$bo <- if (prod(n) <= BOSCHLOO_MAX_TABLES)
      est_row("sensitivity_boschloo", "risk_difference", grp, sum(x), sum(n), d,
              p = p_boschloo(x[["stopped"]], n[["stopped"]], x[["continuing"]], n[["continuing"]]))
    else est_row("sensitivity_boschloo", "risk_difference", grp, sum(x), sum(n), d, status = "not estimable")
  } else {
    out$mn <- est_row("sensitivity_miettinen_nurminen", "risk_difference", grp, sum(x), sum(n), level = CONF)
    out$bo <- est_row("sensitivity_boschloo", "risk_difference", grp, sum(x), sum(n))
  }
  worst <- ifelse(is.na(el$baseline_positive), TRUE, el$baseline_positive)
  best <- ifelse(is.na(el$baseline_positive), FALSE, el$baseline_positive)
  out$worst <- two_cohorts("sensitivity_worst_case", worst, el$cohort)
  out$best <- two_cohorts("sensitivity_best_case", best, el$cohort)
  out$firth <- firth_rows(ps)

  ev <- el[!is.na(el$ever_positive), , drop = FALSE]
  out$any <- two_cohorts("exploratory_any_draw", ev$ever_positive, ev$cohort)

  pos <- draws[draws$result == "POSITIVE" & draws$subject_id %in% el$subject_id, , drop = FALSE]
  for (g in COHORT_ORDER) {
    m <- pos$mtm_per_ml[pos$cohort == g]
    out[[paste0("mtm_", g)]] <- est_row("exploratory_mtm", "median", g, length(m),
                                        length(unique(pos$subject_id[pos$cohort == g])),
                                        if (length(m)) median(m) else NA_real_)
  }
  out$ttpos <- km_rows("exploratory_ttpos", ev$ttpos_days, ev$ttpos_event, ev$cohort, COHORT_ORDER,
                       "stopped vs continuing")
  out$pfs <- km_rows("exploratory_pfs", ps$pfs_days, ps$pfs_event,
                     ifelse(ps$baseline_positive, "positive", "negative"), c("negative", "positive"),
                     "positive vs negative")
  for (var in names(SUBGROUPS)) for (lv in SUBGROUPS[[var]]) {
    k <- ps[[var]] == lv
    out[[paste(var, lv)]] <- two_cohorts(paste0("subgroup_", var, "=", lv), ps$baseline_positive[k],
                                         ps$cohort[k], proportions = FALSE)
  }
  do.call(rbind, out)
}

FIRTH_TERMS <- c(stopped = "stopped vs continuing", PR = "PR vs CR",
                 years_since_response = "per year since response")

firth_rows <- function(ps) {
  y <- as.numeric(ps$baseline_positive)
  X <- cbind("(Intercept)" = 1, stopped = as.numeric(ps$cohort == "stopped"),
             PR = as.numeric(ps$best_response == "PR"), years_since_response = ps$years_since_response)
  # a model of an outcome that does not vary (no positive, or no negative, participant) is not fitted
  fit <- if (nrow(X) > 0 && any(y == 1) && any(y == 0)) tryCatch(firth_logit(y, X), error = function(e) NULL) else NULL
  # firth_logit gives NA for what it could not compute (all of it when the fit fails, a limit or
  # p-value when a profile fails): each value stands or is missing on its own
  rows <- lapply(names(FIRTH_TERMS), function(term) {
    if (is.null(fit) || is.na(fit$coef[[term]]))
      return(est_row("exploratory_firth", "odds_ratio", FIRTH_TERMS[[term]], sum(y), length(y), level = CONF))
    est_row("exploratory_firth", "odds_ratio", FIRTH_TERMS[[term]], sum(y), length(y),
            exp(fit$coef[[term]]), exp(fit$ci_lower[[term]]), exp(fit$ci_upper[[term]]), CONF,
            fit$p_value[[term]])
  })
  do.call(rbind, rows)
}

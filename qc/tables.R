# Independent QC: participant flow, Table 1 and the ClinicalTrials.gov baseline counts, from the
# participants derived by derive.R. Written from the spec and Table 1's notes:
#  - categorical: n and % of the participants with a known value; missing counted apart;
#  - continuous: mean (SD, n - 1), median and quartiles (Hyndman-Fan type 7), range;
#  - SMD: continuous |m1 - m2| / sqrt((s1^2 + s2^2) / 2); two categories
#    |p1 - p2| / sqrt((p1(1-p1) + p2(1-p2)) / 2); more: Yang & Dalton (SAS Global Forum 2012,
#    paper 335-2012), sqrt(T' S^-1 T) with S the mean of the two multinomial covariances.

GROUPS <- c("continuing", "stopped", "overall")

# One value a row, written as text so that nothing is lost: numbers with 17 significant digits,
# flags true/false, missing as an empty cell.
as_text <- function(v) {
  if (is.logical(v)) return(ifelse(is.na(v), "", ifelse(v, "true", "false")))
  if (is.numeric(v)) return(ifelse(is.na(v), "", ifelse(is.infinite(v), ifelse(v > 0, "inf", "-inf"),
                                                      sprintf("%.17g", v))))
  ifelse(is.na(v), "", as.character(v))
}

long <- function(table, row, column, field, value) {
  data.frame(table = table, row = row, column = column, field = field, value = as_text(value),
             stringsAsFactors = FALSE)
}

flow_values <- function(s) {
  steps <- list(
    enrolled = rep(TRUE, nrow(s)),
    not_eligible = !s$eligible,
    eligible = s$eligible,
    baseline_not_evaluable = s$eligible & !s$baseline_evaluable,
    primary_set = s$primary_set,
    on_study = s$status_at_cutoff == "on_study",
    completed = s$status_at_cutoff == "completed",
    withdrawn = s$status_at_cutoff == "withdrawn",
    lost_to_follow_up = s$status_at_cutoff == "lost_to_follow_up",
    died = s$status_at_cutoff == "died")
  out <- list()
  for (g in GROUPS) {
    keep <- if (g == "overall") rep(TRUE, nrow(s)) else s$cohort == g
    for (st in names(steps)) out[[length(out) + 1]] <- long("flow", st, g, "count", sum(steps[[st]] & keep))
    # ClinicalTrials.gov all-cause mortality: deaths dated on or before the cut-off
    out[[length(out) + 1]] <- long("ctgov_events", "deaths", g, "count", sum(keep & !is.na(s$death_date)))
  }
  do.call(rbind, out)
}

CONTINUOUS <- c("age", "prior_lines", "years_since_response", "years_on_anti_her2", "months_since_stop")
CATEGORICAL <- list(
  age_group = c("<=18 years", "Between 18 and 65 years", ">=65 years"),
  sex = CANONICAL$sex, race = CANONICAL$race, ethnicity = CANONICAL$ethnicity, region = "Japan",
  menopausal_status = CANONICAL$menopausal_status, ecog = as.character(0:4),
  hr_status = CANONICAL$hr_status, presentation = CANONICAL$presentation,
  visceral_mets = CANONICAL$visceral_mets, brain_mets = CANONICAL$brain_mets,
  anti_her2 = CANONICAL$anti_her2, best_response = CANONICAL$best_response)
# ClinicalTrials.gov has no Missing category: a value not collected is posted as unknown
CTGOV_UNKNOWN <- c(race = "Unknown or Not Reported", ethnicity = "Unknown or Not Reported")

table1_columns <- function(s) {
  s$age_group <- ifelse(s$age <= 18, "<=18 years", ifelse(s$age < 65, "Between 18 and 65 years", ">=65 years"))
  s$region <- ifelse(s$site %in% c("NCU", "ACC", "JFCR"), "Japan", NA)   # all three sites are in Japan
  s$ecog <- as.character(s$ecog)
  s
}

applicable <- function(s, var) if (var == "months_since_stop") s$cohort == "stopped" else rep(TRUE, nrow(s))

smd_binary <- function(p1, p2) {
  if (p1 == p2) return(0)
  abs(p1 - p2) / sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
}

smd_categorical <- function(x1, x2, levels) {
  n1 <- table(factor(x1, levels = levels)); n2 <- table(factor(x2, levels = levels))
  if (sum(n1) == 0 || sum(n2) == 0) return(NA_real_)
  p1 <- as.numeric(n1) / sum(n1); p2 <- as.numeric(n2) / sum(n2)
  used <- p1 > 0 | p2 > 0
  p1 <- p1[used]; p2 <- p2[used]
  if (length(p1) <= 1) return(0)
  if (length(p1) == 2) return(smd_binary(p1[2], p2[2]))
  t <- p1[-1] - p2[-1]
  cov_m <- function(p) { p <- p[-1]; m <- -outer(p, p); diag(m) <- p * (1 - p); m }
  S <- (cov_m(p1) + cov_m(p2)) / 2
  v <- tryCatch(sqrt(as.numeric(t %*% solve(S, t))), error = function(e) Inf)
  v
}

smd_continuous <- function(x1, x2) {
  if (length(x1) < 2 || length(x2) < 2) return(NA_real_)
  m <- mean(x1) - mean(x2)
  sp <- sqrt((var(x1) + var(x2)) / 2)
  if (sp == 0) return(if (m == 0) 0 else Inf)
  abs(m) / sp
}

table1_values <- function(s) {
  s <- table1_columns(s)
  out <- list()
  add <- function(...) out[[length(out) + 1]] <<- long("table1", ...)
  in_group <- function(g) if (g == "overall") rep(TRUE, nrow(s)) else s$cohort == g
  for (g in GROUPS) add("N", g, "N", sum(in_group(g)))
  for (var in CONTINUOUS) {
    app <- applicable(s, var)
    for (g in GROUPS) {
      x <- s[[var]][in_group(g) & app]
      k <- x[!is.na(x)]
      q <- if (length(k)) quantile(k, c(0.25, 0.5, 0.75), type = 7, names = FALSE) else rep(NA_real_, 3)
      add(var, g, "n", length(k))
      add(var, g, "n_missing", sum(is.na(x)))
      add(var, g, "mean", if (length(k)) mean(k) else NA_real_)
      add(var, g, "sd", if (length(k) > 1) sd(k) else NA_real_)
      add(var, g, "median", q[2]); add(var, g, "q1", q[1]); add(var, g, "q3", q[3])
      add(var, g, "min", if (length(k)) min(k) else NA_real_)
      add(var, g, "max", if (length(k)) max(k) else NA_real_)
    }
    x1 <- s[[var]][s$cohort == "continuing" & app]; x2 <- s[[var]][s$cohort == "stopped" & app]
    add(var, "continuing vs stopped", "smd", smd_continuous(x1[!is.na(x1)], x2[!is.na(x2)]))
  }
  for (var in names(CATEGORICAL)) {
    levels <- CATEGORICAL[[var]]
    for (g in GROUPS) {
      x <- s[[var]][in_group(g)]
      known <- sum(!is.na(x))
      for (lv in levels) {
        row <- paste0(var, "|", lv)
        n <- sum(x == lv, na.rm = TRUE)
        add(row, g, "n", n)
        add(row, g, "denominator", known)
        add(row, g, "percent", if (known > 0) 100 * n / known else NA_real_)
        add(row, g, "n_missing", sum(is.na(x)))
        unknown <- CTGOV_UNKNOWN[var]
        posted <- if (!is.na(unknown) && lv == unknown) n + sum(is.na(x)) else n
        out[[length(out) + 1]] <- long("ctgov_baseline", row, g, "count", posted)
      }
    }
    add(var, "continuing vs stopped", "smd",
        smd_categorical(s[[var]][s$cohort == "continuing" & !is.na(s[[var]])],
                        s[[var]][s$cohort == "stopped" & !is.na(s[[var]])], levels))
  }
  do.call(rbind, out)
}

participant_values <- function(s, all_ids) {
  vars <- c("e1_age", "e2_sex", "e3_response_2y", "e4_therapy_2y", "e5_stop_date", "eligible",
            "primary_set", "baseline_sample_id", "baseline_result", "baseline_evaluable",
            "baseline_positive", "n_evaluable_draws", "ever_positive", "ttpos_days", "ttpos_event",
            "pfs_days", "pfs_event", "status_at_cutoff", "years_since_response",
            "years_on_anti_her2", "months_since_stop")
  out <- list(long("participant", all_ids, "", "enrolled", all_ids %in% s$subject_id))
  for (v in vars) out[[length(out) + 1]] <- long("participant", s$subject_id, "", v, s[[v]])
  do.call(rbind, out)
}

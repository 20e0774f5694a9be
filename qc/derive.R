# Independent QC (issue 23): the analysis datasets derived again from the raw cut, written from
# ../shared/spec/study-data.md and the report's methods section (the data dictionary's analysis
# choices), not from the Python code. Base R only.

YEAR_DAYS <- 365.25           # "Years are 365.25 days and months 365.25/12 days"
BASELINE_WINDOW <- 28         # a baseline draw within 28 days after consent
TWO_YEARS <- 730              # E3, E4
MIN_AGE <- 20                 # E1

CANONICAL <- list(
  site = c("NCU", "ACC", "JFCR"),
  cohort = c("continuing", "stopped"),
  sex = c("F", "M"),
  race = c("American Indian or Alaska Native", "Asian", "Native Hawaiian or Other Pacific Islander",
           "Black or African American", "White", "More than one race", "Unknown or Not Reported"),
  ethnicity = c("Hispanic or Latino", "Not Hispanic or Latino", "Unknown or Not Reported"),
  menopausal_status = c("pre", "post"),
  hr_status = c("positive", "negative"),
  presentation = c("de_novo", "recurrent"),
  visceral_mets = c("yes", "no"),
  brain_mets = c("yes", "no"),
  anti_her2 = c("trastuzumab", "trastuzumab+pertuzumab", "T-DM1", "T-DXd"),
  best_response = c("CR", "PR"),
  status = c("on_study", "completed", "withdrawn", "lost_to_follow_up", "died"),
  result = c("POSITIVE", "NEGATIVE", "QNS", "FAILED")
)

# Spec: UTF-8 (a BOM allowed), an empty cell is missing, column names and categorical values
# matched ignoring case and surrounding spaces, stored in the spec's spelling.
read_contract <- function(path) {
  d <- read.csv(path, colClasses = "character", na.strings = character(0), check.names = FALSE,
                fileEncoding = "UTF-8-BOM", strip.white = FALSE)
  names(d) <- tolower(gsub("[[:space:]]", "", names(d)))
  for (col in names(d)) {
    v <- trimws(d[[col]])
    v[v == ""] <- NA
    if (!is.null(CANONICAL[[col]])) {
      canon <- CANONICAL[[col]]
      hit <- match(tolower(v), tolower(canon))
      v <- ifelse(is.na(hit), v, canon[hit])
    }
    d[[col]] <- v
  }
  d
}

as_day <- function(x) as.Date(x, format = "%Y-%m-%d")

# One row per enrolled participant, with the derived variables of the spec and the dictionary.
derive_participants <- function(subjects, ctdna, cut) {
  cut <- as_day(cut)
  s <- subjects
  for (col in c("consent_date", "anti_her2_start", "response_date", "anti_her2_stop",
                "last_contact", "progression_date", "death_date")) s[[col]] <- as_day(s[[col]])
  for (col in c("age", "ecog", "prior_lines")) s[[col]] <- as.numeric(s[[col]])
  s <- s[!is.na(s$consent_date) & s$consent_date <= cut, , drop = FALSE]   # enrolled
  # records dated after the cut-off are not analysed
  s$progression_date[!is.na(s$progression_date) & s$progression_date > cut] <- NA
  s$death_date[!is.na(s$death_date) & s$death_date > cut] <- NA
  # status at the cut-off: an end of participation dated after it had not happened yet
  end_date <- ifelse(s$status == "died", s$death_date, s$last_contact)
  ended_later <- s$status != "on_study" & (is.na(end_date) | end_date > as.numeric(cut))
  s$status_at_cutoff <- ifelse(ended_later, "on_study", s$status)

  stopped <- s$cohort == "stopped"
  has_stop <- !is.na(s$anti_her2_stop)
  s$e1_age <- s$age >= MIN_AGE
  s$e2_sex <- s$sex == "F"
  s$e3_response_2y <- as.numeric(s$response_date) + TWO_YEARS <= as.numeric(s$consent_date)
  therapy_end <- ifelse(stopped, as.numeric(s$anti_her2_stop), as.numeric(s$consent_date))
  s$e4_therapy_2y <- !is.na(therapy_end) & as.numeric(s$anti_her2_start) + TWO_YEARS <= therapy_end
  s$e5_stop_date <- ifelse(stopped, has_stop, !has_stop)
  s$eligible <- s$e1_age & s$e2_sex & s$e3_response_2y & s$e4_therapy_2y & s$e5_stop_date

  days <- function(a, b) as.numeric(a) - as.numeric(b)
  s$years_since_response <- days(s$consent_date, s$response_date) / YEAR_DAYS
  s$years_on_anti_her2 <- days(ifelse(stopped, s$anti_her2_stop, s$consent_date), s$anti_her2_start) / YEAR_DAYS
  s$months_since_stop <- ifelse(stopped, days(s$consent_date, s$anti_her2_stop) / (YEAR_DAYS / 12), NA)

  # progression-free survival: progression or death, whichever first; else censored at
  # min(last contact, cut-off)
  ev_day <- pmin(as.numeric(s$progression_date), as.numeric(s$death_date), na.rm = TRUE)
  s$pfs_event <- !is.na(ev_day)
  s$pfs_days <- ifelse(s$pfs_event, ev_day, pmin(as.numeric(s$last_contact), as.numeric(cut))) -
    as.numeric(s$consent_date)

  d <- draws_used(ctdna, s, cut)
  base <- d[d$visit == "baseline" & d$in_window, , drop = FALSE]
  i <- match(s$subject_id, base$subject_id)
  s$baseline_sample_id <- base$sample_id[i]
  s$baseline_result <- base$result[i]
  s$baseline_evaluable <- !is.na(i)
  s$baseline_positive <- ifelse(s$baseline_evaluable, s$baseline_result == "POSITIVE", NA)
  s$primary_set <- s$eligible & s$baseline_evaluable

  # every visit's sample analysed (a late "baseline" draw still counts as a draw)
  s$n_evaluable_draws <- as.numeric(table(factor(d$subject_id, levels = s$subject_id)))
  first_pos <- tapply(d$days[d$result == "POSITIVE"], factor(d$subject_id[d$result == "POSITIVE"], levels = s$subject_id), min)
  last_neg <- tapply(d$days[d$result == "NEGATIVE"], factor(d$subject_id[d$result == "NEGATIVE"], levels = s$subject_id), max)
  first_pos <- as.numeric(first_pos)
  last_neg <- as.numeric(last_neg)
  s$ever_positive <- ifelse(s$n_evaluable_draws > 0, !is.na(first_pos), NA)
  s$ttpos_event <- ifelse(s$n_evaluable_draws > 0, !is.na(first_pos), NA)
  s$ttpos_days <- ifelse(!is.na(first_pos), first_pos, last_neg)
  list(adsl = s, draws = d)
}

# The sample analysed at each visit: the first evaluable one by collection date, then file order,
# among samples of enrolled participants collected on or before the cut-off.
draws_used <- function(ctdna, s, cut) {
  d <- ctdna
  d$file_order <- seq_len(nrow(d))
  d$collection_date <- as_day(d$collection_date)
  d$mtm_per_ml <- as.numeric(d$mtm_per_ml)
  d <- d[d$subject_id %in% s$subject_id & !is.na(d$collection_date) & d$collection_date <= cut &
           d$result %in% c("POSITIVE", "NEGATIVE"), , drop = FALSE]
  d$cohort <- s$cohort[match(d$subject_id, s$subject_id)]
  d$days <- as.numeric(d$collection_date) - as.numeric(s$consent_date[match(d$subject_id, s$subject_id)])
  d <- d[order(d$subject_id, d$visit, d$collection_date, d$file_order), , drop = FALSE]
  d <- d[!duplicated(d[c("subject_id", "visit")]), , drop = FALSE]
  d$in_window <- d$visit != "baseline" | d$days <= BASELINE_WINDOW
  d
}

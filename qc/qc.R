# Independent QC of a data cut (issue 23), in base R and the survival package.
#
#   Rscript qc/qc.R RAW_DIR CUT OUT_CSV
#
# Reads the cut's contract files (RAW_DIR/subjects.csv, RAW_DIR/ctdna.csv) and the cut-off, and
# writes every value it computes, one a row: table, row, column, field, value (the keys the
# comparison in her2cr.qc lines up with the pipeline's outputs).

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) {
  cat("usage: Rscript qc/qc.R RAW_DIR CUT OUT_CSV\n", file = stderr())
  quit(status = 2)
}
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])))
for (f in c("derive.R", "tables.R", "methods.R", "estimates.R")) source(file.path(here, f))
if (!requireNamespace("survival", quietly = TRUE))
  stop("the R package survival is missing (Debian: r-cran-survival; conda-forge: r-survival)")

raw_dir <- args[1]; cut <- args[2]; out_csv <- args[3]
subjects <- read_contract(file.path(raw_dir, "subjects.csv"))
ctdna <- read_contract(file.path(raw_dir, "ctdna.csv"))
d <- derive_participants(subjects, ctdna, cut)
values <- rbind(long("qc", "R", "", "version", paste(R.version$major, R.version$minor, sep = ".")),
                participant_values(d$adsl, subjects$subject_id), flow_values(d$adsl),
                table1_values(d$adsl), estimate_values(d$adsl, d$draws))
tmp <- paste0(out_csv, ".tmp")
write.csv(values, tmp, row.names = FALSE, na = "", fileEncoding = "UTF-8")
invisible(file.rename(tmp, out_csv))

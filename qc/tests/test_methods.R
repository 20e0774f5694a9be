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

if (.failures > 0L) {
  cat("FAILED", .failures, "check(s)\n")
  quit(status = 1)
}
cat("ALL CHECKS PASSED\n")

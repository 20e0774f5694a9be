# Statistical methods for the independent QC (issue 23), written in base R from the papers.
# Group 1 / group 2 are generic: the difference is always p1 - p2.
# Every function returns NA values (never an error) when a group is empty, so that the caller
# can report "not estimable".

.qc_empty <- function(n1, n2) {
  is.na(n1) || is.na(n2) || n1 <= 0 || n2 <= 0
}

# Wilson (1927) score limits for one proportion, without continuity correction.
.wilson_limits <- function(x, n, z) {
  p <- x / n
  centre <- p + z^2 / (2 * n)
  half <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2))
  denom <- 1 + z^2 / n
  c(max(0, (centre - half) / denom), min(1, (centre + half) / denom))
}

# Newcombe RG (1998). Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Statistics in Medicine 17:873-890, method 10 ("hybrid score"):
# the Wilson limits (l_i, u_i) of each proportion combined by square-and-add,
#   L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2),  U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
ci_newcombe_hybrid <- function(x1, n1, x2, n2, conf = 0.95) {
  if (.qc_empty(n1, n2)) return(c(NA_real_, NA_real_))
  z <- qnorm(1 - (1 - conf) / 2)
  p1 <- x1 / n1
  p2 <- x2 / n2
  w1 <- .wilson_limits(x1, n1, z)
  w2 <- .wilson_limits(x2, n2, z)
  d <- p1 - p2
  c(max(-1, d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2)),
    min(1, d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2)))
}

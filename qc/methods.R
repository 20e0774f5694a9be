# Statistical methods for the independent QC (issue 23), written in base R from the papers.
# Group 1 / group 2 are generic: the difference is always p1 - p2.
# Every function returns NA values (never an error) when a group is empty, so that the caller
# can report "not estimable".

# TRUE when a group is empty (not estimable). Counts that cannot be counts are a caller's bug,
# stopped with a message rather than turned into a quiet NA.
.qc_empty <- function(n1, n2, x1 = 0, x2 = 0) {
  values <- c(x1 = x1, n1 = n1, x2 = x2, n2 = n2)
  if (length(x1) != 1L || length(n1) != 1L || length(x2) != 1L || length(n2) != 1L) {
    stop("qc/methods.R: x1, n1, x2, n2 must be single numbers")
  }
  if (anyNA(values)) return(TRUE)
  if (any(values < 0) || any(values != round(values)) || x1 > n1 || x2 > n2) {
    stop(sprintf("qc/methods.R: impossible counts x1 = %s of n1 = %s, x2 = %s of n2 = %s",
                 x1, n1, x2, n2))
  }
  n1 == 0 || n2 == 0
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
  if (.qc_empty(n1, n2, x1, x2)) return(c(NA_real_, NA_real_))
  z <- qnorm(1 - (1 - conf) / 2)
  p1 <- x1 / n1
  p2 <- x2 / n2
  w1 <- .wilson_limits(x1, n1, z)
  w2 <- .wilson_limits(x2, n2, z)
  d <- p1 - p2
  c(max(-1, d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2)),
    min(1, d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2)))
}

# Restricted maximum-likelihood estimates (p1~, p2~) under H: p1 - p2 = delta, from the closed-form
# root of the likelihood equation's cubic: Miettinen O, Nurminen M (1985) Comparative analysis of
# two rates. Statistics in Medicine 4:213-226, Appendix 1; the same trigonometric solution as
# Farrington CP, Manning G (1990) Statistics in Medicine 9:1447-1454, equation (3).
.mn_restricted_mle <- function(x1, n1, x2, n2, delta) {
  p1 <- x1 / n1
  p2 <- x2 / n2
  theta <- n2 / n1
  a <- 1 + theta
  b <- -(1 + theta + p1 + theta * p2 + delta * (theta + 2))
  cc <- delta^2 + delta * (2 * p1 + theta + 1) + p1 + theta * p2
  d <- -p1 * delta * (1 + delta)
  v <- b^3 / (27 * a^3) - b * cc / (6 * a^2) + d / (2 * a)
  u2 <- b^2 / (9 * a^2) - cc / (3 * a)
  if (u2 <= 0) {
    # Triple root of the cubic: the trigonometric form degenerates to -b / (3a).
    r1 <- -b / (3 * a)
  } else {
    u <- (if (v < 0) -1 else 1) * sqrt(u2)
    w <- (pi + acos(max(-1, min(1, v / u^3)))) / 3
    r1 <- 2 * u * cos(w) - b / (3 * a)
  }
  r1 <- max(0, min(1, r1))
  r2 <- max(0, min(1, r1 - delta))
  c(r1, r2)
}

# Miettinen-Nurminen score statistic for H: p1 - p2 = delta, with the variance factor N/(N - 1)
# (Miettinen & Nurminen 1985, equation (8)). Signed, so that a root finder can use it.
.mn_z <- function(x1, n1, x2, n2, delta) {
  r <- .mn_restricted_mle(x1, n1, x2, n2, delta)
  num <- x1 / n1 - x2 / n2 - delta
  N <- n1 + n2
  v <- (r[1] * (1 - r[1]) / n1 + r[2] * (1 - r[2]) / n2) * N / (N - 1)
  if (abs(num) < 1e-15) return(0)
  if (v <= 0) return(sign(num) * Inf)
  num / sqrt(v)
}

# Miettinen-Nurminen (1985) score interval for p1 - p2: the set of delta whose score statistic
# satisfies z(delta)^2 <= chi^2_1(conf). z decreases in delta, so each limit is the single root
# on its side of the estimate; a limit at an estimate of +-1 is the bound itself.
ci_miettinen_nurminen <- function(x1, n1, x2, n2, conf = 0.95) {
  if (.qc_empty(n1, n2, x1, x2)) return(c(NA_real_, NA_real_))
  crit <- qnorm(1 - (1 - conf) / 2)
  d <- x1 / n1 - x2 / n2
  # At delta = +-1 the restricted variance is 0 and z is infinite; a finite stand-in keeps
  # uniroot's interpolation quiet without moving the root.
  z <- function(delta) max(-1e8, min(1e8, .mn_z(x1, n1, x2, n2, delta)))
  f <- function(delta) z(delta) - crit
  g <- function(delta) z(delta) + crit
  lower <- if (d <= -1) -1 else {
    if (f(-1) <= 0) -1 else uniroot(f, c(-1, d), tol = 1e-10)$root
  }
  upper <- if (d >= 1) 1 else {
    if (g(1) >= 0) 1 else uniroot(g, c(d, 1), tol = 1e-10)$root
  }
  c(max(-1, lower), min(1, upper))
}

# Two-sided p-value of the Miettinen-Nurminen score test of H0: p1 = p2, normal reference.
# Under delta = 0 the restricted MLE is the pooled proportion, so z^2 is Pearson's chi-square
# times (N - 1)/N. Equal proportions at 0 or 1 in both groups (0/n1 vs 0/n2) give z = 0/0; the
# observed difference then equals the null exactly, and the p-value is 1.
p_miettinen_nurminen <- function(x1, n1, x2, n2) {
  if (.qc_empty(n1, n2, x1, x2)) return(NA_real_)
  z <- .mn_z(x1, n1, x2, n2, 0)
  2 * pnorm(-abs(z))
}

# Clopper CJ, Pearson ES (1934) Biometrika 26:404-413: the exact interval, as R's binom.test
# computes it. An empty group is not estimable.
ci_clopper_pearson <- function(x, n, conf = 0.95) {
  if (.qc_empty(n, 1, x, 0)) return(c(NA_real_, NA_real_))
  as.numeric(binom.test(x, n, conf.level = conf)$conf.int)
}

# One-sided Boschloo p-value: Boschloo RD (1970) Raised conditional level of significance for the
# 2 x 2-table when testing the equality of two probabilities. Statistica Neerlandica 24:1-9.
# The statistic of a table (a, b) is its one-sided Fisher p-value; the p-value is the largest,
# over the common success probability pi in [0, 1], of the probability of the tables whose
# statistic is at most the observed one. "greater" is H1: p1 > p2.
.boschloo_one_sided <- function(x1, n1, x2, n2, alternative = c("greater", "less"),
                                grid_points = 2001L) {
  alternative <- match.arg(alternative)
  a <- 0:n1
  b <- 0:n2
  s <- outer(a, b, "+")
  aa <- matrix(a, n1 + 1, n2 + 1)
  # Given s successes in all, the count in group 1 is hypergeometric(n1, n2, s).
  fisher <- if (alternative == "greater") {
    phyper(aa - 1, n1, n2, s, lower.tail = FALSE)
  } else {
    phyper(aa, n1, n2, s)
  }
  observed <- fisher[x1 + 1, x2 + 1]
  # Relative tolerance so that tables tied with the observed one (equal Fisher p-values up to
  # rounding) count as at least as extreme, as R's fisher.test does.
  region <- (fisher <= observed * (1 + 1e-7)) * 1
  size_at <- function(p) {
    sum(dbinom(a, n1, p) * (region %*% dbinom(b, n2, p)))
  }
  grid <- seq(0, 1, length.out = grid_points)
  d1 <- matrix(dbinom(rep(a, each = grid_points), n1, rep(grid, n1 + 1)), grid_points)
  d2 <- matrix(dbinom(rep(b, each = grid_points), n2, rep(grid, n2 + 1)), grid_points)
  sizes <- rowSums(d1 * (d2 %*% t(region)))
  best <- max(sizes)
  # Refine around the best grid points (local maxima): the size is smooth in pi but may have
  # several peaks, so each of the highest few local maxima is polished by optimize().
  interior <- which(diff(sign(diff(sizes))) < 0) + 1L
  candidates <- head(interior[order(sizes[interior], decreasing = TRUE)], 5L)
  for (i in candidates) {
    opt <- optimize(size_at, c(grid[i - 1L], grid[i + 1L]), maximum = TRUE, tol = 1e-12)
    best <- max(best, opt$objective)
  }
  min(1, best)
}

# Two-sided Boschloo p-value with the convention documented for scipy.stats.boschloo_exact
# (alternative = "two-sided"): twice the smaller of the two one-sided p-values, clipped to 1.
p_boschloo <- function(x1, n1, x2, n2) {
  if (.qc_empty(n1, n2, x1, x2)) return(NA_real_)
  min(1, 2 * min(.boschloo_one_sided(x1, n1, x2, n2, "greater"),
                 .boschloo_one_sided(x1, n1, x2, n2, "less")))
}

# ---- Firth's penalised logistic regression ---------------------------------------------------
# Firth D (1993) Bias reduction of maximum likelihood estimates. Biometrika 80:27-38.
# Heinze G, Schemper M (2002) A solution to the problem of separation in logistic regression.
# Statistics in Medicine 21:2409-2419.
# Penalised log-likelihood l*(b) = l(b) + 1/2 log det I(b), I(b) = X'WX on the full design, also
# when a coefficient is held fixed (profile limits, likelihood-ratio tests), as logistf does.
# Rows with the same covariates are collapsed into (m events-of-trials) binomial patterns: the
# likelihood, the information and the modified score are sums over rows, so they are unchanged,
# and n = 100,000 rows with a few binary covariates cost as much as a handful of patterns.

.log1pexp <- function(eta) pmax(eta, 0) + log1p(exp(-abs(eta)))

# eta, p, the weights, the information X'WX and l* at beta: computed once per point, shared by the
# line search and the next Newton step.
.firth_state <- function(beta, X, s, m) {
  eta <- drop(X %*% beta)
  p <- plogis(eta)
  w <- m * p * (1 - p)
  info <- crossprod(X, w * X)
  ld <- determinant(info, logarithm = TRUE)
  loglik <- if (ld$sign <= 0) -Inf else sum(s * eta - m * .log1pexp(eta)) + 0.5 * as.numeric(ld$modulus)
  list(p = p, w = w, info = info, loglik = loglik)
}

.firth_penalised_loglik <- function(beta, X, s, m) .firth_state(beta, X, s, m)$loglik

# Maximise l* over the coefficients not in `fixed` (their values stay as in `beta`), by
# Newton-Raphson on Firth's modified score U*(b) = X'(s - m p + h (1/2 - p)), h the diagonal of the
# hat matrix W^1/2 X (X'WX)^-1 X' W^1/2, with the information as Jacobian, a step capped at 5 and
# step-halving while l* decreases (Heinze & Schemper 2002, section 2). `targets`, converged fits
# from other starts: once an iterate is within 1e-7 of one, Newton would only converge to it, so
# the fit stops there and returns it.
.firth_fit <- function(X, s, m, beta, fixed = rep(FALSE, ncol(X)), maxit = 200L, tol = 1e-10,
                       targets = list()) {
  free <- !fixed
  state <- .firth_state(beta, X, s, m)
  loglik <- state$loglik
  converged <- FALSE
  for (iter in seq_len(maxit)) {
    p <- state$p
    w <- state$w
    info <- state$info
    inv <- tryCatch(chol2inv(chol(info)), error = function(e) NULL)
    if (is.null(inv)) break
    h <- w * rowSums((X %*% inv) * X)
    score <- drop(crossprod(X, s - m * p + h * (0.5 - p)))
    if (!any(free)) { converged <- TRUE; break }
    step <- tryCatch(solve(info[free, free, drop = FALSE], score[free]), error = function(e) NULL)
    if (is.null(step)) break
    biggest <- max(abs(step))
    if (biggest > 5) step <- step * 5 / biggest
    if (max(abs(score[free])) < tol && biggest < tol) { converged <- TRUE; break }
    candidate <- beta
    for (halving in 0:30) {
      candidate[free] <- beta[free] + step
      new_state <- .firth_state(candidate, X, s, m)
      new_loglik <- new_state$loglik
      if (is.finite(new_loglik) && new_loglik >= loglik - 1e-12) break
      step <- step / 2
    }
    if (!is.finite(new_loglik)) break
    beta <- candidate
    loglik <- new_loglik
    state <- new_state
    if (max(abs(step)) < tol) { converged <- TRUE; break }
    for (target in targets) if (max(abs(beta - target$beta)) < 1e-7) return(target)
  }
  list(beta = beta, loglik = loglik, converged = converged)
}

# Maximise l* over the coefficients not in `fixed` with optim's BFGS and the analytic modified
# score as gradient (U* is the gradient of l*); a start for .firth_fit, which finishes the job.
.firth_bfgs <- function(X, s, m, beta, fixed) {
  free <- !fixed
  objective <- function(b_free) {
    b <- beta
    b[free] <- b_free
    value <- .firth_penalised_loglik(b, X, s, m)
    if (is.finite(value)) -value else 1e300
  }
  gradient <- function(b_free) {
    b <- beta
    b[free] <- b_free
    p <- plogis(drop(X %*% b))
    w <- m * p * (1 - p)
    inv <- tryCatch(chol2inv(chol(crossprod(X, w * X))), error = function(e) NULL)
    if (is.null(inv)) return(rep(0, sum(free)))
    h <- w * rowSums((X %*% inv) * X)
    -drop(crossprod(X[, free, drop = FALSE], s - m * p + h * (0.5 - p)))
  }
  b <- beta
  b[free] <- optim(beta[free], objective, gradient, method = "BFGS",
                   control = list(maxit = 500L, reltol = 1e-12))$par
  b
}

firth_logit <- function(y, X, conf = 0.95) {
  X <- as.matrix(X)
  storage.mode(X) <- "double"
  names_ <- colnames(X)
  if (is.null(names_)) names_ <- paste0("x", seq_len(ncol(X)))
  na_vec <- setNames(rep(NA_real_, ncol(X)), names_)
  not_estimable <- list(coef = na_vec, ci_lower = na_vec, ci_upper = na_vec,
                        p_value = na_vec, converged = FALSE)
  if (nrow(X) != length(y)) {
    stop(sprintf("qc/methods.R firth_logit: y has %d values but X has %d rows", length(y), nrow(X)))
  }
  if (any(!is.na(y) & !(y %in% c(0, 1)))) stop("qc/methods.R firth_logit: y must be 0/1")
  if (length(y) == 0L || anyNA(y) || anyNA(X)) return(not_estimable)
  # Collapse identical covariate rows into binomial patterns: s events out of m rows.
  key <- do.call(paste, c(lapply(seq_len(ncol(X)), function(j) X[, j]), sep = "\r"))
  pattern <- match(key, key)
  first <- which(!duplicated(pattern))
  index <- match(pattern, pattern[first])
  Xg <- X[first, , drop = FALSE]
  m <- tabulate(index, nbins = length(first))
  s <- as.numeric(rowsum(as.numeric(y), index, reorder = TRUE))
  colnames(Xg) <- names_

  fit <- .firth_fit(Xg, s, m, rep(0, ncol(X)))
  if (!fit$converged) return(not_estimable)
  beta <- fit$beta
  crit <- qchisq(conf, 1)
  # max l*(b | b_j = t). On sparse data this profile is multimodal in the other coefficients: for
  # a fixed b_j, l* can have several local maxima, and a Newton fit started from b^ (b_j moved to
  # t) may stop at a worse one, which overstates the deviance and pulls the limit towards b^. So
  # each constrained fit is started from several points and the largest l* is kept: the local
  # maxima found at the previous t for the same j (the best first, up to 8: each branch of the
  # profile is followed as t moves); b^ with b_j = t; zeros for the other coefficients; each of
  # these maxima and b^ scaled by t / b_j; and, when these Newton fits do not all reach the same
  # l*, BFGS (optim) from each start, polished by Newton, which can leave the basin a Newton step
  # falls into.
  modes <- vector("list", ncol(X))
  profile_at <- function(j, t) {
    fixed <- seq_len(ncol(X)) == j
    anchors <- c(modes[[j]], list(beta))
    # A mode can run off along a ray, all its coefficients growing in proportion to b_j (towards
    # a direction that separates the events): the same point scaled by t / b_j starts on it.
    scaled <- lapply(anchors, function(b) if (is.finite(t / b[j]) && t / b[j] > 0) b * (t / b[j]))
    starts <- c(anchors, list(numeric(ncol(X))), scaled[!vapply(scaled, is.null, logical(1))])
    starts <- lapply(starts, function(b) { b[j] <- t; b })
    best <- NULL
    keep <- function(candidate) {
      if (is.finite(candidate$loglik) && (is.null(best) || candidate$loglik > best$loglik)) {
        best <<- candidate
      }
    }
    fits <- vector("list", length(starts))
    for (i in seq_along(starts)) {
      done <- Filter(function(f) f$converged, fits[seq_len(i - 1L)])
      fits[[i]] <- .firth_fit(Xg, s, m, starts[[i]], fixed, targets = done)
    }
    for (f in fits) keep(f)
    # BFGS only where Newton left a doubt: a start that did not converge, or starts that ended at
    # different maxima (on large samples l* is close to concave and the starts agree; a start
    # stops as soon as it reaches a maximum another start found).
    logliks <- vapply(fits, function(f) f$loglik, numeric(1))
    agree <- all(vapply(fits, function(f) f$converged, logical(1))) &&
      all(is.finite(logliks)) && diff(range(logliks)) <= 1e-9 * max(1, abs(logliks))
    if (!agree) for (b in starts) {
      b_free <- tryCatch(.firth_bfgs(Xg, s, m, b, fixed), error = function(e) NULL)
      if (!is.null(b_free)) {
        polished <- .firth_fit(Xg, s, m, b_free, fixed)
        fits <- c(fits, list(polished))
        keep(polished)
      }
    }
    if (is.null(best)) return(-Inf)
    # the distinct local maxima at this t, the best first, are the starts at the next t
    found <- list(best$beta)
    for (f in fits) if (f$converged && is.finite(f$loglik) &&
                        !any(vapply(found, function(b) all(abs(b - f$beta) < 1e-6), logical(1)))) {
      found <- c(found, list(f$beta))
    }
    modes[[j]] <<- head(found, 8L)
    best$loglik
  }
  # Deviance of the profile from the maximum: 2 [l*(b^) - max l*(b | b_j = t)].
  deviance_at <- function(j, t) 2 * (fit$loglik - profile_at(j, t))
  p <- plogis(drop(Xg %*% beta))
  se <- sqrt(diag(chol2inv(chol(crossprod(Xg, m * p * (1 - p) * Xg)))))
  limit <- function(j, direction) {
    step <- max(se[j], 0.5)
    inner <- beta[j]
    d_inner <- 0
    outer <- beta[j] + direction * step
    d_outer <- NULL
    for (k in 1:60) {
      d_outer <- deviance_at(j, outer)
      if (d_outer > crit) break
      inner <- outer
      d_inner <- d_outer
      step <- step * 2
      outer <- beta[j] + direction * step
      d_outer <- NULL
    }
    if (is.null(d_outer)) d_outer <- deviance_at(j, outer)
    if (d_outer <= crit) return(direction * Inf)
    # the deviances at the ends are known: uniroot need not profile there again
    ends <- if (direction > 0) c(inner, outer) else c(outer, inner)
    f_ends <- (if (direction > 0) c(d_inner, d_outer) else c(d_outer, d_inner)) - crit
    uniroot(function(t) deviance_at(j, t) - crit, ends, f.lower = f_ends[1], f.upper = f_ends[2],
            tol = 1e-10)$root
  }
  lower <- upper <- pval <- na_vec
  for (j in seq_len(ncol(X))) {
    lower[j] <- limit(j, -1)
    upper[j] <- limit(j, 1)
    pval[j] <- pchisq(max(0, deviance_at(j, 0)), 1, lower.tail = FALSE)
  }
  list(coef = setNames(beta, names_), ci_lower = lower, ci_upper = upper, p_value = pval,
       converged = TRUE)
}

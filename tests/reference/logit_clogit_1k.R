# Reference values for ovcfstats' conditional logistic regression on 1:k matched sets.
# Run: Rscript tests/reference/logit_clogit_1k.R  (from the repository root)
# R 4.2.2, survival 3.5-3, MASS 7.3-58.
# (The 1:2 design is R's infert: logit_clogit.csv, written by logit_infert.R.)
# Builds 1:4 matched sets from MASS::birthwt (Hosmer & Lemeshow's low birth weight data: 59 low
# birth weight "cases", 130 controls): 32 cases at evenly spaced ranks of maternal age, each with
# 4 controls of the next age block (controls sorted by age, the 2 oldest left out), and a mixed
# design keeping 1, 2, 3 or 4 of each set's controls (set number modulo 4), for 1:1 to 1:4 sets.
# Writes:
#   logit_birthwt_sets.csv  the sets: id, case, set, lwt, smoke, ptl, ht, ui, keep_mixed (1 = in
#                           the mixed design)
#   logit_clogit_1k.csv     clogit(case ~ ... + strata(set)) coef, SE, z, Wald p, Wald CI and the
#                           exact profile CI (uniroot on the constrained log-likelihood, tol
#                           1e-12), for the joint model case ~ lwt + smoke + ptl + ht + ui and
#                           the model case ~ lwt, on the 1:4 sets ("k4_joint", "k4_lwt") and
#                           the mixed sets ("mixed_joint", "mixed_lwt"), and the joint model on
#                           1:1 pairs (each case with its set's first control, "k1_joint")
suppressMessages(library(survival))
out <- "tests/reference"
bw <- MASS::birthwt
bw$id <- seq_len(nrow(bw))
cases <- bw[bw$low == 1, ]; cases <- cases[order(cases$age, cases$id), ]
ctrls <- bw[bw$low == 0, ]; ctrls <- ctrls[order(ctrls$age, ctrls$id), ][1:128, ]
cases <- cases[round(seq(1, nrow(cases), length.out = 32)), ]
cases$set <- 1:32; ctrls$set <- rep(1:32, each = 4)
ctrls$rank <- rep(1:4, 32); cases$rank <- 0
sets <- rbind(cases, ctrls)
sets$case <- sets$low
sets$keep_mixed <- as.integer(sets$rank <= (sets$set %% 4) + 1)
sets <- sets[order(sets$set, -sets$case, sets$rank), c("id", "case", "set", "lwt", "smoke", "ptl",
                                                       "ht", "ui", "keep_mixed")]
write.csv(sets, file.path(out, "logit_birthwt_sets.csv"), row.names = FALSE)
q <- qchisq(0.95, 1)

clogit_rows <- function(name, dat, terms) {
  ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-14)
  f <- as.formula(paste("case ~", paste(terms, collapse = " + "), "+ strata(set)"))
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
                                     "+ offset(.off) + strata(set)")),
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

joint <- c("lwt", "smoke", "ptl", "ht", "ui")
mixed <- sets[sets$keep_mixed == 1, ]
pairs <- sets[sets$case == 1 | !duplicated(paste(sets$set, sets$case)), ]
res <- rbind(clogit_rows("k4_joint", sets, joint), clogit_rows("k4_lwt", sets, "lwt"),
             clogit_rows("k1_joint", pairs, joint),
             clogit_rows("mixed_joint", mixed, joint), clogit_rows("mixed_lwt", mixed, "lwt"))
write.csv(format(res, digits = 15), file.path(out, "logit_clogit_1k.csv"), row.names = FALSE,
          quote = FALSE)
print(table(table(mixed$set))); print(table(table(pairs$set)))
print(res[, c("model", "term", "estimate", "se", "p", "profile_low", "profile_high", "n")])

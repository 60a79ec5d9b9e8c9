# Conditional logistic ORs on 1:2 and 1:4 matched sets (survival::clogit, exact = Breslow ties
# irrelevant: one case per set). Writes tests/reference/clogit_1to_k.csv.
# The data: python tests/reference/make_matched_sets.py. Run: Rscript tests/reference/clogit_1to_k.R
library(survival)
out <- NULL
for (design in c("1to2", "1to4")) {
  d <- read.csv(sprintf("tests/reference/matched_%s.csv", design))
  for (ind in c("hu", "tbs")) {
    f <- as.formula(sprintf("case ~ %s + bmi + strata(set_id)", ind))
    m <- clogit(f, data = d, method = "exact")
    s <- summary(m)$coefficients
    ci <- confint(m)
    out <- rbind(out, data.frame(
      design = design, indicator = ind, coef = s[ind, "coef"], se = s[ind, "se(coef)"],
      or = exp(s[ind, "coef"]), ci_low = exp(ci[ind, 1]), ci_high = exp(ci[ind, 2]),
      p = s[ind, "Pr(>|z|)"], n = m$n, events = m$nevent
    ))
  }
}
write.csv(out, "tests/reference/clogit_1to_k.csv", row.names = FALSE)

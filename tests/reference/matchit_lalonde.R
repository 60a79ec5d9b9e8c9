# Reference balance numbers for ovcfstats' matching tests.
# Run: Rscript tests/reference/matchit_lalonde.R  (from the repository root)
# R 4.2.2, MatchIt 4.5.1 (Debian r-cran-matchit), 2026-11-24.
# Writes lalonde.csv (MatchIt's lalonde data) and matchit_lalonde_smd.csv: before-matching
# standardised mean differences as summary(matchit(...))$sum.all reports them (treated-SD
# convention), plus the tableone pooled-SD convention computed by its formula.
library(MatchIt)
data(lalonde)
out <- "tests/reference"
write.csv(lalonde, file.path(out, "lalonde.csv"), row.names = FALSE)
m <- matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = lalonde,
             method = "nearest", distance = "glm")
s <- summary(m)$sum.all
vars <- c("age", "educ", "married", "nodegree", "re74", "re75")
t <- lalonde[lalonde$treat == 1, ]; c <- lalonde[lalonde$treat == 0, ]
pooled <- sapply(vars, function(v) {
  x1 <- t[[v]]; x0 <- c[[v]]
  bin <- all(lalonde[[v]] %in% c(0, 1))
  if (bin) { p1 <- mean(x1); p0 <- mean(x0); (p1 - p0) / sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2) }
  else (mean(x1) - mean(x0)) / sqrt((var(x1) + var(x0)) / 2)
})
res <- data.frame(covariate = vars, mean_treated = s[vars, "Means Treated"],
                  mean_control = s[vars, "Means Control"], smd_treated_sd = s[vars, "Std. Mean Diff."],
                  smd_pooled_sd = pooled)
write.csv(format(res, digits = 15), file.path(out, "matchit_lalonde_smd.csv"), row.names = FALSE, quote = FALSE)

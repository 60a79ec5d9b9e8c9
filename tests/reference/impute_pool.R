# Pooled glm and clogit fits over the completed tables of impute_completed.csv (mice::pool).
# Run from the repository root after tests/reference/impute_make.py:
#   Rscript tests/reference/impute_pool.R
# Writes impute_pool.csv: one row per model and term with mice's pooled estimate, ubar, b, t,
# dfcom, df, riv, lambda, fmi, std.error, statistic and p.value.
suppressMessages({library(mice); library(survival)})
long <- read.csv("tests/reference/impute_completed.csv")
long$sex <- factor(long$sex, levels = c("F", "M"))
tables <- split(long, long$imp)
tight <- glm.control(epsilon = 1e-14, maxit = 100)  # converged fully: SEs to 1e-8
pooled <- function(fits, name) {
  p <- pool(as.mira(fits))
  s <- summary(p)
  out <- data.frame(model = name, term = as.character(p$pooled$term), p$pooled[, -1],
                    std.error = s$std.error, statistic = s$statistic, p.value = s$p.value)
  out
}
glms <- lapply(tables, function(d) glm(case ~ hu + age + sex + bmi, binomial, data = d, control = tight))
clogits <- lapply(tables, function(d) clogit(case ~ hu + bmi + strata(pair_id), data = d, control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)))
crude <- lapply(tables, function(d) glm(case ~ bmi, binomial, data = d, control = tight))
res <- rbind(pooled(glms, "glm"), pooled(clogits, "clogit"), pooled(crude, "crude"))
write.csv(res, "tests/reference/impute_pool.csv", row.names = FALSE)
cat(format(Sys.time()), "mice", as.character(packageVersion("mice")), "\n")

# The D2 rule for m chi-square statistics on k df (mitml's, which mice::D2 calls).
suppressMessages(library(mitml))
sets <- list(c(3.1, 6.0, 4.4, 5.2, 2.9), c(12.5, 10.1, 15.3), c(2.2, 2.5, 1.9, 2.8))
ks <- c(1, 2, 3)
d2 <- do.call(rbind, lapply(seq_along(sets), function(i) {
  r <- mitml:::.D2(sets[[i]], ks[i])
  data.frame(case = i, k = ks[i], chisq = paste(sets[[i]], collapse = ";"), F = r$F, v = r$v,
             p = pf(r$F, r$k, r$v, lower.tail = FALSE))
}))
write.csv(d2, "tests/reference/impute_d2.csv", row.names = FALSE)

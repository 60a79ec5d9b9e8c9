# Reference values for ovcfstats.design.power (power and sample size for AUCs).
# Run from the repository root: Rscript tests/reference/power_proc.R
# R 4.2.2, pROC 1.18.0 (Debian r-cran-proc). Writes power_proc.csv.
suppressMessages(library(pROC))
rows <- list()
add <- function(case, key, value) rows[[length(rows) + 1]] <<- data.frame(case = case, key = key, value = sprintf("%.17g", value))
i <- 0
# One ROC curve against 0.5 (Obuchowski's variance): solve power, n and detectable AUC.
for (alt in c("two.sided", "one.sided")) {
  for (a in c(0.6, 0.7, 0.85)) for (k in c(1, 2.5)) {
    i <- i + 1; case <- paste0("one_", i)
    p <- power.roc.test(auc = a, ncases = 30, ncontrols = 30 * k, alternative = alt)
    add(case, "auc", a); add(case, "n_cases", 30); add(case, "kappa", k); add(case, "alternative", alt == "two.sided")
    add(case, "power", p$power)
    s <- power.roc.test(auc = a, power = 0.9, kappa = k, alternative = alt)
    add(case, "n_cases_for_0.9", s$ncases)
    d <- power.roc.test(ncases = 40, ncontrols = 40 * k, power = 0.8, alternative = alt)
    add(case, "auc_detectable_n40_p0.8", d$auc)
    # power.roc.test solves the AUC with uniroot's default tolerance (~1.2e-4); the same
    # objective function of pROC solved to 1e-13:
    za <- qnorm(1 - if (alt == "two.sided") 0.025 else 0.05)
    tight <- uniroot(pROC:::power.roc.test.optimize.auc.function, interval = c(0.5, 1 - 1e-16),
                     ncontrols = 40 * k, ncases = 40, zalpha = za, zbeta = qnorm(0.8), tol = 1e-13)
    add(case, "auc_detectable_tight", tight$root)
  }
}
# Two correlated ROC curves, binormal parameters (Obuchowski & McClish 1997 as coded in pROC).
pars <- list(c(A1 = 1.5, B1 = 1, A2 = 1.0, B2 = 1, rn = 0.4, ra = 0.5),
             c(A1 = 1.2, B1 = 0.8, A2 = 0.9, B2 = 1.1, rn = 0.3, ra = 0.6),
             c(A1 = 0.9, B1 = 1.1, A2 = 1.2, B2 = 0.8, rn = 0.3, ra = 0.6))
for (j in seq_along(pars)) {
  q <- as.list(pars[[j]])
  q$delta <- pnorm(q$A1 / sqrt(1 + q$B1^2)) - pnorm(q$A2 / sqrt(1 + q$B2^2))
  for (k in c(1, 2)) {
    case <- paste0("two_", j, "_k", k)
    for (nm in names(q)) add(case, nm, q[[nm]])
    add(case, "kappa", k)
    add(case, "n_cases_for_0.8", power.roc.test(q, power = 0.8, kappa = k)$ncases)
    add(case, "power_n100", power.roc.test(q, ncases = 100, ncontrols = 100 * k)$power)
  }
}
write.csv(do.call(rbind, rows), "tests/reference/power_proc.csv", row.names = FALSE)

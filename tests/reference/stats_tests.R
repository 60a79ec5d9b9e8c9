# Reference values for ovcfstats' Table 1 tests (groups.py) and Spearman correlations
# (correlation.py), from base R's stats package on R's own data sets and survival::pbc.
# Run from the repository root: Rscript tests/reference/stats_tests.R
# R 4.2.2 (Debian r-base-core), survival 3.x (Debian r-cran-survival).
#
# Writes (all inputs and outputs, so the Python tests never need R):
#   stats_sleep.csv          R's `sleep` (extra, group, ID)
#   stats_tables.csv         the 2x2 tables tested (row-major a, b / c, d)
#   stats_mtcars.csv         mtcars columns used for Spearman (mpg, wt, hp, qsec, am)
#   stats_results.csv        one row per test: statistic, df, p, estimate, conf_low, conf_high
#   stats_spearman_matrix.csv  pairwise Spearman among mpg, wt, hp, qsec with Holm-adjusted p
#   pbc.csv                  survival::pbc, all 418 rows (tableone's Table 1 uses the 312 with trt)
#
# Conventions chosen to match scipy / statsmodels (and SPSS):
#   t tests: t.test (paired; Welch; var.equal = TRUE as tableone's oneway.test).
#   Wilcoxon: exact = FALSE, correct = TRUE (normal approximation with continuity correction and
#     tie-corrected variance; zero differences dropped) = scipy.stats.wilcoxon(method="approx",
#     correction=True, zero_method="wilcox") and scipy.stats.mannwhitneyu(method="asymptotic",
#     use_continuity=True).
#   Pearson chi-square: correct = FALSE.  McNemar: R's default correct = TRUE.
#   Spearman: cor.test(method = "spearman", exact = FALSE), the t approximation (as SPSS).
suppressMessages(library(survival))
out <- "tests/reference"
rows <- list()
add <- function(name, h) {
  est <- if (is.null(h$estimate)) NA else unname(h$estimate)[1]
  if (length(h$estimate) == 2) est <- unname(h$estimate[1] - h$estimate[2])
  ci <- if (is.null(h$conf.int)) c(NA, NA) else as.numeric(h$conf.int)
  rows[[length(rows) + 1]] <<- data.frame(
    name = name,
    statistic = if (is.null(h$statistic)) NA else sprintf("%.17g", unname(h$statistic)),
    df = if (is.null(h$parameter)) NA else sprintf("%.17g", unname(h$parameter)[1]),
    p = sprintf("%.17g", h$p.value),
    estimate = sprintf("%.17g", est),
    conf_low = sprintf("%.17g", ci[1]), conf_high = sprintf("%.17g", ci[2]),
    method = h$method
  )
}

# -- sleep: group 1 plays the cases, ID pairs the two drugs --------------------------------
write.csv(sleep, file.path(out, "stats_sleep.csv"), row.names = FALSE)
x <- sleep$extra[sleep$group == 1]
y <- sleep$extra[sleep$group == 2]
add("sleep_paired_t", t.test(x, y, paired = TRUE))          # t = -4.0621, df 9, p 0.002833
add("sleep_welch", t.test(x, y))
add("sleep_student", t.test(x, y, var.equal = TRUE))
add("sleep_wilcoxon_paired", suppressWarnings(wilcox.test(x, y, paired = TRUE, exact = FALSE,
                                                          correct = TRUE)))
add("sleep_mann_whitney", suppressWarnings(wilcox.test(x, y, exact = FALSE, correct = TRUE)))

# -- 2x2 tables ------------------------------------------------------------------------------
# McNemar: R's ?mcnemar.test example (presidential approval, 1600 people surveyed twice),
# matrix(c(794, 86, 150, 570), nrow = 2) = rows (794, 150; 86, 570): chi2 = 16.8178.
# Paper's comorbidities (cases first row, yes/no): hypertension 42/78 vs 35/78 etc.
tables <- list(
  mcnemar_approval = matrix(c(794, 86, 150, 570), nrow = 2),
  paper_hypertension = matrix(c(42, 36, 35, 43), nrow = 2, byrow = TRUE),
  paper_diabetes = matrix(c(46, 32, 37, 41), nrow = 2, byrow = TRUE),
  paper_hyperlipidemia = matrix(c(31, 47, 38, 40), nrow = 2, byrow = TRUE),
  tea_tasting = matrix(c(3, 1, 1, 3), nrow = 2)
)
tab_rows <- lapply(names(tables), function(n) {
  m <- tables[[n]]
  data.frame(name = n, a = m[1, 1], b = m[1, 2], c = m[2, 1], d = m[2, 2])
})
write.csv(do.call(rbind, tab_rows), file.path(out, "stats_tables.csv"), row.names = FALSE)
add("mcnemar_approval", mcnemar.test(tables$mcnemar_approval))      # correct = TRUE
add("mcnemar_approval_uncorrected", mcnemar.test(tables$mcnemar_approval, correct = FALSE))
for (n in c("paper_hypertension", "paper_diabetes", "paper_hyperlipidemia")) {
  add(paste0("chi2_", n), chisq.test(tables[[n]], correct = FALSE))
  add(paste0("fisher_", n), fisher.test(tables[[n]]))
}
add("fisher_tea_tasting", fisher.test(tables$tea_tasting))

# -- Spearman on mtcars (ties in mpg, wt, hp, qsec) --------------------------------------------
mt <- mtcars[, c("mpg", "wt", "hp", "qsec", "am")]
write.csv(mt, file.path(out, "stats_mtcars.csv"), row.names = FALSE)
sp <- function(a, b) suppressWarnings(cor.test(a, b, method = "spearman", exact = FALSE))
add("spearman_mpg_wt", sp(mt$mpg, mt$wt))
add("spearman_mpg_am", sp(mt$mpg, mt$am))
add("spearman_hp_am", sp(mt$hp, mt$am))
add("spearman_hand", sp(1:6, c(2, 1, 4, 3, 6, 5)))  # by hand: 1 - 6*6/(6*35) = 0.828571...
vars <- c("mpg", "wt", "hp", "qsec")
mat <- list()
for (i in 1:3) for (j in (i + 1):4) {
  h <- sp(mt[[vars[i]]], mt[[vars[j]]])
  mat[[length(mat) + 1]] <- data.frame(indicator_1 = vars[i], indicator_2 = vars[j],
                                       rho = unname(h$estimate), p = h$p.value)
}
mat <- do.call(rbind, mat)
mat$p_holm <- p.adjust(mat$p, "holm")
mat$p_fdr_bh <- p.adjust(mat$p, "BH")
for (col in c("rho", "p", "p_holm", "p_fdr_bh")) mat[[col]] <- sprintf("%.17g", mat[[col]])
write.csv(mat, file.path(out, "stats_spearman_matrix.csv"), row.names = FALSE)

# -- survival::pbc, tableone's Table 1 by trt (312 randomised; trt 1 = "cases") ---------------
data(pbc, package = "survival")
write.csv(pbc, file.path(out, "pbc.csv"), row.names = FALSE, na = "")
r <- pbc[!is.na(pbc$trt), ]
a1 <- r$age[r$trt == 1]; a2 <- r$age[r$trt == 2]
add("pbc_age_student", t.test(a1, a2, var.equal = TRUE))  # tableone: 51.42 (11.01) vs 48.58 (9.96), p 0.018
add("pbc_age_welch", t.test(a1, a2))
add("pbc_chol_welch", t.test(r$chol[r$trt == 1], r$chol[r$trt == 2]))  # 28 + 0 missing chol
add("pbc_sex_chi2", chisq.test(table(r$trt, r$sex), correct = FALSE))
add("pbc_edema_chi2", suppressWarnings(chisq.test(table(r$trt, r$edema))))  # 2x3: tableone 0.877
desc <- data.frame(
  name = c("pbc_age_mean_1", "pbc_age_sd_1", "pbc_age_mean_0", "pbc_age_sd_0", "pbc_n_1", "pbc_n_0"),
  statistic = sprintf("%.17g", c(mean(a1), sd(a1), mean(a2), sd(a2), length(a1), length(a2))),
  df = NA, p = NA, estimate = NA, conf_low = NA, conf_high = NA, method = "descriptive")
write.csv(rbind(do.call(rbind, rows), desc), file.path(out, "stats_results.csv"), row.names = FALSE)
cat(R.version.string, "survival", as.character(packageVersion("survival")), "\n")

# Reference values for the R-default options of ovcfstats' Table 1 (groups.py) and Spearman
# p-values (correlation.py): Yates-corrected chi-square, exact Wilcoxon / Mann-Whitney, Fisher's
# conditional-MLE odds ratio with its CI, and cor.test's exact Spearman p (AS 89).
# Run from the repository root: Rscript tests/reference/stats_options.R
# R 4.2.2 (Debian r-base-core), base stats only.
#
# Writes (inputs and outputs, so the Python tests never need R):
#   stats_options_data.csv     set, x, y: the samples tested (for Mann-Whitney sets, y is the
#                              group: 1 = case, 0 = control; for paired sets x = case, y = control)
#   stats_options_results.csv  one row per test: set, test, statistic, p, estimate, conf_low,
#                              conf_high, method (R's own label, which says exact or not)
# The 2x2 tables are those of stats_tables.csv (written by stats_tests.R) plus the zero-cell
# tables listed below.
out <- "tests/reference"
f <- function(v) if (is.null(v) || length(v) == 0) NA else sprintf("%.17g", unname(v)[1])
rows <- list()
add <- function(set, test, h) {
  ci <- if (is.null(h$conf.int)) c(NA, NA) else as.numeric(h$conf.int)
  rows[[length(rows) + 1]] <<- data.frame(
    set = set, test = test, statistic = f(h$statistic), p = f(h$p.value),
    estimate = f(h$estimate), conf_low = f(ci[1]), conf_high = f(ci[2]), method = h$method)
}
data <- list()
keep <- function(set, x, y) data[[length(data) + 1]] <<- data.frame(set = set, x = x, y = y)

# -- 2x2 tables: Yates chi-square (chisq.test default) and Fisher's conditional MLE OR ----------
tabs <- read.csv(file.path(out, "stats_tables.csv"))
extra <- data.frame(name = c("zero_cell", "zero_cell_b", "small_yates"),
                    a = c(5, 0, 2), b = c(0, 6, 3), c = c(2, 4, 4), d = c(6, 3, 1))
tabs <- rbind(tabs, extra)
for (i in seq_len(nrow(tabs))) {
  m <- matrix(unlist(tabs[i, c("a", "b", "c", "d")]), nrow = 2, byrow = TRUE)
  add(tabs$name[i], "chi2_yates", suppressWarnings(chisq.test(m)))          # correct = TRUE
  add(tabs$name[i], "chi2", suppressWarnings(chisq.test(m, correct = FALSE)))
  add(tabs$name[i], "fisher", fisher.test(m))                           # conditional MLE OR
  add(tabs$name[i], "fisher_90", fisher.test(m, conf.level = 0.90))
}
write.csv(extra, file.path(out, "stats_options_tables.csv"), row.names = FALSE)

# -- Wilcoxon signed-rank: exact = NULL (R's default) ------------------------------------------
# ?wilcox.test's depression data (Hollander & Wolfe): 9 untied, non-zero differences -> exact
x <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)
y <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
keep("depression", x, y)
add("depression", "signed_rank_default", wilcox.test(x, y, paired = TRUE))
add("depression", "signed_rank_normal", wilcox.test(x, y, paired = TRUE, exact = FALSE))
set.seed(20)
for (n in c(49, 50)) {   # R's boundary: exact when fewer than 50 non-zero differences
  x <- round(rnorm(n, 0.3), 6); y <- round(rnorm(n), 6)
  keep(paste0("paired_", n), x, y)
  add(paste0("paired_", n), "signed_rank_default", wilcox.test(x, y, paired = TRUE))
  add(paste0("paired_", n), "signed_rank_exact", wilcox.test(x, y, paired = TRUE, exact = TRUE))
}

# -- Mann-Whitney: exact when both groups < 50 and no ties --------------------------------------
# ?wilcox.test's permeability data: 10 vs 5, untied -> exact
x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
keep("permeability", c(x, y), rep(1:0, c(length(x), length(y))))
add("permeability", "mann_whitney_default", wilcox.test(x, y))
add("permeability", "mann_whitney_normal", wilcox.test(x, y, exact = FALSE))
for (n in c(49, 50)) {
  x <- round(rnorm(n, 0.4), 6); y <- round(rnorm(30), 6)
  keep(paste0("unpaired_", n), c(x, y), rep(1:0, c(n, 30)))
  add(paste0("unpaired_", n), "mann_whitney_default", wilcox.test(x, y))
  add(paste0("unpaired_", n), "mann_whitney_exact", wilcox.test(x, y, exact = TRUE))
}

# -- Spearman: cor.test's exact p (AS 89: enumeration for n <= 9, Edgeworth series above) -------
for (n in c(4, 5, 6, 7, 8, 9, 10, 12, 20, 50, 200, 1289, 1291)) {
  for (s in 1:2) {
    x <- sample(n) + 0.0
    y <- round(x * (if (s == 1) 0.08 else -0.02) * 10 / n + rnorm(n), 8)
    name <- sprintf("spearman_n%d_%d", n, s)
    keep(name, x, y)
    add(name, "spearman_exact", cor.test(x, y, method = "spearman"))
    add(name, "spearman_t", cor.test(x, y, method = "spearman", exact = FALSE))
  }
}
x <- c(1, 2, 3, 4, 5, 6); y <- c(6, 5, 4, 3, 2, 1)     # rho = -1 (S at its maximum)
keep("spearman_reverse", x, y)
add("spearman_reverse", "spearman_exact", cor.test(x, y, method = "spearman"))
x <- c(1, 2, 3, 4, 5, 6, 7); y <- c(2, 1, 4, 3, 6, 5, 7)
keep("spearman_hand7", x, y)
add("spearman_hand7", "spearman_exact", cor.test(x, y, method = "spearman"))
x <- c(1, 2, 2, 4, 5, 6, 7, 8); y <- c(3, 1, 2, 5, 4, 8, 6, 7)  # ties: R falls back to t
keep("spearman_ties", x, y)
add("spearman_ties", "spearman_exact", suppressWarnings(cor.test(x, y, method = "spearman")))

write.csv(do.call(rbind, data), file.path(out, "stats_options_data.csv"), row.names = FALSE)
write.csv(do.call(rbind, rows), file.path(out, "stats_options_results.csv"), row.names = FALSE)
cat(R.version.string, "\n")

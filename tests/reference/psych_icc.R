# Reference values for ovcfstats' ICC tests, from psych::ICC (ANOVA estimates, lmer = FALSE).
# Run from the repository root: Rscript tests/reference/psych_icc.R
# R 4.2.2, psych 2.2.9 (Debian r-cran-psych).
# Writes:
#   psych_icc_sf.csv          Shrout & Fleiss (1979) 6 targets x 4 judges, alpha = 0.05
#   psych_icc_random_data.csv seeded 30 targets x 3 raters (long format: target, rater, rating)
#   psych_icc_random.csv      psych::ICC on those data, alpha = 0.05 and alpha = 0.10
suppressMessages(library(psych))
out <- "tests/reference"
fmt <- function(res, alpha) {
  data.frame(alpha = alpha, type = res$results$type,
             ICC = sprintf("%.17g", res$results$ICC), F = sprintf("%.17g", res$results$F),
             df1 = res$results$df1, df2 = res$results$df2,
             p = sprintf("%.17g", res$results$p),
             lower = sprintf("%.17g", res$results[["lower bound"]]),
             upper = sprintf("%.17g", res$results[["upper bound"]]))
}
sf <- matrix(c(9, 2, 5, 8,
               6, 1, 3, 2,
               8, 4, 6, 8,
               7, 1, 2, 6,
               10, 5, 6, 9,
               6, 2, 4, 7), ncol = 4, byrow = TRUE)
colnames(sf) <- paste0("J", 1:4)
write.csv(fmt(ICC(sf, lmer = FALSE), 0.05), file.path(out, "psych_icc_sf.csv"), row.names = FALSE)

set.seed(20261124)
n <- 30; k <- 3
truth <- rnorm(n, 100, 15)
bias <- c(0, 4, -2)
y <- outer(truth, bias, "+") + matrix(rnorm(n * k, 0, 6), n, k)
y <- round(y, 3)
colnames(y) <- c("A", "B", "C")
long <- data.frame(target = rep(sprintf("T%02d", 1:n), k), rater = rep(colnames(y), each = n),
                   rating = sprintf("%.3f", as.vector(y)))
write.csv(long, file.path(out, "psych_icc_random_data.csv"), row.names = FALSE)
res <- rbind(fmt(ICC(y, lmer = FALSE, alpha = 0.05), 0.05),
             fmt(ICC(y, lmer = FALSE, alpha = 0.10), 0.10))
write.csv(res, file.path(out, "psych_icc_random.csv"), row.names = FALSE)

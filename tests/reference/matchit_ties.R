# Reference pairs of greedy nearest matching with many equal-distance controls.
# Run: Rscript tests/reference/matchit_ties.R  (from the repository root)
# R 4.2.2, MatchIt 4.5.1. Writes matchit_ties.csv: small data sets (integer ages, so that
# equally close controls are common) with, per case, the control MatchIt picks by
# nearest-neighbour matching in data order (m.order = "data"), exact on sex, age itself as the
# distance and a caliper of 2 years (std.caliper = FALSE), without replacement.
suppressPackageStartupMessages(library(MatchIt))
set.seed(20261125)
out <- list()
for (rep in 1:40) {
  n1 <- sample(4:12, 1); n0 <- sample(8:30, 1)
  d <- data.frame(dataset = rep, patient_id = c(sprintf("C%02d", 1:n1), sprintf("K%02d", 1:n0)),
                  case = rep(c(1, 0), c(n1, n0)),
                  sex = sample(c("F", "M"), n1 + n0, replace = TRUE, prob = c(0.7, 0.3)),
                  age = sample(60:72, n1 + n0, replace = TRUE))
  d <- d[sample(nrow(d)), ]  # cases and controls interleaved in data order
  if (any(table(d$sex, d$case) == 0)) next  # MatchIt fails on a stratum without cases
  rownames(d) <- NULL
  m <- matchit(case ~ age, data = d, method = "nearest", distance = d$age, m.order = "data",
               exact = ~sex, caliper = 2, std.caliper = FALSE, replace = FALSE)
  mm <- m$match.matrix
  ctrl <- ifelse(is.na(mm[, 1]), "", d$patient_id[suppressWarnings(as.numeric(mm[, 1]))])
  d$matchit_control <- ""
  d$matchit_control[as.numeric(rownames(mm))] <- ctrl
  out[[length(out) + 1]] <- d
}
res <- do.call(rbind, out)
write.csv(res[, c("dataset", "patient_id", "case", "sex", "age", "matchit_control")],
          "tests/reference/matchit_ties.csv", row.names = FALSE)

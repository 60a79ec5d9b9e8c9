# Reference values of describe_missing(): missing values per variable and group, and the
# missingness patterns of mice's nhanes data (25 rows, holes in bmi, hyp and chl).
# Run from tests/reference:  Rscript missing_nhanes.R  (last run: R 4.2.2, mice 3.15.0, 2026-12-08)
# Writes missing_nhanes.csv (the data, with a 0/1 group: odd rows = 1), missing_nhanes_counts.csv
# (variable, group, missing) and missing_nhanes_patterns.csv (pattern of 1 = observed and
# 0 = missing in the column order age, bmi, hyp, chl; n) from mice::md.pattern().
library(mice)
data <- nhanes
data$case <- as.integer(seq_len(nrow(data)) %% 2 == 1)
write.csv(data, "missing_nhanes.csv", row.names = FALSE, na = "")
vars <- c("age", "bmi", "hyp", "chl")
counts <- do.call(rbind, lapply(vars, function(v) {
  data.frame(variable = v, group = c("1", "0", "all"),
             missing = c(sum(is.na(data[data$case == 1, v])),
                         sum(is.na(data[data$case == 0, v])),
                         sum(is.na(data[[v]]))))
}))
write.csv(counts, "missing_nhanes_counts.csv", row.names = FALSE)
md <- md.pattern(data[vars], plot = FALSE)
md <- md[-nrow(md), , drop = FALSE]  # the last row holds the column totals
patterns <- data.frame(
  pattern = apply(md[, vars, drop = FALSE], 1, paste, collapse = ""),
  n = as.integer(rownames(md))
)
write.csv(patterns, "missing_nhanes_patterns.csv", row.names = FALSE)
cat(sprintf("# %s, mice %s, %s\n", R.version.string, packageVersion("mice"), Sys.Date()))

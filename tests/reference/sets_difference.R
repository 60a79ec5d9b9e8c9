# Table 1's difference in 1:k matched sets: the mean over the sets of (case − mean of its
# controls) and its t interval, t.test() on the per-set differences. Binary rows: the same on
# the 0/1 indicator of the level. Writes tests/reference/sets_difference.csv.
# The data: python tests/reference/make_matched_sets.py. Run: Rscript tests/reference/sets_difference.R
# Derived columns (the test builds the same): low_hu = hu < 100; band = "a_low" (hu < 80),
# "b_mid" (80 <= hu < 130), "c_high"; bmi_na = bmi with the patients in `na_ids` missing.
na_ids <- list(
  "1to2" = c("S003-1", "S005-0", "S007-1", "S007-2", "S010-2"),
  "1to4" = c("S002-1", "S002-3", "S004-0", "S006-1", "S006-2", "S006-3", "S006-4", "S009-2")
)
set_diffs <- function(d, x) {
  keep <- !is.na(d[[x]])
  d <- d[keep, ]
  out <- c()
  for (s in unique(d$set_id)) {
    m <- d[d$set_id == s, ]
    if (sum(m$case == 1) == 1 && sum(m$case == 0) >= 1) {
      out <- c(out, m[[x]][m$case == 1] - mean(m[[x]][m$case == 0]))
    }
  }
  out
}
res <- NULL
for (design in c("1to2", "1to4")) {
  d <- read.csv(sprintf("tests/reference/matched_%s.csv", design))
  d$low_hu <- as.integer(d$hu < 100)
  d$band <- ifelse(d$hu < 80, "a_low", ifelse(d$hu < 130, "b_mid", "c_high"))
  for (lv in c("a_low", "b_mid", "c_high")) d[[paste0("band_", lv)]] <- as.integer(d$band == lv)
  d$bmi_na <- ifelse(d$patient_id %in% na_ids[[design]], NA, d$bmi)
  for (x in c("age", "bmi", "hu", "tbs", "bmi_na", "low_hu", "band_a_low", "band_b_mid",
              "band_c_high")) {
    ds <- set_diffs(d, x)
    tt <- t.test(ds)
    res <- rbind(res, data.frame(
      design = design, variable = x, n_sets = length(ds), diff = unname(tt$estimate),
      ci_low = tt$conf.int[1], ci_high = tt$conf.int[2]
    ))
  }
}
write.csv(res, "tests/reference/sets_difference.csv", row.names = FALSE)

# Reference values for ovcfstats' ROC tests, from pROC on its aSAH data.
# Run from the repository root: Rscript tests/reference/proc_asah.R
# R 4.2.2, pROC 1.18.0 (Debian r-cran-proc), 2026-11-24.
# Writes aSAH.csv (outcome Poor = case; wfns as its integer grade 1-5) and proc_asah.csv.
suppressMessages(library(pROC))
data(aSAH)
out <- "tests/reference"
d <- data.frame(case = as.integer(aSAH$outcome == "Poor"), wfns = as.integer(aSAH$wfns),
                s100b = aSAH$s100b, ndka = aSAH$ndka, age = aSAH$age,
                gender = as.character(aSAH$gender))
write.csv(d, file.path(out, "aSAH.csv"), row.names = FALSE)
rows <- list()
add <- function(kind, name, key, value) rows[[length(rows) + 1]] <<- data.frame(kind = kind, name = name, key = key, value = sprintf("%.17g", value))
rocs <- list()
for (v in c("wfns", "s100b", "ndka", "age")) {
  r <- roc(d$case, d[[v]], levels = c(0, 1), quiet = TRUE)  # direction auto (medians)
  rocs[[v]] <- r
  ci <- ci.auc(r, method = "delong")
  add("auc", v, "auc", as.numeric(auc(r)))
  add("auc", v, "ci_low", ci[1]); add("auc", v, "ci_high", ci[3])
  add("auc", v, "se", sqrt(var(r, method = "delong")))
  add("auc", v, "direction_higher", as.numeric(r$direction == "<"))
  best <- coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
  for (i in seq_len(nrow(best))) {
    add("youden", v, paste0("threshold_", i), best$threshold[i])
    add("youden", v, paste0("sensitivity_", i), best$sensitivity[i])
    add("youden", v, paste0("specificity_", i), best$specificity[i])
  }
}
pairs <- list(c("wfns", "s100b"), c("wfns", "ndka"), c("s100b", "ndka"), c("s100b", "age"))
for (p in pairs) {
  t <- roc.test(rocs[[p[1]]], rocs[[p[2]]], method = "delong", paired = TRUE)
  nm <- paste(p, collapse = "_vs_")
  add("paired", nm, "z", t$statistic); add("paired", nm, "p", t$p.value)
  add("paired", nm, "diff_ci_low", attr(t$conf.int, "names") |> length() * 0 + t$conf.int[1])
  add("paired", nm, "diff_ci_high", t$conf.int[2])
  u <- roc.test(rocs[[p[1]]], rocs[[p[2]]], method = "delong", paired = FALSE)
  add("unpaired", nm, "z", u$statistic); add("unpaired", nm, "p", u$p.value)
}
write.csv(do.call(rbind, rows), file.path(out, "proc_asah.csv"), row.names = FALSE)

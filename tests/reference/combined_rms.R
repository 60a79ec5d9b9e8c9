# Reference values for ovcfstats.design.combined (validation of a combined logistic model).
# Run from the repository root: Rscript tests/reference/combined_rms.R
# R 4.2.2, rms 6.x and Hmisc (Debian r-cran-rms, r-cran-hmisc); data: pROC's aSAH
# (tests/reference/aSAH.csv, written by proc_asah.R). Writes combined_rms.csv and
# combined_boot_indices.csv (the bootstrap samples rms::validate drew, one column per sample).
suppressMessages({library(rms); library(Hmisc)})
out <- "tests/reference"
d <- read.csv(file.path(out, "aSAH.csv"))
n <- nrow(d); B <- 200
f <- lrm(case ~ s100b + ndka + age, data = d, x = TRUE, y = TRUE)
set.seed(20261125)
v <- validate(f, method = "boot", B = B)
# validate(method = "boot") draws each bootstrap sample with one sample(n, replace = TRUE):
set.seed(20261125)
idx <- replicate(B, sample(n, replace = TRUE))
write.csv(idx, file.path(out, "combined_boot_indices.csv"), row.names = FALSE)
# check that these are validate's samples: redo its optimism for Dxy with them
opt <- mean(sapply(seq_len(B), function(b) {
  i <- idx[, b]; g <- lrm.fit(f$x[i, ], f$y[i])
  lp_tr <- cbind(1, f$x[i, ]) %*% coef(g); lp_te <- cbind(1, f$x) %*% coef(g)
  somers2(lp_tr, f$y[i])["Dxy"] - somers2(lp_te, f$y)["Dxy"]
}))
stopifnot(abs(opt - v["Dxy", "optimism"]) < 1e-12, v["Dxy", "n"] == B)

rows <- list()
add <- function(what, key, value) rows[[length(rows) + 1]] <<- data.frame(what = what, key = key, value = sprintf("%.17g", value))
for (s in c("Dxy", "Intercept", "Slope", "B")) for (col in c("index.orig", "training", "test", "optimism", "index.corrected"))
  add("validate", paste(s, col, sep = "_"), v[s, col])
for (nm in names(coef(f))) add("coef", nm, coef(f)[[nm]])

# NRI (continuous) and IDI for adding s100b to a base model of ndka + age
base <- glm(case ~ ndka + age, data = d, family = binomial)
full <- glm(case ~ s100b + ndka + age, data = d, family = binomial)
ip <- improveProb(fitted(base), fitted(full), d$case)
add("improve", "nri", ip$nri); add("improve", "se_nri", ip$se.nri)
add("improve", "nri_events", ip$nri.ev); add("improve", "se_nri_events", ip$se.nri.ev)
add("improve", "nri_nonevents", ip$nri.ne); add("improve", "se_nri_nonevents", ip$se.nri.ne)
add("improve", "idi", ip$idi); add("improve", "se_idi", ip$se.idi)
add("improve", "z_nri", ip$z.nri); add("improve", "z_idi", ip$z.idi)
write.csv(do.call(rbind, rows), file.path(out, "combined_rms.csv"), row.names = FALSE)

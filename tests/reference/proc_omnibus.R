# Reference value for ovcfstats' omnibus test that k >= 3 correlated AUCs are equal
# (compare_auc(...).omnibus), from pROC's DeLong variances and covariances on its aSAH data.
# Run from the repository root: Rscript tests/reference/proc_omnibus.R  (after proc_asah.R,
# whose aSAH.csv it reads). R 4.2.2, pROC 1.18.0 (Debian r-cran-proc).
# pROC has no k-sample test, so the chi-square of Stata's roccomp / DeLong et al. (1988) is
# formed here from pROC's matrix S of var() and cov(): contrasts L a of successive AUC
# differences, chi2 = (L a)' (L S L')^-1 (L a) on rank(L S L') df. Also written: the same
# statistic with the off-diagonal covariances set to zero, which a correct test must not give.
# Writes proc_omnibus.csv: set, key, value.
suppressMessages(library(pROC))
out <- "tests/reference"
d <- read.csv(file.path(out, "aSAH.csv"))
rows <- list()
add <- function(set, key, value) rows[[length(rows) + 1]] <<- data.frame(set = set, key = key, value = sprintf("%.17g", value))
sets <- list(three = c("wfns", "s100b", "ndka"), four = c("wfns", "s100b", "ndka", "age"))
for (s in names(sets)) {
  v <- sets[[s]]
  rocs <- lapply(v, function(x) roc(d$case, d[[x]], levels = c(0, 1), quiet = TRUE))
  k <- length(v)
  a <- sapply(rocs, function(r) as.numeric(auc(r)))
  S <- matrix(0, k, k)
  for (i in 1:k) for (j in 1:k)
    S[i, j] <- if (i == j) var(rocs[[i]], method = "delong") else cov(rocs[[i]], rocs[[j]], method = "delong")
  L <- cbind(diag(k - 1), 0) - cbind(0, diag(k - 1))
  chi <- function(S) { V <- L %*% S %*% t(L); as.numeric(t(L %*% a) %*% solve(V) %*% (L %*% a)) }
  stat <- chi(S); df <- qr(L %*% S %*% t(L))$rank
  add(s, "chi2", stat); add(s, "df", df); add(s, "p", pchisq(stat, df, lower.tail = FALSE))
  add(s, "chi2_without_covariances", chi(diag(diag(S))))
  for (i in 1:k) for (j in i:k) add(s, paste0("cov_", v[i], "_", v[j]), S[i, j])
}
write.csv(do.call(rbind, rows), file.path(out, "proc_omnibus.csv"), row.names = FALSE)

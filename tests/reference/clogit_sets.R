# Reference values for ovcfstats' Table 1 on 1:k matched sets (compare_groups with set ids):
# per variable, survival::clogit(case ~ variable + strata(set)) and its score test (the test
# compare_groups reports) and likelihood-ratio test.
# Run from the repository root: Rscript tests/reference/clogit_sets.R
# R 4.2.2, survival 3.4 (Debian r-cran-survival), MatchIt 4.x.
# Data (public):
#   1:2 - R's datasets::infert (Trichopoulos et al.): 83 sets of 1 case + 2 controls (one set
#         1 + 1: 248 women), read from tests/reference/infert.csv (written by logit_infert.R).
#   1:4 - the first 80 treated of MatchIt's lalonde, each matched to 4 controls by
#         MatchIt::matchit(ratio = 4) (nearest neighbour on the logit propensity score).
# Writes:
#   clogit_lalonde_sets.csv  the 1:4 matched data (set = MatchIt's subclass)
#   clogit_sets.csv          design, variable, kind, score, score_df, score_p, lr, lr_df, lr_p,
#                            coef (first coefficient), n_sets (sets with a case and a control)
suppressMessages({library(survival); library(MatchIt)})
out <- "tests/reference"
f <- function(v) sprintf("%.17g", v)
rows <- list()
add <- function(design, data, v, categorical = FALSE) {
  term <- if (categorical) sprintf("factor(%s)", v) else v
  fit <- suppressWarnings(clogit(as.formula(sprintf("case ~ %s + strata(set)", term)),
                                data = data))  # re74/re75 (dollars) do not converge: the
  # score test at beta = 0, the one compared, needs no iteration
  s <- summary(fit)
  d <- data[!is.na(data[[v]]), ]
  informative <- tapply(d$case, d$set, function(z) sum(z == 1) == 1 && sum(z == 0) >= 1)
  rows[[length(rows) + 1]] <<- data.frame(
    design = design, variable = v, kind = if (categorical) "categorical" else "continuous",
    score = f(s$sctest["test"]), score_df = s$sctest["df"], score_p = f(s$sctest["pvalue"]),
    lr = f(s$logtest["test"]), lr_df = s$logtest["df"], lr_p = f(s$logtest["pvalue"]),
    coef = f(unname(coef(fit))[1]), n_sets = sum(informative))
}
inf <- read.csv(file.path(out, "infert.csv"))
inf$set <- inf$stratum
inf$spont_na <- inf$spontaneous
inf$spont_na[c(1, 5, 100, 200)] <- NA          # a case (row 1) and controls with missing values
for (v in c("spontaneous", "induced", "parity", "age", "spont_na")) add("infert_1_2", inf, v)
add("infert_1_2", inf, "induced", categorical = TRUE)
add("infert_1_2", inf, "spontaneous", categorical = TRUE)
write.csv(inf[, c("stratum", "case", "spont_na")], file.path(out, "clogit_infert_na.csv"),
          row.names = FALSE, na = "")

data(lalonde, package = "MatchIt")
treated <- which(lalonde$treat == 1)[1:80]
sub <- lalonde[c(treated, which(lalonde$treat == 0)), ]
m <- matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = sub,
             method = "nearest", ratio = 4)
md <- match.data(m)
md$case <- md$treat
md$set <- as.integer(md$subclass)
md$patient_id <- rownames(md)
md <- md[order(md$set, -md$case), ]
write.csv(md[, c("patient_id", "set", "case", "age", "educ", "race", "married", "nodegree",
                 "re74", "re75", "re78")], file.path(out, "clogit_lalonde_sets.csv"),
          row.names = FALSE)
for (v in c("age", "educ", "re74", "re75", "re78", "married", "nodegree")) add("lalonde_1_4", md, v)
add("lalonde_1_4", md, "race", categorical = TRUE)
write.csv(do.call(rbind, rows), file.path(out, "clogit_sets.csv"), row.names = FALSE)
cat(R.version.string, "survival", as.character(packageVersion("survival")),
    "MatchIt", as.character(packageVersion("MatchIt")), "\n")

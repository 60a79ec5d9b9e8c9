# Reference values for ovcfstats.design.matched (Dupont 1988 power for matched case-control).
# Run from the repository root: Rscript tests/reference/power_sscc.R
# R 4.2.2, epiR 2.0.57 (Debian r-cran-epir), epi.sscc(method = "matched"). Writes power_sscc.csv.
suppressMessages(library(epiR))
rows <- list()
add <- function(case, key, value) rows[[length(rows) + 1]] <<- data.frame(case = case, key = key, value = sprintf("%.17g", value))
i <- 0
for (r in c(1, 2, 4)) for (p0 in c(0.1, 0.3)) for (phi in c(0, 0.2)) for (or in c(0.5, 2.5)) {
  i <- i + 1; case <- paste0("m", i)
  add(case, "M", r); add(case, "p0", p0); add(case, "phi", phi); add(case, "or", or)
  s <- epi.sscc(OR = or, p0 = p0, n = NA, power = 0.8, r = r, phi.coef = phi, sided.test = 2,
                conf.level = 0.95, method = "matched", nfractional = TRUE)
  add(case, "n_cases_for_0.8", s$n.case)
  # epi.sscc's n is the total; 60 matched sets
  p <- epi.sscc(OR = or, p0 = p0, n = 60 * (1 + r), power = NA, r = r, phi.coef = phi,
                sided.test = 2, conf.level = 0.95, method = "matched", nfractional = TRUE)
  add(case, "power_60_sets", p$power)
  if (or > 1) {
    # epi.sscc searches the OR up to 1e6, where its variance can be NaN: kept when it solves
    o <- tryCatch(epi.sscc(OR = NA, p0 = p0, n = 150 * (1 + r), power = 0.8, r = r, phi.coef = phi,
                           sided.test = 2, conf.level = 0.95, method = "matched", nfractional = TRUE),
                  error = function(e) NULL)
    if (!is.null(o)) { add(case, "or_lower_150_sets", o$OR[1]); add(case, "or_upper_150_sets", o$OR[2]) }
  }
}
write.csv(do.call(rbind, rows), "tests/reference/power_sscc.csv", row.names = FALSE)

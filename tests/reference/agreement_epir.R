# Reference values for ovcfstats.design.agreement (Bland-Altman, Lin's CCC).
# Run from the repository root: Rscript tests/reference/agreement_epir.R
# R 4.2.2, epiR 2.0.57 (Debian r-cran-epir).
# Writes agreement_pefr.csv (data), agreement_reps.csv (data) and agreement_epir.csv (values).
#
# PEFR data: Bland JM, Altman DG. Statistical methods for assessing agreement between two methods
# of clinical measurement. Lancet 1986;1(8476):307-310, Table 1 (first reading of each meter,
# l/min, 17 subjects). Published: mean difference (Wright - mini) -2.1, SD 38.8, limits of
# agreement (mean -/+ 2 SD in the paper) -79.7 to 75.5, 95% CI of the bias -22.0 to 17.8, of the
# lower limit -114.3 to -45.1, of the upper limit 40.9 to 110.1 (SE of a limit sqrt(3 s^2 / n),
# t = 2.12 on 16 df).
suppressMessages(library(epiR))
out <- "tests/reference"
pefr <- data.frame(
  subject = 1:17,
  wright = c(494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427),
  mini = c(512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451))
write.csv(pefr, file.path(out, "agreement_pefr.csv"), row.names = FALSE)

# Several pairs per subject (unbalanced and balanced), drawn once with a fixed seed.
set.seed(20261125)
m <- c(3, 1, 4, 2, 5, 3, 2, 4, 1, 3, 2, 6)
id <- rep(seq_along(m), m)
true <- rnorm(length(m), 100, 15)[id] + rnorm(length(id), 0, 5)
subj_bias <- rnorm(length(m), 2, 3)[id]
reps <- data.frame(subject = id, x = round(true + subj_bias + rnorm(length(id), 0, 4), 2),
                   y = round(true + rnorm(length(id), 0, 4), 2))
bal_id <- rep(1:10, each = 3)
bal_true <- rnorm(10, 50, 10)[bal_id] + rnorm(30, 0, 3)
bal <- data.frame(subject = bal_id, x = round(bal_true + rnorm(10, 1, 2)[bal_id] + rnorm(30, 0, 2), 2),
                  y = round(bal_true + rnorm(30, 0, 2), 2))
write.csv(rbind(cbind(design = "unbalanced", reps), cbind(design = "balanced", bal)),
          file.path(out, "agreement_reps.csv"), row.names = FALSE)

rows <- list()
add <- function(data, key, value) rows[[length(rows) + 1]] <<- data.frame(data = data, key = key, value = sprintf("%.17g", value))
ccc_rows <- function(name, x, y, rep = FALSE, subject = NULL) {
  for (ci in c("z-transform", "asymptotic")) {
    r <- if (rep) epi.ccc(x, y, ci = ci, rep.measure = TRUE, subjectid = subject) else epi.ccc(x, y, ci = ci)
    tag <- if (ci == "z-transform") "z" else "asym"
    add(name, paste0("ccc_", tag), r$rho.c$est)
    add(name, paste0("ccc_low_", tag), r$rho.c$lower)
    add(name, paste0("ccc_high_", tag), r$rho.c$upper)
  }
  add(name, "scale_shift", r$s.shift); add(name, "location_shift", r$l.shift); add(name, "c_b", r$C.b)
  add(name, "bias", r$sblalt$est); add(name, "sd_diff", r$sblalt$delta.sd)
  add(name, "loa_lower", r$sblalt$lower); add(name, "loa_upper", r$sblalt$upper)
}
# epi.ccc's differences are x - y and its limits use qnorm(0.975).
ccc_rows("pefr", pefr$wright, pefr$mini)
ccc_rows("reps_unbalanced", reps$x, reps$y, rep = TRUE, subject = reps$subject)
ccc_rows("reps_balanced", bal$x, bal$y, rep = TRUE, subject = bal$subject)

# Confidence intervals of the PEFR bias and limits: approximate (Bland & Altman 1986,
# SE of a limit sqrt(3 s^2 / n), t on n - 1 df) and exact (Carkeet 2015: non-central t
# quantiles with ncp = z * sqrt(n)). Written out here with R's qt (an implementation
# independent of scipy's).
d <- pefr$wright - pefr$mini; n <- length(d); s <- sd(d); z <- qnorm(0.975); tq <- qt(0.975, n - 1)
add("pefr", "bias_ci_low", mean(d) - tq * s / sqrt(n)); add("pefr", "bias_ci_high", mean(d) + tq * s / sqrt(n))
se_l <- sqrt(3 * s^2 / n)
add("pefr", "loa_lower_ci_low_approx", mean(d) - z * s - tq * se_l)
add("pefr", "loa_lower_ci_high_approx", mean(d) - z * s + tq * se_l)
add("pefr", "loa_upper_ci_low_approx", mean(d) + z * s - tq * se_l)
add("pefr", "loa_upper_ci_high_approx", mean(d) + z * s + tq * se_l)
k_lo <- qt(0.025, n - 1, ncp = z * sqrt(n)) / sqrt(n); k_hi <- qt(0.975, n - 1, ncp = z * sqrt(n)) / sqrt(n)
add("pefr", "loa_upper_ci_low_exact", mean(d) + k_lo * s); add("pefr", "loa_upper_ci_high_exact", mean(d) + k_hi * s)
add("pefr", "loa_lower_ci_low_exact", mean(d) - k_hi * s); add("pefr", "loa_lower_ci_high_exact", mean(d) - k_lo * s)
for (nn in c(5, 10, 20, 50, 100)) {
  add("tolerance", paste0("k_low_n", nn), qt(0.025, nn - 1, ncp = z * sqrt(nn)) / sqrt(nn))
  add("tolerance", paste0("k_high_n", nn), qt(0.975, nn - 1, ncp = z * sqrt(nn)) / sqrt(nn))
}
# Proportional bias: difference regressed on the pair mean.
fit <- lm(d ~ I((pefr$wright + pefr$mini) / 2)); cf <- summary(fit)$coefficients; ci <- confint(fit)
add("pefr", "slope", cf[2, 1]); add("pefr", "slope_se", cf[2, 2]); add("pefr", "slope_p", cf[2, 4])
add("pefr", "slope_ci_low", ci[2, 1]); add("pefr", "slope_ci_high", ci[2, 2]); add("pefr", "intercept", cf[1, 1])

# Several pairs per subject: Zou (2013) MOVER limits. SimplyAgree (not packaged for Debian)
# implements them in agree_nest(); the lines below restate its computation (version 0.2,
# TOST = FALSE, prop_bias = FALSE) in base R: within-subject variance pooled from per-subject
# residual variances, harmonic mean of pairs per subject, chi-square MOVER bounds.
zou <- function(name, x, y, id, conf = 0.95, agree = 0.95) {
  za <- qnorm(1 - (1 - agree) / 2); zc <- qnorm(1 - (1 - conf) / 2)
  al <- 1 - (1 - conf) / 2; au <- (1 - conf) / 2
  d <- x - y; ids <- unique(id); n <- length(ids); N <- length(d)
  m <- sapply(ids, function(i) sum(id == i)); dm <- sapply(ids, function(i) mean(d[id == i]))
  dv <- sapply(ids, function(i) if (sum(id == i) > 1) var(d[id == i]) else NA)
  sdw2 <- sum(((m - 1) / (N - n) * dv)[m > 1]); mh <- n / sum(1 / m)
  d_bar <- mean(dm); d_var <- var(dm); vt <- d_var + (1 - 1 / mh) * sdw2
  lo <- vt - sqrt((d_var * (1 - (n - 1) / qchisq(al, n - 1)))^2 + ((1 - 1 / mh) * sdw2 * (1 - (N - n) / qchisq(al, N - n)))^2)
  hi <- vt + sqrt((d_var * ((n - 1) / qchisq(au, n - 1) - 1))^2 + ((1 - 1 / mh) * sdw2 * ((N - n) / qchisq(au, N - n) - 1))^2)
  lme <- sqrt(zc^2 * d_var / n + za^2 * (sqrt(hi) - sqrt(vt))^2)
  rme <- sqrt(zc^2 * d_var / n + za^2 * (sqrt(vt) - sqrt(lo))^2)
  add(name, "zou_bias", d_bar); add(name, "zou_sd", sqrt(vt))
  add(name, "zou_loa_lower", d_bar - za * sqrt(vt)); add(name, "zou_loa_upper", d_bar + za * sqrt(vt))
  add(name, "zou_loa_lower_ci_low", d_bar - za * sqrt(vt) - lme); add(name, "zou_loa_lower_ci_high", d_bar - za * sqrt(vt) + rme)
  add(name, "zou_loa_upper_ci_low", d_bar + za * sqrt(vt) - rme); add(name, "zou_loa_upper_ci_high", d_bar + za * sqrt(vt) + lme)
  # the bias interval: t on n - 1 df over the subject means (SimplyAgree uses the normal quantile)
  add(name, "zou_bias_ci_low", d_bar - qt(al, n - 1) * sqrt(d_var / n)); add(name, "zou_bias_ci_high", d_bar + qt(al, n - 1) * sqrt(d_var / n))
}
zou("reps_unbalanced", reps$x, reps$y, reps$subject)
zou("reps_balanced", bal$x, bal$y, bal$subject)
write.csv(do.call(rbind, rows), file.path(out, "agreement_epir.csv"), row.names = FALSE)

# Reference values for analyze()'s HU indicator by contrast phase (tests/test_contrast_phase.py).
# Run: Rscript tests/reference/contrast_phase.R  (from the repository root); R 4.2.2, base stats and survival.
# Writes:
#   contrast_cohort.csv   300 matched pairs (case, control; same sex, ages within ~1 year); each
#                         patient's phase drawn independently of the pair (cases 80 % contrast,
#                         controls 20 %); HU from N(95, 30) in cases, N(130, 30) in controls, plus
#                         20 HU with contrast (the true within-phase difference: -35 HU)
#   contrast_glm.csv      glm(case ~ hu + age + sex + phase, binomial): coefficient, SE and Wald
#                         CI (confint.default) of each term, and the OR per HU with its Wald CI
#   contrast_clogit.csv   clogit(case ~ hu + age + phase + strata(pair_id)): the same, conditional
set.seed(30)
out <- "tests/reference"
n <- 300
pair <- rep(seq_len(n), each = 2)
case <- rep(c(1L, 0L), n)
sex <- rep(sample(c("F", "M"), n, replace = TRUE, prob = c(0.7, 0.3)), each = 2)
age <- round(rep(rnorm(n, 70, 8), each = 2) + rnorm(2 * n, 0, 0.5), 1)
contrast <- rbinom(2 * n, 1, ifelse(case == 1, 0.8, 0.2))
phase <- ifelse(contrast == 1, "portal venous", "native")
hu <- round(rnorm(2 * n, ifelse(case == 1, 95, 130), 30) + 20 * contrast, 1)
dat <- data.frame(patient_id = sprintf("P%03d", seq_len(2 * n)), pair_id = pair, case = case,
                  sex = sex, age = age, phase = phase, hu = hu)
write.csv(dat, file.path(out, "contrast_cohort.csv"), row.names = FALSE)
fit <- glm(case ~ hu + age + sex + phase, family = binomial, data = dat,
           control = glm.control(epsilon = 1e-14, maxit = 100))
s <- summary(fit)$coefficients
wald <- confint.default(fit)
res <- data.frame(term = rownames(s), coef = s[, 1], se = s[, 2], lower = wald[, 1],
                  upper = wald[, 2], or = exp(s[, 1]), or_lower = exp(wald[, 1]),
                  or_upper = exp(wald[, 2]))
write.csv(res, file.path(out, "contrast_glm.csv"), row.names = FALSE)
# the matched analysis (analyze's default on matched pairs): conditional logit within the pairs;
# sex is constant within a pair and drops out, age (matched within ~1 year) stays
library(survival)
cfit <- clogit(case ~ hu + age + phase + strata(pair_id), data = dat, method = "exact")
cs <- summary(cfit)$coefficients
cw <- confint.default(cfit)
cres <- data.frame(term = rownames(cs), coef = cs[, 1], se = cs[, 3], or = exp(cs[, 1]),
                   or_lower = exp(cw[, 1]), or_upper = exp(cw[, 2]))
write.csv(cres, file.path(out, "contrast_clogit.csv"), row.names = FALSE)

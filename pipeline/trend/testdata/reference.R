# Reference values for the tests of pipeline/trend (series and summary statistics).
#
# Regenerate with (R >= 4.2 and the CRAN package Kendall 2.2.1):
#   Rscript pipeline/trend/testdata/reference.R > pipeline/trend/testdata/reference.txt
# Debian bookworm has r-base-core but no r-cran-kendall: install Kendall from its CRAN source with
# R CMD INSTALL (it needs gfortran and r-cran-boot). The tests only read reference.txt.
#
# Every figure is computed independently of the Go code:
#   ols       coef(lm(value - min(value) ~ years))[2], years = days since the first period / 365.2425;
#             the shift is exact for integer counts and leaves the slope unchanged, while lm's QR on
#             raw counts near 2^40 loses digits (12999.6432 instead of the exact 12999.651428571...)
#   sen       median of all pairwise slopes, by hand (Sen 1968)
#   cagr      (last / first non-zero)^(1 / years between them) - 1, a fraction
#   tau_cor   cor(time, value, method = "kendall"), tau-b in double precision
#   tau_k     Kendall::MannKendall(value)$tau (tau-b, computed in single precision)
#   p_exact   cor.test(time, value, method = "kendall", exact = TRUE)$p.value, the exact null
#             distribution of S; only for n <= 10 without ties (NA otherwise)
#   p_normal  2 * pnorm(-(|S| - 1) / sqrt(varS)), varS corrected for ties (Kendall 1975, eq. 4.4)
#   p_k       Kendall::MannKendall(value)$sl (single precision; Kendall 2.2.1 uses this normal
#             approximation even for short series without ties: its exact branch is never reached,
#             as MannKendall(c(1, 3, 2, 5, 4))$sl = 0.2207 against the exact 0.2333 shows)
#   mean, median, p90 (quantile type 7), max, sd (n - 1), top5 (percent of the sum in the 5 largest)
suppressPackageStartupMessages(library(Kendall))

cat(sprintf("# Written by testdata/reference.R with %s and Kendall %s; do not edit by hand.\n",
            R.version.string, packageVersion("Kendall")))

num <- function(x) if (is.na(x)) "NA" else sprintf("%.17g", x)
ints <- function(x) paste(sprintf("%.0f", x), collapse = ",")

series <- list(
  list(name = "five_exact", values = c(1, 3, 2, 5, 4),
       dates = seq(as.Date("2019-01-01"), by = "month", length.out = 5)),
  list(name = "three_falling", values = c(100, 90, 95),
       dates = as.Date(c("2019-01-01", "2019-07-01", "2020-01-01"))),
  list(name = "eight_noisy", values = c(120, 135, 128, 150, 149, 170, 162, 181),
       dates = seq(as.Date("2018-01-01"), by = "quarter", length.out = 8)),
  list(name = "ten_falling", values = c(5000, 4870, 4902, 4711, 4650, 4698, 4432, 4390, 4415, 4120),
       dates = as.Date(c("2017-03-15", "2017-06-01", "2017-10-20", "2018-01-05", "2018-05-30",
                         "2018-09-09", "2019-02-14", "2019-06-30", "2019-11-11", "2020-04-01"))),
  list(name = "twelve_no_ties", values = c(3, 8, 6, 12, 10, 15, 11, 19, 14, 22, 18, 25),
       dates = seq(as.Date("2019-01-01"), by = "month", length.out = 12)),
  list(name = "seven_ties", values = c(10, 12, 12, 15, 15, 15, 14),
       dates = seq(as.Date("2019-01-01"), by = "2 months", length.out = 7)),
  list(name = "fifteen_ties_zeros", values = c(0, 0, 3, 5, 5, 8, 7, 7, 12, 11, 15, 15, 20, 18, 25),
       dates = as.Date(c("2016-01-01", "2016-04-01", "2016-08-15", "2016-12-31", "2017-02-28",
                         "2017-07-04", "2017-11-30", "2018-03-01", "2018-06-21", "2018-12-24",
                         "2019-05-05", "2019-09-09", "2020-02-29", "2020-08-08", "2021-01-01"))),
  list(name = "large_counts", values = c(1099511627776, 1099511628000, 1099511627900, 1099511628500,
                                         1099511629000, 1099511628800),
       dates = seq(as.Date("2019-01-01"), by = "week", length.out = 6)),
  list(name = "drops_to_zero", values = c(4, 6, 0),
       dates = as.Date(c("2019-01-01", "2020-01-01", "2021-01-01"))),
  list(name = "four_ties", values = c(1, 1, 2, 2),
       dates = as.Date(c("2019-01-01", "2019-02-01", "2019-03-01", "2019-04-01"))),
  list(name = "eleven_no_ties", values = c(9, 4, 11, 7, 2, 13, 6, 1, 8, 12, 5),
       dates = seq(as.Date("2019-01-01"), by = "month", length.out = 11))
)

for (s in series) {
  y <- s$values
  d <- s$dates
  n <- length(y)
  years <- as.numeric(d - d[1]) / 365.2425
  slopes <- c()
  for (i in 1:(n - 1)) for (j in (i + 1):n) slopes <- c(slopes, (y[j] - y[i]) / (years[j] - years[i]))
  first <- which(y != 0)[1]
  cagr <- if (is.na(first) || first == n) NA else
    (y[n] / y[first])^(1 / (as.numeric(d[n] - d[first]) / 365.2425)) - 1
  S <- 0
  for (i in 1:(n - 1)) for (j in (i + 1):n) S <- S + sign(y[j] - y[i])
  ties <- as.numeric(table(y))
  varS <- (n * (n - 1) * (2 * n + 5) - sum(ties * (ties - 1) * (2 * ties + 5))) / 18
  # Kendall 2.2.1 prints a warning and returns placeholders for n < 4 with the normal approximation,
  # and works in single precision, which merges counts above 2^24 into ties: no reference then.
  warning_lines <- capture.output(mk <- MannKendall(y))
  if (length(warning_lines) > 0 || max(abs(y)) >= 2^24) mk <- list(tau = NA, sl = NA)
  p_exact <- if (n <= 10 && all(ties == 1))
    cor.test(seq_len(n), y, method = "kendall", exact = TRUE)$p.value else NA
  cat(sprintf("series %s dates=%s values=%s ols=%s sen=%s cagr=%s tau_cor=%s tau_k=%s S=%.0f p_exact=%s p_normal=%s p_k=%s\n",
              s$name, paste(format(d), collapse = ","), ints(y),
              num(unname(coef(lm(I(y - min(y)) ~ years))[2])), num(median(slopes)), num(cagr),
              num(cor(seq_len(n), y, method = "kendall")), num(mk$tau), S,
              num(p_exact), num(2 * pnorm(-(abs(S) - 1) / sqrt(varS))), num(mk$sl)))
}

levels <- list(
  list(name = "five", values = c(5, 1, 9, 3, 7)),
  list(name = "eleven_skewed", values = c(10, 0, 0, 250, 37, 41, 12, 8, 1000, 3, 77)),
  list(name = "one", values = c(42)),
  list(name = "zeros", values = c(0, 0, 0)),
  list(name = "two", values = c(3, 8)),
  list(name = "ties", values = c(5, 5, 5, 2, 9, 9, 1, 0))
)
for (l in levels) {
  x <- l$values
  top <- sum(head(sort(x, decreasing = TRUE), 5))
  cat(sprintf("summary %s values=%s mean=%s median=%s p90=%s max=%.0f sd=%s top5=%s\n",
              l$name, ints(x), num(mean(x)), num(median(x)), num(unname(quantile(x, 0.9, type = 7))),
              max(x), num(if (length(x) < 2) NA else sd(x)),
              num(if (sum(x) == 0) NA else 100 * top / sum(x))))
}

//! The small statistics the trend verdicts need: mean, sample variance and
//! Welch's unequal-variance t-test with a confidence interval.
//!
//! The Student t distribution is evaluated through the regularised
//! incomplete beta function, `P(|T| > t) = I_x(ν/2, 1/2)` with
//! `x = ν / (ν + t²)`, computed by its continued fraction (modified Lentz
//! method, as in Numerical Recipes §6.4) with `ln Γ` from the Lanczos
//! approximation (g = 7, n = 9; relative error below 1e-13). Quantiles are
//! found by bisection on that tail probability. Everything is deterministic
//! and accurate far beyond what a verdict needs; no dependency is pulled in.

/// Arithmetic mean; `None` for no values.
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        None
    } else {
        Some(xs.iter().sum::<f64>() / xs.len() as f64)
    }
}

/// Unbiased sample variance (n − 1); `None` below two values.
pub fn sample_variance(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    Some(xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64)
}

/// Result of Welch's t-test of `b − a`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// mean(b) − mean(a).
    pub diff: f64,
    /// Standard error of the difference.
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// t statistic.
    pub t: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Lower end of the 95 % confidence interval of `diff`.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

/// Welch's t-test comparing `b` (current) with `a` (baseline). `None` when
/// either side has fewer than two values, or both have zero variance (then
/// there is no noise to test against and the caller falls back to the
/// plain comparison).
pub fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    let (ma, mb) = (mean(a)?, mean(b)?);
    let (va, vb) = (sample_variance(a)?, sample_variance(b)?);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (qa, qb) = (va / na, vb / nb);
    let se2 = qa + qb;
    if !(se2.is_finite() && se2 > 0.0) {
        return None;
    }
    let se = se2.sqrt();
    let df = se2 * se2 / (qa * qa / (na - 1.0) + qb * qb / (nb - 1.0));
    let diff = mb - ma;
    let t = diff / se;
    let p = t_two_sided_p(t, df);
    let q = t_quantile_two_sided(0.05, df);
    Some(Welch {
        diff,
        se,
        df,
        t,
        p,
        ci_low: diff - q * se,
        ci_high: diff + q * se,
    })
}

/// `P(|T| ≥ |t|)` for Student's t with `df` degrees of freedom.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    if !(df.is_finite() && df > 0.0) {
        return 1.0;
    }
    let x = df / (df + t * t);
    reg_inc_beta(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}

/// The `t` with `P(|T| ≥ t) = alpha` (e.g. 0.05 → the 97.5 % quantile).
pub fn t_quantile_two_sided(alpha: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    // The tail shrinks as t grows; widen until it is below alpha.
    while t_two_sided_p(hi, df) > alpha && hi < 1e6 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_two_sided_p(mid, df) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// `ln Γ(x)` for x > 0 (Lanczos, g = 7, n = 9).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised incomplete beta `I_x(a, b)`.
fn reg_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast for x < (a+1)/(a+b+2); use the
    // symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 5 % critical values from standard t tables.
        for (df, want) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (4.0, 2.776),
            (10.0, 2.228),
            (30.0, 2.042),
            (1000.0, 1.962),
        ] {
            let q = t_quantile_two_sided(0.05, df);
            assert!(close(q, want, 1e-3), "df {df}: {q}");
        }
    }

    #[test]
    fn p_values_match_known_points() {
        // t = 2.0, df = 10: two-sided p = 0.07339 (R: 2*pt(-2, 10)).
        assert!(close(t_two_sided_p(2.0, 10.0), 0.073_388, 1e-5));
        assert!(close(t_two_sided_p(0.0, 5.0), 1.0, 1e-12));
        assert!(t_two_sided_p(50.0, 3.0) < 1e-4);
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // By hand: se = sqrt(1/3 + 1/3), t = 3 / se = 3.674, df = 4;
        // R's t.test(b, a) gives p = 0.02131, 95 % CI [0.733, 5.267].
        let a = [10.0, 11.0, 12.0];
        let b = [13.0, 14.0, 15.0];
        let Some(w) = welch(&a, &b) else {
            panic!("no result")
        };
        assert!(close(w.diff, 3.0, 1e-12));
        assert!(close(w.t, 3.674, 1e-3), "{w:?}");
        assert!(close(w.df, 4.0, 1e-9));
        assert!(close(w.p, 0.021_312, 1e-4), "{w:?}");
        assert!(close(w.ci_low, 0.733, 1e-3), "{w:?}");
        assert!(close(w.ci_high, 5.267, 1e-3), "{w:?}");
    }

    #[test]
    fn degenerate_inputs_give_none() {
        assert!(welch(&[1.0], &[1.0, 2.0]).is_none());
        assert!(welch(&[1.0, 1.0], &[2.0, 2.0]).is_none());
        assert_eq!(mean(&[]), None);
    }
}

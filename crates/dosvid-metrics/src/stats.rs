//! The distributions the metrics need: the normal and Student's t, from the regularised
//! incomplete beta function (Lentz's continued fraction). Written here because the rest of a
//! statistics crate would cost more build time than these eighty lines.

/// ln Γ(x) for x > 0 (Lanczos, g = 7), accurate to ~1e-15.
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
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
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum: f64 = G[0]
        + G[1..]
            .iter()
            .enumerate()
            .map(|(i, g)| g / (x + i as f64 + 1.0))
            .sum::<f64>();
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The continued fraction of the incomplete beta function.
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    d = if d.abs() < TINY { TINY } else { d };
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            d = if d.abs() < TINY { TINY } else { d };
            c = 1.0 + aa / c;
            c = if c.abs() < TINY { TINY } else { c };
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The regularised incomplete beta function I_x(a, b).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The standard normal CDF, as Student's t with a degrees-of-freedom count so large that the
/// two curves agree to within 1e-9.
pub fn normal_cdf(z: f64) -> f64 {
    t_cdf(z, 1e9)
}

/// The t quantile with P(T ≤ q) = p: Newton's method on the CDF from the Cornish–Fisher
/// expansion around the normal quantile, which is close enough that a few steps reach machine
/// precision (an interval is computed for every group of every query, so this must be quick).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let z = bisect(|x| normal_cdf(x) < p);
    let (z2, nu) = (z * z, df);
    let mut t = z
        + z * (z2 + 1.0) / (4.0 * nu)
        + z * ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * nu * nu)
        + z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / (384.0 * nu * nu * nu);
    let log_scale = ln_gamma((df + 1.0) / 2.0)
        - ln_gamma(df / 2.0)
        - 0.5 * (df * std::f64::consts::PI).ln();
    for _ in 0..50 {
        let density = (log_scale - (df + 1.0) / 2.0 * (t * t / df).ln_1p()).exp();
        let step = (t_cdf(t, df) - p) / density;
        if !step.is_finite() {
            break;
        }
        t -= step;
        if step.abs() <= 1e-12 * t.abs().max(1.0) {
            return t;
        }
    }
    bisect(|x| t_cdf(x, df) < p)
}

/// The x at which `below(x)` turns false, for a monotone predicate, to machine precision.
fn bisect(below: impl Fn(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (-1e3, 1e3);
    for _ in 0..70 {
        let mid = 0.5 * (lo + hi);
        if below(mid) {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

/// The two-sided p-value of a z statistic.
pub fn two_sided_p_normal(z: f64) -> f64 {
    2.0 * (1.0 - normal_cdf(z.abs()))
}

/// The two-sided p-value of a t statistic.
pub fn two_sided_p_t(t: f64, df: f64) -> f64 {
    2.0 * (1.0 - t_cdf(t.abs(), df))
}

/// z for a 95% two-sided interval.
pub const Z95: f64 = 1.959_963_984_540_054;

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn distributions_match_published_tables() {
        // Student's t 0.975 quantiles (any statistics table).
        for (df, q) in [
            (1.0, 12.706_2),
            (2.0, 4.302_7),
            (5.0, 2.570_6),
            (10.0, 2.228_1),
            (29.0, 2.045_2),
            (120.0, 1.979_9),
        ] {
            assert!(
                close(t_quantile(0.975, df), q, 1e-4),
                "df {df}: {}",
                t_quantile(0.975, df)
            );
        }
        assert!(close(normal_cdf(1.96), 0.975_002, 1e-6));
        assert!(close(normal_cdf(-1.0), 0.158_655, 1e-6));
        assert!(close(normal_cdf(0.0), 0.5, 1e-12));
        assert!(close(two_sided_p_t(2.228_1, 10.0), 0.05, 1e-4));
        for df in [1.0, 3.0, 30.0, 1e4] {
            for p in [0.025, 0.5, 0.9, 0.975, 0.999] {
                assert!(close(t_cdf(t_quantile(p, df), df), p, 1e-10), "df {df}, p {p}");
            }
        }
    }
}

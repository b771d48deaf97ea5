//! The distributions the metrics need: the normal, from the regularised incomplete gamma
//! function, and Student's t, from the regularised incomplete beta function (series and Lentz's
//! continued fractions). Written here because the rest of a statistics crate would cost more
//! build time than these lines.

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

/// The regularised incomplete gamma functions (P(a, x), Q(a, x) = 1 − P), each computed
/// directly so that neither tail loses precision to a subtraction.
fn gamma_pq(a: f64, x: f64) -> (f64, f64) {
    const TINY: f64 = 1e-300;
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    let front = (a * x.ln() - x - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut sum, mut term, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        let p = sum * front;
        (p, 1.0 - p)
    } else {
        let mut b = x + 1.0 - a;
        let (mut c, mut d) = (1.0 / TINY, 1.0 / b);
        let mut h = d;
        for i in 1..1000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < TINY { TINY } else { d };
            c = b + an / c;
            c = if c.abs() < TINY { TINY } else { c };
            d = 1.0 / d;
            h *= d * c;
            if (d * c - 1.0).abs() < 1e-16 {
                break;
            }
        }
        let q = front * h;
        (1.0 - q, q)
    }
}

/// The standard normal CDF: Φ(z) = ½(1 + P(½, z²/2)) for z ≥ 0.
pub fn normal_cdf(z: f64) -> f64 {
    let (_, q) = gamma_pq(0.5, 0.5 * z * z);
    if z >= 0.0 { 1.0 - 0.5 * q } else { 0.5 * q }
}

/// The normal quantile: Newton's method from the rational approximation of Abramowitz and
/// Stegun (26.2.23, good to 5e-4).
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let t = (-2.0 * p.min(1.0 - p).ln()).sqrt();
    let tail = t
        - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
            / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t);
    let mut z = if p < 0.5 { -tail } else { tail };
    let scale = (2.0 * std::f64::consts::PI).sqrt();
    for _ in 0..20 {
        let step = (normal_cdf(z) - p) * scale / (-0.5 * z * z).exp();
        if !step.is_finite() {
            break;
        }
        z -= step;
        if step.abs() <= 1e-14 * z.abs().max(1.0) {
            break;
        }
    }
    z
}

/// The t quantile with P(T ≤ q) = p: Newton's method on the CDF from the Cornish–Fisher
/// expansion around the normal quantile, which is close enough that a few steps reach machine
/// precision (an interval is computed for every group of every query, so this must be quick).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    // Every interval asks for 0.975: its normal quantile is a constant.
    let z = if p == 0.975 { Z95 } else { normal_quantile(p) };
    let (z2, nu) = (z * z, df);
    let mut t = z
        + z * (z2 + 1.0) / (4.0 * nu)
        + z * ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * nu * nu)
        + z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / (384.0 * nu * nu * nu);
    // From an exact z and past 300 degrees of freedom the expansion is within 2e-10 of the
    // quantile (checked below); elsewhere Newton's method finishes the work.
    if p == 0.975 && df >= 300.0 {
        return t;
    }
    let steps = if df >= 300.0 { 1 } else { 50 };
    let log_scale =
        ln_gamma((df + 1.0) / 2.0) - ln_gamma(df / 2.0) - 0.5 * (df * std::f64::consts::PI).ln();
    for _ in 0..steps {
        let density = (log_scale - (df + 1.0) / 2.0 * (t * t / df).ln_1p()).exp();
        let step = (t_cdf(t, df) - p) / density;
        if !step.is_finite() {
            break;
        }
        t -= step;
        if steps == 1 || step.abs() <= 1e-12 * t.abs().max(1.0) {
            return t;
        }
    }
    // Newton failed to settle (tiny df, extreme p): bisection on the CDF.
    let (mut lo, mut hi) = (-1e6, 1e6);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
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
        assert!(close(normal_cdf(-8.0), 6.220_960_574_271_785e-16, 1e-25));
        assert!(close(normal_quantile(0.975), Z95, 1e-13));
        assert!(close(
            normal_quantile(0.001),
            -3.090_232_306_167_813_5,
            1e-12
        ));
        assert!(close(two_sided_p_t(2.228_1, 10.0), 0.05, 1e-4));
        for df in [1.0, 3.0, 30.0, 299.0, 300.0, 1e3, 1e4] {
            for p in [0.025, 0.5, 0.9, 0.975, 0.999] {
                assert!(
                    close(t_cdf(t_quantile(p, df), df), p, 1e-9),
                    "df {df}, p {p}"
                );
            }
        }
    }
}

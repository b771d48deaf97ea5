//! Linear regression from sufficient statistics, for key-driver analysis: the model is fitted
//! from the cross-products `X'X`, `X'y`, `y'y` and `n`, which add up over rows — so a million
//! records are read once, and a bootstrap replicate is a weighted sum of per-block cross-products
//! instead of a pass over the rows. Relative importance is Johnson's relative weights (2000): the
//! predictors are replaced by their closest orthogonal counterparts, whose squared loadings share
//! R² out among the correlated originals; the weights sum to R².

/// Cross-products of `p` predictors (with an implicit intercept) and an outcome, weighted.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossProducts {
    pub p: usize,
    /// Σw.
    pub n: f64,
    /// Σw·x_j.
    pub sx: Vec<f64>,
    /// Σw·x_j·x_k, upper triangle row-major (`j ≤ k`), `p(p+1)/2` entries.
    pub sxx: Vec<f64>,
    /// Σw·y.
    pub sy: f64,
    /// Σw·y².
    pub syy: f64,
    /// Σw·x_j·y.
    pub sxy: Vec<f64>,
}

/// The position of `(j, k)`, `j ≤ k`, in the upper triangle.
pub fn tri(p: usize, j: usize, k: usize) -> usize {
    debug_assert!(j <= k && k < p);
    j * p - j * (j + 1) / 2 + k
}

impl CrossProducts {
    pub fn new(p: usize) -> Self {
        CrossProducts {
            p,
            n: 0.0,
            sx: vec![0.0; p],
            sxx: vec![0.0; p * (p + 1) / 2],
            sy: 0.0,
            syy: 0.0,
            sxy: vec![0.0; p],
        }
    }

    /// Adds a row whose predictors are 1 at `active` (sorted, distinct) and 0 elsewhere.
    pub fn add_binary(&mut self, active: &[usize], y: f64) {
        self.n += 1.0;
        self.sy += y;
        self.syy += y * y;
        for (i, &j) in active.iter().enumerate() {
            self.sx[j] += 1.0;
            self.sxy[j] += y;
            for &k in &active[i..] {
                self.sxx[tri(self.p, j, k)] += 1.0;
            }
        }
    }

    /// Adds `other` × `weight`.
    pub fn add_scaled(&mut self, other: &CrossProducts, weight: f64) {
        if weight == 0.0 {
            return;
        }
        self.n += weight * other.n;
        self.sy += weight * other.sy;
        self.syy += weight * other.syy;
        let pairs = self.sx.iter_mut().zip(&other.sx);
        pairs.for_each(|(a, b)| *a += weight * b);
        let pairs = self.sxy.iter_mut().zip(&other.sxy);
        pairs.for_each(|(a, b)| *a += weight * b);
        let pairs = self.sxx.iter_mut().zip(&other.sxx);
        pairs.for_each(|(a, b)| *a += weight * b);
    }

    /// Predictors that are on in exactly the same rows as an earlier one: `Some(earlier)` for
    /// each. Their effects cannot be told apart by any data; a model keeps the first.
    pub fn duplicates(&self) -> Vec<Option<usize>> {
        let p = self.p;
        let mut out = vec![None; p];
        for k in 0..p {
            let on = self.sxx[tri(p, k, k)];
            if on == 0.0 {
                continue;
            }
            out[k] = (0..k).find(|&j| {
                out[j].is_none()
                    && self.sxx[tri(p, j, j)] == on
                    && self.sxx[tri(p, j, k)] == on
                    && self.sxy[j] == self.sxy[k]
            });
        }
        out
    }

    /// Leaves predictor `k` out of the model (its coefficient and weight become 0).
    pub fn drop_predictor(&mut self, k: usize) {
        let p = self.p;
        self.sx[k] = 0.0;
        self.sxy[k] = 0.0;
        for j in 0..p {
            let (a, b) = if j <= k { (j, k) } else { (k, j) };
            self.sxx[tri(p, a, b)] = 0.0;
        }
    }

    /// The covariance of predictors `j` and `k` (population form; the scale cancels).
    fn cov(&self, j: usize, k: usize) -> f64 {
        let (j, k) = if j <= k { (j, k) } else { (k, j) };
        self.sxx[tri(self.p, j, k)] / self.n - (self.sx[j] / self.n) * (self.sx[k] / self.n)
    }

    fn cov_y(&self, j: usize) -> f64 {
        self.sxy[j] / self.n - (self.sx[j] / self.n) * (self.sy / self.n)
    }

    fn var_y(&self) -> f64 {
        self.syy / self.n - (self.sy / self.n).powi(2)
    }

    /// Least squares of the outcome on the predictors and an intercept, and each predictor's
    /// relative weight. `None` when there are too few rows or the outcome does not vary.
    /// Predictors that do not vary get a zero coefficient and weight.
    pub fn fit(&self) -> Option<Fit> {
        let p = self.p;
        let var_y = self.var_y();
        if self.n < 2.0 || var_y <= 1e-12 {
            return None;
        }
        let live: Vec<usize> = (0..p).filter(|&j| self.cov(j, j) > 1e-12).collect();
        let m = live.len();
        let mut cov = vec![0.0; m * m];
        let mut cov_y = vec![0.0; m];
        for (a, &j) in live.iter().enumerate() {
            cov_y[a] = self.cov_y(j);
            for (b, &k) in live.iter().enumerate() {
                cov[a * m + b] = self.cov(j, k);
            }
        }
        // Slopes from the centred normal equations; a whisper of ridge keeps exact
        // collinearity (two indicators always together) from breaking the solve.
        let mut ridged = cov.clone();
        for a in 0..m {
            ridged[a * m + a] += 1e-9 * cov[a * m + a].max(1e-12);
        }
        let slopes = solve_symmetric(&ridged, &cov_y, m)?;
        let explained: f64 = slopes.iter().zip(&cov_y).map(|(b, c)| b * c).sum();
        let r2 = (explained / var_y).clamp(0.0, 1.0);
        let weights = relative_weights(&cov, &cov_y, var_y, m);
        let mut coefficients = vec![0.0; p];
        let mut importance = vec![0.0; p];
        for (a, &j) in live.iter().enumerate() {
            coefficients[j] = slopes[a];
            importance[j] = weights[a];
        }
        let intercept = self.sy / self.n
            - coefficients
                .iter()
                .zip(&self.sx)
                .map(|(b, s)| b * s / self.n)
                .sum::<f64>();
        Some(Fit {
            intercept,
            coefficients,
            r2,
            importance,
        })
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub intercept: f64,
    pub coefficients: Vec<f64>,
    pub r2: f64,
    /// Johnson's relative weights: each predictor's share of R² (they sum to `r2`).
    pub importance: Vec<f64>,
}

/// Johnson's relative weights from covariances: with `R` the predictors' correlation matrix and
/// `R = V Λ V'`, `Λ^{1/2}` gives `Z = V Λ^{1/2} V'` (the orthogonal variables' loadings), the
/// outcome's weights on the orthogonal variables `β = Z⁻¹ r_xy`, and each predictor's weight
/// `Σ_k Z_jk² β_k²`.
fn relative_weights(cov: &[f64], cov_y: &[f64], var_y: f64, m: usize) -> Vec<f64> {
    if m == 0 {
        return Vec::new();
    }
    let sd: Vec<f64> = (0..m).map(|a| cov[a * m + a].sqrt()).collect();
    let mut corr = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..m {
            corr[a * m + b] = cov[a * m + b] / (sd[a] * sd[b]);
        }
    }
    let r_y: Vec<f64> = (0..m).map(|a| cov_y[a] / (sd[a] * var_y.sqrt())).collect();
    let (values, vectors) = jacobi_eigen(&corr, m);
    // Z = V Λ^{1/2} V' and Z⁻¹ = V Λ^{-1/2} V' (eigenvalues of a near-singular R floored).
    let root: Vec<f64> = values.iter().map(|v| v.max(1e-12).sqrt()).collect();
    let mut z = vec![0.0; m * m];
    let mut z_inv = vec![0.0; m * m];
    for a in 0..m {
        for b in a..m {
            let (mut s, mut t) = (0.0, 0.0);
            for k in 0..m {
                let vv = vectors[a * m + k] * vectors[b * m + k];
                s += vv * root[k];
                t += vv / root[k];
            }
            z[a * m + b] = s;
            z[b * m + a] = s;
            z_inv[a * m + b] = t;
            z_inv[b * m + a] = t;
        }
    }
    let beta: Vec<f64> = (0..m)
        .map(|a| (0..m).map(|b| z_inv[a * m + b] * r_y[b]).sum())
        .collect();
    (0..m)
        .map(|j| (0..m).map(|k| z[j * m + k].powi(2) * beta[k].powi(2)).sum())
        .collect()
}

/// Solves `A x = b` for a symmetric positive definite `A` (`m × m`, row-major) by Cholesky.
pub fn solve_symmetric(a: &[f64], b: &[f64], m: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..=i {
            let mut s = a[i * m + j];
            for k in 0..j {
                s -= l[i * m + k] * l[j * m + k];
            }
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i * m + i] = s.sqrt();
            } else {
                l[i * m + j] = s / l[j * m + j];
            }
        }
    }
    let mut y = vec![0.0; m];
    for i in 0..m {
        let s: f64 = (0..i).map(|k| l[i * m + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * m + i];
    }
    let mut x = vec![0.0; m];
    for i in (0..m).rev() {
        let s: f64 = (i + 1..m).map(|k| l[k * m + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * m + i];
    }
    Some(x)
}

/// Eigenvalues and eigenvectors (columns of the second, row-major) of a symmetric matrix, by
/// cyclic Jacobi rotations: slow for large matrices, exact enough and simple for the few dozen
/// predictors of a driver model.
pub fn jacobi_eigen(matrix: &[f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = matrix.to_vec();
    let mut v = vec![0.0; m * m];
    for i in 0..m {
        v[i * m + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..m)
            .flat_map(|i| (i + 1..m).map(move |j| (i, j)))
            .map(|(i, j)| a[i * m + j].powi(2))
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..m {
            for q in p + 1..m {
                let apq = a[p * m + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * m + q] - a[p * m + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..m {
                    let (akp, akq) = (a[k * m + p], a[k * m + q]);
                    a[k * m + p] = c * akp - s * akq;
                    a[k * m + q] = s * akp + c * akq;
                }
                for k in 0..m {
                    let (apk, aqk) = (a[p * m + k], a[q * m + k]);
                    a[p * m + k] = c * apk - s * aqk;
                    a[q * m + k] = s * apk + c * aqk;
                }
                for k in 0..m {
                    let (vkp, vkq) = (v[k * m + p], v[k * m + q]);
                    v[k * m + p] = c * vkp - s * vkq;
                    v[k * m + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..m).map(|i| a[i * m + i]).collect(), v)
}

/// Benjamini–Hochberg: which of `p_values` are discoveries at false discovery rate `q`.
pub fn benjamini_hochberg(p_values: &[f64], q: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let m = p_values.len() as f64;
    let cutoff = order
        .iter()
        .enumerate()
        .rev()
        .find(|&(rank, &i)| p_values[i] <= q * (rank + 1) as f64 / m)
        .map(|(rank, _)| rank);
    let mut out = vec![false; p_values.len()];
    if let Some(last) = cutoff {
        for &i in &order[..=last] {
            out[i] = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator for test data.
    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn the_fit_recovers_planted_coefficients_and_the_weights_sum_to_r2() {
        let mut state = 7;
        let mut xp = CrossProducts::new(3);
        for _ in 0..20_000 {
            let a = lcg(&mut state) < 0.3;
            // b is correlated with a.
            let b = lcg(&mut state) < if a { 0.6 } else { 0.2 };
            let c = lcg(&mut state) < 0.5;
            let noise = lcg(&mut state) - 0.5;
            let y = 5.0 - 3.0 * f64::from(a) + 1.0 * f64::from(b) + 0.0 * f64::from(c) + noise;
            let active: Vec<usize> = [a, b, c]
                .iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .map(|(j, _)| j)
                .collect();
            xp.add_binary(&active, y);
        }
        let fit = xp.fit().unwrap();
        assert!((fit.coefficients[0] + 3.0).abs() < 0.02, "{fit:?}");
        assert!((fit.coefficients[1] - 1.0).abs() < 0.02, "{fit:?}");
        assert!(fit.coefficients[2].abs() < 0.02, "{fit:?}");
        assert!((fit.intercept - 5.0).abs() < 0.02, "{fit:?}");
        let total: f64 = fit.importance.iter().sum();
        assert!((total - fit.r2).abs() < 1e-6, "{total} vs {}", fit.r2);
        assert!(fit.importance[0] > fit.importance[1] && fit.importance[1] > fit.importance[2]);
    }

    #[test]
    fn jacobi_finds_the_eigenvalues_of_a_known_matrix() {
        let (values, _) = jacobi_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        let mut values = values;
        values.sort_by(f64::total_cmp);
        assert!((values[0] - 1.0).abs() < 1e-12 && (values[1] - 3.0).abs() < 1e-12);
    }

    #[test]
    fn benjamini_hochberg_keeps_the_small_p_values_it_can_afford() {
        let found = benjamini_hochberg(&[0.001, 0.8, 0.02, 0.04, 0.3], 0.05);
        assert_eq!(found, [true, false, true, false, false]);
    }
}

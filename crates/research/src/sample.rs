//! Designs on the unit cube and correlated samples of a population.
//!
//! - Plain pseudo-random points (physio's seeded xoshiro256**).
//! - Latin hypercube (McKay, Beckman & Conover 1979): each of `n` equal strata of every
//!   parameter holds exactly one point, in a random order per parameter.
//! - Sobol (Owen-scrambled, Burley 2020, `sobol_burley`): a low-discrepancy sequence, best
//!   with `n` a power of two.
//!
//! Correlations are imposed by Iman & Conover (1982, Commun. Stat. Simul. Comput. 11:311): the
//! sampled values of each parameter are kept (so the marginals and the design's
//! stratification stay exact) and only re-paired, so that their ranks follow van der Waerden
//! scores whose correlation matrix is the target. What is matched is therefore the correlation
//! of normal scores, close to Spearman's rank correlation.
use physio::rng::Rng;

use crate::dist::normal_quantile;

/// How the unit cube is covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    Random,
    LatinHypercube,
    Sobol,
}

names!(Design: Random = "random", LatinHypercube = "lhs", Sobol = "sobol");

/// `n` points in `[0, 1)^d`, row-major (`points[i * d + j]`), fixed by `seed`.
pub fn unit_points(design: Design, n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut out = vec![0.0; n * d];
    match design {
        Design::Random => {
            let mut rng = Rng::new(seed);
            for x in &mut out {
                *x = rng.uniform();
            }
        }
        Design::LatinHypercube => {
            let mut rng = Rng::new(seed);
            for j in 0..d {
                let perm = permutation(n, &mut rng);
                for (i, &s) in perm.iter().enumerate() {
                    out[i * d + j] = (s as f64 + rng.uniform()) / n as f64;
                }
            }
        }
        Design::Sobol => {
            // The scramble seed is 32 bits; fold the 64-bit seed into it.
            let s = (seed ^ (seed >> 32)) as u32;
            for i in 0..n {
                for j in 0..d {
                    out[i * d + j] = f64::from(sobol_burley::sample(i as u32, j as u32, s));
                }
            }
        }
    }
    out
}

/// The largest number of dimensions a Sobol design may have.
pub const SOBOL_MAX_DIMENSIONS: usize = sobol_burley::NUM_DIMENSIONS as usize;

/// A uniformly random permutation of `0..n` (Fisher–Yates).
pub fn permutation(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        p.swap(i, j);
    }
    p
}

/// Lower Cholesky factor of a symmetric `d × d` matrix (row-major); `None` unless positive
/// definite.
pub fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                if s <= 1e-12 {
                    return None;
                }
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Some(l)
}

/// Pearson correlation matrix of the columns of `x` (`n × d`, row-major).
pub fn correlation(x: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mean: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64)
        .collect();
    let mut c = vec![0.0; d * d];
    for a in 0..d {
        for b in 0..=a {
            let mut s = 0.0;
            for i in 0..n {
                s += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]);
            }
            c[a * d + b] = s;
            c[b * d + a] = s;
        }
    }
    let sd: Vec<f64> = (0..d).map(|j| c[j * d + j].sqrt()).collect();
    for a in 0..d {
        for b in 0..d {
            c[a * d + b] /= sd[a] * sd[b];
        }
    }
    c
}

/// Ranks (0-based) of a column; ties broken by position.
fn ranks(col: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..col.len()).collect();
    idx.sort_by(|&a, &b| col[a].total_cmp(&col[b]).then(a.cmp(&b)));
    let mut r = vec![0; col.len()];
    for (rank, &i) in idx.iter().enumerate() {
        r[i] = rank;
    }
    r
}

/// Re-pair the columns of `x` (`n × d`, row-major, already drawn from their marginals) so that
/// their rank correlation approaches `target` (`d × d`, positive definite), by Iman–Conover.
/// Returns `Err` with a message when the target is not a valid correlation matrix.
pub fn iman_conover(
    x: &mut [f64],
    n: usize,
    d: usize,
    target: &[f64],
    seed: u64,
) -> Result<(), String> {
    if d < 2 || n < 3 {
        return Ok(());
    }
    let p = cholesky(target, d)
        .ok_or("the correlations do not form a positive-definite matrix (some are inconsistent)")?;
    // Van der Waerden scores, shuffled independently per column.
    let scores: Vec<f64> = (1..=n)
        .map(|i| normal_quantile(i as f64 / (n + 1) as f64))
        .collect();
    let mut rng = Rng::new(seed ^ 0x1c0_c0de);
    let mut s = vec![0.0; n * d];
    for j in 0..d {
        let perm = permutation(n, &mut rng);
        for i in 0..n {
            s[i * d + j] = scores[perm[i]];
        }
    }
    // Remove the scores' own chance correlation (Q), then impose the target (P):
    // T = S (Q⁻¹)ᵀ Pᵀ, row by row: solve Q y = s_i, then t_i = P y.
    let e = correlation(&s, n, d);
    let q = cholesky(&e, d).ok_or("too few patients to impose correlations")?;
    let mut t = vec![0.0; n * d];
    let mut y = vec![0.0; d];
    for i in 0..n {
        for a in 0..d {
            let mut v = s[i * d + a];
            for k in 0..a {
                v -= q[a * d + k] * y[k];
            }
            y[a] = v / q[a * d + a];
        }
        for a in 0..d {
            t[i * d + a] = (0..=a).map(|k| p[a * d + k] * y[k]).sum();
        }
    }
    // Each column of x takes the rank order of the same column of t.
    for j in 0..d {
        let col_t: Vec<f64> = (0..n).map(|i| t[i * d + j]).collect();
        let mut sorted: Vec<f64> = (0..n).map(|i| x[i * d + j]).collect();
        sorted.sort_by(f64::total_cmp);
        for (i, r) in ranks(&col_t).into_iter().enumerate() {
            x[i * d + j] = sorted[r];
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_hypercube_fills_every_stratum_once() {
        let (n, d) = (50, 3);
        let x = unit_points(Design::LatinHypercube, n, d, 7);
        for j in 0..d {
            let mut seen = vec![false; n];
            for i in 0..n {
                let s = (x[i * d + j] * n as f64) as usize;
                assert!(!seen[s], "stratum {s} twice");
                seen[s] = true;
            }
        }
        assert_eq!(x, unit_points(Design::LatinHypercube, n, d, 7));
        assert_ne!(x, unit_points(Design::LatinHypercube, n, d, 8));
    }

    #[test]
    fn sobol_is_balanced() {
        // Any 2^k-point prefix of a (scrambled) Sobol sequence has exactly half its points in
        // each half of every dimension.
        let (n, d) = (64, 4);
        let x = unit_points(Design::Sobol, n, d, 3);
        for j in 0..d {
            let low = (0..n).filter(|&i| x[i * d + j] < 0.5).count();
            assert_eq!(low, n / 2);
        }
    }

    #[test]
    fn iman_conover_imposes_rank_correlation_and_keeps_marginals() {
        let (n, d) = (500, 3);
        let mut x = unit_points(Design::LatinHypercube, n, d, 1);
        let mut before: Vec<Vec<f64>> = (0..d)
            .map(|j| (0..n).map(|i| x[i * d + j]).collect())
            .collect();
        let target = [1.0, 0.7, 0.0, 0.7, 1.0, -0.3, 0.0, -0.3, 1.0];
        iman_conover(&mut x, n, d, &target, 1).unwrap();
        for (j, b) in before.iter_mut().enumerate() {
            let mut after: Vec<f64> = (0..n).map(|i| x[i * d + j]).collect();
            after.sort_by(f64::total_cmp);
            b.sort_by(f64::total_cmp);
            assert_eq!(&after, b, "column {j} changed its values");
        }
        // Rank correlation of the result.
        let mut r = vec![0.0; n * d];
        for j in 0..d {
            let col: Vec<f64> = (0..n).map(|i| x[i * d + j]).collect();
            for (i, k) in ranks(&col).into_iter().enumerate() {
                r[i * d + j] = k as f64;
            }
        }
        let c = correlation(&r, n, d);
        for k in 0..d * d {
            assert!(
                (c[k] - target[k]).abs() < 0.05,
                "{k}: {} vs {}",
                c[k],
                target[k]
            );
        }
        let bad = [1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0];
        assert!(iman_conover(&mut x, n, d, &bad, 1).is_err());
    }
}

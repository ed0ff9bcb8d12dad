//! The float64 error bounds proved with Gappa (proofs/gappa/), checked against the code: each
//! script proves |(pre - ex) / ex| <= 2^-K for the double-double value `pre` that the code
//! rounds once, so the float64 result is within 0.5 + 2^(53 - K) ULP of the exact value.
//!
//! EDM c_skip, c_out and c_in are rational in sigma, sigma_data and a square root, so their
//! exact error is measured here without a reference table, from residuals that error-free
//! transformations evaluate to twice the working precision: y (s^2 + d^2) - d^2 for c_skip, and
//! so on. That allows a dense sample over the whole proved domain.

use elucidated::noise::NoiseStream;
use elucidated::precond::{EdmPrecond, Preconditioner};

/// The exponent K of the bound `|(pre - ex) / ex| <= 1b-K` proved in `proofs/gappa/<file>`.
pub fn proved_exponent(file: &str) -> i32 {
    let path = format!("{}/proofs/gappa/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let marker = "|(pre - ex) / ex| <= 1b-";
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("{path}: no bound"))
        + marker.len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("bound exponent")
}

/// The ULP bound that one rounding of a value within 2^-K of the exact one implies.
pub fn ulp_bound(file: &str) -> f64 {
    0.5 + 2f64.powi(53 - proved_exponent(file))
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// The sum of `terms` as if computed in twice the working precision (Sum2, Ogita, Rump and
/// Oishi 2005).
fn sum2(terms: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for &x in terms {
        let (t, e) = two_sum(s, x);
        s = t;
        c += e;
    }
    s + c
}

/// The exact square of the product a b, as six float64 terms.
fn square_of_product(a: f64, b: f64) -> [f64; 6] {
    let (p, e) = two_prod(a, b);
    let (p2, p2e) = two_prod(p, p);
    let (pe, pee) = two_prod(2.0 * p, e);
    let (e2, e2e) = two_prod(e, e);
    [p2, p2e, pe, pee, e2, e2e]
}

/// The exact product y a b, as four float64 terms.
fn triple_product(y: f64, a: f64, b: f64) -> [f64; 4] {
    let (p, e) = two_prod(y, a);
    let (p1, e1) = two_prod(p, b);
    let (p2, e2) = two_prod(e, b);
    [p1, e1, p2, e2]
}

fn ulp(x: f64) -> f64 {
    let x = x.abs();
    (x.next_up() - x).max(x - x.next_down())
}

/// sigma and sigma_data scaled by one power of two so that the larger lies in [1, 2).
fn scaled(sigma: f64, sigma_data: f64) -> (f64, f64, i32) {
    let k = sigma.max(sigma_data).log2().floor() as i32;
    let p = 2f64.powi(-k);
    (sigma * p, sigma_data * p, k)
}

/// ULP error of c_skip = d^2 / (s^2 + d^2) from the residual y (s^2 + d^2) - d^2.
fn c_skip_error(y: f64, sigma: f64, sigma_data: f64) -> f64 {
    let (s, d, _) = scaled(sigma, sigma_data);
    let mut terms = Vec::with_capacity(10);
    terms.extend(triple_product(y, s, s));
    terms.extend(triple_product(y, d, d));
    let (dd, dde) = two_prod(d, d);
    terms.extend([-dd, -dde]);
    let den = s.mul_add(s, d * d);
    let err = sum2(&terms) / den;
    err.abs() / ulp(y - err)
}

/// ULP error of c_in = 1 / sqrt(s^2 + d^2) (scaled by 2^k) from y'^2 (s^2 + d^2) - 1.
fn c_in_error(y: f64, sigma: f64, sigma_data: f64) -> f64 {
    let (s, d, k) = scaled(sigma, sigma_data);
    let y = y * 2f64.powi(k);
    let mut terms = Vec::with_capacity(13);
    terms.extend(square_of_product(y, s));
    terms.extend(square_of_product(y, d));
    terms.push(-1.0);
    // y - v = R / ((y + v) D) = R v^2 / (y + v), about R y / 2.
    let err = sum2(&terms) * y / 2.0;
    err.abs() / ulp(y - err)
}

/// ULP error of c_out = s d / sqrt(s^2 + d^2) (scaled by 2^-k) from y'^2 (s^2 + d^2) - s^2 d^2.
fn c_out_error(y: f64, sigma: f64, sigma_data: f64) -> f64 {
    let (s, d, k) = scaled(sigma, sigma_data);
    let y = y * 2f64.powi(-k);
    let mut terms = Vec::with_capacity(18);
    terms.extend(square_of_product(y, s));
    terms.extend(square_of_product(y, d));
    terms.extend(square_of_product(s, d).map(|t| -t));
    let den = s.mul_add(s, d * d);
    let err = sum2(&terms) / (2.0 * y * den);
    err.abs() / ulp(y - err)
}

/// Which EDM preconditioning coefficient.
#[derive(Clone, Copy)]
pub enum Coefficient {
    Skip,
    Out,
    In,
}

/// The largest ULP error of `which` over a dense sample of the proved domain: sigma_data
/// log-uniform in [2^-50, 2^50], sigma / sigma_data log-uniform in [2^-449, 2^449], plus the
/// ratios 1, 1 +- 2^-52 and every power of two in range, for the paper's sigma_data.
pub fn worst_error(which: Coefficient, samples: usize) -> f64 {
    let mut rng = NoiseStream::new(0x6a09_e667_f3bc_c908);
    let mut cases: Vec<(f64, f64)> = Vec::with_capacity(samples + 1000);
    for _ in 0..samples {
        let sd = 2f64.powf(100.0 * rng.uniform() - 50.0);
        let ratio = 2f64.powi((898.0 * rng.uniform()) as i32 - 449) * (1.0 + rng.uniform());
        cases.push((sd * ratio, sd));
    }
    for sd in [0.5, 0.3, 1.0 / 3.0, 1.0] {
        for sigma in [
            sd,
            sd * (1.0 + f64::EPSILON),
            sd * (1.0 - f64::EPSILON / 2.0),
        ] {
            cases.push((sigma, sd));
        }
        cases.extend((-449..=449).map(|k| (sd * 2f64.powi(k), sd)));
    }
    cases
        .into_iter()
        .map(|(sigma, sd)| {
            let p = EdmPrecond::new(sd).unwrap();
            match which {
                Coefficient::Skip => c_skip_error(p.c_skip(sigma), sigma, sd),
                Coefficient::Out => c_out_error(p.c_out(sigma), sigma, sd),
                Coefficient::In => c_in_error(p.c_in(sigma), sigma, sd),
            }
        })
        .fold(
            0.0,
            |m, e| if e.is_nan() { f64::INFINITY } else { m.max(e) },
        )
}

/// The residual measures of this module applied to a correctly rounded result and to its
/// neighbour one ULP away: the errors must be e and 1 - e (or 1 + e), so the measure sees the
/// error rather than a constant.
pub fn residuals_see_one_ulp() -> bool {
    let p = EdmPrecond::new(0.5).unwrap();
    let sigma = 1.7;
    type Measure = fn(f64, f64, f64) -> f64;
    let measures: [(f64, Measure); 3] = [
        (p.c_skip(sigma), c_skip_error),
        (p.c_out(sigma), c_out_error),
        (p.c_in(sigma), c_in_error),
    ];
    measures.iter().all(|&(y, error)| {
        let (e0, e1) = (error(y, sigma, 0.5), error(y.next_up(), sigma, 0.5));
        let one_more = (e1 - (1.0 - e0)).abs() < 1e-9 || (e1 - (1.0 + e0)).abs() < 1e-9;
        e0 <= 0.5 && one_more
    })
}

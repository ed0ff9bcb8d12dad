//! The improved-DDPM schedule (I12; EDM Table 1, "iDDPM + DDIM" column; Nichol & Dhariwal 2021).

use super::edm::identity_inverse;
use super::{Scalar, Schedule};
use crate::error::{Error, Result, finite, in_range, positive};
use std::f64::consts::FRAC_PI_2;

/// Smallest abar_1 the u-table divides by: below it abar_1 is subnormal (or 0) and the ratios
/// abar_{j-1}/abar_j lose their relative precision.
const MIN_ABAR: f64 = f64::MIN_POSITIVE / f64::EPSILON;

/// The table u_0 > u_1 > ... > u_M = 0 of noise levels of the iDDPM cosine schedule (I12):
/// abar_j = sin^2(pi/2 j / (M (C2 + 1))), u_{j-1} = sqrt((u_j^2 + 1) / max(abar_{j-1}/abar_j, C1) - 1).
#[derive(Debug, Clone, PartialEq)]
pub struct IddpmTable {
    u: Vec<f64>,
    c1: f64,
    c2: f64,
}

impl IddpmTable {
    /// Default C1 = 0.001 (I12).
    pub const DEFAULT_C1: f64 = 0.001;
    /// Default C2 = 0.008 (I12).
    pub const DEFAULT_C2: f64 = 0.008;
    /// Default M = 1000 (I12).
    pub const DEFAULT_M: usize = 1000;
    /// Largest M accepted (a table of 8 MiB; the paper uses 1000).
    pub const MAX_M: usize = 1 << 20;

    /// Builds the table for `c1` in (0, 1], `c2 >= 0` and `2 <= m <= MAX_M` entries above
    /// u_M = 0.
    ///
    /// Errors also where float64 cannot hold the table: when abar_1 = sin^2(pi/2 / (M (C2 + 1)))
    /// is too small to divide by (C2 too large for M), or when u_0 overflows (C1 too small).
    pub fn new(c1: f64, c2: f64, m: usize) -> Result<Self> {
        positive("C1", c1)?;
        in_range("C1", c1, 0.0, 1.0)?;
        finite("C2", c2)?;
        if c2 < 0.0 {
            return Err(Error::Negative {
                name: "C2",
                value: c2,
            });
        }
        if m < 2 {
            return Err(Error::CountTooSmall {
                name: "M",
                value: m,
                min: 2,
            });
        }
        if m > Self::MAX_M {
            return Err(Error::OutOfRange {
                name: "M",
                value: m as f64,
                min: 2.0,
                max: Self::MAX_M as f64,
            });
        }
        let mf = m as f64;
        let angle = |j: usize| FRAC_PI_2 * (j as f64) / (mf * (c2 + 1.0));
        if angle(1).sin().powi(2) < MIN_ABAR {
            return Err(Error::OutOfRange {
                name: "C2",
                value: c2,
                min: 0.0,
                max: FRAC_PI_2 / (mf * MIN_ABAR.sqrt()) - 1.0,
            });
        }
        let mut u = vec![0.0f64; m + 1];
        for j in (1..=m).rev() {
            // r = abar_{j-1}/abar_j = (sin a / sin b)^2 with a = a_{j-1}, b = a_j, and
            // (u_j^2 + 1)/r - 1 = (u_j^2 + (1 - r))/r, where 1 - r = sin(b - a) sin(b + a) / sin^2 b
            // has no cancellation (1 - max(r, C1) = min(1 - r, 1 - C1)).
            let (a, b) = (angle(j - 1), angle(j));
            let sin_b2 = b.sin().powi(2);
            let ratio = (a.sin().powi(2) / sin_b2).max(c1);
            let one_minus = ((b - a).sin() * (b + a).sin() / sin_b2).min(1.0 - c1);
            let uj = u[j];
            u[j - 1] = (uj.mul_add(uj, one_minus) / ratio).sqrt();
        }
        if !u[0].is_finite() {
            return Err(Error::Overflow {
                what: "iDDPM u_0 = sqrt((u_1^2 + 1) / C1 - 1)",
                value: c1,
            });
        }
        Ok(IddpmTable { u, c1, c2 })
    }

    /// The paper's default table (C1 = 0.001, C2 = 0.008, M = 1000).
    pub fn paper() -> Self {
        Self::new(Self::DEFAULT_C1, Self::DEFAULT_C2, Self::DEFAULT_M)
            .expect("the paper's iDDPM constants are valid")
    }

    /// The entries u_0, ..., u_M (decreasing, u_M = 0).
    pub fn u(&self) -> &[f64] {
        &self.u
    }

    /// M, the number of entries above u_M = 0.
    pub fn m(&self) -> usize {
        self.u.len() - 1
    }

    /// C1, the clipping constant.
    pub fn c1(&self) -> f64 {
        self.c1
    }

    /// C2, the cosine offset.
    pub fn c2(&self) -> f64 {
        self.c2
    }

    /// The index j minimising |u_j - sigma| (the first one on ties), as iDDPM's c_noise and
    /// NVlabs's round_sigma use it (I16).
    pub fn nearest_index(&self, sigma: f64) -> usize {
        // u is decreasing: find the first entry <= sigma, then compare with its predecessor.
        let k = self.u.partition_point(|&u| u > sigma);
        if k == 0 {
            return 0;
        }
        if k == self.u.len() {
            return k - 1;
        }
        if (self.u[k - 1] - sigma).abs() <= (self.u[k] - sigma).abs() {
            k - 1
        } else {
            k
        }
    }

    /// u_j nearest to sigma: NVlabs's `round_sigma` for iDDPM.
    pub fn round_sigma(&self, sigma: f64) -> f64 {
        self.u[self.nearest_index(sigma)]
    }
}

/// iDDPM: sigma(t) = t, s(t) = 1 (I12), with the table of noise levels its discretisation and
/// its c_noise use.
#[derive(Debug, Clone, PartialEq)]
pub struct Iddpm {
    table: IddpmTable,
}

impl Iddpm {
    /// The iDDPM schedule over `table`.
    pub fn new(table: IddpmTable) -> Self {
        Iddpm { table }
    }

    /// The paper's defaults.
    pub fn paper() -> Self {
        Iddpm::new(IddpmTable::paper())
    }

    /// The u-table.
    pub fn table(&self) -> &IddpmTable {
        &self.table
    }
}

impl Schedule for Iddpm {
    /// sigma(t) = t (I12).
    fn sigma<D: Scalar>(&self, t: D) -> D {
        t
    }

    /// s(t) = 1 (I12).
    fn scale<D: Scalar>(&self, _t: D) -> D {
        D::one()
    }

    fn t_range(&self) -> (f64, f64) {
        (0.0, f64::MAX)
    }

    /// sigma^-1(sigma) = sigma.
    fn sigma_inv(&self, sigma: f64) -> Result<f64> {
        identity_inverse(sigma)
    }
}

//! The improved-DDPM schedule (I12; EDM Table 1, "iDDPM + DDIM" column; Nichol & Dhariwal 2021).

use super::edm::identity_inverse;
use super::{Scalar, Schedule};
use crate::dd::Dd;
use crate::error::{Error, Result, finite, in_range, positive};

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
    /// u_M = 0; an error where float64 cannot hold an entry (C1 so small that u_0 overflows).
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
            return Err(Error::CountOutOfRange {
                name: "M",
                value: m,
                min: 2,
                max: Self::MAX_M,
            });
        }
        let u = u_table(c1, c2, m);
        if let Some(&bad) = u.iter().find(|u| !u.is_finite()) {
            return Err(Error::Overflow {
                what: "iDDPM u-table entry",
                value: bad,
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

/// The recursion of I12 in double-double on w_j = u_j^2 + 1 (w_M = 1):
/// w_{j-1} = w_j / max(abar_{j-1} / abar_j, C1), abar_j = sin^2(pi/2 j / (M (C2 + 1))), and
/// u_{j-1} = sqrt(w_{j-1} - 1) rounded once. Carrying w in double-double keeps the M roundings
/// of the recursion from accumulating (each entry is within about 2^-95 of the exact one).
fn u_table(c1: f64, c2: f64, m: usize) -> Vec<f64> {
    let period = Dd::add_f64s(1.0, c2).mul_f64(m as f64);
    let sin_angle = |j: usize| Dd::FRAC_PI_2.mul_f64(j as f64).div(period).sin();
    let mut u = vec![0.0f64; m + 1];
    let mut w = Dd::ONE;
    let mut sin_j = sin_angle(m);
    for j in (1..=m).rev() {
        let sin_prev = sin_angle(j - 1);
        let q = sin_prev.div(sin_j);
        let ratio = q.mul(q);
        w = w.div(if ratio.lt_f64(c1) {
            Dd::from_f64(c1)
        } else {
            ratio
        });
        u[j - 1] = w.add_f64(-1.0).sqrt().to_f64();
        sin_j = sin_prev;
    }
    u
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

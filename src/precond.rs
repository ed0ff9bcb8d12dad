//! Preconditioning (EDM Section 5 and Table 1, I16–I21): D(x; sigma) = c_skip(sigma) x +
//! c_out(sigma) F(c_in(sigma) x; c_noise(sigma)), and the loss weight lambda(sigma).
//!
//! Every network wrapper and every loss takes its coefficients from here; nothing re-derives
//! them. All are computed in float64 from the float64 sigma.

use crate::dd::{Dd, frexp1, ldexp, recip_hypot_1};
use crate::error::{Error, Result, positive};
use crate::family::Family;
use crate::schedule::{IddpmTable, Vp};

/// The five preconditioning coefficients at one noise level (I16, I21).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecondCoefficients {
    /// Skip-connection weight c_skip(sigma).
    pub c_skip: f64,
    /// Output scale c_out(sigma).
    pub c_out: f64,
    /// Input scale c_in(sigma).
    pub c_in: f64,
    /// Noise conditioning input c_noise(sigma).
    pub c_noise: f64,
    /// Loss weight lambda(sigma) (I21).
    pub loss_weight: f64,
}

/// A preconditioning of Table 1 (I16). Methods take a noise level sigma > 0.
pub trait Preconditioner {
    /// c_skip(sigma).
    fn c_skip(&self, sigma: f64) -> f64;
    /// c_out(sigma).
    fn c_out(&self, sigma: f64) -> f64;
    /// c_in(sigma).
    fn c_in(&self, sigma: f64) -> f64;
    /// c_noise(sigma).
    fn c_noise(&self, sigma: f64) -> f64;
    /// The loss weight lambda(sigma) (I21).
    fn loss_weight(&self, sigma: f64) -> f64;

    /// The noise level the network is actually evaluated at (NVlabs's `round_sigma`): sigma
    /// itself, except for iDDPM, which rounds to the nearest u_j.
    fn round_sigma(&self, sigma: f64) -> f64 {
        sigma
    }

    /// All five coefficients, or an error when `sigma` is not a finite positive number or a
    /// coefficient is not representable (the loss weight 1/sigma^2 overflows below ~1e-154).
    fn coefficients(&self, sigma: f64) -> Result<PrecondCoefficients> {
        positive("sigma", sigma)?;
        let c = PrecondCoefficients {
            c_skip: self.c_skip(sigma),
            c_out: self.c_out(sigma),
            c_in: self.c_in(sigma),
            c_noise: self.c_noise(sigma),
            loss_weight: self.loss_weight(sigma),
        };
        for (what, v) in [
            ("c_skip", c.c_skip),
            ("c_out", c.c_out),
            ("c_in", c.c_in),
            ("c_noise", c.c_noise),
            ("loss weight", c.loss_weight),
        ] {
            if !v.is_finite() {
                return Err(Error::Overflow { what, value: sigma });
            }
        }
        Ok(c)
    }
}

/// 1 / x^2 in double-double, for a finite x > 0: x = m 2^e, 1/x^2 = (1/m^2) 2^-2e. The scaling
/// is exact while the parts stay normal; beyond, the term is negligible or infinite.
fn inverse_square_dd(x: f64) -> Dd {
    let (m, e) = frexp1(x);
    Dd::sq(m).recip().ldexp(-2 * e)
}

/// 1 / sigma^2, the loss weight of VP, VE and iDDPM (I21), in double-double and rounded once,
/// subnormal results included.
fn inverse_square(sigma: f64) -> f64 {
    let (m, e) = frexp1(sigma);
    Dd::sq(m).recip().to_f64_scaled(-2 * e)
}

/// 1 / sqrt(sigma^2 + 1) without overflow (c_in of VP and iDDPM, I16).
fn vp_c_in(sigma: f64) -> f64 {
    recip_hypot_1(sigma)
}

/// ln(sigma) in double-double, for a finite sigma > 0.
fn ln_dd(sigma: f64) -> Dd {
    Dd::from_f64(sigma).ln()
}

/// EDM preconditioning (I16 "Ours" column, I19, I21) with data standard deviation sigma_data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdmPrecond {
    sigma_data: f64,
}

impl EdmPrecond {
    /// EDM preconditioning for data of per-dimension standard deviation `sigma_data > 0`.
    pub fn new(sigma_data: f64) -> Result<Self> {
        positive("sigma_data", sigma_data)?;
        Ok(EdmPrecond { sigma_data })
    }

    /// sigma_data.
    pub fn sigma_data(&self) -> f64 {
        self.sigma_data
    }

    /// sigma and sigma_data scaled by the same power of two 2^-k so that the larger lies in
    /// [1, 2): squares can neither overflow nor lose the smaller term, and the scaling is exact.
    fn scaled(&self, sigma: f64) -> (f64, f64, i32) {
        let (_, k) = frexp1(sigma.max(self.sigma_data));
        (ldexp(sigma, -k), ldexp(self.sigma_data, -k), k)
    }
}

/// s^2 + d^2 in double-double for scaled s, d (the larger in [1, 2)): a value in [1, 8].
fn sum_of_squares(s: f64, d: f64) -> Dd {
    Dd::sq(s).add(Dd::sq(d))
}

impl Preconditioner for EdmPrecond {
    /// c_skip = sigma_data^2 / (sigma^2 + sigma_data^2) (I16, I19).
    ///
    /// With s, d = sigma, sigma_data scaled by 2^-k (the larger in [1, 2)) and d = d' 2^j
    /// (d' in [1, 2)): c_skip = (d'^2 / (s^2 + d^2)) 2^2j, the squares exact (TwoProduct), the
    /// sum and the quotient in double-double (`Dd::add`, `Dd::div`), one final rounding.
    /// Error bound proved in proofs/gappa/I16_edm_c_skip.g and checked against the code by
    /// `i16_edm_c_skip_within_gappa_bound` (tests/core/accuracy).
    fn c_skip(&self, sigma: f64) -> f64 {
        let (s, d, _) = self.scaled(sigma);
        if d == 0.0 {
            return 0.0;
        }
        let (dm, j) = frexp1(d);
        Dd::sq(dm).div(sum_of_squares(s, d)).to_f64_scaled(2 * j)
    }

    /// c_out = sigma sigma_data / sqrt(sigma^2 + sigma_data^2) (I16, I19).
    ///
    /// With the scaling of [`EdmPrecond::c_skip`] and s = s' 2^i, d = d' 2^j (s', d' in
    /// [1, 2)): c_out = (s' d' / sqrt(s^2 + d^2)) 2^(i + j + k), the product exact, the sum,
    /// square root and quotient in double-double, one final rounding. Error bound proved in
    /// proofs/gappa/I16_edm_c_out.g and checked against the code by
    /// `i16_edm_c_out_within_gappa_bound` (tests/core/accuracy).
    fn c_out(&self, sigma: f64) -> f64 {
        let (s, d, k) = self.scaled(sigma);
        if s == 0.0 || d == 0.0 {
            return sigma.min(self.sigma_data);
        }
        let ((sm, i), (dm, j)) = (frexp1(s), frexp1(d));
        Dd::mul_f64s(sm, dm)
            .div(sum_of_squares(s, d).sqrt())
            .to_f64_scaled(i + j + k)
    }

    /// c_in = 1 / sqrt(sigma^2 + sigma_data^2) (I16, I17).
    ///
    /// With the scaling of [`EdmPrecond::c_skip`]: c_in = (1 / sqrt(s^2 + d^2)) 2^-k, the sum,
    /// square root and reciprocal in double-double, one final rounding. Error bound proved in
    /// proofs/gappa/I16_edm_c_in.g and checked against the code by
    /// `i16_edm_c_in_within_gappa_bound` (tests/core/accuracy).
    fn c_in(&self, sigma: f64) -> f64 {
        let (s, d, k) = self.scaled(sigma);
        sum_of_squares(s, d).sqrt().recip().to_f64_scaled(-k)
    }

    /// c_noise = ln(sigma) / 4 (I16), the logarithm in double-double.
    fn c_noise(&self, sigma: f64) -> f64 {
        0.25 * ln_dd(sigma).to_f64()
    }

    /// lambda = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2 = 1 / c_out^2 (I21),
    /// evaluated as 1/sigma_data^2 + 1/sigma^2 in double-double, which overflows only where
    /// lambda itself does.
    fn loss_weight(&self, sigma: f64) -> f64 {
        inverse_square_dd(self.sigma_data)
            .add(inverse_square_dd(sigma))
            .to_f64()
    }
}

/// VP preconditioning (I16 "VP" column): c_skip = 1, c_out = -sigma, c_in = 1/sqrt(sigma^2+1),
/// c_noise = (M - 1) sigma^-1(sigma), lambda = 1/sigma^2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VpPrecond {
    schedule: Vp,
    m: f64,
}

impl VpPrecond {
    /// Default M = 1000 (I10).
    pub const DEFAULT_M: f64 = 1000.0;

    /// VP preconditioning for `schedule` with M > 1 training time steps.
    pub fn new(schedule: Vp, m: f64) -> Result<Self> {
        positive("M - 1", m - 1.0)?;
        Ok(VpPrecond { schedule, m })
    }

    /// The paper's defaults (beta_d = 19.9, beta_min = 0.1, M = 1000).
    pub fn paper() -> Self {
        VpPrecond {
            schedule: Vp::paper(),
            m: Self::DEFAULT_M,
        }
    }
}

impl Preconditioner for VpPrecond {
    fn c_skip(&self, _sigma: f64) -> f64 {
        1.0
    }

    fn c_out(&self, sigma: f64) -> f64 {
        -sigma
    }

    fn c_in(&self, sigma: f64) -> f64 {
        vp_c_in(sigma)
    }

    /// c_noise = (M - 1) sigma^-1(sigma) (I16), with VP's closed-form inverse (I10), the
    /// product in double-double.
    fn c_noise(&self, sigma: f64) -> f64 {
        let (t, e) = self.schedule.time_of_sigma_dd(sigma);
        Dd::from_f64(self.m).add_f64(-1.0).mul(t).to_f64_scaled(e)
    }

    fn loss_weight(&self, sigma: f64) -> f64 {
        inverse_square(sigma)
    }
}

/// VE preconditioning (I16 "VE" column): c_skip = 1, c_out = sigma, c_in = 1,
/// c_noise = ln(sigma / 2), lambda = 1/sigma^2.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VePrecond;

impl Preconditioner for VePrecond {
    fn c_skip(&self, _sigma: f64) -> f64 {
        1.0
    }

    fn c_out(&self, sigma: f64) -> f64 {
        sigma
    }

    fn c_in(&self, _sigma: f64) -> f64 {
        1.0
    }

    /// c_noise = ln(sigma / 2) (I16), in double-double: sigma / 2 is exact for sigma >= 1, and
    /// below 1 the two logarithms have the same sign.
    fn c_noise(&self, sigma: f64) -> f64 {
        if sigma >= 1.0 {
            ln_dd(0.5 * sigma).to_f64()
        } else {
            ln_dd(sigma).sub(Dd::LN2).to_f64()
        }
    }

    fn loss_weight(&self, sigma: f64) -> f64 {
        inverse_square(sigma)
    }
}

/// iDDPM preconditioning (I16 "iDDPM" column): c_skip = 1, c_out = -sigma,
/// c_in = 1/sqrt(sigma^2+1), c_noise = M - 1 - argmin_j |u_j - sigma|, lambda = 1/sigma^2.
#[derive(Debug, Clone, PartialEq)]
pub struct IddpmPrecond {
    table: IddpmTable,
}

impl IddpmPrecond {
    /// iDDPM preconditioning over the u-table `table`.
    pub fn new(table: IddpmTable) -> Self {
        IddpmPrecond { table }
    }

    /// The u-table.
    pub fn table(&self) -> &IddpmTable {
        &self.table
    }
}

impl Preconditioner for IddpmPrecond {
    fn c_skip(&self, _sigma: f64) -> f64 {
        1.0
    }

    fn c_out(&self, sigma: f64) -> f64 {
        -sigma
    }

    fn c_in(&self, sigma: f64) -> f64 {
        vp_c_in(sigma)
    }

    /// c_noise = M - 1 - argmin_j |u_j - sigma| (I16).
    fn c_noise(&self, sigma: f64) -> f64 {
        (self.table.m() - 1) as f64 - self.table.nearest_index(sigma) as f64
    }

    fn loss_weight(&self, sigma: f64) -> f64 {
        inverse_square(sigma)
    }

    /// The u_j nearest to sigma.
    fn round_sigma(&self, sigma: f64) -> f64 {
        self.table.round_sigma(sigma)
    }
}

/// One of the preconditionings of Table 1, chosen at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum PrecondKind {
    /// VP (I16).
    Vp(VpPrecond),
    /// VE (I16).
    Ve(VePrecond),
    /// iDDPM (I16).
    Iddpm(IddpmPrecond),
    /// EDM (I16).
    Edm(EdmPrecond),
}

impl PrecondKind {
    /// The family's preconditioning with the paper's defaults, EDM's with data standard
    /// deviation `sigma_data`.
    ///
    /// # Errors
    ///
    /// A bad `sigma_data` (EDM only).
    pub fn paper(family: Family, sigma_data: f64) -> Result<Self> {
        Self::with_vp(family, Vp::paper(), sigma_data)
    }

    /// The family's preconditioning, VP's over the schedule `vp` (with M = 1000), EDM's with
    /// data standard deviation `sigma_data`, iDDPM's over the paper's table.
    ///
    /// # Errors
    ///
    /// A bad `sigma_data` (EDM only).
    pub fn with_vp(family: Family, vp: Vp, sigma_data: f64) -> Result<Self> {
        Ok(match family {
            Family::Vp => PrecondKind::Vp(VpPrecond::new(vp, VpPrecond::DEFAULT_M)?),
            Family::Ve => PrecondKind::Ve(VePrecond),
            Family::Iddpm => PrecondKind::Iddpm(IddpmPrecond::new(IddpmTable::paper())),
            Family::Edm => PrecondKind::Edm(EdmPrecond::new(sigma_data)?),
        })
    }

    /// The family the preconditioning belongs to.
    pub fn family(&self) -> Family {
        match self {
            PrecondKind::Vp(_) => Family::Vp,
            PrecondKind::Ve(_) => Family::Ve,
            PrecondKind::Iddpm(_) => Family::Iddpm,
            PrecondKind::Edm(_) => Family::Edm,
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $p:ident => $e:expr) => {
        match $self {
            PrecondKind::Vp($p) => $e,
            PrecondKind::Ve($p) => $e,
            PrecondKind::Iddpm($p) => $e,
            PrecondKind::Edm($p) => $e,
        }
    };
}

impl Preconditioner for PrecondKind {
    fn c_skip(&self, sigma: f64) -> f64 {
        dispatch!(self, p => p.c_skip(sigma))
    }
    fn c_out(&self, sigma: f64) -> f64 {
        dispatch!(self, p => p.c_out(sigma))
    }
    fn c_in(&self, sigma: f64) -> f64 {
        dispatch!(self, p => p.c_in(sigma))
    }
    fn c_noise(&self, sigma: f64) -> f64 {
        dispatch!(self, p => p.c_noise(sigma))
    }
    fn loss_weight(&self, sigma: f64) -> f64 {
        dispatch!(self, p => p.loss_weight(sigma))
    }
    fn round_sigma(&self, sigma: f64) -> f64 {
        dispatch!(self, p => p.round_sigma(sigma))
    }
}

//! The parameters of a time discretisation (I14) on the command line, shared by `edm steps` and
//! `edm generate`. Flags use the paper's names; defaults are the paper's for the chosen
//! discretisation.

use elucidated::Error;
use elucidated::schedule::{Edm, IddpmTable, Ve, Vp};
use elucidated::steps::{Discretization, IddpmSelection};

/// Largest noise level kept by NVlabs's iDDPM selection (its ablation sampler's default).
const NVLABS_IDDPM_SIGMA_MAX: f64 = 81.0;

/// Parameters of the discretisations vp, ve, iddpm and edm.
#[derive(Debug, clap::Args)]
pub struct DiscretizationParams {
    /// Smallest noise level (EDM, VE, iDDPM with --iddpm-selection nvlabs; VP: with
    /// --sigma-max, builds the VP schedule from the sigma range as NVlabs does).
    #[arg(long, allow_hyphen_values = true)]
    sigma_min: Option<f64>,
    /// Largest noise level.
    #[arg(long, allow_hyphen_values = true)]
    sigma_max: Option<f64>,
    /// EDM exponent rho.
    #[arg(long, default_value_t = Edm::DEFAULT_RHO, allow_hyphen_values = true)]
    rho: f64,
    /// VP slope beta_d.
    #[arg(long, default_value_t = Vp::DEFAULT_BETA_D, allow_hyphen_values = true)]
    beta_d: f64,
    /// VP intercept beta_min.
    #[arg(long, default_value_t = Vp::DEFAULT_BETA_MIN, allow_hyphen_values = true)]
    beta_min: f64,
    /// VP last time eps_s.
    #[arg(long, default_value_t = Vp::DEFAULT_EPS_S, allow_hyphen_values = true)]
    eps_s: f64,
    /// iDDPM clipping constant C1.
    #[arg(long, default_value_t = IddpmTable::DEFAULT_C1, allow_hyphen_values = true)]
    c1: f64,
    /// iDDPM cosine offset C2.
    #[arg(long, default_value_t = IddpmTable::DEFAULT_C2, allow_hyphen_values = true)]
    c2: f64,
    /// iDDPM table size M.
    #[arg(long, default_value_t = IddpmTable::DEFAULT_M)]
    m: usize,
    /// iDDPM leading entries skipped, j0 (paper selection).
    #[arg(long, default_value_t = 8)]
    j0: usize,
    /// iDDPM selection: `paper` (the formula of I14) or `nvlabs` (the ablation sampler's).
    #[arg(long, default_value = "paper")]
    iddpm_selection: String,
}

impl DiscretizationParams {
    /// The VP schedule: from --sigma-min and --sigma-max when both are given (NVlabs), else
    /// from beta_d and beta_min.
    pub fn vp_schedule(&self) -> Result<Vp, Error> {
        match (self.sigma_min, self.sigma_max) {
            (Some(lo), Some(hi)) => Vp::from_sigma_range(lo, hi, self.eps_s),
            _ => Vp::new(self.beta_d, self.beta_min),
        }
    }

    /// The discretisation named `name` (vp, ve, iddpm, edm) with these parameters.
    pub fn build(&self, name: &str) -> Result<Discretization, Error> {
        match name {
            "vp" => Discretization::vp(self.vp_schedule()?, self.eps_s),
            "ve" => Discretization::ve(
                self.sigma_min.unwrap_or(Ve::DEFAULT_SIGMA_MIN),
                self.sigma_max.unwrap_or(Ve::DEFAULT_SIGMA_MAX),
            ),
            "edm" => Discretization::edm(
                self.sigma_min.unwrap_or(Edm::DEFAULT_SIGMA_MIN),
                self.sigma_max.unwrap_or(Edm::DEFAULT_SIGMA_MAX),
                self.rho,
            ),
            "iddpm" => {
                let table = IddpmTable::new(self.c1, self.c2, self.m)?;
                Discretization::iddpm(table, self.iddpm_selection()?)
            }
            other => Err(Error::UnknownName {
                what: "discretization",
                name: other.to_owned(),
            }),
        }
    }

    fn iddpm_selection(&self) -> Result<IddpmSelection, Error> {
        match self.iddpm_selection.as_str() {
            "paper" => Ok(IddpmSelection::Paper { j0: self.j0 }),
            "nvlabs" => Ok(IddpmSelection::Nvlabs {
                sigma_min: self.sigma_min.unwrap_or(Edm::DEFAULT_SIGMA_MIN),
                sigma_max: self.sigma_max.unwrap_or(NVLABS_IDDPM_SIGMA_MAX),
            }),
            other => Err(Error::UnknownName {
                what: "iDDPM selection",
                name: other.to_owned(),
            }),
        }
    }
}

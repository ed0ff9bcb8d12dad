//! The parameters of a time discretisation (I14) on the command line, shared by `edm steps` and
//! `edm generate`. Flags use the paper's names; defaults are the paper's for the chosen
//! discretisation.

use elucidated::Error;
use elucidated::family::Family;
use elucidated::schedule::{Edm, IddpmTable, Ve, Vp};
use elucidated::steps::{Discretization, IddpmSelection};

/// How the iDDPM discretisation picks its entries of the u-table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SelectionName {
    /// The formula of I14, skipping j0 leading entries.
    Paper,
    /// NVlabs's ablation sampler: the entries within [sigma_min, sigma_max], evenly indexed.
    Nvlabs,
}

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
    #[arg(long, default_value_t = IddpmSelection::DEFAULT_J0)]
    j0: usize,
    /// iDDPM selection.
    #[arg(long, value_enum, default_value_t = SelectionName::Paper)]
    iddpm_selection: SelectionName,
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

    /// The discretisation of `family` with these parameters.
    pub fn build(&self, family: Family) -> Result<Discretization, Error> {
        match family {
            Family::Vp => Discretization::vp(self.vp_schedule()?, self.eps_s),
            Family::Ve => Discretization::ve(
                self.sigma_min.unwrap_or(Ve::DEFAULT_SIGMA_MIN),
                self.sigma_max.unwrap_or(Ve::DEFAULT_SIGMA_MAX),
            ),
            Family::Edm => Discretization::edm(
                self.sigma_min.unwrap_or(Edm::DEFAULT_SIGMA_MIN),
                self.sigma_max.unwrap_or(Edm::DEFAULT_SIGMA_MAX),
                self.rho,
            ),
            Family::Iddpm => {
                let table = IddpmTable::new(self.c1, self.c2, self.m)?;
                Discretization::iddpm(table, self.iddpm_selection())
            }
        }
    }

    fn iddpm_selection(&self) -> IddpmSelection {
        match self.iddpm_selection {
            SelectionName::Paper => IddpmSelection::Paper { j0: self.j0 },
            SelectionName::Nvlabs => IddpmSelection::Nvlabs {
                sigma_min: self.sigma_min.unwrap_or(Edm::DEFAULT_SIGMA_MIN),
                sigma_max: self.sigma_max.unwrap_or(IddpmSelection::NVLABS_SIGMA_MAX),
            },
        }
    }
}

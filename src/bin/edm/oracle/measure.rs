//! The runs of `edm oracle` and their errors against the exact solution.

use elucidated::Error;
use elucidated::analytic::problems::{mixture3, stiff_gaussian8};
use elucidated::analytic::{Gaussian, GaussianMixture};
use elucidated::family::Family;
use elucidated::metrics::{ks_distance, wasserstein2};
use elucidated::noise::NoiseStream;
use elucidated::sampler::{
    GaussianLaw, OdeSampler, Sampler, SamplerKind, Solver, generate_columns,
};
use elucidated::schedule::{Edm, IddpmTable, Schedule, ScheduleKind};
use elucidated::state::State;
use elucidated::steps::{Discretization, IddpmSelection};
use indicatif::ProgressBar;
use nalgebra::DMatrix;
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, Error>;

/// Steps of the mixture's reference solution (Heun), and of the coarser one that estimates its
/// error.
const REFERENCE_STEPS: usize = 1024;
/// Lowest noise level of the reference grid: its final step into sigma = 0 changes a sample by
/// O(sigma_min^2 / v) relative to the exact flow, 1e-8 for the narrowest component (v = 0.01).
const REFERENCE_SIGMA_MIN: f64 = 1e-5;

/// A discretisation mapped to a schedule's time (NVlabs's ablation combination).
pub struct Setting {
    pub disc: &'static str,
    pub schedule: &'static str,
    discretization: Discretization,
    kind: ScheduleKind,
}

impl Setting {
    /// Every discretisation (vp, ve, iddpm with NVlabs's selection in [0.002, 81], edm) with
    /// every schedule (vp, ve, edm = NVlabs's linear), paper defaults.
    pub fn all() -> Result<Vec<Setting>> {
        let mut out = Vec::new();
        for disc in Family::ALL {
            for schedule in [Family::Vp, Family::Ve, Family::Edm] {
                let discretization = if disc == Family::Iddpm {
                    let selection = IddpmSelection::Nvlabs {
                        sigma_min: Edm::DEFAULT_SIGMA_MIN,
                        sigma_max: IddpmSelection::NVLABS_SIGMA_MAX,
                    };
                    Discretization::iddpm(IddpmTable::paper(), selection)?
                } else {
                    Discretization::paper(disc)
                };
                let kind = ScheduleKind::paper(schedule);
                out.push(Setting {
                    disc: disc.name(),
                    schedule: schedule.name(),
                    discretization,
                    kind,
                });
            }
        }
        Ok(out)
    }

    pub fn label(&self) -> String {
        format!("{}/{}", self.disc, self.schedule)
    }

    /// The discretisation's largest noise level, where its samplers start.
    fn sigma_max(&self) -> Result<f64> {
        Ok(self.discretization.sigmas(1)?[0])
    }
}

/// The outcome of one run.
pub struct Measured {
    pub steps: usize,
    pub nfe: usize,
    /// Path error (deterministic samplers only).
    pub path: Option<f64>,
    /// Distribution error: W2 on the Gaussian, Kolmogorov–Smirnov on the mixture.
    pub dist: f64,
}

/// One cell of the table.
pub struct Cell {
    pub data: &'static str,
    pub sampler: String,
    pub disc: &'static str,
    pub schedule: &'static str,
    pub outcome: Result<Measured>,
}

/// The analytic data of the comparison.
pub enum Data {
    Gaussian(Gaussian),
    Mixture {
        mixture: GaussianMixture,
        samples: usize,
    },
}

/// Reference solutions of the mixture per starting noise level, with their estimated error.
pub type References = BTreeMap<&'static str, (DMatrix<f64>, f64)>;

impl Data {
    /// The stiff d = 8 Gaussian of the sampler comparisons ([`stiff_gaussian8`]).
    pub fn gaussian() -> Result<Self> {
        Ok(Data::Gaussian(stiff_gaussian8()?))
    }

    /// The three-component mixture of the sampler comparisons ([`mixture3`]), with `samples`
    /// samples per run.
    pub fn mixture(samples: usize) -> Result<Self> {
        Ok(Data::Mixture {
            mixture: mixture3()?,
            samples,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Data::Gaussian(_) => "gaussian",
            Data::Mixture { .. } => "mixture",
        }
    }

    /// The mixture's reference solutions from each discretisation's sigma_max (none for the
    /// Gaussian, whose flow is exact).
    pub fn references(&self, bar: &ProgressBar) -> Result<References> {
        let mut refs = References::new();
        if let Data::Mixture { mixture, samples } = self {
            for setting in Setting::all()?.iter().filter(|s| s.schedule == "edm") {
                bar.set_message(format!("mixture reference from {}", setting.disc));
                let run = |n| reference(mixture, *samples, setting.sigma_max()?, n);
                let fine = run(REFERENCE_STEPS)?;
                let coarse = run(REFERENCE_STEPS / 2)?;
                let error = rms(&(&fine - coarse)) / 3.0;
                refs.insert(setting.disc, (fine, error));
                bar.inc(1);
            }
        }
        Ok(refs)
    }

    /// Runs `kind` on `setting` with about `nfe` evaluations and measures it.
    pub fn measure(
        &self,
        name: &str,
        kind: &SamplerKind,
        setting: &Setting,
        nfe: usize,
        refs: &References,
    ) -> Cell {
        let outcome = (|| {
            let steps = kind.steps_for_nfe(nfe);
            let times = setting.discretization.times_for(steps, &setting.kind)?;
            let sampler = kind.build(&setting.kind, &times)?;
            let stochastic = kind.is_stochastic();
            let (path, dist) = match self {
                Data::Gaussian(g) => {
                    gaussian_errors(g, &sampler, &setting.kind, &times, stochastic)?
                }
                Data::Mixture { mixture, samples } => {
                    let (reference, _) = refs.get(setting.disc).ok_or(Error::UnknownName {
                        what: "reference solution",
                        name: setting.disc.to_owned(),
                    })?;
                    let out = run_columns(&sampler, mixture, *samples)?;
                    let path = (!stochastic).then(|| rms(&(&out - reference)));
                    let dist = ks_distance(out.as_slice(), |x| mixture.cdf_1d(x, 0.0))?;
                    (path, dist)
                }
            };
            Ok(Measured {
                steps,
                nfe: sampler.nfe(),
                path,
                dist,
            })
        })();
        Cell {
            data: self.name(),
            sampler: name.to_owned(),
            disc: setting.disc,
            schedule: setting.schedule,
            outcome,
        }
    }
}

/// Path error and W2 of the output law, both exact: the sampler runs on the law of its latent
/// ([`GaussianLaw`]); the path error is the root of E |x_N - x*|^2 between its output and the
/// exact flow x* of the same latent (deterministic samplers only).
fn gaussian_errors<P: Sampler, S: Schedule>(
    g: &Gaussian,
    sampler: &P,
    schedule: &S,
    times: &[f64],
    stochastic: bool,
) -> Result<(Option<f64>, f64)> {
    let latent = GaussianLaw::latent(g.dim());
    let law = sampler.sample(g, &latent, &mut [NoiseStream::new(0)])?;
    let dist = wasserstein2((law.mean(), &law.covariance()), (g.mean(), g.covariance()))?;
    if stochastic {
        return Ok((None, dist));
    }
    let (sigma0, t_end) = (schedule.sigma_at(times[0]), times[times.len() - 1]);
    let exact = latent
        .scale(sigma0)?
        .transport(g, sigma0, schedule.sigma_at(t_end))?
        .scale(schedule.scale_at(t_end))?;
    let path = law.lin_comb(1.0, &exact, -1.0)?.second_moment().sqrt();
    Ok((Some(path), dist))
}

/// The root of the mean squared norm of the columns of `m`.
fn rms(m: &DMatrix<f64>) -> f64 {
    (m.norm_squared() / m.ncols() as f64).sqrt()
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One-dimensional samples of seeds 0..n, on all cores (bitwise as if serial).
fn run_columns<P: Sampler + Sync>(
    sampler: &P,
    mixture: &GaussianMixture,
    n: usize,
) -> Result<DMatrix<f64>> {
    let seeds: Vec<u64> = (0..n as u64).collect();
    generate_columns(sampler, mixture, 1, &seeds, threads())
}

/// Heun along EDM's discretisation from `sigma_max` to REFERENCE_SIGMA_MIN in `steps` steps.
fn reference(
    mixture: &GaussianMixture,
    samples: usize,
    sigma_max: f64,
    steps: usize,
) -> Result<DMatrix<f64>> {
    let times = Discretization::edm(REFERENCE_SIGMA_MIN, sigma_max, 7.0)?.times_for(steps, &Edm)?;
    run_columns(
        &OdeSampler::new(&Edm, &times, Solver::HEUN)?,
        mixture,
        samples,
    )
}

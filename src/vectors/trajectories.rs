//! Sampler trajectories on analytic data (I30, I31), with the noise included so that a port
//! needs no compatible random number generator.

use super::params::ScheduleSpec;
use crate::error::Result;
use crate::json::{Node, answer, nums, rows};
use serde_json::{Value, json};

/// The data of a trajectory case, whose exact denoiser the port implements.
#[derive(Debug, Clone, PartialEq)]
pub enum ProblemSpec {
    /// Gaussian data N(mean, covariance) (I30): `{"name": "gaussian", "mean": [d numbers],
    /// "covariance": [d rows of d numbers]}`; D(x; sigma) = mu + Sigma (Sigma + sigma^2 I)^-1
    /// (x - mu).
    Gaussian {
        /// mu.
        mean: Vec<f64>,
        /// Sigma, symmetric positive definite.
        covariance: Vec<Vec<f64>>,
    },
    /// A Gaussian mixture (I31): `{"name": "mixture", "weights": [K numbers summing to 1],
    /// "means": [K rows of d], "covariances": [K matrices d x d]}`; D is the
    /// responsibility-weighted sum of the components' Gaussian denoisers.
    Mixture {
        /// w_k.
        weights: Vec<f64>,
        /// mu_k.
        means: Vec<Vec<f64>>,
        /// Sigma_k.
        covariances: Vec<Vec<Vec<f64>>>,
    },
}

/// The sampler of a trajectory case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SamplerSpec {
    /// Euler steps of the PF-ODE (I07, I24): `{"name": "euler"}`.
    Euler,
    /// Heun steps (Algorithm 1, I24), no correction into sigma = 0: `{"name": "heun"}`.
    Heun,
    /// Algorithm 2 with Heun steps (I25): `{"name": "alg2", "s_churn", "s_tmin", "s_tmax",
    /// "s_noise"}`.
    Alg2 {
        /// S_churn.
        s_churn: f64,
        /// S_tmin.
        s_tmin: f64,
        /// S_tmax.
        s_tmax: f64,
        /// S_noise.
        s_noise: f64,
    },
    /// DDIM in x/s (I27): `{"name": "ddim", "eta"}`.
    Ddim {
        /// eta in [0, 1].
        eta: f64,
    },
    /// DPM-Solver++(2M): `{"name": "dpmpp2m"}`.
    Dpmpp2m,
}

/// One sampler run on one problem under one schedule, from given noise.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryCase {
    /// The data (input).
    pub problem: ProblemSpec,
    /// The schedule (input).
    pub schedule: ScheduleSpec,
    /// The sampler (input).
    pub sampler: SamplerSpec,
    /// The times t_0 > ... > t_N, sigma(t_N) = 0 (input).
    pub t: Vec<f64>,
    /// The standard normal latents n, one row per sample (input): x_0 = sigma(t_0) s(t_0) n.
    pub latent: Vec<Vec<f64>>,
    /// The fresh standard normal noise of each step i < N, one row per sample, `None` at steps
    /// that draw none (input).
    pub noise: Vec<Option<Vec<Vec<f64>>>>,
    /// The states x_0, ..., x_N, one row per sample (answer).
    pub trajectory: Option<Vec<Vec<Vec<f64>>>>,
}

impl ProblemSpec {
    /// The problem's name.
    pub fn name(&self) -> &'static str {
        match self {
            ProblemSpec::Gaussian { .. } => "gaussian",
            ProblemSpec::Mixture { .. } => "mixture",
        }
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        match self {
            ProblemSpec::Gaussian { mean, .. } => mean.len(),
            ProblemSpec::Mixture { means, .. } => means.first().map_or(0, Vec::len),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            ProblemSpec::Gaussian { mean, covariance } => json!({
                "name": "gaussian", "mean": nums(mean), "covariance": rows(covariance)
            }),
            ProblemSpec::Mixture {
                weights,
                means,
                covariances,
            } => {
                let covs: Vec<Value> = covariances.iter().map(|c| rows(c)).collect();
                json!({
                    "name": "mixture", "weights": nums(weights), "means": rows(means),
                    "covariances": covs
                })
            }
        }
    }

    fn from_json(node: &Node<'_>) -> Result<Self> {
        let name = node.field("name")?;
        Ok(match name.string()? {
            "gaussian" => {
                let mean = node.field("mean")?.numbers()?;
                let covariance = node.field("covariance")?.rows(Some(mean.len()))?;
                ProblemSpec::Gaussian { mean, covariance }
            }
            "mixture" => {
                let means = node.field("means")?.rows(None)?;
                let d = means.first().map(Vec::len);
                ProblemSpec::Mixture {
                    weights: node.field("weights")?.numbers()?,
                    covariances: node
                        .field("covariances")?
                        .elements()?
                        .iter()
                        .map(|c| c.rows(d))
                        .collect::<Result<_>>()?,
                    means,
                }
            }
            other => return Err(name.error(format!("unknown problem `{other}`"))),
        })
    }
}

impl SamplerSpec {
    /// A short label: `euler`, `heun`, `alg2`, `ddim(eta=0)`, `dpmpp2m`.
    pub fn label(&self) -> String {
        match self {
            SamplerSpec::Euler => "euler".to_owned(),
            SamplerSpec::Heun => "heun".to_owned(),
            SamplerSpec::Alg2 { .. } => "alg2".to_owned(),
            SamplerSpec::Ddim { eta } => format!("ddim(eta={eta})"),
            SamplerSpec::Dpmpp2m => "dpmpp2m".to_owned(),
        }
    }

    fn to_json(self) -> Value {
        match self {
            SamplerSpec::Euler => json!({"name": "euler"}),
            SamplerSpec::Heun => json!({"name": "heun"}),
            SamplerSpec::Alg2 {
                s_churn,
                s_tmin,
                s_tmax,
                s_noise,
            } => json!({"name": "alg2", "s_churn": s_churn, "s_tmin": s_tmin,
                        "s_tmax": s_tmax, "s_noise": s_noise}),
            SamplerSpec::Ddim { eta } => json!({"name": "ddim", "eta": eta}),
            SamplerSpec::Dpmpp2m => json!({"name": "dpmpp2m"}),
        }
    }

    fn from_json(node: &Node<'_>) -> Result<Self> {
        let name = node.field("name")?;
        let f = |key: &str| node.field(key)?.number();
        Ok(match name.string()? {
            "euler" => SamplerSpec::Euler,
            "heun" => SamplerSpec::Heun,
            "alg2" => SamplerSpec::Alg2 {
                s_churn: f("s_churn")?,
                s_tmin: f("s_tmin")?,
                s_tmax: f("s_tmax")?,
                s_noise: f("s_noise")?,
            },
            "ddim" => SamplerSpec::Ddim { eta: f("eta")? },
            "dpmpp2m" => SamplerSpec::Dpmpp2m,
            other => return Err(name.error(format!("unknown sampler `{other}`"))),
        })
    }
}

impl TrajectoryCase {
    /// The same inputs with no answer.
    pub fn unanswered(&self) -> Self {
        TrajectoryCase {
            trajectory: None,
            ..self.clone()
        }
    }

    /// A label for reports: `sampler/problem/schedule`.
    pub fn label(&self) -> String {
        format!(
            "{}/{}/{}",
            self.sampler.label(),
            self.problem.name(),
            self.schedule.name()
        )
    }

    pub(crate) fn to_json(&self) -> Value {
        let noise: Vec<Value> = self
            .noise
            .iter()
            .map(|n| n.as_deref().map_or(Value::Null, rows))
            .collect();
        let trajectory = self.trajectory.as_ref().map_or(Value::Null, |tr| {
            Value::Array(tr.iter().map(|x| rows(x)).collect())
        });
        json!({
            "problem": self.problem.to_json(),
            "schedule": self.schedule.to_json(),
            "sampler": self.sampler.to_json(),
            "t": nums(&self.t),
            "latent": rows(&self.latent),
            "noise": noise,
            "trajectory": trajectory,
        })
    }

    pub(crate) fn from_json(node: &Node<'_>) -> Result<Self> {
        let problem = ProblemSpec::from_json(&node.field("problem")?)?;
        let d = Some(problem.dim());
        let t = node.field("t")?.numbers()?;
        let latent = node.field("latent")?.rows(d)?;
        let noise = node
            .field("noise")?
            .elements()?
            .iter()
            .map(|n| {
                if n.is_null() {
                    Ok(None)
                } else {
                    n.rows(d).map(Some)
                }
            })
            .collect::<Result<_>>()?;
        let trajectory = answer(node, "trajectory", |n| {
            let states = n.elements()?;
            if states.len() != t.len() {
                return Err(n.error(format!(
                    "expected {} states (N + 1), got {}",
                    t.len(),
                    states.len()
                )));
            }
            states
                .iter()
                .map(|s| {
                    let x = s.rows(d)?;
                    if x.len() == latent.len() {
                        Ok(x)
                    } else {
                        Err(s.error(format!(
                            "expected {} samples, got {}",
                            latent.len(),
                            x.len()
                        )))
                    }
                })
                .collect()
        })?;
        Ok(TrajectoryCase {
            problem,
            schedule: ScheduleSpec::from_json(&node.field("schedule")?)?,
            sampler: SamplerSpec::from_json(&node.field("sampler")?)?,
            t,
            latent,
            noise,
            trajectory,
        })
    }
}

//! The numerical core's tests (schedules, coefficients, time steps, the analytic oracle, golden
//! vectors, reference accuracy): one test binary, built without candle where the core is built
//! alone. Tests are named after the identity they check (`i05_...`, shared/spec/identities.md).

#[path = "../common/mod.rs"]
mod common;

mod accuracy;
mod analytic_gaussian;
mod analytic_mixture;
mod analytic_properties;
mod ddpm;
mod discrete;
mod fuzz_findings;
mod identities_precond;
mod identities_score;
mod identities_vlb;
mod knots;
mod metrics;
mod noise_level;
mod pickle;
mod pickle_hostile;
mod precond;
mod schedule;
mod steps;
mod tolerance;
mod vectors;

//! The markdown table of `edm oracle`.

use super::measure::{Cell, Data, References};
use std::fmt::Write;

fn sci(x: f64) -> String {
    format!("{x:.3e}")
}

/// The two metrics of a data set, as described in the table's header.
fn metrics(d: &Data, refs: &References) -> (String, String) {
    match d {
        Data::Gaussian(_) => (
            "root mean square of |x_N - x*| at sigma = 0, x* the exact PF-ODE solution from the \
             same x_0, exact over standard normal latents"
                .to_owned(),
            "W2: exact Wasserstein-2 distance of the output law from the data".to_owned(),
        ),
        Data::Mixture { samples, .. } => {
            let worst = refs.values().map(|r| r.1).fold(0.0, f64::max);
            (
                format!(
                    "root mean square of |x_N - x*| at sigma = 0 over {samples} latents, x* a reference solution \
                     from the same x_0 (Heun, 1024 steps of EDM's discretisation down to sigma = \
                     1e-5; its own error, estimated from 512 steps, is at most {worst:.1e})"
                ),
                format!(
                    "KS: Kolmogorov–Smirnov distance of the {samples} samples from the data CDF \
                     (about 0.9/sqrt(n) for exact samples)"
                ),
            )
        }
    }
}

/// One table per data set, every cell a row, with a header stating what was measured.
pub fn markdown(cells: &[Cell], data: &[(Data, References)]) -> String {
    let mut s = String::from(
        "# Samplers against the exact solution\n\n\
         Written by `edm oracle`. Each discretisation's noise levels are mapped to the schedule's \
         time by its sigma^-1 (NVlabs's ablation combinations disc/schedule; the VP schedule has \
         its own scaling s = 1/sqrt(1 + sigma^2), VE and EDM have s = 1). NFE is the number of \
         denoiser evaluations. Path errors are for the deterministic samplers only.\n",
    );
    for (d, refs) in data {
        let (path, dist) = metrics(d, refs);
        let _ = write!(
            s,
            "\n## {} data\n\n- path: {path}\n- {dist}\n\n\
             | sampler | disc | schedule | N | NFE | path | {} |\n|---|---|---|---|---|---|---|\n",
            d.name(),
            if matches!(d, Data::Gaussian(_)) {
                "W2"
            } else {
                "KS"
            },
        );
        for c in cells.iter().filter(|c| c.data == d.name()) {
            let _ = match &c.outcome {
                Ok(m) => writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    c.sampler,
                    c.disc,
                    c.schedule,
                    m.steps,
                    m.nfe,
                    m.path.map_or("—".to_owned(), sci),
                    sci(m.dist)
                ),
                Err(e) => writeln!(
                    s,
                    "| {} | {} | {} | | | error: {e} | |",
                    c.sampler, c.disc, c.schedule
                ),
            };
        }
    }
    s
}

//! Prints, as JSON, the discrete tables (I33) at diffusers' defaults, their zero-terminal-SNR
//! rescaling (I34) and the timesteps of every spacing for a set of step counts, for comparison
//! with other implementations (ports/python/discrete/compare_diffusers.py).
//!
//! `cargo run --no-default-features --example discrete_tables > tables.json`

use elucidated::discrete::{DiscreteSchedule, DiscreteTable, SigmaSpacing, Spacing};
use serde_json::{Value, json};

/// The step counts of the comparison.
const STEPS: [usize; 5] = [1, 10, 25, 50, 999];

/// The step counts of the sigma spacings (at least 2).
const SIGMA_STEPS: [usize; 3] = [10, 25, 50];

/// Karras, exponential and beta sigmas and their timesteps over `table`, per step count.
fn sigma_spacings_json(table: &DiscreteTable) -> elucidated::Result<Value> {
    let schedule = DiscreteSchedule::new(table.clone());
    let mut out = serde_json::Map::new();
    for (name, spacing) in [
        ("karras", SigmaSpacing::KARRAS),
        ("exponential", SigmaSpacing::Exponential),
        ("beta", SigmaSpacing::BETA),
    ] {
        let mut per_n = serde_json::Map::new();
        for n in SIGMA_STEPS {
            per_n.insert(
                n.to_string(),
                json!({
                    "sigmas": spacing.sigmas(&schedule, n)?,
                    "timesteps": spacing.timesteps(&schedule, n)?,
                }),
            );
        }
        out.insert(name.to_string(), Value::Object(per_n));
    }
    Ok(Value::Object(out))
}

fn table_json(table: &DiscreteTable) -> Value {
    json!({
        "betas": table.betas(),
        "alphas_cumprod": table.alphas_cumprod(),
        // JSON has no infinity: a zero-terminal-SNR table's last sigma is written as null.
        "sigmas": table.sigmas().iter().map(|s| s.is_finite().then_some(*s)).collect::<Vec<_>>(),
    })
}

fn main() -> elucidated::Result<()> {
    let t = DiscreteTable::DEFAULT_TRAIN_STEPS;
    let tables = [
        (
            "linear",
            DiscreteTable::linear(
                DiscreteTable::LINEAR_BETA_START,
                DiscreteTable::LINEAR_BETA_END,
                t,
            )?,
        ),
        (
            "scaled_linear",
            DiscreteTable::scaled_linear(
                DiscreteTable::SCALED_LINEAR_BETA_START,
                DiscreteTable::SCALED_LINEAR_BETA_END,
                t,
            )?,
        ),
        ("squaredcos_cap_v2", DiscreteTable::squaredcos_cap_v2(t)?),
    ];
    let mut out = serde_json::Map::new();
    for (name, table) in &tables {
        out.insert(
            name.to_string(),
            json!({
                "table": table_json(table),
                "zero_terminal_snr": table_json(&table.zero_terminal_snr()?),
                "sigma_spacings": sigma_spacings_json(table)?,
            }),
        );
    }
    let spacings = [
        ("linspace", Spacing::Linspace),
        ("leading", Spacing::Leading { steps_offset: 0 }),
        ("leading_offset_1", Spacing::Leading { steps_offset: 1 }),
        ("trailing", Spacing::Trailing),
    ];
    let mut timesteps = serde_json::Map::new();
    for (name, spacing) in spacings {
        let per_n: serde_json::Map<String, Value> = STEPS
            .iter()
            .map(|&n| {
                let grid = spacing
                    .timesteps(t, n)
                    .map_or_else(|e| json!({ "error": e.to_string() }), |g| json!(g));
                (n.to_string(), grid)
            })
            .collect();
        timesteps.insert(name.to_string(), Value::Object(per_n));
    }
    out.insert("train_steps".to_string(), json!(t));
    out.insert("timesteps".to_string(), Value::Object(timesteps));
    println!("{}", Value::Object(out));
    Ok(())
}

//! Discrete tables and spacings (I33, I34) from arbitrary betas and table lengths: a table is
//! valid (sigma strictly increasing, finite but for a zero-terminal-SNR end, betas returned)
//! and its k-diffusion schedule inverts at every entry, or a typed error; every spacing for
//! every N from 1 to T is strictly decreasing inside [0, T-1], or a typed error exactly where
//! N = 0, N > T or a leading grid passes T - 1.
#![no_main]

use arbitrary::Arbitrary;
use elucidated::Error;
use elucidated::discrete::{DiscreteSchedule, DiscreteTable, Spacing};
use elucidated::schedule::Schedule;
use libfuzzer_sys::fuzz_target;

/// Largest table length T of the spacing checks (every N from 1 to T is tried).
const MAX_FUZZ_T: usize = 1024;

#[derive(Debug, Arbitrary)]
struct Input {
    betas: Vec<f64>,
    zero_terminal_snr: bool,
    t: u16,
    steps_offset: u8,
}

/// The errors building a table from arbitrary betas may return.
fn table_error(e: &Error) -> bool {
    matches!(
        e,
        Error::CountTooSmall { .. }
            | Error::NotFinite { .. }
            | Error::OutOfRange { .. }
            | Error::InvalidSchedule { .. }
    )
}

fn check_table(table: &DiscreteTable, betas: &[f64]) {
    let sigmas = table.sigmas();
    let last = sigmas.len() - 1;
    for (i, w) in sigmas.windows(2).enumerate() {
        assert!(w[0] < w[1], "sigma {i}: {:?} then {:?}", w[0], w[1]);
    }
    assert!(sigmas[..last].iter().all(|s| s.is_finite() && *s > 0.0));
    assert_eq!(sigmas[last].is_infinite(), table.is_zero_terminal_snr());
    if !betas.is_empty() {
        assert_eq!(table.len(), betas.len());
    }
    let schedule = DiscreteSchedule::new(table.clone());
    let finite = if table.is_zero_terminal_snr() {
        last
    } else {
        last + 1
    };
    for (k, &sigma) in sigmas[..finite].iter().enumerate() {
        assert_eq!(schedule.sigma_at(k as f64), sigma, "sigma_at({k})");
        assert_eq!(
            schedule.sigma_inv(sigma).unwrap(),
            k as f64,
            "sigma_inv at {k}"
        );
        assert_eq!(
            schedule.nearest_timestep(sigma).unwrap(),
            k,
            "nearest at {k}"
        );
    }
}

fn check_spacings(t: usize, offset: usize) {
    for n in 0..=t + 1 {
        for spacing in [
            Spacing::Linspace,
            Spacing::Trailing,
            Spacing::Leading {
                steps_offset: offset,
            },
        ] {
            let leading_past_end = matches!(spacing, Spacing::Leading { .. } if n > 0
                && (n - 1) * (t / n) + offset >= t);
            let invalid = n == 0 || n > t || leading_past_end;
            match spacing.timesteps(t, n) {
                Ok(grid) => {
                    assert!(!invalid, "{spacing:?} T={t} N={n} should fail");
                    assert_eq!(grid.len(), n);
                    assert!(grid[0] < t);
                    assert!(
                        grid.windows(2).all(|w| w[0] > w[1]),
                        "{spacing:?} T={t} N={n}"
                    );
                }
                Err(e) => {
                    assert!(invalid, "{spacing:?} T={t} N={n}: {e:?}");
                    assert!(matches!(
                        e,
                        Error::CountTooSmall { .. } | Error::OutOfRange { .. }
                    ));
                }
            }
        }
    }
}

fn run(input: &Input) {
    match DiscreteTable::from_betas(&input.betas) {
        Ok(table) => {
            check_table(&table, &input.betas);
            if input.zero_terminal_snr {
                match table.zero_terminal_snr() {
                    Ok(z) => {
                        assert_eq!(z.alphas_cumprod()[0], table.alphas_cumprod()[0]);
                        check_table(&z, &[]);
                        assert!(z.is_zero_terminal_snr());
                    }
                    Err(e) => assert!(table_error(&e), "zero terminal SNR: {e:?}"),
                }
            }
        }
        Err(e) => assert!(table_error(&e), "table: unexpected {e:?}"),
    }
    check_spacings(
        usize::from(input.t) % (MAX_FUZZ_T + 1),
        usize::from(input.steps_offset % 4),
    );
}

fuzz_target!(|input: Input| run(&input));

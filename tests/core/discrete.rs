//! I32–I34 on the discrete tables, spacings, prediction types and DDIM in timestep form.

use elucidated::Error;
use elucidated::analytic::Gaussian;
use elucidated::ddpm::BetaSchedule;
use elucidated::denoiser::Denoiser;
use elucidated::discrete::{
    DiscreteDdim, DiscreteDenoiser, DiscreteSchedule, DiscreteTable, FinalStep, Prediction,
    SigmaSpacing, Spacing, Timestep, VpLevel,
};
use elucidated::noise::NoiseStream;
use elucidated::sampler::{Ddim, Ddpm, DdpmVariance, OdeSampler, Sampler, SigmaGrid, Solver};
use elucidated::schedule::Schedule;
use elucidated::sde::Coefficients;
use elucidated::tolerance::{
    ABS_DOUBLE_DOUBLE, ORDER_FIT, REL_FLOAT, ULP_BETA_FORMULA, ULP_ROUNDED_ONCE, rel_diff,
};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

use crate::accuracy::reference;

/// The crate's float64 betas against the correctly rounded betas of the exact decimal formulas:
/// The three tables at diffusers' defaults, by the names of the reference file.
fn tables() -> Vec<(&'static str, DiscreteTable)> {
    vec![
        (
            "linear",
            DiscreteTable::linear(
                DiscreteTable::LINEAR_BETA_START,
                DiscreteTable::LINEAR_BETA_END,
                1000,
            )
            .unwrap(),
        ),
        (
            "scaled_linear",
            DiscreteTable::scaled_linear(
                DiscreteTable::SCALED_LINEAR_BETA_START,
                DiscreteTable::SCALED_LINEAR_BETA_END,
                1000,
            )
            .unwrap(),
        ),
        (
            "squaredcos_cap_v2",
            DiscreteTable::squaredcos_cap_v2(1000).unwrap(),
        ),
    ]
}

/// The largest fractional ULP error of `computed` against a reference column.
fn max_ulp(table: &reference::Table, column: &str, computed: &[f64]) -> f64 {
    table
        .rows()
        .map(|row| reference::ulp_error(computed[row.int("i")], row.output(column)))
        .fold(0.0, f64::max)
}

#[test]
fn i33_table_sigmas_and_scales_match_mpmath() {
    let all = reference::load("discrete_tables.txt");
    for (name, _) in tables() {
        let reference = reference::tables(&all, name).next().unwrap();
        let betas: Vec<f64> = reference.rows().map(|r| r.input("beta")).collect();
        let table = DiscreteTable::from_betas(&betas).unwrap();
        let zsnr = table.zero_terminal_snr().unwrap();
        let rescaled = reference::tables(&all, &format!("{name}_zsnr"))
            .next()
            .unwrap()
            .clone();
        for (what, got) in [
            ("sigma", max_ulp(reference, "sigma", table.sigmas())),
            ("scale", max_ulp(reference, "scale", table.scales())),
            ("zsnr sigma", max_ulp(&rescaled, "sigma", zsnr.sigmas())),
            ("zsnr scale", max_ulp(&rescaled, "scale", zsnr.scales())),
        ] {
            println!("{name} {what}: max {got:.5} ULP");
            assert!(got <= ULP_ROUNDED_ONCE, "{name} {what}: {got} ULP");
        }
    }
}

#[test]
fn i33_beta_formulas_match_mpmath() {
    let all = reference::load("discrete_tables.txt");
    for (name, table) in tables() {
        let reference = reference::tables(&all, name).next().unwrap();
        let betas = table.betas();
        let worst = reference
            .rows()
            .map(|r| elucidated::tolerance::ulp_distance(betas[r.int("i")], r.input("beta")))
            .fold(0.0, f64::max);
        println!("{name} betas: max {worst} ULP");
        assert!(worst <= ULP_BETA_FORMULA, "{name}: {worst} ULP");
    }
}

#[test]
fn i33_table_validation_is_typed() {
    assert!(matches!(
        DiscreteTable::from_betas(&[0.1]),
        Err(Error::CountTooSmall { .. })
    ));
    for bad in [0.0, -0.1, 1.5, f64::NAN] {
        assert!(
            DiscreteTable::from_betas(&[0.1, bad, 0.2]).is_err(),
            "{bad}"
        );
    }
    // beta = 1 only at the end, and then at least two finite entries before it.
    assert!(DiscreteTable::from_betas(&[0.1, 1.0, 0.2]).is_err());
    assert!(DiscreteTable::from_betas(&[0.1, 1.0]).is_err());
    assert!(
        DiscreteTable::from_betas(&[0.1, 0.2, 1.0])
            .unwrap()
            .is_zero_terminal_snr()
    );
    assert!(matches!(
        DiscreteTable::from_alphas_cumprod(&[0.9, 0.9, 0.5]),
        Err(Error::NotDecreasing { index: 1, .. })
    ));
    assert!(DiscreteTable::from_alphas_cumprod(&[1.0, 0.5]).is_err());
    assert!(DiscreteTable::from_alphas_cumprod(&[0.9, 0.0, 0.0]).is_err());
    assert!(DiscreteTable::scaled_linear(0.0, 0.012, 1000).is_err());
}

#[test]
fn i33_table_round_trips_betas_and_alphas_cumprod() {
    for (name, table) in tables() {
        let again = DiscreteTable::from_betas(&table.betas()).unwrap();
        let from_abar = DiscreteTable::from_alphas_cumprod(&table.alphas_cumprod()).unwrap();
        for i in 0..table.len() {
            assert_eq!(again.sigmas()[i], table.sigmas()[i], "{name} betas {i}");
            // A float64 abar (rounded by u/2 relative) fixes 1 - abar only to u abar / 2, so
            // sigma^2 = (1 - abar)/abar moves by u/(2 (1 - abar)) relative, sigma by half that.
            let c = table.one_minus_alphas_cumprod()[i];
            let bound = REL_FLOAT + f64::EPSILON / (4.0 * c);
            let s = from_abar.sigmas()[i];
            assert!(
                rel_diff(s, table.sigmas()[i]) <= bound,
                "{name} alphas_cumprod {i}"
            );
        }
    }
}

#[test]
fn i34_zero_terminal_snr_keeps_first_and_zeroes_last() {
    for (name, table) in tables() {
        let z = table.zero_terminal_snr().unwrap();
        assert_eq!(z.alphas_cumprod()[0], table.alphas_cumprod()[0], "{name}");
        assert_eq!(z.sigmas()[0], table.sigmas()[0], "{name}");
        let last = z.len() - 1;
        assert_eq!(z.alphas_cumprod()[last], 0.0);
        assert_eq!(z.sigmas()[last], f64::INFINITY);
        assert_eq!(z.scales()[last], 0.0);
        assert_eq!(z.betas()[last], 1.0);
        assert!(z.is_zero_terminal_snr());
        assert!(z.sigmas().windows(2).all(|w| w[0] < w[1]));
        assert_eq!(z.zero_terminal_snr().unwrap(), z, "{name}: idempotent");
    }
}

/// The linear table's schedule, s = 1.
fn linear_schedule() -> DiscreteSchedule {
    DiscreteSchedule::new(tables().remove(0).1)
}

#[test]
fn i33_schedule_interpolates_log_sigma_between_entries() {
    let schedule = linear_schedule();
    let sigmas = schedule.table().sigmas().to_vec();
    assert_eq!(schedule.t_range(), (0.0, 999.0));
    for k in (0..999).step_by(37) {
        assert_eq!(schedule.sigma_at(k as f64), sigmas[k]);
        assert_eq!(schedule.sigma_inv(sigmas[k]).unwrap(), k as f64);
        let mid = schedule.sigma_at(k as f64 + 0.5);
        let geometric = (sigmas[k] * sigmas[k + 1]).sqrt();
        assert!(rel_diff(mid, geometric) <= REL_FLOAT, "{k}");
        for w in [0.125, 0.5, 0.875] {
            let t = k as f64 + w;
            let back = schedule.sigma_inv(schedule.sigma_at(t)).unwrap();
            assert!((back - t).abs() <= REL_FLOAT * 1e3, "{t}: {back}");
            let c = Coefficients::at(&schedule, t);
            let slope = (sigmas[k + 1] / sigmas[k]).ln();
            assert!(rel_diff(c.sigma_dot, c.sigma * slope) <= REL_FLOAT, "{t}");
        }
    }
    assert!(matches!(
        schedule.sigma_inv(sigmas[999] * 1.01),
        Err(Error::SigmaOutOfSchedule { .. })
    ));
    let vp = DiscreteSchedule::vp(schedule.table().clone());
    for k in [0, 500, 999] {
        let s = vp.scale_at(k as f64);
        assert!(rel_diff(s, schedule.table().scales()[k]) <= REL_FLOAT);
    }
}

#[test]
fn i33_nearest_timestep_picks_the_closest_entry_in_log_sigma() {
    let schedule = linear_schedule();
    let sigmas = schedule.table().sigmas().to_vec();
    for k in (1..998).step_by(13) {
        assert_eq!(schedule.nearest_timestep(sigmas[k]).unwrap(), k);
        let lower = (sigmas[k] * sigmas[k + 1]).sqrt() * (1.0 - 1e-9);
        let upper = (sigmas[k] * sigmas[k + 1]).sqrt() * (1.0 + 1e-9);
        assert_eq!(schedule.nearest_timestep(lower).unwrap(), k);
        assert_eq!(schedule.nearest_timestep(upper).unwrap(), k + 1);
    }
    assert_eq!(schedule.nearest_timestep(1e-9).unwrap(), 0);
    assert_eq!(schedule.nearest_timestep(1e9).unwrap(), 999);
    assert!(schedule.nearest_timestep(0.0).is_err());
    assert!(schedule.nearest_timestep(f64::NAN).is_err());
}

/// Exact gaps of each spacing: linspace and trailing stride floor or ceil of (T-1)/(N-1) and
/// T/N, leading exactly T div N.
fn check_spacing(spacing: Spacing, t: usize, n: usize) {
    let grid = spacing.timesteps(t, n).unwrap();
    assert_eq!(grid.len(), n);
    assert!(grid.windows(2).all(|w| w[0] > w[1]), "{spacing:?} {t} {n}");
    assert!(grid[0] < t);
    let gaps = |lo: usize, hi: usize| grid.windows(2).all(|w| (lo..=hi).contains(&(w[0] - w[1])));
    match spacing {
        Spacing::Linspace if n > 1 => {
            assert_eq!((grid[0], grid[n - 1]), (t - 1, 0));
            assert!(gaps((t - 1) / (n - 1), (t - 1).div_ceil(n - 1)));
        }
        Spacing::Linspace => assert_eq!(grid, [0]),
        Spacing::Leading { steps_offset } => {
            assert_eq!(grid[n - 1], steps_offset);
            assert!(gaps(t / n, t / n));
        }
        Spacing::Trailing => {
            assert_eq!(grid[0], t - 1);
            assert!(gaps(t / n, t.div_ceil(n)));
        }
    }
}

#[test]
fn i33_spacings_are_strictly_decreasing_for_every_step_count() {
    for t in [2, 3, 7, 10, 1000] {
        for n in 1..=t {
            check_spacing(Spacing::Linspace, t, n);
            check_spacing(Spacing::Trailing, t, n);
            check_spacing(Spacing::Leading { steps_offset: 0 }, t, n);
            let offset = Spacing::Leading { steps_offset: 1 };
            match offset.timesteps(t, n) {
                Ok(_) => check_spacing(offset, t, n),
                Err(e) => {
                    assert!(matches!(e, Error::OutOfRange { .. }));
                    assert!((n - 1) * (t / n) + 1 >= t, "{t} {n}");
                }
            }
        }
        for spacing in [Spacing::Linspace, Spacing::Trailing] {
            assert!(matches!(
                spacing.timesteps(t, 0),
                Err(Error::CountTooSmall { .. })
            ));
            assert!(matches!(
                spacing.timesteps(t, t + 1),
                Err(Error::OutOfRange { .. })
            ));
        }
    }
}

#[test]
fn i33_spacings_do_not_overflow_for_extreme_parameters() {
    let huge = usize::MAX;
    for spacing in [Spacing::Linspace, Spacing::Trailing] {
        let grid = spacing.timesteps(huge, 3).unwrap();
        assert_eq!(grid[0], huge - 1);
        assert!(grid.windows(2).all(|w| w[0] > w[1]));
    }
    let offset = Spacing::Leading { steps_offset: huge };
    assert!(matches!(
        offset.timesteps(1000, 10),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn i33_spacings_round_half_to_even() {
    // 999 * 4 / 24 = 166.5 rounds to 166, as numpy's round does.
    let grid = Spacing::Linspace.timesteps(1000, 25).unwrap();
    assert_eq!(grid[24 - 4], 166);
    // T = 10, N = 4: 10, 7.5, 5, 2.5 round to 10, 8, 5, 2, minus 1.
    assert_eq!(Spacing::Trailing.timesteps(10, 4).unwrap(), [9, 7, 4, 1]);
}

#[test]
fn i33_sigma_spacings_span_the_table() {
    let schedule = linear_schedule();
    let sigmas = schedule.table().sigmas().to_vec();
    for spacing in [
        SigmaSpacing::KARRAS,
        SigmaSpacing::Exponential,
        SigmaSpacing::BETA,
    ] {
        for n in [2, 3, 10, 50, 999] {
            let s = spacing.sigmas(&schedule, n).unwrap();
            assert_eq!((s[0], s[n - 1]), (sigmas[999], sigmas[0]), "{spacing:?}");
            assert!(s.windows(2).all(|w| w[0] > w[1]));
            let t = spacing.timesteps(&schedule, n).unwrap();
            assert_eq!((t[0], t[n - 1]), (999.0, 0.0));
            assert!(t.windows(2).all(|w| w[0] > w[1]));
        }
        assert!(spacing.sigmas(&schedule, 1).is_err());
    }
    let s = SigmaSpacing::Exponential.sigmas(&schedule, 3).unwrap();
    assert!(rel_diff(s[1], (sigmas[0] * sigmas[999]).sqrt()) <= REL_FLOAT);
}

/// A 3-dimensional Gaussian with a non-diagonal covariance and a non-zero mean.
fn gaussian() -> Gaussian {
    let mean = DVector::from_vec(vec![0.5, -1.0, 2.0]);
    let a = DMatrix::from_row_slice(3, 3, &[1.0, 0.2, 0.0, 0.3, 0.5, 0.1, 0.0, -0.4, 0.8]);
    Gaussian::new(mean, &a * a.transpose()).unwrap()
}

/// Noise levels from 1e-3 to 1e3.
fn levels() -> impl Iterator<Item = f64> {
    (0..=24).map(|k| 10f64.powf(-3.0 + k as f64 / 4.0))
}

#[test]
fn i32_eps_v_and_x0_describe_the_same_exact_denoiser() {
    let g = gaussian();
    let mut stream = NoiseStream::new(3);
    for sigma in levels() {
        let level = VpLevel::from_sigma(sigma).unwrap();
        let y = g.sample(&mut stream);
        let n = DVector::from_vec(vec![0.3, -1.2, 0.7]);
        let x = &y * level.signal + &n * level.noise;
        let unscaled = &x / level.signal;
        let exact = g.denoise(&unscaled, sigma).unwrap();
        for p in [Prediction::Epsilon, Prediction::V, Prediction::Sample] {
            let output = p.from_denoised(&x, level, &exact).unwrap();
            let back = p.denoised(&x, level, &output).unwrap();
            let err = (&back - &exact).amax() / exact.amax().max(x.amax());
            assert!(err <= REL_FLOAT, "{p:?} sigma {sigma}: {err}");
            // The training target at D = y is the model output that gives y.
            let target = p.target(&y, &n, level).unwrap();
            let from_y = p.from_denoised(&x, level, &y).unwrap();
            let scale = target.amax().max(x.amax() / level.noise);
            assert!(
                (&target - &from_y).amax() <= REL_FLOAT * scale,
                "{p:?} {sigma}"
            );
        }
        // I32: v = a n - b y gives n = b x + a v and the unscaled-state form of D.
        let v = Prediction::V.target(&y, &n, level).unwrap();
        let n_back = &x * level.noise + &v * level.signal;
        assert!((&n_back - &n).amax() <= REL_FLOAT * x.amax().max(1.0));
        let c = (1.0 + sigma * sigma).sqrt();
        let d = &unscaled / (c * c) - &v * (sigma / c);
        let d_v = Prediction::V.denoised(&x, level, &v).unwrap();
        assert!((&d - &d_v).amax() <= REL_FLOAT * y.amax().max(x.amax()));
    }
}

/// The exact model of `g` predicting `p`: its output at the VP-scaled x and timestep t.
fn exact_model(
    g: &Gaussian,
    schedule: &DiscreteSchedule,
    p: Prediction,
) -> impl Fn(&DVector<f64>, f64) -> elucidated::Result<DVector<f64>> {
    let (g, schedule) = (g.clone(), schedule.clone());
    move |x: &DVector<f64>, t: f64| {
        let sigma = schedule.sigma_at(t);
        let level = VpLevel::from_sigma(sigma)?;
        let d = g.denoise(&(x / level.signal), sigma)?;
        p.from_denoised(x, level, &d)
    }
}

#[test]
fn i32_discrete_denoisers_of_every_prediction_type_agree_with_the_oracle() {
    let g = gaussian();
    let schedule = linear_schedule();
    let x = DVector::from_vec(vec![1.0, -2.0, 0.5]);
    for p in [Prediction::Epsilon, Prediction::V, Prediction::Sample] {
        let model = exact_model(&g, &schedule, p);
        let d = DiscreteDenoiser::new(&model, schedule.clone(), p, Timestep::Interpolated);
        for t in [0.0, 3.25, 500.0, 998.5] {
            let sigma = schedule.sigma_at(t);
            let unscaled = &x * (1.0 + sigma * sigma).sqrt();
            let got = d.denoise(&unscaled, sigma).unwrap();
            let exact = g.denoise(&unscaled, sigma).unwrap();
            let err = (&got - &exact).amax() / unscaled.amax();
            assert!(err <= REL_FLOAT, "{p:?} t {t}: {err}");
        }
    }
}

#[test]
fn i34_v_prediction_is_finite_at_infinite_sigma_and_eps_is_an_error() {
    let level = VpLevel::from_sigma(f64::INFINITY).unwrap();
    assert_eq!((level.signal, level.noise), (0.0, 1.0));
    let x = DVector::from_vec(vec![0.3, -0.7]);
    let v = DVector::from_vec(vec![1.5, 2.0]);
    assert_eq!(Prediction::V.denoised(&x, level, &v).unwrap(), -&v);
    assert!(matches!(
        Prediction::Epsilon.denoised(&x, level, &v),
        Err(Error::NotFinite { .. })
    ));
    // The exact v-model of Gaussian data at abar = 0: x = n carries nothing about y, so
    // D = E[y] = mu, i.e. v = -mu.
    let g = gaussian();
    let table = tables().remove(1).1.zero_terminal_snr().unwrap();
    let schedule = DiscreteSchedule::new(table);
    let mean = g.mean().clone();
    let v_model = move |_x: &DVector<f64>, t: f64| {
        assert_eq!(t, 999.0);
        Ok(-&mean)
    };
    let d = DiscreteDenoiser::new(v_model, schedule.clone(), Prediction::V, Timestep::Nearest);
    let noise = DVector::from_vec(vec![0.1, 2.0, -1.0]);
    assert_eq!(&d.denoise_scaled(&noise, f64::INFINITY).unwrap(), g.mean());
    let eps = DiscreteDenoiser::new(
        |x: &DVector<f64>, _t: f64| Ok(x.clone()),
        schedule,
        Prediction::Epsilon,
        Timestep::Nearest,
    );
    assert!(eps.denoise_scaled(&noise, f64::INFINITY).is_err());
    assert!(eps.denoise(&noise, f64::INFINITY).is_err());
}

/// The error against the exact flow (I30) of `sampler` run on the linear table's VP-scaled
/// schedule from t = 999 to t = 0 over the knots of the given stride.
fn flow_errors(run: impl Fn(&[f64], &Gaussian, &DVector<f64>) -> DVector<f64>) -> Vec<f64> {
    let g = gaussian();
    let schedule = DiscreteSchedule::vp(linear_schedule().table().clone());
    let latent = DVector::from_vec(vec![0.4, -1.1, 0.9]);
    let start = &latent * (schedule.sigma_at(999.0) * schedule.scale_at(999.0));
    let exact = g.flow(&schedule, &start, 999.0, 0.0).unwrap();
    STRIDES
        .iter()
        .map(|&stride| {
            let times: Vec<f64> = (0..=999 / stride)
                .rev()
                .map(|k| (k * stride) as f64)
                .collect();
            let out = run(&times, &g, &latent);
            (&out - &exact).amax()
        })
        .collect()
}

/// Knot strides that divide 999.
const STRIDES: [usize; 5] = [111, 37, 9, 3, 1];

#[test]
fn i33_samplers_run_unchanged_on_the_discrete_schedule() {
    let schedule = DiscreteSchedule::vp(linear_schedule().table().clone());
    let streams = || [NoiseStream::new(0)];
    let ddim = flow_errors(|t, g, latent| {
        let grid = SigmaGrid::from_schedule(&schedule, t).unwrap();
        let ddim = Ddim::new(&grid, 0.0).unwrap();
        ddim.sample(g, latent, &mut streams()).unwrap()
    });
    let ode = |solver: Solver| {
        flow_errors(|t, g, latent| {
            let ode = OdeSampler::new(&schedule, t, solver).unwrap();
            ode.sample(g, latent, &mut streams()).unwrap()
        })
    };
    let (euler, heun) = (ode(Solver::Euler), ode(Solver::HEUN));
    println!("DDIM {ddim:?}\nEuler {euler:?}\nHeun {heun:?}");
    // DDIM only reads sigma and s at the grid: first order in the stride.
    for (w, e) in STRIDES.windows(2).zip(ddim.windows(2)).skip(1) {
        let order = (e[0] / e[1]).ln() / (w[0] as f64 / w[1] as f64).ln();
        assert!((order - 1.0).abs() <= ORDER_FIT, "DDIM order {order}");
    }
    // Euler and Heun differentiate sigma(t), whose slope jumps at every knot (the right
    // segment's is used there): their error falls while truncation dominates, then levels off
    // at the knots' bias (about 1e-3 here), which sampling in sigma avoids.
    for errors in [&euler, &heun] {
        assert!(errors[0] > errors[1] && errors[1] > errors[2], "{errors:?}");
    }
}

/// The exact model of `g` on `table` predicting `p`, called at integer timesteps.
fn exact_table_model(
    g: &Gaussian,
    table: &DiscreteTable,
    p: Prediction,
) -> impl Fn(&DVector<f64>, f64) -> elucidated::Result<DVector<f64>> {
    let (g, table) = (g.clone(), table.clone());
    move |x: &DVector<f64>, t: f64| {
        let level = table.level(t as usize).unwrap();
        let d = g.denoise(&(x / level.signal), level.sigma)?;
        p.from_denoised(x, level, &d)
    }
}

#[test]
fn i33_discrete_ddim_equals_the_continuous_ddim_on_the_same_grid() {
    let g = gaussian();
    let latent = DVector::from_vec(vec![0.4, -1.1, 0.9]);
    let cases = [
        (Spacing::Leading { steps_offset: 1 }, FinalStep::FirstEntry),
        (Spacing::Trailing, FinalStep::AlphaOne),
        (Spacing::Linspace, FinalStep::AlphaOne),
    ];
    let mut worst: f64 = 0.0;
    for (name, table) in tables() {
        let schedule = DiscreteSchedule::new(table.clone());
        // An x0-model: the eps form would add its own rounding, amplified by sigma_0 (I32),
        // which the I32 tests measure; here only the two samplers are compared.
        let model = exact_table_model(&g, &table, Prediction::Sample);
        let d = DiscreteDenoiser::new(&model, schedule, Prediction::Sample, Timestep::Nearest);
        for (spacing, last) in cases {
            for n in [10, 50] {
                let steps = spacing.timesteps(table.len(), n).unwrap();
                let mut sigma: Vec<f64> = steps.iter().map(|&t| table.sigmas()[t]).collect();
                let mut scale: Vec<f64> = steps.iter().map(|&t| table.scales()[t]).collect();
                match last {
                    FinalStep::AlphaOne => (sigma.push(0.0), scale.push(1.0)),
                    FinalStep::FirstEntry => {
                        (sigma.push(table.sigmas()[0]), scale.push(table.scales()[0]))
                    }
                };
                let grid = SigmaGrid::new(sigma, scale).unwrap();
                for eta in [0.0, 0.5, 1.0] {
                    let discrete = DiscreteDdim::new(&table, &steps, eta, last).unwrap();
                    let ours = discrete
                        .sample(&d, &latent, &mut [NoiseStream::new(7)])
                        .unwrap();
                    let continuous = Ddim::new(&grid, eta).unwrap();
                    let theirs = continuous
                        .sample(&g, &latent, &mut [NoiseStream::new(7)])
                        .unwrap();
                    // The continuous DDIM forms its first y-coefficient sigma_1/sigma_0 as
                    // 1 + (sigma_1 - sigma_0)/sigma_0, which cancels when sigma_1 << sigma_0:
                    // an absolute error of up to 2u sigma_0 |n| in y_1, s_1 times that in x_1.
                    let (s0, s1) = (grid.sigmas()[0], grid.scales()[1]);
                    let cancellation = 2.0 * f64::EPSILON * s0 * s1 * latent.amax();
                    let err = (&ours - &theirs).amax() / (REL_FLOAT * theirs.amax() + cancellation);
                    worst = worst.max(err);
                    assert!(err <= 1.0, "{name} {spacing:?} N={n} eta={eta}: {err}");
                }
            }
        }
    }
    println!("largest difference, as a fraction of its bound: {worst:e}");
}

/// mu + Sigma^(1/2) n: the exact probability-flow image at sigma = 0 of the pure-noise state n
/// at sigma = inf (I30 with sigma_0 -> inf, x~_0 = sigma_0 n).
fn flow_from_infinity(g: &Gaussian, n: &DVector<f64>) -> DVector<f64> {
    let q = g.eigenvectors();
    let root = g.eigenvalues().map(f64::sqrt);
    g.mean() + q * DMatrix::from_diagonal(&root) * q.transpose() * n
}

#[test]
fn i34_zero_terminal_snr_ddim_starts_at_infinite_sigma_with_v_prediction() {
    let g = gaussian();
    let table = tables().remove(1).1.zero_terminal_snr().unwrap();
    let schedule = DiscreteSchedule::new(table.clone());
    let (g_model, t_model) = (g.clone(), table.clone());
    let v_model = move |x: &DVector<f64>, t: f64| {
        let level = t_model.level(t as usize).unwrap();
        let d = if level.signal == 0.0 {
            g_model.mean().clone()
        } else {
            g_model.denoise(&(x / level.signal), level.sigma)?
        };
        Prediction::V.from_denoised(x, level, &d)
    };
    let d = DiscreteDenoiser::new(&v_model, schedule.clone(), Prediction::V, Timestep::Nearest);
    let latent = DVector::from_vec(vec![0.4, -1.1, 0.9]);
    let exact = flow_from_infinity(&g, &latent);
    // One step from sigma = inf to 0 returns D = -v = E[y] exactly.
    let one = DiscreteDdim::new(&table, &[999], 0.0, FinalStep::AlphaOne).unwrap();
    let out = one.sample(&d, &latent, &mut [NoiseStream::new(0)]).unwrap();
    assert_eq!(&out, g.mean());
    let mut errors = Vec::new();
    for n in [10, 50, 250] {
        let steps = Spacing::Trailing.timesteps(table.len(), n).unwrap();
        let ddim = DiscreteDdim::new(&table, &steps, 0.0, FinalStep::AlphaOne).unwrap();
        let out = ddim
            .sample(&d, &latent, &mut [NoiseStream::new(0)])
            .unwrap();
        assert!(out.iter().all(|v| v.is_finite()));
        errors.push((&out - &exact).amax());
    }
    println!("zero-terminal-SNR DDIM errors at N = 10, 50, 250: {errors:?}");
    assert!(errors.windows(2).all(|w| w[1] < w[0]), "{errors:?}");
    let eps = DiscreteDenoiser::new(
        exact_table_model(&g, &table, Prediction::Epsilon),
        schedule,
        Prediction::Epsilon,
        Timestep::Nearest,
    );
    let steps = Spacing::Trailing.timesteps(table.len(), 10).unwrap();
    let ddim = DiscreteDdim::new(&table, &steps, 0.0, FinalStep::AlphaOne).unwrap();
    assert!(matches!(
        ddim.sample(&eps, &latent, &mut [NoiseStream::new(0)]),
        Err(Error::NotFinite { .. })
    ));
}

#[test]
fn i33_discrete_ddim_at_eta_one_over_the_full_chain_is_ddpm_ancestral_sampling() {
    let g = gaussian();
    let betas = BetaSchedule::linear(1e-4, 0.02, 1000).unwrap();
    let table = DiscreteTable::from_betas(betas.betas()).unwrap();
    let model = exact_table_model(&g, &table, Prediction::Sample);
    let schedule = DiscreteSchedule::new(table.clone());
    let d = DiscreteDenoiser::new(&model, schedule, Prediction::Sample, Timestep::Nearest);
    let steps: Vec<usize> = (0..1000).rev().collect();
    let ddim = DiscreteDdim::new(&table, &steps, 1.0, FinalStep::AlphaOne).unwrap();
    let ddpm = Ddpm::new(&betas, DdpmVariance::Posterior);
    for seed in 0..4 {
        let latent = DVector::from_vec(vec![0.4, -1.1, 0.9]);
        let ours = ddim
            .sample(&d, &latent, &mut [NoiseStream::new(seed)])
            .unwrap();
        let theirs = ddpm
            .sample(&g, &latent, &mut [NoiseStream::new(seed)])
            .unwrap();
        let err = (&ours - &theirs).amax() / theirs.amax();
        println!("seed {seed}: relative difference {err:e}");
        // Each step scales earlier errors by its y-coefficient (< 1), so rounding does not
        // accumulate over the chain: a composed expression's REL_FLOAT bounds it.
        assert!(err <= REL_FLOAT, "{seed}: {err}");
    }
}

proptest! {
    /// Any betas give a valid table (sigma strictly increasing, s strictly decreasing, the
    /// betas returned) or a typed error; its zero-terminal-SNR rescaling keeps abar_0 and ends
    /// at sigma = inf (I33, I34).
    #[test]
    fn i33_any_betas_give_a_valid_table_or_a_typed_error(
        betas in proptest::collection::vec(prop_oneof![1e-12f64..1e-3, 1e-3f64..0.999], 2..64),
    ) {
        let table = DiscreteTable::from_betas(&betas);
        prop_assume!(table.is_ok());
        let table = table.unwrap();
        prop_assert!(table.sigmas().windows(2).all(|w| w[0] < w[1]));
        prop_assert!(table.scales().windows(2).all(|w| w[0] > w[1]));
        // beta_i = (c_i - c_{i-1})/abar_{i-1} from the double-double entries c = 1 - abar: an
        // absolute error ABS_DOUBLE_DOUBLE in c becomes ABS_DOUBLE_DOUBLE/(abar_{i-1} beta_i)
        // relative in beta_i.
        let abar = table.alphas_cumprod();
        for (i, (b, got)) in betas.iter().zip(table.betas()).enumerate() {
            let before = if i == 0 { 1.0 } else { abar[i - 1] };
            let bound = REL_FLOAT + ABS_DOUBLE_DOUBLE / (before * b);
            prop_assert!(rel_diff(got, *b) <= bound, "{} {}", got, b);
        }
        if let Ok(z) = table.zero_terminal_snr() {
            prop_assert_eq!(z.alphas_cumprod()[0], table.alphas_cumprod()[0]);
            prop_assert_eq!(z.sigmas()[z.len() - 1], f64::INFINITY);
            prop_assert!(z.sigmas().windows(2).all(|w| w[0] < w[1]));
        }
    }

    /// Every spacing gives N strictly decreasing timesteps in [0, T-1], or a typed error exactly
    /// where N = 0, N > T or a leading grid passes T - 1 (I33).
    #[test]
    fn i33_every_spacing_is_strictly_decreasing_or_a_typed_error(
        t in 1usize..3000,
        n in 0usize..3100,
        offset in 0usize..3,
    ) {
        for spacing in [Spacing::Linspace, Spacing::Trailing, Spacing::Leading { steps_offset: offset }] {
            let invalid = n == 0 || n > t || matches!(spacing, Spacing::Leading { .. }
                if (n - 1) * (t / n) + offset >= t);
            match spacing.timesteps(t, n) {
                Ok(grid) => {
                    prop_assert!(!invalid);
                    prop_assert_eq!(grid.len(), n);
                    prop_assert!(grid[0] < t);
                    prop_assert!(grid.windows(2).all(|w| w[0] > w[1]));
                }
                Err(_) => prop_assert!(invalid),
            }
        }
    }
}

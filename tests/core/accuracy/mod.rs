//! Accuracy of every coefficient, schedule value and time step against the mpmath tables of
//! proofs/reference/ (made by make_tables.py there), measured in ULPs with one named bound per
//! kind of evaluation (`elucidated::tolerance`).
//!
//! The table of max and median errors per quantity and domain:
//! `cargo test --test core accuracy_report -- --nocapture`.

mod gappa;
mod measure;
pub(crate) mod reference;

use elucidated::family::Family;
use measure::{Collector, Measured};

fn assert_within(measured: &[Measured]) {
    assert!(!measured.is_empty());
    for m in measured {
        assert!(
            m.max() <= m.bound,
            "{} over {}: max error {} ULP exceeds the bound {} ULP",
            m.quantity,
            m.domain,
            m.max(),
            m.bound
        );
    }
}

fn collect(f: fn(&mut Collector)) -> Vec<Measured> {
    let mut c = Collector::default();
    f(&mut c);
    c.measured
}

#[test]
fn i10_vp_schedule_and_i02_derivatives_within_ulp_bounds() {
    assert_within(&collect(measure::vp_schedule));
}

#[test]
fn i11_i13_ve_and_edm_schedules_within_ulp_bounds() {
    assert_within(&collect(measure::ve_edm_schedules));
}

#[test]
fn i16_i21_preconditioners_and_loss_weights_within_ulp_bounds() {
    assert_within(&collect(measure::preconditioners));
}

#[test]
fn i14_time_steps_and_i12_u_table_within_ulp_bounds() {
    assert_within(&collect(measure::steps));
}

/// Prints the max and median error of every quantity over every domain (with `--nocapture`)
/// and checks them against their bounds.
#[test]
fn accuracy_report() {
    let mut c = Collector::default();
    measure::vp_schedule(&mut c);
    measure::ve_edm_schedules(&mut c);
    measure::preconditioners(&mut c);
    measure::steps(&mut c);
    println!("| quantity | domain | points | max ULP | median ULP | bound |");
    println!("|---|---|---:|---:|---:|---:|");
    for m in &c.measured {
        println!(
            "| {} | {} | {} | {:.4} | {:.4} | {} |",
            m.quantity,
            m.domain,
            m.errors.len(),
            m.max(),
            m.median(),
            m.bound
        );
    }
    assert_within(&c.measured);
}

/// Points of the dense sample over the domain of each Gappa bound (a fraction of a second).
const GAPPA_SAMPLES: usize = 200_000;

fn assert_gappa_bound(which: gappa::Coefficient, file: &str) {
    let (worst, bound) = (
        gappa::worst_error(which, GAPPA_SAMPLES),
        gappa::ulp_bound(file),
    );
    println!("{file}: worst {worst} ULP, proved {bound} ULP");
    assert!(
        worst <= bound,
        "{file}: {worst} ULP exceeds the proved {bound} ULP"
    );
}

#[test]
fn i16_edm_c_skip_within_gappa_bound() {
    assert_gappa_bound(gappa::Coefficient::Skip, "I16_edm_c_skip.g");
}

#[test]
fn i16_edm_c_out_within_gappa_bound() {
    assert_gappa_bound(gappa::Coefficient::Out, "I16_edm_c_out.g");
}

#[test]
fn i16_edm_c_in_within_gappa_bound() {
    assert_gappa_bound(gappa::Coefficient::In, "I16_edm_c_in.g");
}

#[test]
fn i14_edm_steps_within_gappa_bound() {
    let bound = gappa::ulp_bound("I14_edm_step.g");
    let mut c = Collector::default();
    measure::steps(&mut c);
    let edm: Vec<&Measured> = c
        .measured
        .iter()
        .filter(|m| m.quantity == "EDM sigma_i")
        .collect();
    assert_eq!(edm.len(), 2, "the paper's parameters and the sample");
    for m in edm {
        assert!(
            m.max() <= bound,
            "{}: {} ULP > proved {bound}",
            m.domain,
            m.max()
        );
    }
}

#[test]
fn i16_residual_errors_move_by_one_ulp_with_the_result() {
    assert!(gappa::residuals_see_one_ulp());
}

/// sigma from 1e-300 to 1e300 (the extreme table): every preconditioning gives all five
/// coefficients finite and equal to its methods, or a typed overflow error exactly where the
/// reference overflows (the loss weight 1/sigma^2 below about 1e-154).
#[test]
fn i16_extreme_sigma_gives_correct_values_or_typed_errors() {
    use elucidated::Error;
    use elucidated::precond::{PrecondKind, Preconditioner};
    let all = reference::load("precond_sigma.txt");
    let table = reference::tables(&all, "extreme")
        .next()
        .expect("extreme table");
    for row in table.rows() {
        let s = row.input("sigma");
        let kinds = [
            (
                "edm0",
                PrecondKind::paper(Family::Edm, table.param("sigma_data0")).unwrap(),
            ),
            (
                "edm1",
                PrecondKind::paper(Family::Edm, table.param("sigma_data1")).unwrap(),
            ),
            ("vp", PrecondKind::paper(Family::Vp, 0.5).unwrap()),
            ("ve", PrecondKind::paper(Family::Ve, 0.5).unwrap()),
            ("iddpm", PrecondKind::paper(Family::Iddpm, 0.5).unwrap()),
        ];
        for (name, p) in kinds {
            let weight = match name {
                "edm0" | "edm1" => format!("{name}_loss_weight"),
                _ => "inverse_square".to_owned(),
            };
            let overflows = row.output(&weight).rounded.is_infinite();
            match p.coefficients(s) {
                Ok(c) => {
                    assert!(!overflows, "{name} at {s:e}: expected an overflow error");
                    let all = [c.c_skip, c.c_out, c.c_in, c.c_noise, c.loss_weight];
                    assert!(all.iter().all(|v| v.is_finite()), "{name} at {s:e}: {c:?}");
                    assert_eq!(c.loss_weight, p.loss_weight(s));
                    assert_eq!(c.c_skip, p.c_skip(s));
                }
                Err(Error::Overflow { .. }) => assert!(overflows, "{name} at {s:e}: spurious"),
                Err(e) => panic!("{name} at {s:e}: {e}"),
            }
        }
    }
}

/// Invalid noise levels are typed errors, never NaN or inf.
#[test]
fn i16_invalid_sigma_gives_typed_errors() {
    use elucidated::precond::{PrecondKind, Preconditioner};
    use elucidated::schedule::{Schedule, Ve, Vp};
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for name in [Family::Edm, Family::Vp, Family::Ve, Family::Iddpm] {
            let p = PrecondKind::paper(name, 0.5).unwrap();
            assert!(p.coefficients(bad).is_err(), "{name} at {bad}");
        }
        if bad != 0.0 {
            assert!(Vp::paper().sigma_inv(bad).is_err(), "VP sigma^-1({bad})");
            assert!(Ve.sigma_inv(bad).is_err(), "VE sigma^-1({bad})");
        }
    }
    assert_eq!(Vp::paper().sigma_inv(0.0).unwrap(), 0.0);
}

/// EDM and VE steps over noise ranges from 1e-300 to 1e300 stay finite and strictly
/// decreasing, with the exact endpoints (I14).
#[test]
fn i14_extreme_ranges_give_finite_decreasing_steps() {
    use elucidated::steps::Discretization;
    for (lo, hi) in [
        (1e-300, 1e300),
        (1e-300, 1e-299),
        (1e299, 1e300),
        (0.002, 80.0),
    ] {
        for rho in [0.125, 1.0, 7.0, 64.0] {
            let steps = Discretization::edm(lo, hi, rho)
                .unwrap()
                .sigmas(40)
                .unwrap();
            assert_eq!((steps[0], steps[39], steps[40]), (hi, lo, 0.0));
            assert!(steps.windows(2).all(|w| w[1] < w[0] && w[0].is_finite()));
        }
        let ve = Discretization::ve(lo, hi).unwrap().sigmas(40).unwrap();
        assert_eq!((ve[0], ve[39]), (hi, lo));
        assert!(ve.windows(2).all(|w| w[1] < w[0] && w[0].is_finite()));
    }
}

//! Accuracy of every coefficient, schedule value and time step against the mpmath tables of
//! proofs/reference/ (made by make_tables.py there), measured in ULPs with one named bound per
//! kind of evaluation (tests/accuracy/bounds.rs).
//!
//! The table of max and median errors per quantity and domain:
//! `cargo test --test accuracy accuracy_report -- --nocapture`.

#[path = "accuracy/bounds.rs"]
mod bounds;
#[path = "accuracy/measure.rs"]
mod measure;
#[path = "accuracy/reference.rs"]
mod reference;

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
}

//! Every quantity of the crate compared with the mpmath tables, one error list per quantity and
//! domain.

use super::reference::{Reference, Table, load, tables, ulp_error};
use elucidated::Error;
use elucidated::family::Family;
use elucidated::precond::{EdmPrecond, IddpmPrecond, Preconditioner, VePrecond, VpPrecond};
use elucidated::schedule::{Edm, IddpmTable, Schedule, Ve, Vp};
use elucidated::sde::Coefficients;
use elucidated::steps::Discretization;
use elucidated::tolerance::{
    ULP_AD_VE_G, ULP_AD_VE_SIGMA_DOT, ULP_AD_VP_F, ULP_AD_VP_G, ULP_AD_VP_SCALE_DOT,
    ULP_AD_VP_SIGMA_DOT, ULP_BITWISE, ULP_ROUNDED_ONCE,
};

/// The errors of one quantity over one domain, and the bound they must respect.
pub struct Measured {
    pub quantity: String,
    pub domain: String,
    pub bound: f64,
    pub errors: Vec<f64>,
}

impl Measured {
    /// The largest error (infinite if any is NaN).
    pub fn max(&self) -> f64 {
        self.errors.iter().fold(
            0.0,
            |m, &e| if e.is_nan() { f64::INFINITY } else { m.max(e) },
        )
    }

    /// The median error.
    pub fn median(&self) -> f64 {
        let mut e = self.errors.clone();
        e.sort_by(f64::total_cmp);
        e[e.len() / 2]
    }
}

/// Collects errors by (quantity, domain).
#[derive(Default)]
pub struct Collector {
    pub measured: Vec<Measured>,
}

impl Collector {
    /// Records the error of one evaluation.
    pub fn add(&mut self, quantity: &str, domain: &str, bound: f64, error: f64) {
        match self
            .measured
            .iter_mut()
            .find(|m| m.quantity == quantity && m.domain == domain)
        {
            Some(m) => m.errors.push(error),
            None => self.measured.push(Measured {
                quantity: quantity.to_owned(),
                domain: domain.to_owned(),
                bound,
                errors: vec![error],
            }),
        }
    }

    /// Records the ULP error of `computed` against a reference.
    pub fn ulps(&mut self, quantity: &str, domain: &str, bound: f64, computed: f64, r: Reference) {
        self.add(quantity, domain, bound, ulp_error(computed, r));
    }

    /// Records the ULP error of `computed` against a value that is exact in float64.
    pub fn exact(&mut self, quantity: &str, domain: &str, computed: f64, expected: f64) {
        let r = Reference {
            rounded: expected,
            offset: 0.0,
        };
        self.add(quantity, domain, ULP_BITWISE, ulp_error(computed, r));
    }
}

const VP_T: &str = "VP t in [1e-5, 1]";

/// VP sigma, s, their AD derivatives, f, g (I10, I02) and sigma^-1 of the rounded sigma.
pub fn vp_schedule(c: &mut Collector) {
    let vp = Vp::paper();
    for table in tables(&load("schedule_vp.txt"), "vp_t") {
        assert_eq!(
            (table.param("beta_d"), table.param("beta_min")),
            (vp.beta_d(), vp.beta_min())
        );
        for row in table.rows() {
            let t = row.input("t");
            let co = Coefficients::at(&vp, t);
            c.ulps(
                "VP sigma",
                VP_T,
                ULP_ROUNDED_ONCE,
                vp.sigma_at(t),
                row.output("sigma"),
            );
            c.ulps(
                "VP s",
                VP_T,
                ULP_ROUNDED_ONCE,
                vp.scale_at(t),
                row.output("scale"),
            );
            c.exact(
                "VP Coefficients.sigma = sigma_at",
                VP_T,
                co.sigma,
                vp.sigma_at(t),
            );
            c.exact(
                "VP Coefficients.scale = scale_at",
                VP_T,
                co.scale,
                vp.scale_at(t),
            );
            c.ulps(
                "VP sigma' (AD)",
                VP_T,
                ULP_AD_VP_SIGMA_DOT,
                co.sigma_dot,
                row.output("sigma_dot"),
            );
            c.ulps(
                "VP s' (AD)",
                VP_T,
                ULP_AD_VP_SCALE_DOT,
                co.scale_dot,
                row.output("scale_dot"),
            );
            c.ulps("VP f (AD)", VP_T, ULP_AD_VP_F, co.f, row.output("f"));
            c.ulps("VP g (AD)", VP_T, ULP_AD_VP_G, co.g, row.output("g"));
            let sigma = row.output("sigma").rounded;
            let t_inv = vp.sigma_inv(sigma).expect("sigma^-1 of a VP sigma");
            c.ulps(
                "VP sigma^-1",
                VP_T,
                ULP_ROUNDED_ONCE,
                t_inv,
                row.output("sigma_inv"),
            );
        }
    }
}

fn domain_label(table: &Table, what: &str) -> String {
    match table.name.as_str() {
        "main" => format!("{what} in [1e-6, 1e4]"),
        _ => format!("{what} in [1e-300, 1e300]"),
    }
}

/// VE and EDM schedules (I11, I13) and their AD derivatives (I02).
pub fn ve_edm_schedules(c: &mut Collector) {
    for table in &load("schedule_ve_edm.txt") {
        let domain = match table.name.as_str() {
            "main" => "t in [1e-6, 1e8]".to_owned(),
            _ => "t in [1e-300, 1e300]".to_owned(),
        };
        for row in table.rows() {
            let t = row.input("t");
            let (ve, edm) = (Coefficients::at(&Ve, t), Coefficients::at(&Edm, t));
            c.ulps(
                "VE sigma",
                &domain,
                ULP_ROUNDED_ONCE,
                Ve.sigma_at(t),
                row.output("ve_sigma"),
            );
            c.ulps(
                "VE sigma' (AD)",
                &domain,
                ULP_AD_VE_SIGMA_DOT,
                ve.sigma_dot,
                row.output("ve_sigma_dot"),
            );
            c.ulps("VE g (AD)", &domain, ULP_AD_VE_G, ve.g, row.output("ve_g"));
            c.ulps(
                "EDM g (AD)",
                &domain,
                ULP_ROUNDED_ONCE,
                edm.g,
                row.output("edm_g"),
            );
            c.exact("EDM sigma' (AD)", &domain, edm.sigma_dot, 1.0);
        }
    }
}

/// The preconditioners of Table 1 (I16), loss weights (I21) and sigma^-1 (I10, I11).
pub fn preconditioners(c: &mut Collector) {
    let vp = VpPrecond::paper();
    let iddpm = IddpmPrecond::new(IddpmTable::paper());
    for table in &load("precond_sigma.txt") {
        let d = |what: &str| domain_label(table, what);
        let edm = [0, 1].map(|k| {
            let sd = table.param(&format!("sigma_data{k}"));
            (
                format!("EDM(sigma_data={sd})"),
                EdmPrecond::new(sd).unwrap(),
                k,
            )
        });
        for row in table.rows() {
            let s = row.input("sigma");
            for (name, p, k) in &edm {
                let o = |q: &str| row.output(&format!("edm{k}_{q}"));
                let dom = d("sigma");
                c.ulps(
                    &format!("{name} c_skip"),
                    &dom,
                    ULP_ROUNDED_ONCE,
                    p.c_skip(s),
                    o("c_skip"),
                );
                c.ulps(
                    &format!("{name} c_out"),
                    &dom,
                    ULP_ROUNDED_ONCE,
                    p.c_out(s),
                    o("c_out"),
                );
                c.ulps(
                    &format!("{name} c_in"),
                    &dom,
                    ULP_ROUNDED_ONCE,
                    p.c_in(s),
                    o("c_in"),
                );
                c.ulps(
                    &format!("{name} c_noise"),
                    &dom,
                    ULP_ROUNDED_ONCE,
                    p.c_noise(s),
                    o("c_noise"),
                );
                c.ulps(
                    &format!("{name} loss weight"),
                    &dom,
                    ULP_ROUNDED_ONCE,
                    p.loss_weight(s),
                    o("loss_weight"),
                );
            }
            vp_ve_iddpm_row(c, &d("sigma"), s, &row, &vp, &iddpm);
        }
    }
}

fn vp_ve_iddpm_row(
    c: &mut Collector,
    dom: &str,
    s: f64,
    row: &super::reference::Row<'_>,
    vp: &VpPrecond,
    iddpm: &IddpmPrecond,
) {
    let inv_sq = row.output("inverse_square");
    let vp_t = Vp::paper().sigma_inv(s).unwrap();
    c.ulps(
        "VP sigma^-1",
        dom,
        ULP_ROUNDED_ONCE,
        vp_t,
        row.output("vp_sigma_inv"),
    );
    c.ulps(
        "VP c_noise",
        dom,
        ULP_ROUNDED_ONCE,
        vp.c_noise(s),
        row.output("vp_c_noise"),
    );
    c.ulps(
        "VP c_in",
        dom,
        ULP_ROUNDED_ONCE,
        vp.c_in(s),
        row.output("vp_c_in"),
    );
    c.ulps(
        "VP loss weight",
        dom,
        ULP_ROUNDED_ONCE,
        vp.loss_weight(s),
        inv_sq,
    );
    c.exact("VP c_skip", dom, vp.c_skip(s), 1.0);
    c.exact("VP c_out", dom, vp.c_out(s), -s);
    c.ulps(
        "VE c_noise",
        dom,
        ULP_ROUNDED_ONCE,
        VePrecond.c_noise(s),
        row.output("ve_c_noise"),
    );
    c.ulps(
        "VE loss weight",
        dom,
        ULP_ROUNDED_ONCE,
        VePrecond.loss_weight(s),
        inv_sq,
    );
    c.exact("VE c_skip", dom, VePrecond.c_skip(s), 1.0);
    c.exact("VE c_out", dom, VePrecond.c_out(s), s);
    c.exact("VE c_in", dom, VePrecond.c_in(s), 1.0);
    // sigma^2 beyond f64::MAX: the reference is inf and the answer a typed error.
    let ve_t = match Ve.sigma_inv(s) {
        Ok(t) => t,
        Err(Error::Overflow { .. }) => f64::INFINITY,
        Err(e) => panic!("VE sigma^-1({s}): {e}"),
    };
    c.ulps(
        "VE sigma^-1",
        dom,
        ULP_ROUNDED_ONCE,
        ve_t,
        row.output("ve_sigma_inv"),
    );
    c.ulps(
        "iDDPM c_in",
        dom,
        ULP_ROUNDED_ONCE,
        iddpm.c_in(s),
        row.output("vp_c_in"),
    );
    c.ulps(
        "iDDPM c_noise",
        dom,
        ULP_BITWISE,
        iddpm.c_noise(s),
        row.output("iddpm_c_noise"),
    );
    c.ulps(
        "iDDPM loss weight",
        dom,
        ULP_ROUNDED_ONCE,
        iddpm.loss_weight(s),
        inv_sq,
    );
    c.exact("iDDPM c_skip", dom, iddpm.c_skip(s), 1.0);
    c.exact("iDDPM c_out", dom, iddpm.c_out(s), -s);
}

const STEPS: &str = "N in {2, 5, 18, 40, 256, 1000}";

/// The time steps of I14 and the iDDPM u-table (I12).
pub fn steps(c: &mut Collector) {
    let all = load("steps.txt");
    let edm = Discretization::paper(Family::Edm);
    for table in tables(&all, "edm") {
        let sigmas = edm.sigmas(table.param_int("n")).unwrap();
        for row in table.rows() {
            c.ulps(
                "EDM sigma_i",
                STEPS,
                ULP_ROUNDED_ONCE,
                sigmas[row.int("i")],
                row.output("sigma"),
            );
        }
    }
    for table in tables(&all, "edm_sample") {
        let p = |k: &str| table.param(k);
        let disc = Discretization::edm(p("sigma_min"), p("sigma_max"), p("rho")).unwrap();
        let sigmas = disc.sigmas(table.param_int("n")).unwrap();
        for row in table.rows() {
            let dom = "6 parameter sets, N = 40";
            c.ulps(
                "EDM sigma_i",
                dom,
                ULP_ROUNDED_ONCE,
                sigmas[row.int("i")],
                row.output("sigma"),
            );
        }
    }
    for (name, key) in [("VP", "vp"), ("VE", "ve")] {
        let disc = Discretization::paper(key.parse().unwrap());
        for table in tables(&all, key) {
            let n = table.param_int("n");
            let (sigmas, times) = (disc.sigmas(n).unwrap(), disc.native_times(n).unwrap());
            for row in table.rows() {
                let i = row.int("i");
                c.ulps(
                    &format!("{name} t_i"),
                    STEPS,
                    ULP_ROUNDED_ONCE,
                    times[i],
                    row.output("t"),
                );
                c.ulps(
                    &format!("{name} sigma_i"),
                    STEPS,
                    ULP_ROUNDED_ONCE,
                    sigmas[i],
                    row.output("sigma"),
                );
            }
        }
    }
    iddpm_steps(c, &all);
}

fn iddpm_steps(c: &mut Collector, all: &[Table]) {
    let crate_u = IddpmTable::paper();
    let mut u_ref = Vec::new();
    for table in tables(all, "iddpm_u") {
        for row in table.rows() {
            let r = row.output("u");
            c.ulps(
                "iDDPM u_j",
                "j in 0..=1000",
                ULP_ROUNDED_ONCE,
                crate_u.u()[row.int("j")],
                r,
            );
            u_ref.push(r);
        }
    }
    let disc = Discretization::paper(Family::Iddpm);
    for table in tables(all, "iddpm") {
        let n = table.param_int("n");
        let js: Vec<usize> = table.rows().map(|r| r.int("j")).collect();
        let Ok(sigmas) = disc.sigmas(n) else {
            // N > M - j0 repeats table entries: the steps cannot decrease strictly, and the
            // typed error is the correct answer.
            assert!(
                js.windows(2).any(|w| w[0] == w[1]),
                "N = {n}: unexpected error"
            );
            continue;
        };
        for (i, &j) in js.iter().enumerate() {
            c.exact("iDDPM sigma_i = u_j", STEPS, sigmas[i], crate_u.u()[j]);
            c.ulps(
                "iDDPM sigma_i",
                STEPS,
                ULP_ROUNDED_ONCE,
                sigmas[i],
                u_ref[j],
            );
        }
    }
}

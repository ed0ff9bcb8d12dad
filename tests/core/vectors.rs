//! Golden vectors for ports: the export round trip, the check's verdicts and its errors.

use elucidated::Error;
use elucidated::vectors::{
    Criterion, Document, FIELDS, REL_TRAJECTORY, ULP_COEFFICIENTS, ULP_STEPS, Verdict, check,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::Value;
use std::sync::OnceLock;

/// The reference, computed once for all tests.
fn reference() -> &'static Document {
    static REFERENCE: OnceLock<Document> = OnceLock::new();
    REFERENCE.get_or_init(|| Document::reference().expect("the reference is computable"))
}

/// The reference as a JSON value, to be edited into a port's answers.
fn reference_json() -> Value {
    serde_json::from_str(&reference().to_json_string()).unwrap()
}

/// `x` moved by `ulps` units in the last place (towards larger magnitude).
fn nudge(x: f64, ulps: i64) -> f64 {
    f64::from_bits((x.to_bits() as i64 + ulps) as u64)
}

fn parse(value: &Value) -> elucidated::Result<Document> {
    Document::parse(&value.to_string(), "port.json")
}

/// The format relies on it: every float64 written by serde_json parses back to the same bits,
/// for extremes and for random bit patterns.
#[test]
fn json_floats_round_trip_bitwise() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let special = [
        0.0,
        -0.0,
        5e-324,
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE.next_down(),
        f64::MAX,
        f64::EPSILON,
        0.1,
        1.0 / 3.0,
        9007199254740993.0,
        1e-300,
        1e300,
    ];
    let random = (0..20_000)
        .map(|_| f64::from_bits(rng.next_u64()))
        .filter(|x| x.is_finite());
    for x in special.into_iter().chain(random) {
        let text = serde_json::to_string(&Value::from(x)).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        let y = back.as_f64().unwrap();
        assert_eq!(y.to_bits(), x.to_bits(), "{x:e} written as {text}");
    }
}

/// Export, parse back, check against the reference: the same document, every quantity passes
/// with 0 ULP and 0 relative error.
#[test]
fn export_round_trip_passes_with_zero_ulp() {
    let text = reference().to_json_string();
    let back = Document::parse(&text, "vectors.json").unwrap();
    assert_eq!(&back, reference());
    let report = check(&back, "vectors.json", reference()).unwrap();
    assert!(report.passed(), "{report}");
    assert!(!report.quantities.is_empty());
    for q in &report.quantities {
        assert_eq!((q.max_ulp, q.max_rel), (0.0, 0.0), "{}", q.name);
    }
}

/// Every coefficient field of every set is a quantity of the report, with its threshold.
#[test]
fn every_coefficient_field_is_checked() {
    let report = check(reference(), "vectors.json", reference()).unwrap();
    for set in &reference().coefficients {
        for field in FIELDS {
            let name = format!("coefficients {} {field}", set.label());
            let q = report
                .get(&name)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(q.values, set.points.len());
            assert_eq!(q.criterion, Criterion::Ulp(ULP_COEFFICIENTS));
        }
    }
}

/// A port whose VP sigma is off by 1000 ULP at one point fails on exactly that quantity,
/// which reports the 1000 ULP.
#[test]
fn perturbed_coefficient_fails_and_names_the_quantity() {
    let mut port = reference().clone();
    let v = &mut port.coefficients[0].points[4].values[0];
    *v = Some(nudge(v.unwrap(), 1000));
    let report = check(&port, "port.json", reference()).unwrap();
    assert!(!report.passed());
    let failed: Vec<_> = report.failures().map(|q| q.name.as_str()).collect();
    assert_eq!(failed, ["coefficients vp/vp sigma"]);
    let q = report.get("coefficients vp/vp sigma").unwrap();
    assert_eq!((q.max_ulp, q.verdict), (1000.0, Verdict::Fail));
}

/// Differences within the thresholds pass: ULP_COEFFICIENTS on a value, ULP_STEPS on a step.
#[test]
fn differences_within_thresholds_pass() {
    let mut port = reference().clone();
    let c = &mut port.coefficients[3].points[5].values[6];
    *c = Some(nudge(c.unwrap(), ULP_COEFFICIENTS as i64));
    let s = port.steps[0].sigma.as_mut().unwrap();
    s[1] = nudge(s[1], ULP_STEPS as i64);
    let report = check(&port, "port.json", reference()).unwrap();
    assert!(report.passed(), "{report}");
    let q = report.get("steps vp sigma").unwrap();
    assert_eq!(q.max_ulp, ULP_STEPS);
}

/// A port whose EDM steps are off by one ULP more than the threshold fails on them alone.
#[test]
fn perturbed_step_fails_and_names_the_quantity() {
    let mut port = reference().clone();
    let case = port
        .steps
        .iter_mut()
        .find(|c| c.discretization.label() == "edm" && c.n == 18)
        .unwrap();
    let t = case.mapped[0].t.as_mut().unwrap();
    t[3] = nudge(t[3], ULP_STEPS as i64 + 1);
    let report = check(&port, "port.json", reference()).unwrap();
    let failed: Vec<_> = report.failures().map(|q| q.name.as_str()).collect();
    assert_eq!(failed, ["steps edm t->vp"]);
}

/// A trajectory moved by more than REL_TRAJECTORY (relative to its state's largest component)
/// fails on that case alone; one moved by less passes.
#[test]
fn perturbed_trajectory_fails_and_names_the_case() {
    let case = reference()
        .trajectories
        .iter()
        .position(|c| c.label() == "alg2/mixture/vp")
        .unwrap();
    let perturbed = |factor: f64| {
        let mut port = reference().clone();
        let x = &mut port.trajectories[case].trajectory.as_mut().unwrap()[7][2];
        let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        x[1] += factor * REL_TRAJECTORY * scale;
        check(&port, "port.json", reference()).unwrap()
    };
    let report = perturbed(2.0);
    let failed: Vec<_> = report.failures().map(|q| q.name.as_str()).collect();
    assert_eq!(failed, ["trajectory alg2/mixture/vp"]);
    assert!(perturbed(0.5).passed());
}

/// Every sampler runs on both problems under both schedules, the latents are given, and noise
/// is given exactly at the steps that draw it: Algorithm 2 inside its churn window, DDIM with
/// eta = 1 at every step but the last, never for the deterministic samplers.
#[test]
fn trajectories_cover_every_sampler_with_their_noise() {
    let cases = &reference().trajectories;
    assert_eq!(cases.len(), 24);
    for c in cases {
        let n = c.t.len() - 1;
        assert_eq!(c.noise.len(), n);
        assert_eq!(c.latent.len(), 4);
        let drawn: Vec<bool> = c.noise.iter().map(Option::is_some).collect();
        match c.sampler.label().as_str() {
            "ddim(eta=1)" => assert_eq!(drawn, [vec![true; n - 1], vec![false]].concat()),
            "alg2" => assert!(drawn.iter().any(|&d| d) && !drawn[n - 1], "{}", c.label()),
            _ => assert!(drawn.iter().all(|&d| !d), "{}", c.label()),
        }
        let trajectory = c.trajectory.as_ref().unwrap();
        assert_eq!(trajectory.len(), n + 1);
        assert!(trajectory.iter().flatten().flatten().all(|v| v.is_finite()));
    }
}

/// A missing answer (field absent or null) is reported as not provided, which fails; a section
/// left out fails every quantity in it.
#[test]
fn missing_answers_are_not_provided() {
    let mut doc = reference_json();
    let point = &mut doc["coefficients"][2]["points"][1];
    point.as_object_mut().unwrap().remove("c_out");
    point["c_in"] = Value::Null;
    let report = check(&parse(&doc).unwrap(), "port.json", reference()).unwrap();
    let failed: Vec<_> = report.failures().map(|q| q.name.as_str()).collect();
    assert_eq!(
        failed,
        [
            "coefficients iddpm/iddpm c_out",
            "coefficients iddpm/iddpm c_in"
        ]
    );
    let q = report.get("coefficients iddpm/iddpm c_in").unwrap();
    assert_eq!(
        q.verdict,
        Verdict::NotProvided {
            missing: 1,
            total: reference().coefficients[2].points.len()
        }
    );

    let mut doc = reference_json();
    doc.as_object_mut().unwrap().remove("steps");
    let report = check(&parse(&doc).unwrap(), "port.json", reference()).unwrap();
    let failed = report.failures().count();
    assert!(failed > 0);
    assert!(report.failures().all(|q| q.name.starts_with("steps ")));
}

fn field_error(doc: &Value) -> (String, String) {
    match parse(doc) {
        Err(Error::InvalidField { field, reason, .. }) => (field, reason),
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// Malformed input is a typed error naming the field and what was expected.
#[test]
fn malformed_fields_are_named() {
    let mut doc = reference_json();
    doc["coefficients"][3]["points"][0]["c_skip"] = Value::from("0.5");
    assert_eq!(
        field_error(&doc),
        (
            "coefficients[3].points[0].c_skip".to_owned(),
            "expected a number, got a string".to_owned()
        )
    );

    let mut doc = reference_json();
    doc["steps"][4]["sigma"] = Value::from(vec![1.0, 0.0]);
    let (field, reason) = field_error(&doc);
    assert_eq!(field, "steps[4].sigma");
    assert!(reason.contains("numbers (N + 1), got 2"), "{reason}");

    let mut doc = reference_json();
    doc["coefficients"][0]["schedule"]["name"] = Value::from("cosine");
    let (field, reason) = field_error(&doc);
    assert_eq!(field, "coefficients[0].schedule.name");
    assert_eq!(reason, "unknown schedule `cosine`");

    let mut doc = reference_json();
    doc["version"] = Value::from(2);
    assert_eq!(field_error(&doc).0, "version");
}

/// Text that is not JSON (a NaN written by a careless encoder) is a parse error.
#[test]
fn non_json_is_a_parse_error() {
    let text = reference()
        .to_json_string()
        .replacen("\"c_in\": 1.0", "\"c_in\": NaN", 1);
    assert!(matches!(
        Document::parse(&text, "port.json"),
        Err(Error::Parse { .. })
    ));
}

/// A port that answers a different problem (a changed input) is an error, not a verdict.
#[test]
fn changed_inputs_are_an_error() {
    let mut port = reference().clone();
    port.coefficients[0].points[2].t = 0.25;
    match check(&port, "port.json", reference()) {
        Err(Error::InvalidField { field, .. }) => {
            assert_eq!(field, "coefficients[0].points[2].t")
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    let mut port = reference().clone();
    let case = port
        .trajectories
        .iter()
        .position(|c| c.label() == "alg2/gaussian/edm");
    let noisy = &mut port.trajectories[case.unwrap()].noise;
    *noisy.iter_mut().find(|n| n.is_some()).unwrap() = None;
    let expected = format!("trajectories[{}].noise", case.unwrap());
    assert!(matches!(
        check(&port, "port.json", reference()),
        Err(Error::InvalidField { field, .. }) if field == expected
    ));
    let mut port = reference().clone();
    port.steps.pop();
    assert!(matches!(
        check(&port, "port.json", reference()),
        Err(Error::InvalidField { field, .. }) if field == "steps"
    ));
}

/// A port built in code (not parsed, so not checked on construction) whose answers have the
/// wrong length is an error naming the answer, for every kind of list: time steps, mapped
/// times, trajectory states, samples of a state and coordinates of a sample.
#[test]
fn answers_of_the_wrong_length_are_an_error() {
    let expect = |port: &Document, field: &str| match check(port, "port.json", reference()) {
        Err(Error::InvalidField { field: f, .. }) => assert_eq!(f, field),
        other => panic!("expected a field error at {field}, got {other:?}"),
    };
    let mut port = reference().clone();
    port.steps[1].sigma.as_mut().unwrap().pop();
    expect(&port, "steps[1].sigma");
    let mut port = reference().clone();
    port.steps[0].t.as_mut().unwrap().push(0.0);
    expect(&port, "steps[0].t");
    let mut port = reference().clone();
    port.steps[0].mapped[0].t.as_mut().unwrap().clear();
    expect(&port, "steps[0].mapped[0].t");
    let mut port = reference().clone();
    port.trajectories[2].trajectory.as_mut().unwrap().pop();
    expect(&port, "trajectories[2].trajectory");
    let mut port = reference().clone();
    port.trajectories[0].trajectory.as_mut().unwrap()[3].pop();
    expect(&port, "trajectories[0].trajectory[3]");
    let mut port = reference().clone();
    port.trajectories[1].trajectory.as_mut().unwrap()[1][0].pop();
    expect(&port, "trajectories[1].trajectory[1][0]");
}

/// A reference read from a file must answer every quantity; a missing answer is an error that
/// names it, not a silent pass.
#[test]
fn reference_without_answers_is_an_error() {
    let mut incomplete = reference().clone();
    incomplete.coefficients[1].points[2].values[3] = None;
    match check(reference(), "port.json", &incomplete) {
        Err(Error::InvalidField { file, field, .. }) => {
            assert_eq!(
                (file.as_str(), field.as_str()),
                ("reference", "coefficients[1].points[2].scale_dot")
            )
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// The command line: `edm vectors export --out DIR` writes the reference; `edm vectors check`
/// prints the report and exits 0 on a pass, 1 on a failure, 1 with one line naming the field on
/// malformed input.
#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use std::process::{Command, Output};

    use crate::common::TempDir;

    fn edm(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_edm"))
            .args(args)
            .output()
            .expect("edm runs")
    }

    #[test]
    fn export_then_check_passes_and_exits_zero() {
        let dir = TempDir::new("vectors-pass");
        let out = edm(&["vectors", "export", "--out", dir.path().to_str().unwrap()]);
        assert!(out.status.success());
        let file = dir.join("vectors.json");
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            &Document::parse(&text, "vectors.json").unwrap(),
            reference()
        );
        let out = edm(&["vectors", "check", file.to_str().unwrap()]);
        let report = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{report}");
        let n = check(reference(), "", reference())
            .unwrap()
            .quantities
            .len();
        assert!(
            report.contains(&format!("{n} quantities: {n} pass, 0 fail")),
            "{report}"
        );
        let out = edm(&[
            "vectors",
            "check",
            file.to_str().unwrap(),
            "--reference",
            file.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0));
    }

    #[test]
    fn failing_and_malformed_ports_exit_one() {
        let dir = TempDir::new("vectors-fail");
        let file = dir.join("port.json");
        let mut port = reference().clone();
        let v = &mut port.coefficients[0].points[4].values[0];
        *v = Some(nudge(v.unwrap(), 1000));
        std::fs::write(&file, port.to_json_string()).unwrap();
        let out = edm(&["vectors", "check", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let report = String::from_utf8(out.stdout).unwrap();
        let failed: Vec<&str> = report.lines().filter(|l| l.contains("FAIL")).collect();
        assert_eq!(failed.len(), 1, "{report}");
        assert!(
            failed[0].starts_with("coefficients vp/vp sigma "),
            "{report}"
        );

        let mut doc = reference_json();
        doc["coefficients"][3]["points"][0]["c_skip"] = Value::from("0.5");
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = edm(&["vectors", "check", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            stderr,
            format!(
                "edm: {}: coefficients[3].points[0].c_skip: expected a number, got a string\n",
                file.display()
            )
        );
    }
}

/// The JSON Schema in docs/ is valid JSON, of this format version, and names every answer
/// field of a coefficient point.
#[test]
fn schema_file_matches_the_format() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/vectors.schema.json"
    ))
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let props = &schema["properties"];
    assert_eq!(props["format"]["const"], elucidated::vectors::FORMAT);
    assert_eq!(props["version"]["const"], elucidated::vectors::VERSION);
    let point = &schema["$defs"]["coefficientPoint"]["properties"];
    for field in FIELDS.iter().chain(&["t"]) {
        assert!(
            point.get(*field).is_some(),
            "{field} missing from the schema"
        );
    }
}

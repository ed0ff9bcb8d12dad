//! The fast CPU convolution, fused group norm + SiLU and nearest 2x upsampling against candle's
//! stock ops (values and gradients, f32) and against central finite differences (f64).

use candle_core::{DType, Device, Result, Tensor, Var};
use elucidated::nn::ops::{OpImpl, conv2d, group_norm, upsample_nearest2x};
use elucidated::tolerance::{CENTRAL_DIFFERENCE_STEP, REL_CENTRAL_DIFFERENCE, REL_F32_REORDER};

/// Deterministic pseudo-random normal-ish values (sum of uniforms), so failures reproduce.
fn randn(shape: &[usize], seed: u64, dtype: DType) -> Result<Tensor> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let n: usize = shape.iter().product();
    let vals: Vec<f64> = (0..n)
        .map(|_| {
            (0..4)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    (s >> 11) as f64 / (1u64 << 53) as f64
                })
                .sum::<f64>()
                - 2.0
        })
        .collect();
    Tensor::from_vec(vals, shape, &Device::Cpu)?.to_dtype(dtype)
}

/// Largest absolute difference divided by the largest absolute reference value.
fn rel_err(got: &Tensor, want: &Tensor) -> Result<f64> {
    assert_eq!(got.dims(), want.dims());
    let diff = (got.to_dtype(DType::F64)? - want.to_dtype(DType::F64)?)?;
    let num = diff.abs()?.max_all()?.to_scalar::<f64>()?;
    let den = want
        .to_dtype(DType::F64)?
        .abs()?
        .max_all()?
        .to_scalar::<f64>()?;
    Ok(num / den.max(f64::MIN_POSITIVE))
}

/// Value of `sum(f(inputs) * probe)` and its gradients with respect to every input.
fn value_and_grads(
    inputs: &[Tensor],
    probe: &Tensor,
    f: &dyn Fn(&[Tensor]) -> Result<Tensor>,
) -> Result<(Tensor, Vec<Tensor>)> {
    let vars: Vec<Var> = inputs.iter().map(Var::from_tensor).collect::<Result<_>>()?;
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let y = f(&ts)?;
    let grads = (&y * probe)?.sum_all()?.backward()?;
    let g = ts
        .iter()
        .map(|t| grads.get(t).expect("gradient").clone())
        .collect();
    Ok((y, g))
}

fn compare_with_stock(
    inputs: &[Tensor],
    f: &dyn Fn(OpImpl, &[Tensor]) -> Result<Tensor>,
    what: &str,
) -> Result<()> {
    let probe_shape = f(OpImpl::Stock, inputs)?.dims().to_vec();
    let probe = randn(&probe_shape, 99, inputs[0].dtype())?;
    let (y_ref, g_ref) = value_and_grads(inputs, &probe, &|t| f(OpImpl::Stock, t))?;
    let (y, g) = value_and_grads(inputs, &probe, &|t| f(OpImpl::Auto, t))?;
    let e = rel_err(&y, &y_ref)?;
    assert!(e < REL_F32_REORDER, "{what}: value rel err {e}");
    for (i, (a, b)) in g.iter().zip(&g_ref).enumerate() {
        let e = rel_err(a, b)?;
        assert!(e < REL_F32_REORDER, "{what}: gradient {i} rel err {e}");
    }
    Ok(())
}

/// Checks every gradient entry of `sum(f(inputs) * probe)` against central differences.
fn check_finite_differences(
    inputs: &[Tensor],
    f: &dyn Fn(&[Tensor]) -> Result<Tensor>,
    what: &str,
) -> Result<()> {
    let probe = randn(f(inputs)?.dims(), 7, DType::F64)?;
    let loss = |ts: &[Tensor]| -> Result<f64> { (f(ts)? * &probe)?.sum_all()?.to_scalar() };
    let (_, grads) = value_and_grads(inputs, &probe, f)?;
    for (k, (input, grad)) in inputs.iter().zip(&grads).enumerate() {
        let base: Vec<f64> = input.flatten_all()?.to_vec1()?;
        let mut fd = Vec::with_capacity(base.len());
        for i in 0..base.len() {
            let eval = |delta: f64| -> Result<f64> {
                let mut v = base.clone();
                v[i] += delta;
                let mut ts = inputs.to_vec();
                ts[k] = Tensor::from_vec(v, input.shape(), &Device::Cpu)?;
                loss(&ts)
            };
            fd.push(
                (eval(CENTRAL_DIFFERENCE_STEP)? - eval(-CENTRAL_DIFFERENCE_STEP)?)
                    / (2.0 * CENTRAL_DIFFERENCE_STEP),
            );
        }
        let fd = Tensor::from_vec(fd, input.shape(), &Device::Cpu)?;
        let e = rel_err(grad, &fd)?;
        assert!(
            e < REL_CENTRAL_DIFFERENCE,
            "{what}: input {k} finite-difference rel err {e}"
        );
    }
    Ok(())
}

/// (batch, in channels, out channels, size, kernel, stride, padding, bias).
type ConvCase = (usize, usize, usize, usize, usize, usize, usize, bool);

const CONV_CASES: [ConvCase; 6] = [
    (2, 3, 5, 8, 3, 1, 1, true),
    (3, 4, 6, 9, 3, 2, 1, true),
    (2, 4, 3, 8, 1, 1, 0, true),
    (2, 3, 4, 7, 3, 1, 0, false),
    (1, 2, 3, 8, 2, 2, 0, false),
    (2, 3, 2, 6, 5, 1, 2, true),
];

fn conv_inputs(case: usize, dtype: DType) -> Result<(Vec<Tensor>, usize, usize)> {
    let (n, c, o, hw, k, stride, pad, bias) = CONV_CASES[case];
    let seed = 10 * case as u64;
    let mut ts = vec![
        randn(&[n, c, hw, hw], seed, dtype)?,
        randn(&[o, c, k, k], seed + 1, dtype)?,
    ];
    if bias {
        ts.push(randn(&[o], seed + 2, dtype)?);
    }
    Ok((ts, stride, pad))
}

fn conv(ops: OpImpl, t: &[Tensor], stride: usize, pad: usize) -> Result<Tensor> {
    conv2d(ops, &t[0], &t[1], t.get(2), stride, pad)
}

#[test]
fn conv2d_values_and_gradients_match_candle() -> Result<()> {
    for case in 0..CONV_CASES.len() {
        let (ts, stride, pad) = conv_inputs(case, DType::F32)?;
        let f = |ops: OpImpl, t: &[Tensor]| conv(ops, t, stride, pad);
        compare_with_stock(&ts, &f, &format!("conv case {case}"))?;
    }
    Ok(())
}

#[test]
fn conv2d_gradients_match_finite_differences_f64() -> Result<()> {
    for case in 0..CONV_CASES.len() {
        let (ts, stride, pad) = conv_inputs(case, DType::F64)?;
        let f = |t: &[Tensor]| conv(OpImpl::Auto, t, stride, pad);
        check_finite_differences(&ts, &f, &format!("conv case {case}"))?;
    }
    Ok(())
}

/// 30 images of 16 channels at 32x32 with a 3x3 kernel: a column matrix of 144 x 1024 f32
/// values (576 KiB) per image, so the 16 MiB column chunks of the CPU convolution hold 29 images
/// and the batch takes two chunks (forward and backward).
#[test]
fn conv2d_over_several_column_chunks_matches_candle() -> Result<()> {
    let ts = vec![
        randn(&[30, 16, 32, 32], 70, DType::F32)?,
        randn(&[8, 16, 3, 3], 71, DType::F32)?,
        randn(&[8], 72, DType::F32)?,
    ];
    let f = |ops: OpImpl, t: &[Tensor]| conv(ops, t, 1, 1);
    compare_with_stock(&ts, &f, "conv over two column chunks")
}

#[test]
fn upsample_nearest2x_values_and_gradients_match_candle() -> Result<()> {
    let ts = vec![randn(&[3, 4, 5, 6], 80, DType::F32)?];
    let f = |ops: OpImpl, t: &[Tensor]| upsample_nearest2x(ops, &t[0]);
    compare_with_stock(&ts, &f, "upsample")?;
    let up = upsample_nearest2x(OpImpl::Auto, &ts[0])?;
    assert_eq!(up.dims(), [3, 4, 10, 12]);
    Ok(())
}

#[test]
fn upsample_nearest2x_gradients_match_finite_differences_f64() -> Result<()> {
    let ts = vec![randn(&[2, 3, 3, 4], 81, DType::F64)?];
    let f = |t: &[Tensor]| upsample_nearest2x(OpImpl::Auto, &t[0]);
    check_finite_differences(&ts, &f, "upsample")
}

/// (batch, channels, groups, size, silu).
const NORM_CASES: [(usize, usize, usize, usize, bool); 4] = [
    (2, 8, 4, 5, true),
    (3, 6, 3, 4, false),
    (2, 4, 1, 3, true),
    (1, 6, 6, 4, true),
];

fn norm_inputs(case: usize, dtype: DType) -> Result<Vec<Tensor>> {
    let (n, c, _, hw, _) = NORM_CASES[case];
    let seed = 100 + 10 * case as u64;
    // An offset and scale on x, so that the normalisation has something to remove.
    let x = ((randn(&[n, c, hw, hw], seed, dtype)? * 3.0)? + 1.5)?;
    let gamma = (randn(&[c], seed + 1, dtype)? + 1.0)?;
    Ok(vec![x, gamma, randn(&[c], seed + 2, dtype)?])
}

fn norm(ops: OpImpl, t: &[Tensor], case: usize) -> Result<Tensor> {
    let (_, _, groups, _, silu) = NORM_CASES[case];
    group_norm(ops, &t[0], &t[1], &t[2], groups, 1e-5, silu)
}

#[test]
fn group_norm_silu_values_and_gradients_match_candle() -> Result<()> {
    for case in 0..NORM_CASES.len() {
        let ts = norm_inputs(case, DType::F32)?;
        let f = |ops: OpImpl, t: &[Tensor]| norm(ops, t, case);
        compare_with_stock(&ts, &f, &format!("group norm case {case}"))?;
    }
    Ok(())
}

#[test]
fn group_norm_silu_gradients_match_finite_differences_f64() -> Result<()> {
    for case in 0..NORM_CASES.len() {
        let ts = norm_inputs(case, DType::F64)?;
        let f = |t: &[Tensor]| norm(OpImpl::Auto, t, case);
        check_finite_differences(&ts, &f, &format!("group norm case {case}"))?;
    }
    Ok(())
}

#[test]
fn fast_ops_reject_bad_shapes() -> Result<()> {
    let x = randn(&[1, 3, 4, 4], 1, DType::F32)?;
    let w = randn(&[2, 4, 3, 3], 2, DType::F32)?;
    assert!(conv2d(OpImpl::Auto, &x, &w, None, 1, 1).is_err());
    let w3 = randn(&[2, 3, 3, 3], 4, DType::F32)?;
    let bad_bias = randn(&[3], 5, DType::F32)?;
    assert!(conv2d(OpImpl::Auto, &x, &w3, Some(&bad_bias), 1, 1).is_err());
    let g = randn(&[3], 3, DType::F32)?;
    assert!(group_norm(OpImpl::Auto, &x, &g, &g, 2, 1e-5, true).is_err());
    assert!(upsample_nearest2x(OpImpl::Auto, &g).is_err());
    Ok(())
}

//! The loss curve of `edm train`: the loss of every step (light) and its centred running mean
//! over 100 steps (dark), on a log scale, written atomically.

use std::path::Path;

use crate::error::CliError;
use plotters::prelude::*;

const SIZE: (u32, u32) = (720, 420);
const WINDOW: usize = 100;

/// Writes the curve of `rows` (step, loss, learning rate) to `path`.
pub fn png(path: &Path, rows: &[(u64, f64, f64)]) -> Result<(), CliError> {
    crate::png::figure(path, SIZE, |root| draw(root, rows))
}

fn draw(
    root: &crate::png::Area<'_>,
    rows: &[(u64, f64, f64)],
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let pts: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.1.is_finite() && r.1 > 0.0)
        .map(|r| (r.0 as f64 + 1.0, r.1))
        .collect();
    let mean: Vec<(f64, f64)> = pts
        .windows(WINDOW.min(pts.len()).max(1))
        .map(|w| {
            (
                w[w.len() / 2].0,
                w.iter().map(|p| p.1).sum::<f64>() / w.len() as f64,
            )
        })
        .collect();
    let x_hi = pts.last().map_or(2.0, |p| p.0.max(2.0));
    let (lo, hi) = pts.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let (lo, hi) = if lo <= hi {
        (lo * 0.9, hi * 1.1)
    } else {
        (0.01, 10.0)
    };
    let mut chart = ChartBuilder::on(root)
        .caption("EDM training loss per dimension", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(1f64..x_hi, (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("loss")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.3}"))
        .label_style(("sans-serif", 12))
        .draw()?;
    let light = RGBColor(160, 190, 230);
    chart.draw_series(pts.iter().map(|&p| Circle::new(p, 1, light.filled())))?;
    chart
        .draw_series(LineSeries::new(
            mean,
            RGBColor(31, 119, 180).stroke_width(2),
        ))?
        .label(format!("centred mean of {WINDOW} steps"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RGBColor(31, 119, 180)));
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 12))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

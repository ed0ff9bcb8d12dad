//! The PNG plot of `edm oracle`: error against NFE, one panel per sampler and data set, one
//! line per setting of the paper's Fig. 2.
//!
//! Text is drawn with DejaVu Sans Mono (Debian package fonts-dejavu-core, Bitstream Vera
//! license: free to use, copy, embed and redistribute; assets/fonts/DejaVuSansMono.LICENSE).

use super::measure::Cell;
use crate::error::CliError;
use elucidated::sampler::SamplerKind;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::path::Path;

static FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSansMono.ttf");

/// The settings of Fig. 2 (discretisation, schedule) with their line colours.
const LINES: [(&str, &str, RGBColor); 4] = [
    ("vp", "vp", RGBColor(31, 119, 180)),
    ("ve", "ve", RGBColor(255, 127, 14)),
    ("iddpm", "edm", RGBColor(44, 160, 44)),
    ("edm", "edm", RGBColor(214, 39, 40)),
];

const PANEL: (u32, u32) = (420, 340);

/// (NFE, error) of one line: the path error of deterministic samplers, else the distribution
/// error; runs that failed or gave no positive finite error are left out.
fn points(cells: &[Cell], data: &str, sampler: &str, line: (&str, &str)) -> Vec<(f64, f64)> {
    cells
        .iter()
        .filter(|c| c.data == data && c.sampler == sampler && (c.disc, c.schedule) == line)
        .filter_map(|c| c.outcome.as_ref().ok())
        .map(|m| (m.nfe as f64, m.path.unwrap_or(m.dist)))
        .filter(|&(_, e)| e.is_finite() && e > 0.0)
        .collect()
}

/// Lowest and highest positive value, widened to whole decades.
fn decades(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo > hi {
        return (1e-3, 1.0);
    }
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
    )
}

/// Writes the figure: rows gaussian and mixture, one column per sampler.
pub fn png(
    path: &Path,
    cells: &[Cell],
    samplers: &[(String, SamplerKind)],
) -> Result<(), CliError> {
    register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| CliError::draw(path, "the embedded font is invalid"))?;
    let cols = samplers.len() as u32;
    let size = (PANEL.0 * cols, PANEL.1 * 2);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| CliError::draw(path, e))?;
    let panels = root.split_evenly((2, samplers.len()));
    let rows = ["gaussian", "mixture"];
    for (i, panel) in panels.iter().enumerate() {
        let (data, (name, kind)) = (rows[i / samplers.len()], &samplers[i % samplers.len()]);
        let metric = match (kind.is_stochastic(), data) {
            (false, _) => "path error",
            (true, "gaussian") => "W2",
            (true, _) => "KS",
        };
        draw_panel(panel, cells, (data, name, metric)).map_err(|e| CliError::draw(path, e))?;
    }
    root.present().map_err(|e| CliError::draw(path, e))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    cells: &[Cell],
    (data, sampler, metric): (&str, &str, &str),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let lines: Vec<_> = LINES
        .iter()
        .map(|&(d, s, colour)| {
            (
                format!("{d}/{s}"),
                colour,
                points(cells, data, sampler, (d, s)),
            )
        })
        .collect();
    let (x_lo, x_hi) = decades(lines.iter().flat_map(|l| l.2.iter().map(|p| p.0)));
    let (y_lo, y_hi) = decades(lines.iter().flat_map(|l| l.2.iter().map(|p| p.1)));
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{sampler}, {data}: {metric}"), ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d((x_lo..x_hi).log_scale(), (y_lo..y_hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("NFE")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .label_style(("sans-serif", 12))
        .draw()?;
    for (label, colour, pts) in lines {
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
            });
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, colour.filled())))?;
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 12))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
}

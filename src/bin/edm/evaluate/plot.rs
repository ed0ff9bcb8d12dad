//! The PNG of `edm evaluate`: class accuracy and Fréchet distance against NFE, one line per
//! sampler and guidance weight.

use std::path::Path;

use crate::error::CliError;
use plotters::prelude::*;

use super::Cell;

const SIZE: (u32, u32) = (1000, 420);
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Writes the figure to `path`, atomically.
pub fn png(path: &Path, cells: &[Cell]) -> Result<(), CliError> {
    crate::png::figure(path, SIZE, |root| draw(root, cells))
}

type Lines = Vec<(String, Vec<(f64, f64)>)>;

/// A panel: its title and the value it plots.
type Panel = (&'static str, fn(&Cell) -> f64);

fn lines(cells: &[Cell], value: fn(&Cell) -> f64) -> Lines {
    let mut keys: Vec<(String, f64)> = Vec::new();
    for c in cells {
        if !keys
            .iter()
            .any(|(s, w)| *s == c.sampler && *w == c.guidance)
        {
            keys.push((c.sampler.clone(), c.guidance));
        }
    }
    keys.into_iter()
        .map(|(s, w)| {
            let pts = cells
                .iter()
                .filter(|c| c.sampler == s && c.guidance == w)
                .map(|c| (c.nfe as f64, value(c)))
                .filter(|p| p.1.is_finite())
                .collect();
            (format!("{s} w={w}"), pts)
        })
        .collect()
}

fn draw(root: &crate::png::Area<'_>, cells: &[Cell]) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 2));
    let x_hi = cells.iter().map(|c| c.nfe).max().unwrap_or(2).max(2) as f64 * 1.2;
    let specs: [Panel; 2] = [
        ("class accuracy (%)", |c| 100.0 * c.accuracy),
        ("Fréchet distance", |c| c.frechet),
    ];
    for (panel, (title, value)) in panels.iter().zip(specs) {
        let ls = lines(cells, value);
        let ys = ls.iter().flat_map(|l| l.1.iter().map(|p| p.1));
        let (lo, hi) = ys.fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (lo, hi) = if lo <= hi {
            (lo * 0.9, hi * 1.1)
        } else {
            (0.1, 100.0)
        };
        let mut chart = ChartBuilder::on(panel)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d((3f64..x_hi).log_scale(), lo..hi)?;
        chart
            .configure_mesh()
            .x_desc("NFE")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .label_style(("sans-serif", 12))
            .draw()?;
        for (i, (label, pts)) in ls.into_iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            chart
                .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, colour.filled())))?;
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 11))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}

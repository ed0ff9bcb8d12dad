//! PNG output shared by the subcommands: 8-bit images and plotters figures, written
//! atomically, with text in DejaVu Sans Mono (Debian package fonts-dejavu-core, Bitstream Vera
//! license: free to use, copy, embed and redistribute; assets/fonts/DejaVuSansMono.LICENSE).

use std::path::Path;

use elucidated::io::write_atomic;
use image::ImageEncoder;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea};
use plotters::style::{FontStyle, register_font};

static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono.ttf");

use crate::error::CliError;

/// Encodes `pixels` (`h x w x c` bytes, c = 1 or 3) as PNG and writes it atomically.
pub fn write(path: &Path, pixels: &[u8], (w, h, c): (usize, usize, usize)) -> Result<(), CliError> {
    let colour = if c == 1 {
        image::ExtendedColorType::L8
    } else {
        image::ExtendedColorType::Rgb8
    };
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(pixels, w as u32, h as u32, colour)
        .map_err(|e| CliError::draw(path, e))?;
    Ok(write_atomic(path, &png)?)
}

/// The drawing area `figure` draws on.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// Renders a `size` figure with `draw` (font "sans-serif" registered) and writes it.
pub fn figure(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<(), CliError> {
    register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| CliError::draw(path, "the embedded font is invalid"))?;
    let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        draw(&root).map_err(|e| CliError::draw(path, e))?;
        root.present().map_err(|e| CliError::draw(path, e))?;
    }
    write(path, &pixels, (size.0 as usize, size.1 as usize, 3))
}

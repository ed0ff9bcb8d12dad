//! Reader for the mpmath reference tables in proofs/reference/ (format: the docstring of
//! proofs/reference/make_tables.py) and the fractional ULP distance they allow.

use std::collections::HashMap;

/// A reference value: the correctly rounded float64 and (exact - rounded) / ulp(rounded).
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    pub rounded: f64,
    pub offset: f64,
}

/// One `@table` of a reference file.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub params: HashMap<String, String>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// A row of a table, with its columns looked up by name.
pub struct Row<'a> {
    table: &'a Table,
    fields: &'a [String],
}

/// Reads every table of `proofs/reference/<file>`.
pub fn load(file: &str) -> Vec<Table> {
    let path = format!("{}/proofs/reference/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut tables: Vec<Table> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("@table") => tables.push(Table {
                name: words.next().expect("table name").to_owned(),
                params: words
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').expect("KEY=VALUE");
                        (k.to_owned(), v.to_owned())
                    })
                    .collect(),
                inputs: Vec::new(),
                outputs: Vec::new(),
                rows: Vec::new(),
            }),
            Some("@inputs") => {
                tables.last_mut().expect("@inputs after @table").inputs =
                    words.map(str::to_owned).collect()
            }
            Some("@outputs") => {
                tables.last_mut().expect("@outputs after @table").outputs =
                    words.map(str::to_owned).collect()
            }
            Some(_) => tables
                .last_mut()
                .expect("rows after @table")
                .rows
                .push(line.split_whitespace().map(str::to_owned).collect()),
            None => {}
        }
    }
    tables
}

/// The tables of `file` named `name`.
pub fn tables<'a>(all: &'a [Table], name: &'a str) -> impl Iterator<Item = &'a Table> {
    all.iter().filter(move |t| t.name == name)
}

impl Table {
    /// The rows.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|fields| Row {
            table: self,
            fields,
        })
    }

    /// An integer parameter of the table.
    pub fn param_int(&self, key: &str) -> usize {
        self.params[key].parse().expect("integer parameter")
    }

    /// A float64 parameter of the table.
    pub fn param(&self, key: &str) -> f64 {
        parse_hex(&self.params[key])
    }

    /// The field index of an input column (one field each).
    fn input_field(&self, column: &str) -> usize {
        self.inputs
            .iter()
            .position(|c| c == column)
            .unwrap_or_else(|| panic!("table {} has no input {column}", self.name))
    }

    /// The field index of an output column (two fields each, after the inputs).
    fn output_field(&self, column: &str) -> usize {
        let k = self
            .outputs
            .iter()
            .position(|c| c == column)
            .unwrap_or_else(|| panic!("table {} has no output {column}", self.name));
        self.inputs.len() + 2 * k
    }
}

impl Row<'_> {
    /// An input column as a float64 (hex) or integer.
    pub fn input(&self, column: &str) -> f64 {
        parse_hex(&self.fields[self.table.input_field(column)])
    }

    /// An integer input column.
    pub fn int(&self, column: &str) -> usize {
        self.fields[self.table.input_field(column)]
            .parse()
            .expect("integer field")
    }

    /// An output column.
    pub fn output(&self, column: &str) -> Reference {
        let i = self.table.output_field(column);
        Reference {
            rounded: parse_hex(&self.fields[i]),
            offset: self.fields[i + 1].parse().expect("offset"),
        }
    }
}

/// Parses Python's float.hex() output (and "inf", "-inf").
pub fn parse_hex(s: &str) -> f64 {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let v = if body == "inf" {
        f64::INFINITY
    } else {
        let body = body.strip_prefix("0x").expect("hex float");
        let (mant, exp) = body.split_once('p').expect("hex exponent");
        let (lead, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let lead: u64 = lead.parse().expect("leading digit");
        let mut bits = 0u64;
        for (k, c) in frac.chars().enumerate() {
            bits |= u64::from(c.to_digit(16).expect("hex digit")) << (48 - 4 * k);
        }
        let exp: i32 = exp.parse().expect("exponent");
        if lead == 0 {
            assert!(
                bits == 0 || exp == -1022,
                "subnormals are written with p-1022"
            );
            f64::from_bits(bits)
        } else {
            f64::from_bits((((exp + 1023) as u64) << 52) | bits)
        }
    };
    if neg { -v } else { v }
}

/// ulp(x) = 2^(e - 52) for |x| in [2^e, 2^(e+1)), 2^-1074 below 2^-1022 (also for 0).
pub fn ulp(x: f64) -> f64 {
    let biased = ((x.abs().to_bits() >> 52) & 0x7ff) as i32;
    let e = biased.max(1) - 1023 - 52;
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// The distance |computed - exact| in ULPs of the rounded reference (fractional). An
/// overflowing reference (inf) is matched only by inf; anything else is infinitely far.
pub fn ulp_error(computed: f64, r: Reference) -> f64 {
    if r.rounded.is_infinite() || computed.is_infinite() || computed.is_nan() {
        return if computed == r.rounded {
            0.0
        } else {
            f64::INFINITY
        };
    }
    ((computed - r.rounded) / ulp(r.rounded) - r.offset).abs()
}

//! The pickle reader on hostile input: truncated files, unsupported opcodes, globals outside
//! the allow-list, huge declared lengths, deep nesting, memo bombs and tensors or storage data
//! pointing outside their storage each give the typed error they call for, quickly and within
//! memory bounded by the input (never more values than input bytes).

use std::time::{Duration, Instant};

use elucidated::Error;
use elucidated::noise::NoiseStream;
use elucidated::pickle::{self, Node};

use super::pickle::{FIXTURES, assert_well_formed, fixture};

/// Time any hostile input may take to be rejected; the reader is linear in its input, and the
/// largest input here is a few hundred KB (a generous bound for an unoptimised, shared CI box).
const REJECT_WITHIN: Duration = Duration::from_secs(2);

fn parse_timed(bytes: &[u8]) -> Result<usize, Error> {
    let start = Instant::now();
    let out = pickle::parse(bytes).map(|p| {
        assert_well_formed(&p, bytes.len());
        p.nodes().len()
    });
    assert!(
        start.elapsed() < REJECT_WITHIN,
        "took {:?}",
        start.elapsed()
    );
    out
}

/// A protocol-4 pickle of `body` (opcodes) followed by STOP.
fn pickle4(body: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80, 4];
    v.extend_from_slice(body);
    v.push(b'.');
    v
}

fn short_str(s: &str) -> Vec<u8> {
    let mut v = vec![0x8c, s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

fn stack_global(module: &str, name: &str) -> Vec<u8> {
    [short_str(module), short_str(name), vec![0x93]].concat()
}

/// A legacy torch storage archive of `numel` float32 elements declared, `data_count`
/// elements announced before the data, and `data` bytes.
fn archive(numel: u16, data_count: u64, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80, 2, 0x8a, 10];
    v.extend_from_slice(&0x1950_a86a_20f9_469c_fc6c_u128.to_le_bytes()[..10]);
    v.extend_from_slice(&[b'.', 0x80, 2, b'M']);
    v.extend_from_slice(&1001u16.to_le_bytes());
    v.extend_from_slice(&[b'.', 0x80, 2, b'}', b'(']);
    v.extend(short_str("little_endian"));
    v.extend_from_slice(&[0x88, b'u', b'.', 0x80, 2, b'(']);
    v.extend(short_str("storage"));
    v.extend_from_slice(b"ctorch\nFloatStorage\n");
    v.extend(short_str("0"));
    v.extend(short_str("cpu"));
    v.push(b'M');
    v.extend_from_slice(&numel.to_le_bytes());
    v.extend_from_slice(&[b'N', b't', b'Q', b'.', 0x80, 2, b']']);
    v.extend(short_str("0"));
    v.extend_from_slice(b"a.");
    v.extend_from_slice(&data_count.to_le_bytes());
    v.extend_from_slice(data);
    v
}

/// A pickle of one tensor `(offset, shape, strides)` over the storage archive `arch`.
fn tensor_pickle(arch: &[u8], offset: u8, shape: &[u8], strides: &[u8]) -> Vec<u8> {
    let mut body = stack_global("torch._utils", "_rebuild_tensor_v2");
    body.push(b'(');
    body.extend(stack_global("torch.storage", "_load_from_bytes"));
    body.push(b'B');
    body.extend_from_slice(&(arch.len() as u32).to_le_bytes());
    body.extend_from_slice(arch);
    body.extend_from_slice(&[0x85, b'R', b'K', offset, b'(']);
    for &d in shape {
        body.extend_from_slice(&[b'K', d]);
    }
    body.extend_from_slice(b"t(");
    for &s in strides {
        body.extend_from_slice(&[b'K', s]);
    }
    body.extend_from_slice(&[b't', 0x89]);
    body.extend(stack_global("collections", "OrderedDict"));
    body.extend_from_slice(b")RtR");
    pickle4(&body)
}

#[test]
fn a_hand_built_tensor_reads_back() {
    let data: Vec<u8> = (0..6u8).flat_map(|i| f32::from(i).to_le_bytes()).collect();
    let bytes = tensor_pickle(&archive(6, 6, &data), 1, &[2, 2], &[1, 2]);
    let p = pickle::parse(&bytes).unwrap();
    let Node::Tensor(t) = p.node(p.root()) else {
        panic!("not a tensor: {:?}", p.node(p.root()));
    };
    assert_eq!(
        t.floats(p.storage_of(t).unwrap()).unwrap(),
        [1.0, 3.0, 2.0, 4.0]
    );
}

#[test]
fn tensors_outside_their_storage_are_rejected() {
    let data = [0u8; 24];
    for (offset, shape, strides) in [
        (5, &[2u8][..], &[1u8][..]),
        (0, &[2, 3], &[4, 1]),
        (6, &[], &[]),
    ] {
        let bytes = tensor_pickle(&archive(6, 6, &data), offset, shape, strides);
        match parse_timed(&bytes) {
            Err(Error::PickleInvalid { reason, .. }) => {
                assert!(reason.contains("past its storage"), "{reason}");
            }
            other => panic!("offset {offset}, shape {shape:?}: {other:?}"),
        }
    }
}

#[test]
fn storage_data_that_disagrees_with_its_archive_is_rejected() {
    let data = [0u8; 24];
    // Announced count differs from the declared storage size.
    let bytes = tensor_pickle(&archive(6, 7, &data), 0, &[6], &[1]);
    assert!(matches!(
        parse_timed(&bytes),
        Err(Error::PickleInvalid { .. })
    ));
    // Data shorter than announced: the count points past the archive.
    let bytes = tensor_pickle(&archive(6, 6, &data[..20]), 0, &[6], &[1]);
    assert!(matches!(
        parse_timed(&bytes),
        Err(Error::PickleTruncated { .. })
    ));
    // A declared size far beyond the data.
    let bytes = tensor_pickle(&archive(60_000, 60_000, &data), 0, &[6], &[1]);
    assert!(matches!(
        parse_timed(&bytes),
        Err(Error::PickleTruncated { .. })
    ));
    // Bytes after the data.
    let bytes = tensor_pickle(&archive(6, 6, &[0u8; 28]), 0, &[6], &[1]);
    assert!(matches!(
        parse_timed(&bytes),
        Err(Error::PickleInvalid { .. })
    ));
}

#[test]
fn every_truncation_of_a_fixture_is_a_truncation_error() {
    let bytes = fixture("edm_skip_fp16", "pkl");
    let mut stream = NoiseStream::new(22);
    let cuts: Vec<usize> = (0..64)
        .map(|_| (stream.uniform() * bytes.len() as f64) as usize)
        .chain([0, 1, 2, bytes.len() - 1])
        .collect();
    for cut in cuts {
        match parse_timed(&bytes[..cut]) {
            Err(Error::PickleTruncated { offset }) => assert!(offset <= cut, "{offset} > {cut}"),
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn unsupported_opcodes_are_named_with_their_offset() {
    // INST (protocol 0 object creation), EXT1, NEWOBJ_EX, a byte that is no opcode.
    for op in [b'i', 0x82, 0x92, 0xff] {
        let bytes = pickle4(&[b'N', b'0', op]);
        assert_eq!(
            pickle::parse(&bytes),
            Err(Error::PickleOpcode {
                opcode: op,
                offset: 4
            })
        );
    }
    // BINPERSID belongs to storage archives only.
    assert!(matches!(
        pickle::parse(&pickle4(b"NQ")),
        Err(Error::PickleOpcode { opcode: b'Q', .. })
    ));
}

#[test]
fn globals_outside_the_allow_list_are_named_with_their_offset() {
    let bytes = pickle4(&stack_global("os", "system"));
    assert_eq!(
        pickle::parse(&bytes),
        Err(Error::PickleGlobal {
            module: "os".into(),
            name: "system".into(),
            offset: 14
        })
    );
    let mut body = b"cbuiltins\neval\n".to_vec();
    body.push(b')');
    assert!(matches!(
        pickle::parse(&pickle4(&body)),
        Err(Error::PickleGlobal { offset: 2, .. })
    ));
    // A storage class is allowed inside a storage archive only.
    assert!(matches!(
        pickle::parse(&pickle4(b"ctorch\nFloatStorage\n")),
        Err(Error::PickleGlobal { .. })
    ));
}

#[test]
fn huge_declared_lengths_are_truncation_errors() {
    let huge: [&[u8]; 6] = [
        &[b'X', 0xff, 0xff, 0xff, 0xff],
        &[0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
        &[b'B', 0xff, 0xff, 0xff, 0x7f],
        &[0x8e, 0, 0, 0, 0, 0, 0, 0, 0x80],
        &[0x8b, 0xff, 0xff, 0xff, 0x7f],
        &[0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ];
    for body in huge {
        let bytes = pickle4(body);
        assert!(
            matches!(parse_timed(&bytes), Err(Error::PickleTruncated { .. })),
            "{body:?}"
        );
    }
}

#[test]
fn broadcast_views_larger_than_their_storage_are_rejected() {
    // Stride 0 keeps every index inside the storage, but reading the view would allocate 250
    // elements from 6.
    let bytes = tensor_pickle(&archive(6, 6, &[0u8; 24]), 0, &[250], &[0]);
    match parse_timed(&bytes) {
        Err(Error::PickleInvalid { reason, .. }) => assert!(reason.contains("more elements")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deep_nesting_is_bounded() {
    // Open MARKs beyond the cap.
    let bytes = pickle4(&[b'('; 1 << 11]);
    assert!(matches!(
        parse_timed(&bytes),
        Err(Error::PickleLimit { limit, .. }) if limit == pickle::MAX_MARKS
    ));
    // More stack items than the cap.
    let bytes = pickle4(&vec![b'N'; pickle::MAX_STACK + 1]);
    assert!(matches!(
        parse_timed(&bytes),
        Err(Error::PickleLimit { limit, .. }) if limit == pickle::MAX_STACK
    ));
    // A tuple nested a million deep is built without recursion.
    let mut body = vec![b'N'];
    body.extend(std::iter::repeat_n(0x85, 1_000_000));
    assert!(parse_timed(&pickle4(&body)).is_ok());
}

#[test]
fn memo_bombs_stay_linear() {
    // Each level is a pair of the previous one: 2^5000 leaves, 5001 values.
    let mut body = vec![b'N', 0x94, b'0'];
    for level in 0..5000u32 {
        body.push(b'j');
        body.extend_from_slice(&level.to_le_bytes());
        body.extend_from_slice(&[b'2', 0x86, 0x94, b'0']);
    }
    body.push(b'j');
    body.extend_from_slice(&5000u32.to_le_bytes());
    let bytes = pickle4(&body);
    let nodes = parse_timed(&bytes).expect("a memo bomb is valid data");
    assert!(nodes <= 5001, "{nodes} values");
    // A memo key that was never stored.
    assert!(matches!(
        parse_timed(&pickle4(&[b'h', 7])),
        Err(Error::PickleInvalid { .. })
    ));
}

#[test]
fn malformed_streams_are_invalid() {
    for body in [
        &[][..], // STOP on an empty stack
        b"NN",   // two values left
        b"a",    // APPEND without a list
        b"NNa",  // APPEND to None
        b"}Nu",  // SETITEMS without a MARK
        b"(N00", // POP below a MARK
    ] {
        assert!(
            matches!(
                parse_timed(&pickle4(body)),
                Err(Error::PickleInvalid { .. })
            ),
            "{body:?}"
        );
    }
    // Protocols 0 and 1 are not read; trailing bytes after STOP are refused.
    assert!(matches!(
        pickle::parse(&[0x80, 1, b'N', b'.']),
        Err(Error::PickleInvalid { .. })
    ));
    assert!(matches!(
        pickle::parse(&[0x80, 2, b'N', b'.', 0]),
        Err(Error::PickleInvalid { .. })
    ));
}

#[test]
fn mutated_fixtures_give_typed_errors_or_tensors_inside_their_storages() {
    let mut stream = NoiseStream::new(2022);
    for name in FIXTURES {
        let original = fixture(name, "pkl");
        for _ in 0..40 {
            let mut bytes = original.clone();
            for _ in 0..4 {
                let at = (stream.uniform() * bytes.len() as f64) as usize;
                bytes[at] = (stream.uniform() * 256.0) as u8;
            }
            // Ok results are checked by parse_timed; every error is one of the typed ones.
            match parse_timed(&bytes) {
                Ok(_)
                | Err(
                    Error::PickleOpcode { .. }
                    | Error::PickleGlobal { .. }
                    | Error::PickleTruncated { .. }
                    | Error::PickleLimit { .. }
                    | Error::PickleInvalid { .. },
                ) => {}
                Err(other) => panic!("{name}: unexpected error {other}"),
            }
        }
    }
}

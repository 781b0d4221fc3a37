//! Starts from a valid signed message and edits it where the fuzzer says: in the decoded JSON
//! of the header, the decoded JSON of the claims, the decoded signature, or the compact text
//! itself. The parts are re-encoded as base64url, so the edits reach the JSON, the certificate
//! and the claims instead of dying in the base64 layer.
//!
//! Property (signature integrity): a mutated message that still verifies is the original,
//! byte for byte: the same signed header and claims (else the signature check is broken) and
//! the same signature (else signatures are malleable: one message, two texts).
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Part {
    Header,
    Claims,
    Signature,
    Text,
}

#[derive(Debug, Arbitrary)]
enum Op {
    /// Replaces the byte at `at`.
    Set {
        at: u16,
        byte: u8,
    },
    FlipBit {
        at: u16,
        bit: u8,
    },
    Insert {
        at: u16,
        byte: u8,
    },
    Remove {
        at: u16,
        len: u8,
    },
    /// Copies `len` bytes from `from` to `at` (repeats keys, values, whole members).
    Duplicate {
        from: u16,
        at: u16,
        len: u8,
    },
    Truncate {
        at: u16,
    },
    /// Inserts a token JSON parsers and JWS decoders are touchy about.
    Token {
        at: u16,
        which: u8,
    },
}

const TOKENS: &[&str] = &[
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\uDFFF",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "-0",
    "1e400",
    "18446744073709551616",
    "-9223372036854775809",
    "0.5",
    " ",
    "\t",
    "=",
    ".",
    "\u{feff}",
    "\u{10ffff}",
    "\"x5c\":[]",
    "\"alg\":\"none\"",
    "\"crit\":[\"b64\"]",
    "\"b64\":false",
    "\"seq\":0",
    "\"aud\":\"*\"",
    "\"kid\":null",
    "\"v\":1,\"v\":1",
];

#[derive(Debug, Arbitrary)]
struct Input {
    seed: u8,
    edits: Vec<(Part, Op)>,
}

fn pos(at: u16, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        usize::from(at) % (len + 1)
    }
}

fn apply(buf: &mut Vec<u8>, op: &Op) {
    let n = buf.len();
    match *op {
        Op::Set { at, byte } if n > 0 => buf[usize::from(at) % n] = byte,
        Op::FlipBit { at, bit } if n > 0 => buf[usize::from(at) % n] ^= 1 << (bit % 8),
        Op::Insert { at, byte } => buf.insert(pos(at, n), byte),
        Op::Remove { at, len } => {
            let start = pos(at, n);
            let end = (start + usize::from(len) + 1).min(n);
            buf.drain(start..end);
        }
        Op::Duplicate { from, at, len } => {
            let start = pos(from, n);
            let end = (start + usize::from(len) + 1).min(n);
            let piece = buf[start..end].to_vec();
            let at = pos(at, n);
            buf.splice(at..at, piece);
        }
        Op::Truncate { at } => buf.truncate(pos(at, n)),
        Op::Token { at, which } => {
            let token = TOKENS[usize::from(which) % TOKENS.len()].as_bytes();
            let at = pos(at, n);
            buf.splice(at..at, token.iter().copied());
        }
        Op::Set { .. } | Op::FlipBit { .. } => {}
    }
}

fuzz_target!(|input: Input| {
    let f = tongxin_fuzz::fixture();
    let original = tongxin_fuzz::VALID[usize::from(input.seed) % tongxin_fuzz::VALID.len()];
    let mut parts = original.split('.');
    let mut decoded = [(); 3].map(|()| {
        URL_SAFE_NO_PAD
            .decode(parts.next().unwrap_or_default())
            .expect("a valid vector is base64url")
    });
    let mut text_edits = Vec::new();
    for (part, op) in &input.edits {
        match part {
            Part::Header => apply(&mut decoded[0], op),
            Part::Claims => apply(&mut decoded[1], op),
            Part::Signature => apply(&mut decoded[2], op),
            Part::Text => text_edits.push(op),
        }
    }
    let [h, c, s] = decoded.map(|d| URL_SAFE_NO_PAD.encode(d));
    let mut text = format!("{h}.{c}.{s}").into_bytes();
    for op in text_edits {
        apply(&mut text, op);
    }
    let Ok(text) = std::str::from_utf8(&text) else {
        return;
    };
    if let Ok(verified) = f.verifier.verify(text, f.now) {
        let signed = |jws: &str| jws.rsplit_once('.').map(|(s, _)| s.to_owned());
        assert_eq!(
            signed(text),
            signed(original),
            "a message whose signed header or claims were changed still verifies"
        );
        assert_eq!(
            text, original,
            "another text of the same signed message verifies"
        );
        let again = f
            .verifier
            .verify(original, f.now)
            .expect("the original verifies");
        assert_eq!(verified.value(), again.value());
    }
});

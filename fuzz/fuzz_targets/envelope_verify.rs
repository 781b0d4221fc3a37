//! Arbitrary bytes as a received message: `Verifier::verify` must return, never panic, whatever
//! it is given. Seeds: every vector of `schema/vectors/cases/` (valid and refused messages).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = tongxin_fuzz::fixture();
    // The broker hands the node bytes; the node refuses non-UTF-8 before it gets here.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(verified) = f.verifier.verify(text, f.now) {
            // Anything accepted is kept and forwarded exactly as received.
            assert_eq!(verified.raw(), text);
        }
    }
});

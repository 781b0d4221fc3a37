//! The roster (`Roster::verify`), two modes chosen by the first byte:
//!
//! - `R` then text: the text as a received roster JWS (as in `roster.published` or a node's
//!   configuration). Nothing may panic. Seed: the vectors' roster.
//! - `S` then bytes: the bytes as the roster document, signed with the vectors' root key under
//!   the roster's real header, so every input gets past the signature and reaches the document:
//!   its JSON, every entry's PEM certificate, the certificate-to-entry checks, the parents.
//!   Seed: the vectors' roster document.
//!   Property: a roster that verifies can be signed again with `sign_roster` and verifies to the
//!   same document; every listed organisation can be looked up.
//!
//! Any other first byte: nothing (the seeds say which mode they are for).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tongxin_schema::roster::{Roster, sign_roster};

fuzz_target!(|data: &[u8]| {
    let f = tongxin_fuzz::fixture();
    let roster = match data.split_first() {
        Some((b'R', rest)) => match std::str::from_utf8(rest) {
            Ok(text) => Roster::verify(&f.root, text),
            Err(_) => return,
        },
        Some((b'S', doc)) => {
            let jws = tongxin_fuzz::sign_compact(&f.root_key, &f.roster_header_b64, doc);
            Roster::verify(&f.root, &jws)
        }
        _ => return,
    };
    let Ok(roster) = roster else {
        return;
    };
    for org in roster.orgs() {
        assert_eq!(roster.org(&org.id), Some(org));
    }
    let again = sign_roster(&f.root_key, f.root.cert(), roster.doc()).expect("sign_roster");
    let again = Roster::verify(&f.root, &again).expect("a roster signed again verifies");
    assert_eq!(again.doc(), roster.doc());
});

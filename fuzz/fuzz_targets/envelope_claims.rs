//! Arbitrary bytes as the claims of a message that is properly signed: the street's key and its
//! real header (x5c, kid) sign exactly these bytes, so every input gets past the signature and
//! reaches the claims, the body of every kind, the times, the streams and the rights.
//! Seeds: the decoded claims of the vectors (`bash tests/fuzz` writes them).
//!
//! Properties: the verifier never panics; a message it accepts is from the street; and a
//! message it accepts can be signed again by the crate's own `Signer` (which refuses what
//! receivers would refuse) and verifies to the same `Message` (parsing and writing agree).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tongxin_schema::envelope::VerifyError;

fuzz_target!(|claims: &[u8]| {
    let f = tongxin_fuzz::fixture();
    let jws = tongxin_fuzz::sign_compact(&f.street_key, &f.street_header_b64, claims);
    let Ok(verified) = f.verifier.verify(&jws, f.now) else {
        return;
    };
    let msg = verified.value();
    assert_eq!(msg.iss.as_str(), "xueyuan-nanlu");
    assert!(
        msg.body.check().is_ok(),
        "an accepted body fails its own check"
    );

    match f.street_signer.sign(msg) {
        Ok(again) => match f.verifier.verify(&again, f.now) {
            Ok(v) => assert_eq!(v.value(), msg, "re-signed message reads differently"),
            // Writing may be longer than what was received (absent optional fields are
            // written as null): over the size limit is the only acceptable refusal.
            Err(VerifyError::TooLarge { .. }) => {}
            Err(e) => panic!("an accepted message, signed again, is refused: {e}\n{again}"),
        },
        Err(e) => assert!(
            e.0.contains("the limit is"),
            "an accepted message cannot be signed again: {e}"
        ),
    }
});

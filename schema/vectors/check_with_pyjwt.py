#!/usr/bin/env python3
"""Cross-checks the test vectors with an independent JOSE library (PyJWT + cryptography).

Every case expected `ok` must verify: the x5c certificate chains to root.pem and PyJWT accepts
the EdDSA signature with that certificate's key. Every case expected `bad_signature` must be
refused by PyJWT. The same for the member tokens, the accepted one checked for its host's `aud`. Run: python3 schema/vectors/check_with_pyjwt.py  (Debian: python3-jwt,
python3-cryptography).
"""
import base64
import json
import pathlib
import sys

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    manifest = json.loads((HERE / "manifest.json").read_text())
    root = x509.load_pem_x509_certificate((HERE / manifest["root"]).read_bytes())
    passed = failed = 0
    for case in manifest["cases"]:
        if case["expect"] not in ("ok", "bad_signature"):
            continue
        token = (HERE / case["file"]).read_text()
        header = jwt.get_unverified_header(token)
        cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        try:
            root.public_key().verify(cert.signature, cert.tbs_certificate_bytes)
            assert header["kid"] == cert.fingerprint(hashes.SHA256()).hex()
            claims = jwt.decode(
                token,
                cert.public_key(),
                algorithms=["EdDSA"],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
            cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
            assert claims["iss"] == cn, f"iss {claims['iss']} != CN {cn}"
            verdict = "ok"
        except (jwt.InvalidSignatureError, jwt.DecodeError):
            verdict = "bad_signature"
        if verdict == case["expect"]:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {case['name']}: expected {case['expect']}, PyJWT says {verdict}")
    # Member tokens (PROTOCOL.md §4.7): the accepted one verifies with PyJWT as its host (aud),
    # with the typ of a member token; the tampered one is refused.
    for case in manifest.get("member_tokens", []):
        if case["expect"] not in ("ok", "bad_signature"):
            continue
        token = (HERE / case["file"]).read_text()
        header = jwt.get_unverified_header(token)
        cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        try:
            root.public_key().verify(cert.signature, cert.tbs_certificate_bytes)
            assert header["typ"] == "tongxin-member+jwt", header["typ"]
            claims = jwt.decode(
                token,
                cert.public_key(),
                algorithms=["EdDSA"],
                audience=case["host"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
            cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
            assert claims["iss"] == cn and claims["sub"].startswith(cn + ":"), claims
            assert claims["nonce"] == case["nonce"]
            assert 0 < claims["exp"] - claims["iat"] <= 600
            verdict = "ok"
        except (jwt.InvalidSignatureError, jwt.DecodeError):
            verdict = "bad_signature"
        if verdict == case["expect"]:
            passed += 1
        else:
            failed += 1
            print(f"FAIL token {case['name']}: expected {case['expect']}, PyJWT says {verdict}")
    print(f"pyjwt {jwt.__version__}: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks the test vectors with tools independent of the Rust code: PyJWT, cryptography, jsonschema.

PROTOCOL.md §9 gives each vector a verdict: `ok`, or the code of §8 that refuses it. This script
reaches the verdict on its own, walking the verification order of §7.7 (messages) and §4.7
(member tokens) step by step: signatures with PyJWT, certificates and the CRL with
`cryptography`, headers, claims and bodies against the JSON Schemas of schema/json/ with
`jsonschema`, the rights read from the table of §6.1 in PROTOCOL.md itself. A vector passes only
if the first step that fails is the one its manifest names, so a refusal is shown to have its
documented reason and no earlier one. On top of that, per reason: a `bad_signature` vector must
also be refused by PyJWT's own `decode`, an `algorithm` one by PyJWT's algorithm check, and the
schemas must refuse exactly the vectors refused for their claims or body and accept the others.
The schemas are generated from the Rust types, so they are first compared with the field tables
of §6.2 (required, type, limits), which they are meant to state.

Three sets are checked, so that the check does not rest on the stored files alone:
1. the checked-in vectors (schema/vectors/);
2. a fresh set the current build makes (`make-vectors --out`: new keys, certificates, signatures);
3. messages and member tokens this script signs with the vectors' keys (some under certificates
   it issues with the test root key), each also given to the Rust verifier (`--example
   verdicts`): both verdicts must be equal, and equal to what the case is made to show.

Exits 1 on any disagreement and when it cannot check (cargo, a module or a file missing).
Run: /usr/bin/python3 schema/vectors/check_with_pyjwt.py [-v]  (Debian: python3-jwt,
python3-cryptography, python3-jsonschema; cargo honours CARGO_TARGET_DIR).
"""
import base64
import calendar
import collections
import datetime
import decimal
import hashlib
import hmac
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from importlib.metadata import version

import jsonschema
import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

HERE = pathlib.Path(__file__).resolve().parent
SCHEMA_DIR = HERE.parent / "json"
PROTOCOL = HERE.parent / "PROTOCOL.md"
REPO = HERE.parent.parent
VERBOSE = "-v" in sys.argv[1:]

# Limits and names of PROTOCOL.md §4.1, §4.2, §4.5–§4.7, §3.5.
MAX_TRUST_BYTES = 1_048_576
MAX_MESSAGE_BYTES = 65_536
MAX_TOKEN_BYTES = 8_192
TRUST_KINDS = ("roster.published", "revocation.published")
SKEW = 300
MAX_MEMBER_TOKEN_SECS = 600
TYP, MEMBER_TYP, ROSTER_TYP = "tongxin+jwt", "tongxin-member+jwt", "tongxin-roster+jwt"
ORG_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,62}")
STREAM = re.compile(r"all|control|org\.[a-z0-9][a-z0-9-]{2,62}")
JTI_V7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
INT64, UINT64, UINT32 = (-(2**63), 2**63 - 1), (0, 2**64 - 1), (0, 2**32 - 1)
EDDSA = jwt.PyJWS().get_algorithm_by_name("EdDSA")  # PyJWT's Ed25519 (on `cryptography`)

# §2.2 and the groups defined in prose above the table of §6.1.
ORG_KINDS = ("street", "community", "building-alliance", "new-employment", "co-building-unit",
             "org-department")
GROUPS = {
    "any": set(ORG_KINDS),
    "producers": set(ORG_KINDS) - {"org-department"},
    "mobilisers": {"street", "community", "org-department"},
    "co-builders": {"co-building-unit", "building-alliance", "new-employment"},
}


class Refused(Exception):
    """A verdict other than `ok`: the code of §8 and what this script saw."""

    def __init__(self, code, why):
        super().__init__(f"{code}: {why}")
        self.code, self.why = code, why


# ---------------------------------------------------------------------------------------------
# Encodings exactly as PROTOCOL.md §1 has them (Python's own decoders are more lenient).

def b64url(part):
    """Base64url without padding, canonical (§1): padded or non-canonical input is refused."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", part) or len(part) % 4 == 1:
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != part:
        raise ValueError("non-canonical base64url")
    return raw


def b64url_encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64std(text):
    """Standard base64 with padding (x5c, RFC 7515 §4.1.6), canonical."""
    raw = base64.b64decode(text, validate=True)
    if base64.b64encode(raw).decode() != text:
        raise ValueError("non-canonical base64")
    return raw


class Duplicates(dict):
    """A JSON object that named a member twice (§1: refused). Kept, so that the step that reads
    the object refuses it: a duplicate in a body is the body's fault (step 22), not the claims'."""

    def __init__(self, items, name):
        super().__init__(items)
        self.duplicate = name


def duplicate_in(value):
    """The first member named twice in `value` or in anything inside it, or None."""
    if isinstance(value, Duplicates):
        return value.duplicate
    inner = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return next((d for d in map(duplicate_in, inner) if d), None)


def parse_json(raw, nested_duplicates=False):
    """RFC 8259 JSON in UTF-8 as §1 wants it: no BOM, no NaN, and a number with a fraction or
    exponent (`20.0`, `2e1`) never counts as an integer (it becomes a Decimal, which jsonschema's
    "integer" refuses). A member named twice is refused, except inside the top-level object's
    members when `nested_duplicates` is set: those are marked (Duplicates) for the caller."""
    def pairs(items):
        keys = [k for k, _ in items]
        twice = next((k for k in keys if keys.count(k) > 1), None)
        return Duplicates(items, twice) if twice else dict(items)

    def constant(name):
        raise ValueError(f"{name} is not JSON")
    value = json.loads(raw.decode("utf-8"), object_pairs_hook=pairs,
                       parse_float=decimal.Decimal, parse_constant=constant)
    twice = value.duplicate if isinstance(value, Duplicates) else (
        None if nested_duplicates else duplicate_in(value))
    if twice:
        raise ValueError(f"member {twice!r} named twice")
    return value


def starts_as_object(raw):
    """§4.3, §6.0: the first byte that is not JSON white space is `{` (an array is refused)."""
    stripped = raw.lstrip(b" \t\n\r")
    return stripped[:1] == b"{"


def is_int(value, bounds):
    return type(value) is int and bounds[0] <= value <= bounds[1]


# ---------------------------------------------------------------------------------------------
# JSON Schemas (schema/json/) with what JSON Schema alone cannot say.

TEXT_DESCRIPTION = "Text without control characters"


def text_min_length(validator, min_length, instance, schema):
    """`minLength` with the meaning the schemas give it for Text (§6.0): no control characters
    but newline and tab, and at least `min_length` characters once white space is trimmed.
    Standard JSON Schema would count blanks and allow CR; other strings keep the standard rule."""
    if not validator.is_type(instance, "string"):
        return
    if not schema.get("description", "").startswith(TEXT_DESCRIPTION):
        yield from jsonschema.Draft202012Validator.VALIDATORS["minLength"](
            validator, min_length, instance, schema)
        return
    control = [c for c in instance if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    if control:
        yield jsonschema.ValidationError(f"control character U+{ord(control[0]):04X} in text")
    elif len(instance.strip()) < min_length:
        yield jsonschema.ValidationError(f"{instance!r} has fewer than {min_length} characters")


def format_checker():
    """The formats the generated schemas use: uuid as §2.4 writes it (lower-case hyphenated; the
    standard checker also takes upper case), and the integer ranges of §1."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("uuid")(lambda v: not isinstance(v, str) or bool(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", v)))
    for name, bounds in (("int64", INT64), ("uint64", UINT64), ("uint32", UINT32)):
        checker.checks(name)(lambda v, b=bounds: type(v) is not int or b[0] <= v <= b[1])
    return checker


class Schemas:
    """Validators for header.json, claims.json, roster.json and each kind's body."""

    def __init__(self):
        cls = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                           {"minLength": text_min_length})
        checker = format_checker()
        self.raw = {p.name[:-5]: json.loads(p.read_text())
                    for p in list(SCHEMA_DIR.glob("v1/*.json")) + [SCHEMA_DIR / "roster.json"]}
        for schema in self.raw.values():
            cls.check_schema(schema)
        self.validators = {name: cls(schema, format_checker=checker)
                           for name, schema in self.raw.items()}
        self.kinds = self.raw["claims"]["properties"]["kind"]["enum"]
        self.counted = collections.Counter()  # validations, per kind of document
        # Member-token claims (§4.7) have no file in schema/json/: composed here from the table
        # of §4.7 and the definitions the body schemas already have.
        defs = {**self.raw["report.submitted"]["$defs"], **self.raw["need.escalated"]["$defs"]}
        member = {
            "$defs": defs, "type": "object", "additionalProperties": False,
            "required": ["iss", "aud", "sub", "iat", "exp", "nonce"],
            "properties": {
                "iss": {"$ref": "#/$defs/OrgId"}, "aud": {"$ref": "#/$defs/OrgId"},
                "sub": {"$ref": "#/$defs/MemberRef"},
                "iat": {"type": "integer", "format": "int64"},
                "exp": {"type": "integer", "format": "int64"},
                "nonce": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,128}$"},
                "name": {"anyOf": [{"$ref": "#/$defs/Text_1_64"}, {"type": "null"}]},
                "skills": {"type": "array", "items": {"$ref": "#/$defs/Skill"}, "maxItems": 12},
            },
        }
        self.validators["member-token (composed)"] = cls(member, format_checker=checker)

    def errors(self, name, instance):
        """The first error of `instance` against schema `name`, or None. Counts validations."""
        self.counted["bodies" if name in self.kinds else {
            "header": "headers", "claims": "claims", "roster": "rosters"}.get(
                name, "member-token claims")] += 1
        error = jsonschema.exceptions.best_match(self.validators[name].iter_errors(instance))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return f"{name}.json{' at ' + where if where else ''}: {error.message[:120]}"


CST = datetime.timezone(datetime.timedelta(hours=8))  # §10.1: the alliance's local time in v1


def period_bounds(period, unix):
    """[start, end) of the `day` or `month` of UTC+08:00 that contains `unix` (§10.1)."""
    local = datetime.datetime.fromtimestamp(unix, CST)
    if period == "day":
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + datetime.timedelta(days=1)
    else:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + datetime.timedelta(days=32)).replace(day=1)
    return int(start.timestamp()), int(end.timestamp())


def report_relations(b):
    """The body rules of `participation.reported` (§6.2, §10.2), read from the spec's words."""
    if period_bounds(b["period"], b["period_start"]) != (b["period_start"], b["period_end"]):
        return f"[{b['period_start']}, {b['period_end']}) is not one {b['period']} of UTC+08:00"
    if b["part"] > b["parts"]:
        return "part beyond parts"
    cells = set()
    for r in b.get("rows", []):
        key = (r["counterpart"], r["category"], r["mode"])
        if key in cells:
            return f"cell {key} listed twice"
        cells.add(key)
        if r["members"] < b["k"] or r["checkins"] < r["members"] \
                or r["minutes"] > 1440 * r["checkins"]:
            return f"row {key}: members below k or above check-ins, or minutes over 1440 each"
    for c in b.get("suppressed", []):
        key = (c["counterpart"], c["category"], c["mode"])
        if key in cells:
            return f"cell {key} listed twice"
        cells.add(key)
    roots = [r["counterpart"] for r in b.get("roots", [])]
    if len(set(roots)) != len(roots):
        return "a counterpart with two roots"
    if set(roots) != {c[0] for c in cells}:
        return "roots and cells name different counterparts"
    grids = set()
    for g in b.get("grids", []):
        if (g["grid"], g["category"]) in grids:
            return f"grid {g['grid']} listed twice for {g['category']}"
        grids.add((g["grid"], g["category"]))
        if g["members"] < b["k"] or g["checkins"] < g["members"] \
                or g["minutes"] > 1440 * g["checkins"]:
            return f"grid row {g['grid']}: members below k or above check-ins, or minutes"
    t = b["totals"]
    home = ("members", "members_reported", "members_active")
    host = ("members_hosted", "reporting_members", "activities", "needs_fulfilled",
            "wishes_confirmed", "escalations", "emergency_posts", "emergency_posts_filled")
    if b["side"] == "home" and (any(t[f] for f in host) or t["fill_secs"] or b.get("grids")):
        return "a home report with host figures"
    if b["side"] == "host" and any(t[f] for f in home):
        return "a host report with home figures"
    return None


def merkle_root(leaves):
    """RFC 6962 §2.1 over sorted 16-byte jtis (§10.3), written independently of the Rust code."""
    def mth(d):
        if not d:
            return hashlib.sha256(b"").digest()
        if len(d) == 1:
            return hashlib.sha256(b"\x00" + d[0]).digest()
        k = 1
        while k * 2 < len(d):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()
    return mth(sorted({uuid.UUID(j).bytes for j in leaves})).hex()


def merkle_verify(p, root):
    """RFC 9162 §2.1.3.2: does the audit path lead from the jti's leaf to `root`?"""
    index, size = p["index"], p["tree_size"]
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = hashlib.sha256(b"\x00" + uuid.UUID(p["jti"]).bytes).digest()
    for h in p["path"]:
        c = bytes.fromhex(h)
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + c + r).digest()
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + c).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r.hex() == root


def check_merkle(tally):
    """schema/vectors/merkle.json: each root recomputed, each proof verified, and every proof
    moved to another leaf, index or root refused. Returns (trees, proofs) checked."""
    v = json.loads((HERE / "merkle.json").read_text())
    proofs = 0
    for n, tree in enumerate(v["trees"]):
        if merkle_root(tree["leaves"]) != tree["root"]:
            tally.fail(f"merkle.json tree {n}: the root does not recompute")
        for p in tree["proofs"]:
            proofs += 1
            if not merkle_verify(p, tree["root"]):
                tally.fail(f"merkle.json tree {n}: the proof of {p['jti']} does not verify")
            forged = [{**p, "jti": str(uuid.UUID(int=7))}, {**p, "index": p["index"] + 1},
                      {**p, "path": p["path"][:-1]}] if p["path"] else []
            if any(merkle_verify(f, tree["root"]) for f in forged):
                tally.fail(f"merkle.json tree {n}: a forged proof of {p['jti']} verifies")
    return len(v["trees"]), proofs


def body_relations(kind, body):
    """The limits of §6.2 that relate two fields, which JSON Schema cannot express (§6.0)."""
    if kind == "activity.published" and not body["ends_at"] > body["starts_at"]:
        return "ends_at is not after starts_at"
    if kind == "checkin.attested":
        span = body["checked_out_at"] - body["checked_in_at"]
        if span < 0:
            return "checked_out_at is before checked_in_at"
        if body["minutes"] > span // 60:
            return f"minutes {body['minutes']} exceed the {span // 60} whole minutes of the span"
    if kind == "participation.reported":
        return report_relations(body)
    if kind == "participation.requested":
        if len(set(body["sides"])) != len(body["sides"]):
            return "a side named twice"
        if period_bounds(body["period"], body["period_start"])[0] != body["period_start"]:
            return "period_start is not the first local midnight of a period"
    if kind == "agreement.proposed" and not body["ends_at"] > body["starts_at"]:
        return "ends_at is not after starts_at"
    if kind == "service.logged":
        span = body["ended_at"] - body["started_at"]
        if not span > 0:
            return "ended_at is not after started_at"
        if body["minutes"] > span // 60:
            return f"minutes {body['minutes']} exceed the {span // 60} whole minutes of the span"
    if kind == "feedback.sent" and not body["period_ends_at"] > body["period_starts_at"]:
        return "period_ends_at is not after period_starts_at"
    if kind == "signup.invited" and body.get("role") is not None and body.get("post_id") is None:
        return "role without post_id"
    if kind == "need.claim-decided" and body.get("contact") is not None and not body["accepted"]:
        return "contact without an accepted claim"
    if kind == "need.claimed" and body.get("member") is not None \
            and body.get("offer_id") is not None:
        return "a member's claim with an offer_id"
    if kind == "need.claimed" and body.get("display_name") is not None \
            and body.get("member") is None:
        return "display_name without member"
    if kind == "sync.compacted" and not body["from_seq"] <= body["to_seq"] <= body["floor"]:
        return "not from_seq ≤ to_seq ≤ floor"
    if kind == "emergency.declared":
        ids = [post["post_id"] for post in body["posts"]]
        repeated = next((x for n, x in enumerate(ids) if x in ids[:n]), None)
        if repeated is not None:
            return f"post_id {repeated} is repeated"
    return None


RELATION_KINDS = {"activity.published", "checkin.attested", "participation.reported",
                  "participation.requested",
                  "agreement.proposed", "service.logged",
                  "feedback.sent", "signup.invited",
                  "need.claim-decided", "need.claimed",
                  "emergency.declared", "sync.compacted"}  # the kinds body_relations knows


def body_problem(schemas, kind, body):
    """Why `body` is not valid for `kind` (§6.2, step 22), or None."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if duplicate_in(body):
        return f"member {duplicate_in(body)!r} named twice"
    return schemas.errors(kind, body) or body_relations(kind, body)


# ---------------------------------------------------------------------------------------------
# The schemas are generated from the Rust types; §6.0 says they state the limits of §6.2. Compared
# here, field by field, so that validating against them is no second opinion of the Rust code.

TEXT_TYPES = {"Title": (1, 200), "Description": (0, 4000), "Note": (0, 500), "grid code": (1, 64)}


def spec_body_rows():
    """The field tables of §6.2: {kind: [(path, type, req, limits)]}; path as `posts[].title`
    (a member of each entry of a list) or `contact.address` (a member of an object)."""
    text = PROTOCOL.read_text().split("### 6.2 Bodies", 1)[1].split("\n## 7.", 1)[0]
    row = re.compile(r"^\| `([a-z_\[\].]+)` \| ([^|]+?) \| (✔|–|\[\]|false) \| ([^|]*?) *\|$",
                     re.M)
    return {re.match(r"`([a-z.-]+)`", part).group(1): row.findall(part)
            for part in re.split(r"^#### ", text, flags=re.M)[1:]}


def spec_vs_schemas(schemas):
    """(rows compared, problems): where a schema of schema/json/v1 does not say what §6.2 says."""
    problems, compared = [], 0
    for kind, rows in spec_body_rows().items():
        root = schemas.raw[kind]

        def strip_null(s):  # an optional member: its non-null branch
            if "anyOf" in s:
                return next(b for b in s["anyOf"] if b != {"type": "null"})
            return s

        def resolve(s):  # follow $ref into $defs
            s = strip_null(s)
            return resolve(root["$defs"][s["$ref"].split("/")[-1]]) if "$ref" in s else s

        def type_problem(typ, raw):
            s, ref = resolve(raw), strip_null(raw).get("$ref", "").split("/")[-1]
            bounds = re.fullmatch(r"Text (\d+)–(\d+)", typ)
            text = TEXT_TYPES.get(typ) or (bounds and (int(bounds[1]), int(bounds[2])))
            if typ.startswith("array of "):
                if "array" not in s.get("type", ()):
                    return "not an array"
                item = typ[len("array of "):]
                return None if item in ("row", "object", "`{stream, last_seq}`") else type_problem(
                    item, s["items"])
            if text:
                ok = (ref == f"Text_{text[0]}_{text[1]}"
                      and (s.get("minLength"), s.get("maxLength")) == text)
            elif typ in ("int64", "uint16", "uint32", "uint64"):
                ok = s.get("format") == typ and "integer" in s.get("type", ())
            elif typ == "uuid":
                ok = s.get("format") == "uuid" and "string" in s.get("type", ())
            elif typ in ("org-id", "member-ref"):
                ok = ref == {"org-id": "OrgId", "member-ref": "MemberRef"}[typ]
            elif typ in ("bool", "string", "object"):
                ok = {"bool": "boolean", "string": "string", "object": "object"}[typ] in s.get(
                    "type", ())
            else:  # a vocabulary of §5, by its name
                ok = ref == typ
            return None if ok else f"type {typ} but the schema says {json.dumps(raw)[:80]}"

        def inner(parent, o):  # `posts[]`: an entry of the list `posts`; `contact`: the object
            s = resolve(parent["properties"][o[:-2] if o.endswith("[]") else o])
            return resolve(s["items"]) if o.endswith("[]") else s

        listed = collections.defaultdict(set)
        for path, typ, req, limits in rows:
            compared += 1
            *outer, name = path.split(".")
            parent = root
            for o in outer:
                parent = inner(parent, o)
            listed[tuple(outer)].add(name)
            where = f"{kind}.json {path}"
            if name not in parent.get("properties", {}):
                problems.append(f"{where}: in §6.2, not in the schema")
                continue
            raw = parent["properties"][name]
            s = resolve(raw)
            nullable = raw != strip_null(raw) or "null" in raw.get("type", ())
            required = name in parent.get("required", [])
            if (req == "✔") != required or (req == "–") != nullable:
                problems.append(f"{where}: {req} in §6.2, but required={required}, "
                                f"null allowed={nullable}")
            if req == "false" and (typ.strip() != "bool" or s.get("default") is not False):
                problems.append(f"{where}: `false` in §6.2 (a bool, absent = false), but the "
                                f"schema says {json.dumps(raw)[:80]}")
            problem = type_problem(typ.strip(), raw)
            if problem:
                problems.append(f"{where}: {problem}")
            # The bounds that open the limits column: `≤ 12`, or two as in `≥ 1, ≤ 10,000`.
            number = r"(\d+(?:,\d{3})*)"
            opening = re.match(rf"([≤≥]) {number}(?:, ([≤≥]) {number})?", limits)
            bounds = opening.groups() if opening else ()
            for sign, value in zip(bounds[::2], bounds[1::2]):
                if sign is None:
                    continue
                array = typ.startswith("array")
                key = {"≤": "maxItems" if array else "maximum",
                       "≥": "minItems" if array else "minimum"}[sign]
                if s.get(key) != int(value.replace(",", "")):
                    problems.append(f"{where}: §6.2 says {sign} {value}, the schema "
                                    f"{key} {s.get(key)}")
            pattern = re.search(r"`(\^[^`]+\$)`", limits)
            if pattern and s.get("pattern") != pattern.group(1):
                problems.append(f"{where}: pattern {pattern.group(1)} not in the schema")
            if (re.search(r"[≥>] `\w+`|whole minutes|distinct", limits)
                    and kind not in RELATION_KINDS):
                problems.append(f"{where}: a relation ({limits[:40]}) this script does not check")
        for outer, names in listed.items():
            parent = root
            for o in outer:
                parent = inner(parent, o)
            extra = set(parent.get("properties", {})) - names
            if extra:
                problems.append(f"{kind}.json: {sorted(extra)} not in the table of §6.2")
        if not rows:
            problems.append(f"§6.2 has no field table for {kind}")
    missing = set(schemas.kinds) - set(spec_body_rows())
    problems += [f"§6.2 has no section for {k}" for k in sorted(missing)]
    return compared, problems


# ---------------------------------------------------------------------------------------------
# The rights table (§6.1), read from PROTOCOL.md: the spec, not the Rust code, is the source.

Rule = collections.namedtuple("Rule", "route senders recipients control")


def read_rights():
    text = PROTOCOL.read_text()
    section = text.split("### 6.1 Kinds and rights", 1)[1].split("### 6.2", 1)[0]
    row = re.compile(r"^\| \d+ \| `([a-z.-]+)` \| (broadcast|direct) \| ([^|]+) \| ([^|]+) "
                     r"\| (no|\*\*yes\*\*) \|$", re.M)

    def kinds(cell):
        cell = cell.strip()
        if cell in GROUPS:
            return GROUPS[cell]
        if cell == "—":
            return set()
        named = set(re.findall(r"`([a-z-]+)`", cell))
        if not named or not named <= set(ORG_KINDS):
            raise ValueError(f"PROTOCOL.md §6.1: cannot read the cell {cell!r}")
        return named
    return {kind: Rule(route, kinds(senders), kinds(recipients), control != "no")
            for kind, route, senders, recipients, control in row.findall(section)}


# ---------------------------------------------------------------------------------------------
# Certificates (§3.2–§3.4) with `cryptography`.

NodeCert = collections.namedtuple("NodeCert", "org_id kind serial not_before not_after key")


def unix(when):
    return calendar.timegm(when.utctimetuple())


def issued_by(root, cert):
    """§3.2: issuer name DER-identical to the root's subject, signature by the root key."""
    if cert.issuer.public_bytes() != root.subject.public_bytes():
        return False
    try:
        root.public_key().verify(cert.signature, cert.tbs_certificate_bytes)
        return True
    except (InvalidSignature, TypeError, ValueError):
        return False


def read_node_cert(cert):
    """§3.2 items 1–5; raises ValueError saying which fails."""
    key = cert.public_key()
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise ValueError("the key is not Ed25519")
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not cns:
        raise ValueError("the subject has no CN")
    cn = cns[0].value
    try:
        uris = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    orgs = [u[len("urn:tongxin:org:"):] for u in uris if u.startswith("urn:tongxin:org:")]
    kinds = [u[len("urn:tongxin:kind:"):] for u in uris if u.startswith("urn:tongxin:kind:")]
    if not orgs or orgs[-1] != cn:  # "if several, the last one counts"
        raise ValueError(f"no SAN urn:tongxin:org:{cn} (last of {orgs})")
    # §3.2 says "the last one counts" only of the org URI; the last kind URI is taken likewise.
    if not kinds or kinds[-1] not in ORG_KINDS:
        raise ValueError(f"no SAN urn:tongxin:kind: with a kind of §2.2 ({kinds})")
    if not ORG_ID.fullmatch(cn):
        raise ValueError(f"CN {cn!r} is not an org id")
    return NodeCert(cn, kinds[-1], cert.serial_number, unix(cert.not_valid_before),
                    unix(cert.not_valid_after), key)


# ---------------------------------------------------------------------------------------------
# A receiver's trust material (§9.2): root, CRL, roster, receiver, now.

class Alliance:
    def __init__(self, directory, schemas, rights):
        self.dir = pathlib.Path(directory)
        self.schemas, self.rights = schemas, rights
        self.manifest = json.loads((self.dir / "manifest.json").read_text())
        self.now, self.receiver = self.manifest["now"], self.manifest["receiver"]
        self.root = x509.load_pem_x509_certificate((self.dir / self.manifest["root"]).read_bytes())
        self.revoked = self.read_crl((self.dir / self.manifest["crl"]).read_bytes())
        self.roster = verify_roster(self, (self.dir / self.manifest["roster"]).read_text())

    def read_crl(self, pem):
        """§3.4: PEM, issuer = root subject (DER), Ed25519 signature by the root key; the set of
        revoked serials, as integers. cryptography 38 cannot check an Ed25519 CRL signature
        itself (`is_signature_valid` wants RSA/DSA/EC), so the root key verifies the TBS bytes."""
        crl = x509.load_pem_x509_crl(pem)
        if crl.issuer.public_bytes() != self.root.subject.public_bytes():
            raise ValueError("CRL: issuer is not the root")
        self.root.public_key().verify(crl.signature, crl.tbs_certlist_bytes)
        return {entry.serial_number for entry in crl}


def verify_roster(alliance, text):
    """§4.5, in its order; returns {org id: kind}. Raises ValueError (a bad roster)."""
    jws = text.strip()
    if jws.count(".") != 2:
        raise ValueError("roster: not three parts")
    header = jwt.get_unverified_header(jws)
    if header.get("alg") != "EdDSA" or header.get("typ") != ROSTER_TYP:
        raise ValueError(f"roster: alg/typ {header.get('alg')}/{header.get('typ')}")
    # PyJWT checks the signature with the configured root key, never the roster's own x5c.
    payload = jwt.PyJWS().decode_complete(jws, alliance.root.public_key(),
                                          algorithms=["EdDSA"])["payload"]
    if not starts_as_object(payload):
        raise ValueError("roster: not a JSON object")
    doc = parse_json(payload)
    problem = alliance.schemas.errors("roster", doc)
    if problem or doc["v"] != 1:
        raise ValueError(f"roster: {problem or 'v is not 1'}")
    orgs = {}
    for entry in doc["orgs"]:
        if entry["id"] in orgs:
            raise ValueError(f"roster: {entry['id']} twice")
        cert = x509.load_pem_x509_certificate(entry["certificate"].encode())
        node = read_node_cert(cert)
        if not issued_by(alliance.root, cert) or (node.org_id, node.kind) != (entry["id"],
                                                                               entry["kind"]):
            raise ValueError(f"roster entry {entry['id']}: certificate does not name it")
        url = entry.get("base_url")
        port = re.match(r"https?://[^/:]+(?::(\d+))?", url or "")
        if url is not None and port and port.group(1) and not 1 <= int(port.group(1)) <= 65535:
            raise ValueError(f"roster entry {entry['id']}: port out of range")  # not in the schema
        orgs[entry["id"]] = entry["kind"]
    for entry in doc["orgs"]:
        if entry.get("parent") is not None and entry["parent"] not in orgs:
            raise ValueError(f"roster entry {entry['id']}: parent not on the roster")
    return orgs


# ---------------------------------------------------------------------------------------------
# The verifier: §7.7 (messages) and §4.7 (member tokens), one step at a time.

REGISTERED_STRINGS = ("typ", "cty", "jku", "kid", "x5u", "x5t", "x5t#S256", "enc", "zip", "url",
                      "nonce")


def check_header_and_signature(jws, typ, alliance):
    """Steps 2–15 of §7.7 (also step 2 of §4.7); returns the sender's certificate."""
    parts = jws.split(".")
    if len(parts) != 3:  # 2
        raise Refused("malformed", f"{len(parts)} parts")
    h64, p64, s64 = parts
    try:  # 3, 4
        header = parse_json(b64url(h64))
    except ValueError as e:
        raise Refused("malformed", f"header: {e}")
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        raise Refused("malformed", "header is not an object with a string alg")
    if header["alg"] != "EdDSA":  # 5
        raise Refused("algorithm", f"alg {header['alg']!r}")
    # 6: registered parameters well-typed (null counts as absent, as for the Rust header type).
    # Whether a `jwk` is a valid JWK is checked only as far as "it is an object".
    wrong = [k for k in REGISTERED_STRINGS if header.get(k) is not None
             and not isinstance(header[k], str)]
    wrong += [k for k in ("x5c", "crit") if header.get(k) is not None and not (
        isinstance(header[k], list) and all(isinstance(x, str) for x in header[k]))]
    if header.get("jwk") is not None and not isinstance(header["jwk"], dict):
        wrong.append("jwk")
    if wrong:
        raise Refused("malformed", f"header parameter {wrong[0]} has the wrong type")
    if header.get("typ") != typ:  # 7
        raise Refused("wrong_type", f"typ {header.get('typ')!r}")
    if "crit" in header:  # 8
        raise Refused("malformed", "crit present")
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or len(x5c) != 1:  # 9
        raise Refused("missing_certificate", f"x5c {'absent' if x5c is None else len(x5c)}")
    try:  # 10
        der = b64std(x5c[0])
        cert = x509.load_der_x509_certificate(der)
    except ValueError as e:
        raise Refused("bad_certificate", f"x5c: {e}")
    fingerprint = hashlib.sha256(der).hexdigest()  # §3.3
    if header.get("kid") != fingerprint:  # 11
        raise Refused("kid_mismatch", f"kid {header.get('kid')!r} is not {fingerprint[:12]}…")
    if not issued_by(alliance.root, cert):  # 12
        raise Refused("unknown_issuer", f"issuer {cert.issuer.rfc4514_string()}")
    try:  # 13
        node = read_node_cert(cert)
    except ValueError as e:
        raise Refused("bad_certificate", str(e))
    if node.serial in alliance.revoked:  # 14
        raise Refused("revoked", f"serial {node.serial:X} is on the CRL")
    # 15: PyJWT's EdDSA over the ASCII of `header.payload`, before the payload is even decoded
    # (PyJWT's own `decode` decodes the payload first; see pyjwt_says).
    try:
        signature = b64url(s64)
    except ValueError as e:
        raise Refused("bad_signature", f"signature part: {e}")
    if not EDDSA.verify(f"{h64}.{p64}".encode(), node.key, signature):
        raise Refused("bad_signature", "PyJWT EdDSA: signature does not verify")
    return node


def read_claims(payload):
    """Step 17: a JSON object with exactly the nine claims of §4.3, well-typed."""
    if not starts_as_object(payload):
        raise Refused("claims", "not a JSON object")
    try:
        claims = parse_json(payload, nested_duplicates=True)  # the body's are step 22's
    except ValueError as e:
        raise Refused("claims", f"not JSON: {e}")
    names = ("v", "iss", "aud", "jti", "iat", "stream", "seq", "kind", "body")
    if set(claims) != set(names):
        raise Refused("claims", f"members {sorted(set(claims) ^ set(names))} missing or extra")
    types = {"v": UINT64, "iat": INT64, "seq": UINT64}
    for name in names:
        ok = (is_int(claims[name], types[name]) if name in types
              else name == "body" or isinstance(claims[name], str))
        if not ok:
            raise Refused("claims", f"{name} is ill-typed: {claims[name]!r}")
    return claims


def verify_message(jws, a):
    """§7.7 as receiver `a.receiver` at `a.now`; returns the claims or raises Refused."""
    if len(jws.encode()) > MAX_TRUST_BYTES:  # 1
        raise Refused("too_large", f"{len(jws.encode())} bytes")
    node = check_header_and_signature(jws, TYP, a)  # 2–15
    try:  # 16
        payload = b64url(jws.split(".")[1])
    except ValueError as e:
        raise Refused("malformed", f"payload: {e}")
    c = read_claims(payload)  # 17
    if c["v"] != 1:  # 18
        raise Refused("unsupported_version", f"v {c['v']}")
    if c["iss"] != node.org_id:  # 19
        raise Refused("issuer_mismatch", f"iss {c['iss']} but certificate {node.org_id}")
    kind = c["kind"]
    if kind not in a.rights:  # 20
        raise Refused("unknown_kind", kind)
    limit = MAX_TRUST_BYTES if kind in TRUST_KINDS else MAX_MESSAGE_BYTES  # 21
    if len(jws.encode()) > limit:
        raise Refused("too_large", f"{len(jws.encode())} bytes > {limit} for {kind}")
    problem = body_problem(a.schemas, kind, c["body"])  # 22
    if problem:
        raise Refused("body", problem)
    if c["iat"] > a.now + SKEW:  # 23
        raise Refused("from_the_future", f"iat is now + {c['iat'] - a.now} s")
    if not node.not_before <= c["iat"] <= node.not_after or a.now < node.not_before - SKEW:  # 24
        raise Refused("certificate_expired",
                      f"iat {c['iat']} outside {node.not_before}..{node.not_after}")
    aud = c["aud"]
    if aud != "*" and not ORG_ID.fullmatch(aud):  # 25
        raise Refused("claims", f"aud {aud!r}")
    # 26: lower-case hyphenated UUIDv7; the variant bits `10` too (RFC 9562; Appendix A.1 says
    # the Rust verifier does not check them).
    if not JTI_V7.fullmatch(c["jti"]):
        raise Refused("claims", f"jti {c['jti']!r} is not a lower-case UUIDv7")
    rule = a.rights[kind]
    if not STREAM.fullmatch(c["stream"]):  # 27
        raise Refused("stream", f"stream {c['stream']!r}")
    implied = "control" if rule.control else "all" if aud == "*" else f"org.{aud}"  # 28, §7.1
    if c["stream"] != implied:
        raise Refused("stream", f"{kind} to {aud} belongs on {implied}, not {c['stream']}")
    if (c["stream"] == "control") != (c["seq"] == 0):  # 29
        raise Refused("stream", f"seq {c['seq']} on {c['stream']}")
    if node.kind not in rule.senders:  # 30
        raise Refused("not_permitted", f"sender kind {node.kind} may not send {kind} (§6.1)")
    if (rule.route == "broadcast") != (aud == "*") or aud == node.org_id:  # 31
        raise Refused("not_permitted", f"{kind} is {rule.route}, aud {aud}")
    if node.org_id not in a.roster:  # 32
        raise Refused("not_on_roster", node.org_id)
    if a.roster[node.org_id] != node.kind:  # 33
        raise Refused("roster_kind_mismatch",
                      f"certificate {node.kind}, roster {a.roster[node.org_id]}")
    if rule.route == "direct":
        if aud not in a.roster:  # 34
            raise Refused("not_on_roster", f"recipient {aud}")
        if a.roster[aud] not in rule.recipients:  # 35
            raise Refused("not_permitted", f"{kind} may not go to kind {a.roster[aud]} (§6.1)")
        if aud != a.receiver:  # 36
            raise Refused("not_for_us", f"for {aud}")
    return c


def verify_member_token(jws, host, nonce, a):
    """§4.7 as host `host` that started the sign-in with `nonce`, at `a.now`."""
    if len(jws.encode()) > MAX_TOKEN_BYTES:  # 1
        raise Refused("too_large", f"{len(jws.encode())} bytes")
    node = check_header_and_signature(jws, MEMBER_TYP, a)  # 2
    try:  # 3
        payload = b64url(jws.split(".")[1])
        if not starts_as_object(payload):
            raise ValueError("not a JSON object")
        c = parse_json(payload)
    except ValueError as e:
        raise Refused("claims", str(e))
    problem = a.schemas.errors("member-token (composed)", c)
    if problem or c["aud"] == c["iss"]:
        raise Refused("claims", problem or "aud is iss")
    if c["iss"] != node.org_id:  # 4
        raise Refused("issuer_mismatch", f"iss {c['iss']} but certificate {node.org_id}")
    if c["iss"] not in a.roster:  # 5
        raise Refused("not_on_roster", c["iss"])
    if a.roster[c["iss"]] != node.kind:
        raise Refused("roster_kind_mismatch", c["iss"])
    if c["aud"] != host:  # 6
        raise Refused("wrong_audience", f"aud {c['aud']}")
    if c["sub"].split(":")[0] != c["iss"]:  # 7
        raise Refused("subject_mismatch", c["sub"])
    if (c["iat"] > a.now + SKEW or a.now >= c["exp"]  # 8
            or not node.not_before <= c["iat"] <= node.not_after):
        raise Refused("certificate_expired",
                      f"iat now{c['iat'] - a.now:+d}, exp now{c['exp'] - a.now:+d}")
    if not 0 < c["exp"] - c["iat"] <= MAX_MEMBER_TOKEN_SECS:  # 9
        raise Refused("claims", f"lives {c['exp'] - c['iat']} s")
    if c["nonce"] != nonce:  # 10
        raise Refused("nonce_mismatch", c["nonce"])
    return c


def verdict_of(check, *args):
    try:
        check(*args)
        return "ok", "every step passes"
    except Refused as r:
        return r.code, r.why



# ---------------------------------------------------------------------------------------------
# Per-reason evidence beyond the step-by-step verdict.

def x5c_key(jws):
    """The public key of the x5c certificate, or None."""
    try:
        header = json.loads(b64url(jws.split(".")[0]))
        return x509.load_der_x509_certificate(b64std(header["x5c"][0])).public_key()
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def pyjwt_says(jws, key, audience=None):
    """What PyJWT's own `decode` makes of a whole token (signature and algorithm only; the
    protocol's time rules use the manifest's `now`, which PyJWT cannot be given)."""
    try:
        if audience:  # the member token: PyJWT's aud check as well
            jwt.decode(jws, key, algorithms=["EdDSA"], audience=audience,
                       options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        else:
            jwt.PyJWS().decode_complete(jws, key, algorithms=["EdDSA"])
        return "accepts"
    except jwt.InvalidSignatureError:
        return "InvalidSignatureError"
    except jwt.InvalidAlgorithmError:
        return "InvalidAlgorithmError"
    except jwt.PyJWTError as e:
        return f"{type(e).__name__} ({e})"


def reason_evidence(expect, jws, audience=None):
    """(ok, note): PyJWT's word on the reasons it can judge by itself."""
    if expect not in ("ok", "bad_signature", "algorithm"):
        return True, None
    said = pyjwt_says(jws, x5c_key(jws), audience)
    if expect == "ok":
        return said == "accepts", f"PyJWT decode: {said}"
    if expect == "algorithm":
        return said == "InvalidAlgorithmError", f"PyJWT decode: {said}"
    if said == "accepts":
        return False, "PyJWT decode accepts it"
    if said != "InvalidSignatureError":
        # PyJWT decodes the payload before it checks the signature (§7.7 has it the other way
        # round), so it refuses a payload that is not base64url without reaching the signature.
        return True, f"PyJWT decode refuses it before the signature: {said}"
    return True, None


# Codes whose vectors are otherwise well-formed messages: header, claims and body must pass the
# schemas, which shows the refusal comes from the reason alone. The payload codes must fail them.
WELL_FORMED = {"ok", "unknown_issuer", "revoked", "certificate_expired", "from_the_future",
               "not_on_roster", "roster_kind_mismatch", "not_permitted", "not_for_us", "stream",
               "issuer_mismatch", "kid_mismatch", "bad_certificate"}
PAYLOAD_CODES = {"claims", "unsupported_version", "unknown_kind", "body"}
HEADER_CODES = {"algorithm", "wrong_type", "missing_certificate"}


def schema_evidence(expect, jws, schemas):
    """(ok, found): validates whatever of the header, claims and body decodes; `found` maps
    each part validated to its first problem (None: valid). Whether the outcome fits the
    verdict is said by WELL_FORMED, PAYLOAD_CODES and HEADER_CODES."""
    parts = jws.split(".")
    found = {}
    try:
        found["header"] = schemas.errors("header", parse_json(b64url(parts[0])))
    except (ValueError, IndexError):
        pass
    try:
        claims = parse_json(b64url(parts[1]), nested_duplicates=True)
        found["claims"] = schemas.errors("claims", claims)
        if isinstance(claims, dict) and claims.get("kind") in schemas.kinds:
            found["body"] = body_problem(schemas, claims["kind"], claims.get("body"))
    except (ValueError, IndexError):
        pass
    if expect in WELL_FORMED:
        return not any(found.values()), found
    if expect in PAYLOAD_CODES:
        return not found.get("header") and bool(found.get("claims") or found.get("body")), found
    if expect in HEADER_CODES:
        return bool(found.get("header")), found
    return True, found  # bad_signature, too_large, malformed: any outcome


# ---------------------------------------------------------------------------------------------
# Checking a vector set.

class Tally:
    def __init__(self):
        self.failures, self.notes = [], []

    def fail(self, text):
        self.failures.append(text)
        print(f"FAIL {text}")


def check_vector_set(directory, label, schemas, rights, tally):
    """Every case and member token of the manifest in `directory`, as §9.2 says; returns the
    alliance and a Counter of (message | member token, verdict)."""
    a = Alliance(directory, schemas, rights)
    by_code = collections.Counter()
    entries = [(c, "message") for c in a.manifest["cases"]]
    entries += [(t, "member token") for t in a.manifest.get("member_tokens", [])]
    for entry, what in entries:
        jws = (a.dir / entry["file"]).read_text()
        if what == "message":
            got, why = verdict_of(verify_message, jws, a)
        else:
            got, why = verdict_of(verify_member_token, jws, entry["host"], entry["nonce"], a)
        name = f"{label} {what} {entry['name']}"
        if got != entry["expect"]:
            tally.fail(f"{name}: manifest says {entry['expect']}, the steps of the spec give "
                       f"{got} ({why})")
            continue
        ok, note = reason_evidence(got, jws, entry.get("host"))
        if not ok:
            tally.fail(f"{name}: {got}, but {note}")
            continue
        if note and "before the signature" in note:
            tally.notes.append(f"{name}: {note}")
        if what == "message":  # member tokens have their (composed) schema inside step 3
            ok, found = schema_evidence(got, jws, schemas)
            problems = "; ".join(f"{part}: {p}" for part, p in found.items() if p)
            if not ok:
                tally.fail(f"{name}: {got}, but the JSON Schemas say: {problems or 'valid'}")
                continue
            if got == "body" and not found.get("claims") and ".json" not in found["body"]:
                tally.notes.append(f"{name}: its schema accepts it; refused by a limit of §6.2 "
                                   f"that JSON Schema cannot state ({found['body']})")
        if entry["name"].startswith("ok-roster"):
            # What a node does next with a roster.published (§4.5); not part of verify.
            verify_roster(a, parse_json(b64url(jws.split(".")[1]))["body"]["roster"])
            by_code[("roster inside roster.published", "ok")] += 1
        by_code[(what, got)] += 1
        if VERBOSE:
            print(f"  {name}: {got} ({why}){'; ' + note if note else ''}")
    return a, by_code


def check_member_ref_example():
    """§2.3's worked example, recomputed from the inputs the spec states."""
    key, host = b"tongxin example key", "youyi-nanli"
    member = uuid.UUID("0192f1a4-0000-7000-8000-000000000001")
    mac = hmac.new(key, host.encode() + b"\x00" + member.bytes, hashlib.sha256).digest()
    return "co-unit-1:" + b64url_encode(mac[:16]) == "co-unit-1:TdNE-clUOdGIPoBm1TUJoA"


# ---------------------------------------------------------------------------------------------
# Messages this script signs itself, each verified by both sides.

def uuid7():
    """A UUIDv7 (RFC 9562): 48-bit milliseconds, version 7, variant 10, random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 7 << 76
    value = value & ~(0x3 << 62) | 0x2 << 62
    return str(uuid.UUID(int=value))


class Signers:
    """The vectors' keys and certificates, and certificates issued here with the root key."""

    def __init__(self, a):
        self.a = a
        self.root_key = serialization.load_pem_private_key(
            (a.dir / "keys/root.key").read_bytes(), None)
        self.keys, self.certs = {}, {}
        for path in (a.dir / "certs").glob("*.pem"):
            name = path.stem
            self.certs[name] = x509.load_pem_x509_certificate(path.read_bytes())
            self.keys[name] = serialization.load_pem_private_key(
                (a.dir / f"keys/{name}.key").read_bytes(), None)

    def issue(self, name, cn, uris, key=None, issuer=None, not_before=None):
        """A certificate from the test root key for probing §3.2 (what the authority would never
        issue included). Stored under `name` with its key."""
        key = key or ed25519.Ed25519PrivateKey.generate()
        when = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(issuer or self.a.root.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(when(not_before or self.a.now - 86_400))
                .not_valid_after(when(self.a.now + 86_400))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(u) for u in uris]), critical=False)
                .sign(self.root_key, None))
        self.keys[name], self.certs[name] = key, cert

    def header(self, name, typ=TYP):
        der = self.certs[name].public_bytes(serialization.Encoding.DER)
        return {"typ": typ, "alg": "EdDSA", "kid": hashlib.sha256(der).hexdigest(),
                "x5c": [base64.b64encode(der).decode()]}

    def sign(self, name, payload, typ=TYP, header=None):
        """PyJWT signs `payload` (a dict, or bytes taken as they are) as `name`."""
        if isinstance(payload, dict):
            payload = compact(payload).encode()
        headers = header if header is not None else self.header(name, typ)
        key = self.keys[name]
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            # PyJWT's EdDSA needs an Ed25519 key; the certificate is refused (step 13) before
            # the signature is looked at, so any Ed25519 signature does.
            key = self.root_key
        return jwt.PyJWS().encode(payload, key, algorithm="EdDSA", headers=headers)

    def sign_parts(self, name, h64, p64):
        """PyJWT's EdDSA over parts given as they are (for encodings PyJWT would not write)."""
        signature = EDDSA.sign(f"{h64}.{p64}".encode(), self.keys[name])
        return f"{h64}.{p64}.{b64url_encode(signature)}"


MEMBER = "TdNE-clUOdGIPoBm1TUJoA"  # the subject of §2.3's example: canonical, 22 characters


def sample_body(kind, sender, a):
    """A small body valid for `kind` (§6.2): its required members (and, for `need.done` and
    `need.reopened`, their note)."""
    i = lambda n: f"0192f1a4-0000-7000-8000-{n:012x}"
    ref = f"{sender}:{MEMBER}"
    return {
        "roster.published": {"roster": (a.dir / "roster.jws").read_text()},
        "revocation.published": {"crl_pem": (a.dir / "crl.pem").read_text()},
        "node.hello": {"software": "tongxin-py", "heads": [{"stream": "all", "last_seq": 1}]},
        "sync.requested": {"stream": f"org.{sender}", "from_seq": 1},
        "recovery.requested": {"streams": [{"stream": "all", "from_seq": 1}]},
        "recovery.returned": {"stream": "all", "from_seq": 1, "last_seq": 0, "messages": [],
                              "done": True},
        "sync.compacted": {"stream": "all", "from_seq": 1, "to_seq": 3, "floor": 5},
        "offer.published": {"offer_id": i(1), "title": "会议室", "description": "",
                            "category": "venue", "capacity": 1},
        "offer.withdrawn": {"offer_id": i(1)},
        "need.published": {"need_id": i(2), "title": "助老", "description": "",
                           "level": "grid", "quantity": 1},
        "need.claimed": {"claim_id": i(3), "need_id": i(2)},
        "need.claim-decided": {"claim_id": i(3), "need_id": i(2), "accepted": True},
        "need.fulfilled": {"need_id": i(2)},
        "need.escalated": {"need_id": i(2), "to_level": "street", "to_org": "xueyuan-nanlu"},
        "report.submitted": {"report_id": i(4), "member": ref},
        "report.decided": {"report_id": i(4), "member": ref, "accepted": True},
        "report.withdrawn": {"report_id": i(4), "member": ref},
        "activity.published": {"activity_id": i(5), "category": "volunteer-service",
                               "title": "义诊", "description": "", "place": "驿站",
                               "starts_at": a.now, "ends_at": a.now + 1, "capacity": 1,
                               "mode": "routine"},
        "activity.cancelled": {"activity_id": i(5)},
        "signup.requested": {"signup_id": i(6), "activity_id": i(5), "member": ref},
        "placement.decided": {"signup_id": i(6), "activity_id": i(5), "member": ref,
                              "accepted": True},
        "signup.confirmed": {"signup_id": i(6), "activity_id": i(5), "member": ref,
                             "name": "王红", "phone": "13800000000"},
        "signup.cancelled": {"signup_id": i(6), "activity_id": i(5), "member": ref},
        "checkin.attested": {"checkin_id": i(7), "member": ref, "category": "study",
                             "checked_in_at": a.now - 3600, "checked_out_at": a.now,
                             "minutes": 60, "mode": "routine"},
        "emergency.declared": {"emergency_id": i(8), "title": "暴雨", "description": "",
                               "communities": ["youyi-nanli"],
                               "posts": [{"post_id": i(16), "title": "卡口值守",
                                          "headcount": 2}],
                               "starts_at": a.now, "answer_within_secs": 600},
        "emergency.volunteered": {"emergency_id": i(8), "member": ref, "post_id": i(16),
                                  "role": "A"},
        "emergency.closed": {"emergency_id": i(8)},
        "participation.reported": {
            "report_id": i(9), "side": "host", "period": "day",
            "period_start": period_bounds("day", a.now - 86_400)[0],
            "period_end": period_bounds("day", a.now - 86_400)[1], "revision": 1, "part": 1,
            "parts": 1, "k": 3,
            "totals": {f: 0 for f in (
                "members", "members_reported", "members_active", "members_hosted",
                "reporting_members", "activities", "checkins", "minutes", "needs_fulfilled",
                "wishes_confirmed", "escalations", "emergency_posts",
                "emergency_posts_filled")} | {"fill_secs": []}},
        "participation.requested": {"request_id": i(17), "sides": ["host", "home"],
                                    "period": "month",
                                    "period_start": period_bounds("month", a.now)[0]},
        "agreement.proposed": {"agreement_id": i(10), "title": "共建", "services": "",
                               "starts_at": a.now, "ends_at": a.now + 1},
        "agreement.decided": {"agreement_id": i(10), "proposal": "0" * 64, "accepted": True},
        "service.logged": {"service_id": i(11), "member": ref, "what": "代购药品",
                           "category": "volunteer-service", "started_at": a.now - 3600,
                           "ended_at": a.now, "minutes": 60},
        "service.declined": {"service_id": i(11), "member": ref},
        "feedback.sent": {"feedback_id": i(12), "member": ref, "period_starts_at": a.now - 1,
                          "period_ends_at": a.now, "minutes": 0, "activities": 0,
                          "grade": "good", "evaluation": ""},
        "pairing.started": {"pairing_id": i(13), "member": ref, "household": "结对户 07",
                            "started_at": a.now},
        "pairing.ended": {"pairing_id": i(13), "member": ref},
        "signup.invited": {"invitation_id": i(14), "activity_id": i(15), "member": ref,
                           "team": "红色帮帮团"},
        "need.done": {"claim_id": i(3), "need_id": i(2), "summary": "已上门更换灯泡"},
        "need.reopened": {"claim_id": i(3), "need_id": i(2), "reason": "老人说厨房的灯还不亮"},
    }[kind]


def claims_for(a, iss, kind, aud="*", body=None, **changes):
    """Claims as a sender writes them: the stream and seq that the kind and aud imply (§7.1)."""
    control = a.rights[kind].control
    claims = {"v": 1, "iss": iss, "aud": aud, "jti": uuid7(), "iat": a.now - 10,
              "stream": "control" if control else "all" if aud == "*" else f"org.{aud}",
              "seq": 0 if control else 1, "kind": kind,
              "body": body if body is not None else sample_body(kind, iss, a)}
    claims.update(changes)
    return claims


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def raw_payload(claims, **replace):
    """The claims as JSON text with a member's text replaced by other text: what json.dumps
    would not write (duplicates, `1.0`, numbers out of range)."""
    text = compact(claims)
    for member, value in replace.items():
        text = text.replace(f'"{member}":{compact(claims[member])}', value, 1)
    return text.encode()


def pad_to(s, name, payload, size, header=None):
    """A JWS signed by `name` of exactly `size` bytes: trailing JSON white space in the payload
    (allowed: §4.3 only asks the first byte to be `{`), and, where base64 cannot hit the size, one
    more character in an unknown header parameter (which §4.2 says receivers ignore)."""
    for extra in range(4):
        h = dict(header or s.header(name))
        if extra:
            h["x-pad"] = "x" * extra
        base = len(s.sign(name, b"", header=h))  # header, two dots, signature
        want = size - base  # characters of the payload part
        if want % 4 == 1:
            continue
        n = want // 4 * 3 + {0: 0, 2: 1, 3: 2}[want % 4]
        if n < len(payload):
            raise ValueError("payload already too long")
        jws = s.sign(name, payload + b" " * (n - len(payload)), header=h)
        if len(jws) != size:
            raise ValueError(f"made {len(jws)} bytes, not {size}")
        return jws
    raise ValueError("cannot reach the size")


# `line` is what examples/verdicts reads: {"message": jws} or {"member_token": jws, "host",
# "nonce"}.
Probe = collections.namedtuple("Probe", "name line expect deviation")


def probes(a):
    """Messages and member tokens signed here, with the verdict each is made to show. A probe
    with a `deviation` is a known deviation of the Rust verifier (Appendix A): Python must give
    `expect`, and Rust is expected to differ."""
    s = Signers(a)
    now, out = a.now, []
    host, nonce = a.receiver, "nonce-of-this-sign-in-01"

    def message(name, jws, expect=None, deviation=None):
        out.append(Probe(name, {"message": jws}, expect, deviation))

    def token(name, jws, expect, token_nonce=nonce):
        out.append(Probe(name, {"member_token": jws, "host": host, "nonce": token_nonce}, expect,
                         None))

    # 1. The rights of §6.1, every kind from every sender kind to every kind of recipient (no
    # expectation given: Python's steps and the Rust verifier must agree).
    senders = ["lunan-zzb", "xueyuan-nanlu", "youyi-nanli", "loue-jia", "not-on-roster"]
    for iss in senders:
        for kind in a.rights:
            for aud in ["*"] + senders[:4] + ["not-on-roster"]:
                message(f"rights {iss} {kind} to {aud}",
                        s.sign(iss, claims_for(a, iss, kind, aud)))

    street = "xueyuan-nanlu"

    def offer(**changes):
        return claims_for(a, street, "offer.published", **changes)
    street_nb = unix(s.certs[street].not_valid_before)
    expired_na = unix(s.certs["expired-unit"].not_valid_after)
    # 2. Time (§3.5).
    message("iat at now + 300", s.sign(street, offer(iat=now + 300)), "ok")
    message("iat at now + 301", s.sign(street, offer(iat=now + 301)), "from_the_future")
    message("iat at not_before", s.sign(street, offer(iat=street_nb)), "ok")
    message("iat 1 s before not_before", s.sign(street, offer(iat=street_nb - 1)),
            "certificate_expired")
    message("expired certificate, iat at its not_after",
            s.sign("expired-unit", claims_for(a, "expired-unit", "offer.published",
                                              iat=expired_na)), "ok")
    message("expired certificate, iat 1 s after its not_after",
            s.sign("expired-unit", claims_for(a, "expired-unit", "offer.published",
                                              iat=expired_na + 1)), "certificate_expired")
    # 3. Size (§4.1): the limits are inclusive.
    offer_json = compact(offer()).encode()
    message("offer of 65,536 bytes", pad_to(s, street, offer_json, 65_536), "ok")
    message("offer of 65,537 bytes", pad_to(s, street, offer_json, 65_537), "too_large")
    roster_msg = compact(claims_for(a, "lunan-zzb", "roster.published")).encode()
    message("roster.published of 1,048,576 bytes",
            pad_to(s, "lunan-zzb", roster_msg, 1_048_576), "ok")
    message("roster.published of 1,048,577 bytes",
            pad_to(s, "lunan-zzb", roster_msg, 1_048_577), "too_large")
    # 4. Encodings (§1, §4.1, §4.3).
    good = s.sign(street, offer())
    h64, p64, s64 = good.split(".")
    message("payload after JSON white space", s.sign(street, b" \n\t" + offer_json), "ok")
    message("trailing newline after the JWS", good + "\n", "bad_signature")
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sig_noncanonical = s64[:-1] + last[last.index(s64[-1]) ^ 1]
    message("signature with non-zero unused base64 bits", f"{h64}.{p64}.{sig_noncanonical}",
            "bad_signature")
    odd = offer_json + b" " * ((1 - len(offer_json)) % 3)  # a length that leaves unused bits
    odd64 = b64url_encode(odd)
    message("payload with non-zero unused base64 bits",
            s.sign_parts(street, h64, odd64[:-1] + last[last.index(odd64[-1]) ^ 1]), "malformed")
    message("payload with base64 padding", s.sign_parts(street, h64, odd64 + "=="), "malformed")
    message("payload with a BOM", s.sign(street, "\ufeff".encode() + offer_json), "claims")
    message("payload not UTF-8", s.sign(street, offer_json.replace("会".encode(), b"\xff", 1)),
            "claims")
    c = offer()
    message("claims with a duplicate member",
            s.sign(street, raw_payload(c, iss=f'"iss":"{street}","iss":"{street}"')), "claims")
    message("seq written 1.0", s.sign(street, raw_payload(c, seq='"seq":1.0')), "claims")
    message("v of 2^64", s.sign(street, raw_payload(c, v=f'"v":{2**64}')), "claims")
    message("iat of 2^63", s.sign(street, raw_payload(c, iat=f'"iat":{2**63}')), "claims")
    body = dict(c["body"])
    message("body with a duplicate member", s.sign(street, raw_payload(
        c, body='"body":' + compact(body)[:-1] + ',"capacity":1}')), "body")

    def body_text(**changes):
        return compact({**c, "jti": uuid7(), "body": {**body, **changes}})
    message("body: capacity 20.0", s.sign(street, body_text(capacity=20).replace(
        '"capacity":20', '"capacity":20.0', 1).encode()), "body")
    for label, changes, expect in [
            ("capacity 2^32 - 1", {"capacity": 2**32 - 1}, "ok"),
            ("capacity 2^32", {"capacity": 2**32}, "body"),
            ("title with CR", {"title": "a\rb"}, "body"),
            ("title of blanks", {"title": "   "}, "body"),
            ("title of 200 characters", {"title": "会" * 200}, "ok"),
            ("title of 201 characters", {"title": "会" * 201}, "body"),
            ("description with tab and newline", {"description": "a\tb\nc"}, "ok")]:
        message(f"body: {label}", s.sign(street, body_text(**changes).encode()), expect)
    message("body: offer_id in upper case", s.sign(street, body_text(
        offer_id="0192F1A4-0000-7000-8000-000000000001").encode()), "body",
        "Appendix A.2 (UUID spellings in bodies)")
    message("jti with variant bits 00",
            s.sign(street, offer(jti="0192f1a4-0000-7000-0000-000000000001")), "claims",
            "Appendix A.1 (jti variant)")
    # Bodies of activities, sign-ups and check-ins (Appendix C, issue 12) at their limits.
    def kind_body(kind, aud, iss=street, **changes):
        body = {k: v for k, v in {**sample_body(kind, iss, a), **changes}.items()
                if v is not ...}
        return s.sign(iss, claims_for(a, iss, kind, aud, body=body))
    for kind, aud, label, changes, expect in [
            ("activity.published", "*", "capacity 10,000", {"capacity": 10_000}, "ok"),
            ("activity.published", "*", "capacity 10,001", {"capacity": 10_001}, "body"),
            ("activity.published", "*", "ends_at = starts_at", {"ends_at": now}, "body"),
            ("activity.published", "*", "without category", {"category": ...}, "body"),
            ("activity.published", "*", "category not of §5", {"category": "party"}, "body"),
            ("activity.published", "*", "a grid and 12 skills",
             {"grid": "xyn-07", "skills": ["legal"] * 12}, "ok"),
            ("activity.published", "*", "13 skills", {"skills": ["legal"] * 13}, "body"),
            ("signup.requested", host, "display_name of 64",
             {"display_name": "张" * 64, "skills": ["legal"] * 12}, "ok"),
            ("signup.requested", host, "display_name of 65", {"display_name": "张" * 65},
             "body"),
            ("signup.requested", host, "13 skills", {"skills": ["legal"] * 13}, "body"),
            ("signup.confirmed", host, "phone of 32", {"phone": "1" * 32}, "ok"),
            ("signup.confirmed", host, "phone of 33", {"phone": "1" * 33}, "body"),
            ("signup.confirmed", host, "a blank name", {"name": "  "}, "body"),
            ("signup.confirmed", host, "without phone", {"phone": ...}, "body"),
            ("signup.cancelled", host, "with a reason", {"reason": "改期"}, "ok"),
            ("checkin.attested", host, "a correction closed by the host",
             {"corrects": "0192f1a4-0000-7000-8000-000000000007", "closed_by_host": True}, "ok"),
            ("checkin.attested", host, "closed_by_host null", {"closed_by_host": None}, "body"),
            ("checkin.attested", host, "corrects not a uuid", {"corrects": "x"}, "body"),
            ("checkin.attested", host, "without category", {"category": ...}, "body"),
            ("service.logged", host, "a grid and 1440 minutes in 24 h",
             {"grid": "xyn-07", "started_at": now - 86_400, "minutes": 1440}, "ok"),
            ("service.logged", host, "1441 minutes in 25 h",
             {"started_at": now - 90_000, "minutes": 1441}, "body"),
            ("service.logged", host, "60 minutes in 3,599 s",
             {"started_at": now - 3599}, "body"),
            ("service.logged", host, "ended_at = started_at",
             {"started_at": now, "minutes": 0}, "body"),
            ("service.logged", host, "a blank what", {"what": " "}, "body"),
            ("service.logged", host, "without category", {"category": ...}, "body")]:
        message(f"body: {kind} {label}", kind_body(kind, aud, **changes), expect)
    # The micro-wish journey (Appendix C): the new optional fields at their limits, and the new
    # kinds, from the street to the receiver.
    contact = {"addressee": "王奶奶", "address": "友谊南里 3 号楼 2 单元 401",
               "phone": "13800000000"}
    for kind, aud, label, changes, expect in [
            ("need.published", "*", "external_ref of 64", {"external_ref": "票" * 64}, "ok"),
            ("need.published", "*", "external_ref of 65", {"external_ref": "票" * 65}, "body"),
            ("need.published", "*", "a blank external_ref", {"external_ref": "  "}, "body"),
            ("need.escalated", "*", "with due", {"due": now + 15 * 86_400}, "ok"),
            ("need.claim-decided", host, "a contact with an accepted claim",
             {"contact": contact}, "ok"),
            ("need.claim-decided", host, "a contact with a declined claim",
             {"accepted": False, "contact": contact}, "body"),
            ("need.claim-decided", host, "a declined claim, contact null",
             {"accepted": False, "contact": None}, "ok"),
            ("need.claim-decided", host, "a contact without address",
             {"contact": {"addressee": "王奶奶"}}, "body"),
            ("need.claim-decided", host, "a contact with a full name",
             {"contact": {**contact, "name": "王秀英"}}, "body"),
            ("need.claim-decided", host, "a contact phone of 33",
             {"contact": {**contact, "phone": "1" * 33}}, "body"),
            ("need.done", host, "without a summary", {"summary": ...}, "ok"),
            ("need.claimed", host, "a member's claim, display_name of 64",
             {"member": f"{street}:{MEMBER}", "display_name": "张" * 64}, "ok"),
            ("need.claimed", host, "a member's claim, display_name of 65",
             {"member": f"{street}:{MEMBER}", "display_name": "张" * 65}, "body"),
            ("need.claimed", host, "a member's claim with an offer",
             {"member": f"{street}:{MEMBER}",
              "offer_id": "0192f1a4-0000-7000-8000-000000000001"}, "body"),
            ("need.claimed", host, "a display_name without a member",
             {"display_name": "张师傅"}, "body"),
            ("need.claimed", host, "a member null", {"member": None}, "ok"),
            ("need.reopened", host, "a reason of 501", {"reason": "灯" * 501}, "body")]:
        message(f"body: {kind} {label}", kind_body(kind, aud, **changes), expect)
    # Emergency mobilisation (Appendix C): the area, the posts and the answer time at their
    # limits; a volunteer names the post and the role.
    post = lambda n, **kv: {"post_id": f"0192f1a4-0000-7000-8000-{0x100 + n:012x}",
                            "title": f"岗位 {n}", "headcount": 1, **kv}
    for kind, aud, label, changes, expect in [
            ("emergency.declared", "*", "64 communities and 256 grids",
             {"communities": ["youyi-nanli"] * 64, "grids": ["xyn-07"] * 256}, "ok"),
            ("emergency.declared", "*", "65 communities", {"communities": ["youyi-nanli"] * 65},
             "body"),
            ("emergency.declared", "*", "no community", {"communities": []}, "body"),
            ("emergency.declared", "*", "a community not an org id",
             {"communities": ["Youyi.Nanli"]}, "body"),
            ("emergency.declared", "*", "257 grids", {"grids": ["xyn-07"] * 257}, "body"),
            ("emergency.declared", "*", "32 posts", {"posts": [post(n) for n in range(32)]},
             "ok"),
            ("emergency.declared", "*", "33 posts", {"posts": [post(n) for n in range(33)]},
             "body"),
            ("emergency.declared", "*", "no post", {"posts": []}, "body"),
            ("emergency.declared", "*", "a repeated post_id", {"posts": [post(0), post(0)]},
             "body"),
            ("emergency.declared", "*", "headcount 500, title of 100, 12 skills",
             {"posts": [post(0, headcount=500, title="岗" * 100, skills=["medical-aid"] * 12)]},
             "ok"),
            ("emergency.declared", "*", "headcount 501", {"posts": [post(0, headcount=501)]},
             "body"),
            ("emergency.declared", "*", "headcount 0", {"posts": [post(0, headcount=0)]},
             "body"),
            ("emergency.declared", "*", "a post title of 101",
             {"posts": [post(0, title="岗" * 101)]}, "body"),
            ("emergency.declared", "*", "a post with 13 skills",
             {"posts": [post(0, skills=["legal"] * 13)]}, "body"),
            ("emergency.declared", "*", "answer_within_secs 86,400",
             {"answer_within_secs": 86_400}, "ok"),
            ("emergency.declared", "*", "answer_within_secs 86,401",
             {"answer_within_secs": 86_401}, "body"),
            ("emergency.declared", "*", "answer_within_secs 0", {"answer_within_secs": 0},
             "body"),
            ("emergency.declared", "*", "without starts_at", {"starts_at": ...}, "body"),
            ("emergency.declared", "*", "with skills_wanted (the earlier form)",
             {"skills_wanted": ["legal"]}, "body"),
            ("emergency.volunteered", host, "role B, a display_name of 64 and 12 skills",
             {"role": "B", "display_name": "张" * 64, "skills": ["legal"] * 12}, "ok"),
            ("emergency.volunteered", host, "a display_name of 65", {"display_name": "张" * 65},
             "body"),
            ("emergency.volunteered", host, "role C", {"role": "C"}, "body"),
            ("emergency.volunteered", host, "without role (the earlier form)", {"role": ...},
             "body"),
            ("emergency.volunteered", host, "without post_id (the earlier form)",
             {"post_id": ...}, "body")]:
        message(f"body: {kind} {label}", kind_body(kind, aud, **changes), expect)
    # The community's answers and reports to a member's home (Appendix C, issue 12 item 6), from
    # the receiver to the street: a valid body passes step 22 and is refused only at step 36.
    for kind, label, changes, expect in [
            ("service.declined", "with a reason", {"reason": "无此项服务安排"}, "not_for_us"),
            ("feedback.sent", "a period of 1 s, counts of 2^32 - 1",
             {"grade": "excellent", "minutes": 2**32 - 1, "activities": 2**32 - 1},
             "not_for_us"),
            ("feedback.sent", "period_ends_at = period_starts_at",
             {"period_starts_at": now}, "body"),
            ("feedback.sent", "grade not of §5", {"grade": "优秀"}, "body"),
            ("feedback.sent", "minutes of 2^32", {"minutes": 2**32}, "body"),
            ("feedback.sent", "evaluation of 4,001", {"evaluation": "评" * 4001}, "body"),
            ("pairing.started", "household of 64", {"household": "户" * 64}, "not_for_us"),
            ("pairing.started", "household of 65", {"household": "户" * 65}, "body"),
            ("pairing.started", "a blank household", {"household": "  "}, "body"),
            ("pairing.started", "a household address", {"address": "3-2-101"}, "body"),
            ("pairing.ended", "with a reason", {"reason": "结对户搬离"}, "not_for_us"),
            ("signup.invited", "a team of 64", {"team": "队" * 64}, "not_for_us"),
            ("signup.invited", "a team of 65", {"team": "队" * 65}, "body"),
            ("signup.invited", "a role and its post",
             {"post_id": "0192f1a4-0000-7000-8000-000000000010", "role": "B"},
             "not_for_us"),
            ("signup.invited", "a role without a post", {"role": "A"}, "body")]:
        message(f"body: {kind} {label}", kind_body(kind, street, host, **changes), expect)
    for grade in ["fair", "poor"]:
        message(f"body: feedback.sent grade {grade}",
                kind_body("feedback.sent", street, host, grade=grade), "not_for_us")
    # 5. Headers (§4.2): the street's signature of an offer under a header written as given.
    hdr = s.header(street)
    claims64 = b64url_encode(compact(offer()).encode())

    def under(header):
        text = header if isinstance(header, bytes) else json.dumps(header).encode()
        return s.sign_parts(street, b64url_encode(text), claims64)
    changed = lambda **kv: {**hdr, **kv}
    dropped = lambda key: {k: v for k, v in hdr.items() if k != key}
    for label, header, expect in [
            ("unknown header parameter", changed(**{"x-note": "hi"}), "ok"),
            ("crit present", changed(crit=["exp"]), "malformed"),
            ("typ absent", dropped("typ"), "wrong_type"),
            ("kid absent", dropped("kid"), "kid_mismatch"),
            ("x5c absent", dropped("x5c"), "missing_certificate"),
            ("x5c with two entries", changed(x5c=hdr["x5c"] * 2), "missing_certificate"),
            ("x5c empty", changed(x5c=[]), "missing_certificate"),
            ("x5c not base64", changed(x5c=["not base64!"]), "bad_certificate"),
            ("x5c not DER", changed(x5c=[base64.b64encode(b"hello").decode()]),
             "bad_certificate"),
            ("x5c a string", changed(x5c=hdr["x5c"][0]), "malformed"),
            ("jwk not an object", changed(jwk=5), "malformed"),
            ("alg eddsa", changed(alg="eddsa"), "algorithm"),
            ("alg absent", dropped("alg"), "malformed"),
            ("alg a number", changed(alg=1), "malformed"),
            ("header an array", b'["EdDSA"]', "malformed"),
            ("header with a duplicate typ", json.dumps(hdr).encode().replace(
                b'"typ"', b'"typ": "tongxin+jwt", "typ"', 1), "malformed")]:
        message(f"header: {label}", under(header), expect)
    message("header: header with a duplicate unknown parameter",
            under(json.dumps(hdr).encode()[:-1] + b', "x-a": 1, "x-a": 2}'), "malformed",
            "Appendix A.12 (duplicate unknown header parameters)")
    hello = claims_for(a, street, "node.hello")
    heads = '[{"stream":"all","last_seq":1,"last_seq":1}]'
    message("body: a list entry with a duplicate member", s.sign(street, raw_payload(
        hello, body=f'"body":{{"software":"t","heads":{heads}}}')), "body")
    # 6. Certificates issued here with the root key (§3.2; no checked-in vector has
    # bad_certificate or roster_kind_mismatch).
    sn = ["urn:tongxin:org:xueyuan-nanlu", "urn:tongxin:kind:street"]
    issued = [  # (what, CN, SAN URIs, how it is issued, iat, verdict)
        ("another certificate of xueyuan-nanlu (Appendix A.3)", street, sn, {}, now - 10, "ok"),
        ("loue-jia certified as a community", "loue-jia",
         ["urn:tongxin:org:loue-jia", "urn:tongxin:kind:community"], {}, now - 10,
         "roster_kind_mismatch"),
        ("no kind SAN", street, sn[:1], {}, now - 10, "bad_certificate"),
        ("kind SAN not of §2.2", street, [sn[0], "urn:tongxin:kind:party"], {}, now - 10,
         "bad_certificate"),
        ("org SAN other than the CN", street, ["urn:tongxin:org:loue-jia", sn[1]], {}, now - 10,
         "bad_certificate"),
        ("two org SANs, the last the CN", street, ["urn:tongxin:org:loue-jia"] + sn, {},
         now - 10, "ok"),
        ("two org SANs, the first the CN", street, [sn[0], "urn:tongxin:org:loue-jia", sn[1]],
         {}, now - 10, "bad_certificate"),
        ("two kind SANs, the last not a kind", street, sn + ["urn:tongxin:kind:party"], {},
         now - 10, "bad_certificate"),
        ("CN not an org id", "Xueyuan", ["urn:tongxin:org:Xueyuan", sn[1]], {}, now - 10,
         "bad_certificate"),
        ("an EC P-256 key", street, sn, {"key": ec.generate_private_key(ec.SECP256R1())},
         now - 10, "bad_certificate"),
        ("issuer name not the root's", street, sn,
         {"issuer": x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "another")])}, now - 10,
         "unknown_issuer"),
        ("valid from now + 200, iat now + 250", street, sn, {"not_before": now + 200},
         now + 250, "ok"),
        ("valid from now + 1000", street, sn, {"not_before": now + 1000}, now - 10,
         "certificate_expired"),
    ]
    for n, (label, cn, uris, options, iat, expect) in enumerate(issued):
        s.issue(f"issued-{n}", cn, uris, **options)
        message(f"certificate: {label}",
                s.sign(f"issued-{n}", claims_for(a, cn, "offer.published", iat=iat)), expect)
    # 7. Member tokens (§4.7).
    def member(**changes):
        c = {"iss": street, "aud": host, "sub": f"{street}:{MEMBER}", "iat": now - 10,
             "exp": now + 290, "nonce": nonce, "name": "王红", "skills": ["legal"]}
        c.update(changes)
        return {k: v for k, v in c.items() if v is not ...}
    tok = lambda **c: s.sign(street, member(**c), typ=MEMBER_TYP)
    token("token", tok(), "ok")
    token("token without name and skills", tok(name=..., skills=...), "ok")
    token("token living 600 s", tok(exp=now - 10 + 600), "ok")
    token("token living 601 s", tok(exp=now - 10 + 601), "claims")
    token("token living 0 s", tok(iat=now + 100, exp=now + 100), "claims")
    token("token with exp = now", tok(iat=now - 100, exp=now), "certificate_expired")
    token("token with iat now + 300", tok(iat=now + 300, exp=now + 400), "ok")
    token("token with iat now + 301", tok(iat=now + 301, exp=now + 400), "certificate_expired")
    token("token with a nonce of 16", tok(nonce="a" * 16), "ok", "a" * 16)
    token("token with a nonce of 15", tok(nonce="a" * 15), "claims", "a" * 15)
    token("token with a nonce of 128", tok(nonce="a" * 128), "ok", "a" * 128)
    token("token with a nonce of 129", tok(nonce="a" * 129), "claims", "a" * 129)
    token("token with a nonce with +", tok(nonce="a+" * 8), "claims", "a+" * 8)
    token("token with aud = iss", tok(aud=street), "claims")
    token("token with a name of 64", tok(name="名" * 64), "ok")
    token("token with a name of 65", tok(name="名" * 65), "claims")
    token("token with a blank name", tok(name=" "), "claims")
    token("token with 12 skills", tok(skills=["legal"] * 12), "ok")
    token("token with 13 skills", tok(skills=["legal"] * 13), "claims")
    token("token with skills null", tok(skills=None), "claims")
    token("token with a non-canonical sub", tok(sub=f"{street}:{MEMBER[:-1]}B"), "claims")
    token("token under typ tongxin+jwt", s.sign(street, member(), typ=TYP), "wrong_type")
    token("token with a duplicate claim", s.sign(street, raw_payload(
        member(), nonce=f'"nonce":"{nonce}","nonce":"{nonce}"'), typ=MEMBER_TYP), "claims")
    member_json = json.dumps(member(), ensure_ascii=False, separators=(",", ":")).encode()
    token("token of 8,192 bytes", pad_to(s, street, member_json, 8_192,
                                         header=s.header(street, MEMBER_TYP)), "ok")
    token("token of 8,193 bytes", pad_to(s, street, member_json, 8_193,
                                         header=s.header(street, MEMBER_TYP)), "too_large")
    return out


def rust(*args, stdin=None):
    """Runs an example of the schema crate (built if needed, as cargo does)."""
    cmd = ["cargo", "run", "-q", "-p", "tongxin-schema", "--example", *args]
    try:
        done = subprocess.run(cmd, cwd=REPO, input=stdin, capture_output=True, text=True)
    except FileNotFoundError:
        raise RuntimeError("cargo is not installed: the build's own vectors cannot be checked")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def check_probes(a, tally):
    """Python signs, both sides verify; returns (probes, agreed, known deviations seen)."""
    made = probes(a)
    rust_says = rust("verdicts", "--", str(a.dir),
                     stdin="".join(json.dumps(p.line) + "\n" for p in made)).split()
    if len(rust_says) != len(made):
        raise RuntimeError(f"the Rust verifier gave {len(rust_says)} verdicts for {len(made)}")
    agreed, deviations = 0, []
    for p, theirs in zip(made, rust_says):
        if "message" in p.line:
            ours, why = verdict_of(verify_message, p.line["message"], a)
        else:
            ours, why = verdict_of(verify_member_token, p.line["member_token"], p.line["host"],
                                   p.line["nonce"], a)
        if p.expect and ours != p.expect:
            tally.fail(f"probe {p.name}: made to be {p.expect}, the steps of the spec give "
                       f"{ours} ({why})")
        elif p.deviation:
            if theirs == ours:
                tally.fail(f"probe {p.name}: {p.deviation} no longer reproduces (both {ours}); "
                           "drop it from the probes and from PROTOCOL.md Appendix A")
            else:
                deviations.append(f"{p.name}: the spec's steps give {ours}, Rust {theirs} "
                                  f"(known: {p.deviation})")
        elif theirs != ours:
            tally.fail(f"probe {p.name}: Python (spec steps) {ours} ({why}), Rust {theirs}")
        else:
            agreed += 1
        jws = p.line.get("message") or p.line["member_token"]
        if ours in ("bad_signature", "malformed") and pyjwt_says(jws, x5c_key(jws)) == "accepts":
            # Where PyJWT alone is more lenient than §1/§4.2 (base64url, crit, duplicates): the
            # step that refuses is this script's, which is why it does not trust PyJWT's decode.
            tally.notes.append(f"probe {p.name}: PyJWT's decode alone accepts it; the spec and "
                               f"Rust refuse it ({ours})")
        if VERBOSE:
            print(f"  probe {p.name}: Python {ours}, Rust {theirs}")
    return made, agreed, deviations


# ---------------------------------------------------------------------------------------------

NOT_INDEPENDENT = [
    "the body rules of participation.reported and participation.requested (§10.2): written here "
    "(report_relations) but reached by no probe, since the vector set's receiver is a community, "
    "which receives neither kind; the Rust unit tests hold them",
    "semantic rules of §6.2 (unknown_need, duplicate_claim, …) and the transport checks of §4.4: "
    "the node's business; no vector has them",
    "§7.7 step 6 for `jwk`: checked only as 'a JSON object', not as a valid JWK",
    "member references: the pairwise HMAC of §2.3 is recomputed for the spec's worked example "
    "only; the vectors' member ids and key are generator internals (src/vectors.rs)",
    "member-token claims: schema/json/ has no schema for them; one is composed here from §4.7 "
    "and the definitions of the body schemas",
    "time: PyJWT cannot be given the manifest's `now`, so certificate validity (§3.5) and token "
    "times (§4.7 step 8) are this script's arithmetic, not PyJWT's",
    "vocabularies (§5): their values are taken from the schemas' enums, not compared with §5",
]


def summary(by_code, schemas):
    """Lines of the per-category summary of one vector set."""
    accepted = {w: n for (w, c), n in by_code.items() if c == "ok"}
    refused = collections.Counter()
    for (what, code), n in by_code.items():
        if code != "ok":
            refused[code] += n
    return [
        f"  accepted: {accepted.get('message', 0)} messages, {accepted.get('member token', 0)} "
        f"member token(s); {accepted.get('roster inside roster.published', 0)} rosters inside "
        "roster.published also verified as §4.5 says",
        "  refused for the documented reason: " + ", ".join(
            f"{code} {n}" for code, n in sorted(refused.items())),
        "  schema-validated (schema/json/, outcome as the verdict requires): " + ", ".join(
            f"{n} {what}" for what, n in sorted(schemas.counted.items())),
    ]


def main():
    if not hasattr(jsonschema, "Draft202012Validator"):
        print("FAIL jsonschema is too old for the 2020-12 schemas of schema/json/ (need >= 4)")
        return 1
    schemas, rights, tally = Schemas(), read_rights(), Tally()
    if list(rights) != schemas.kinds:
        tally.fail(f"§6.1 lists {list(rights)}, claims.json {schemas.kinds}")
    if not check_member_ref_example():
        tally.fail("§2.3's worked example does not recompute")
    compared, problems = spec_vs_schemas(schemas)
    trees, proofs = check_merkle(tally)
    for problem in problems:
        tally.fail(f"schema/json/v1 vs PROTOCOL.md §6.2: {problem}")
    print(f"PyJWT {jwt.__version__}, cryptography {version('cryptography')}, jsonschema "
          f"{version('jsonschema')}; the rights of {len(rights)} kinds read from PROTOCOL.md §6.1")
    try:
        a, by_code = check_vector_set(HERE, "checked-in", schemas, rights, tally)
        lines = [f"checked-in vectors (now {a.now}): {len(a.manifest['cases'])} messages, "
                 f"{len(a.manifest['member_tokens'])} member tokens"] + summary(by_code, schemas)
        schemas.counted.clear()
        with tempfile.TemporaryDirectory() as tmp:
            rust("make-vectors", "--", "--now", str(int(time.time())), "--out", tmp)
            fresh, fresh_codes = check_vector_set(tmp, "fresh", schemas, rights, tally)
        listed = lambda m: [(c["name"], c["expect"]) for c in m["cases"] + m["member_tokens"]]
        if listed(fresh.manifest) != listed(a.manifest):
            tally.fail("the checked-in manifest lists other cases or verdicts than the current "
                       "build makes: regenerate schema/vectors/")
        lines += [f"fresh, made by the current build (make-vectors --out: new keys and "
                  f"signatures, now {fresh.now}): {len(fresh.manifest['cases'])} messages, "
                  f"{len(fresh.manifest['member_tokens'])} member tokens, checked the same way"]
        lines += summary(fresh_codes, schemas)
        made, agreed, deviations = check_probes(a, tally)
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        tally.fail(f"cannot check: {e}")
        made, agreed, deviations, lines = [], 0, [], []
    rights_probes = sum(p.name.startswith("rights ") for p in made)
    lines += [f"fresh, signed here with the vectors' keys and verified by both Python and the Rust "
              f"verifier (examples/verdicts): {len(made)} ({rights_probes} across the rights "
              f"table, {len(made) - rights_probes} edge cases), {agreed} with the same verdict"]
    lines += [f"  {d}" for d in deviations]
    lines += [f"schemas vs spec: {compared} field rows of §6.2 (required, type, ≤/≥ limits, "
              "patterns, relations) compared with schema/json/v1",
              "§2.3 worked example recomputed: co-unit-1:TdNE-clUOdGIPoBm1TUJoA",
              f"§10.3 Merkle vectors recomputed with hashlib: {trees} trees, {proofs} proofs "
              "verified, their forgeries refused"]
    print("\n" + "\n".join(lines))
    if tally.notes:
        print("\nnotes:\n" + "\n".join(f"  {n}" for n in sorted(set(tally.notes))))
    print("\nnot checked independently:\n" + "\n".join(f"  {n}" for n in NOT_INDEPENDENT))
    print(f"\n{'FAILED' if tally.failures else 'passed'}: {len(tally.failures)} disagreement(s)")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())

//! An error as the page's reader is told it: in their language, naming the field by its label.
//!
//! The API answers in English for programs (`code` + `message`). A person gets the field's
//! label and the rule it broke from the catalogues, for the rules every form shares (length,
//! blank, number, date, choice, deadline); for the rest, what kind of refusal it is (not
//! found, not allowed, conflicts with the state of things) in their words, followed by the
//! node's own explanation.

use super::T;
use crate::http::error::ApiError;
use crate::i18n;

/// The field an input error is about (`field: message`), when it names one.
pub fn field_of(e: &ApiError) -> Option<String> {
    if e.code != "invalid_input" {
        return None;
    }
    let (field, _) = e.message.split_once(": ")?;
    // `skills[2]`, `posts.0.title`: the form's field is the first name.
    let name: String = field
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The label of a form field: `field-<name>`, or the key `<name>` the form itself shows.
pub fn label(t: T, name: &str) -> String {
    for key in [format!("field-{name}"), name.to_owned()] {
        if i18n::has(&key) {
            return t.t(&key).into_owned();
        }
    }
    name.to_owned()
}

/// The whole sentence for the reader.
pub fn say(t: T, e: &ApiError) -> String {
    if let Some(field) = field_of(e) {
        let rule = e.message.split_once(": ").map_or("", |(_, r)| r);
        let label = label(t, &field);
        if !rule.chars().any(|c| c.is_ascii_alphabetic()) {
            return format!("{label}{}{rule}", sep(t));
        }
        return match rule_words(t, rule) {
            Some(words) => format!("{label}{}{words}", sep(t)),
            None => format!("{label}{}{}", sep(t), detail(t, rule)),
        };
    }
    let kind = match e.code {
        "not_found" => "err-not_found",
        "forbidden" => "err-forbidden",
        "conflict" => "err-conflict",
        "unauthorized" => "err-unauthorized",
        "too_many_requests" => "err-too_many",
        "too_large" | "payload_too_large" => "err-too_large",
        "unavailable" => "err-unavailable",
        "recovering" => return t.t("err-recovering").into_owned(),
        "internal" => "err-internal",
        _ => "err-invalid",
    };
    match known_sentence(t, &e.message) {
        Some(s) => s,
        None => format!("{}{}", t.t(kind), detail(t, &e.message)),
    }
}

/// Between a field's label and what is wrong with it (a catalogue value cannot end in a
/// space, which the English one needs).
fn sep(t: T) -> &'static str {
    if t.lang() == "en" { ": " } else { "：" }
}

/// The node's own explanation after the kind of refusal: in English it is the sentence
/// itself; in Chinese it follows, marked as the system's detail.
fn detail(t: T, message: &str) -> String {
    if message.is_empty() {
        return String::new();
    }
    if t.lang() == "en" {
        return format!(": {message}");
    }
    format!("（{}：{message}）", t.t("err-detail"))
}

/// The rules every form shares, in the reader's words.
fn rule_words(t: T, rule: &str) -> Option<String> {
    let number = |s: &str| -> Option<String> {
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    };
    let key = if rule.starts_with("must have at least 1 non-blank") {
        "err-blank"
    } else if rule.starts_with("must have at least") {
        return Some(
            t.t("err-at_least")
                .replace("{n}", &number(rule).unwrap_or_default()),
        );
    } else if rule.starts_with("must have at most") {
        return Some(
            t.t("err-at_most")
                .replace("{n}", &number(rule).unwrap_or_default()),
        );
    } else if rule.starts_with("must not contain control characters") {
        "err-control"
    } else if rule.starts_with("must be a whole number") || rule.starts_with("invalid type") {
        "err-number"
    } else if rule.starts_with("was sent more than once") {
        "err-twice"
    } else if rule.starts_with("must be a date") {
        "err-date"
    } else if rule.starts_with("must be a time of day") {
        "err-time"
    } else if rule.starts_with("must lie ahead") {
        "err-ahead"
    } else if rule.starts_with("unknown variant")
        || rule.starts_with("expected one of")
        || rule.starts_with("must be true or false")
    {
        "err-choice"
    } else if rule.starts_with("missing field") {
        "err-required"
    } else if rule.starts_with("8 to 256 characters") {
        "err-password_length"
    } else if rule.starts_with("invalid value") || rule.starts_with("must be at least 1") {
        "err-number"
    } else {
        return None;
    };
    Some(t.t(key).into_owned())
}

/// Whole refusals a person meets often, worded for them.
fn known_sentence(t: T, message: &str) -> Option<String> {
    // A refusal this UI worded itself (no Latin letters) is already the reader's.
    if !message.chars().any(|c| c.is_ascii_alphabetic()) {
        return Some(message.to_owned());
    }
    let key = if message.contains("the form is over 64 KiB") {
        "err-too_large"
    } else if message.contains("cross-site request refused") {
        "err-cross_site"
    } else if message.starts_with("this needs the role") {
        "admin_only"
    } else if message.contains("already claimed need") || message.contains("already has a claim") {
        "err-already_claimed"
    } else if message.contains("an organisation does not claim its own need") {
        "err-own_need"
    } else if message.contains("is already fulfilled")
        || message.ends_with("is fulfilled")
        || message.contains("a fulfilled need cannot be changed")
    {
        "err-need_fulfilled"
    } else if message.contains("is already at the street level") {
        "err-already_street"
    } else if message.contains("confirm or reopen it first") {
        "err-claim_under_way"
    } else if message.contains("the offer is withdrawn") {
        "err-offer_withdrawn"
    } else if message.contains("wrong password") || message.contains("current password") {
        "err-password_wrong"
    } else {
        return None;
    };
    Some(t.t(key).into_owned())
}

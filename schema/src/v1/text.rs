//! Bounded text fields: the limit is enforced when a body is parsed and stated in its JSON Schema.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// A string of at most `MAX` characters (Unicode scalar values) with no control characters
/// other than newline and tab. `MIN` is the fewest characters after trimming white space.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text<const MIN: usize, const MAX: usize>(String);

/// A required short title (1–200 characters).
pub type Title = Text<1, 200>;
/// A free description (0–4,000 characters).
pub type Description = Text<0, 4000>;
/// A short label or note (0–500 characters).
pub type Note = Text<0, 500>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must have at least {0} non-blank character(s)")]
    TooShort(usize),
    #[error("must have at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    Control,
}

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    pub fn new(s: impl Into<String>) -> Result<Self, TextError> {
        let s = s.into();
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(TextError::Control);
        }
        if s.chars().count() > MAX {
            return Err(TextError::TooLong(MAX));
        }
        if s.trim().chars().count() < MIN {
            return Err(TextError::TooShort(MIN));
        }
        Ok(Text(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The empty text, for fields that may be empty (a description, a note).
impl<const MAX: usize> Default for Text<0, MAX> {
    fn default() -> Self {
        Text(String::new())
    }
}

impl<const MIN: usize, const MAX: usize> TryFrom<String> for Text<MIN, MAX> {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, TextError> {
        Text::new(s)
    }
}

impl<const MIN: usize, const MAX: usize> From<Text<MIN, MAX>> for String {
    fn from(t: Text<MIN, MAX>) -> String {
        t.0
    }
}

impl<const MIN: usize, const MAX: usize> fmt::Display for Text<MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MIN: usize, const MAX: usize> JsonSchema for Text<MIN, MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("Text_{MIN}_{MAX}").into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": MIN,
            "maxLength": MAX,
            "description": "Text without control characters other than newline and tab; `minLength` counts non-blank characters."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(Title::new("社区便民驿站").is_ok());
        assert_eq!(Title::new("  "), Err(TextError::TooShort(1)));
        assert_eq!(Title::new("a".repeat(201)), Err(TextError::TooLong(200)));
        assert_eq!(Title::new("a\u{0}b"), Err(TextError::Control));
        assert!(Description::new("").is_ok());
        assert!(Title::new("字".repeat(200)).is_ok());
    }
}

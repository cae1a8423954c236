//! Reading typed values out of spanned TOML, with a diagnostic (file, line, column, hint) for
//! every value of the wrong type. The loader's other parts build on these.

use crate::diagnostic::{Diagnostic, Location, did_you_mean};
use regex::Regex;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The state of checking one suite file: where problems are collected.
pub(super) struct Check<'a> {
    pub(super) file: &'a Path,
    pub(super) source: &'a str,
    pub(super) problems: Vec<Diagnostic>,
}

pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// A problem just recorded, to which a hint may be added.
pub(super) struct Reported<'p>(&'p mut Diagnostic);

impl Reported<'_> {
    pub(super) fn hint(self, hint: impl Into<String>) {
        self.0.hint = Some(hint.into());
    }

    /// Keeps the place but drops the quoted source line: for a value that must not be
    /// repeated (a secret pasted where it does not belong).
    pub(super) fn without_excerpt(self) -> Self {
        if let Some(location) = &mut self.0.location {
            location.source_line = None;
        }
        self
    }
}

impl<'a> Check<'a> {
    pub(super) fn at(&self, span: Range<usize>) -> Location {
        Location::of_span(self.file, self.source, span)
    }

    /// Records a problem at `span`; chain `.hint(..)` to say what to do about it.
    pub(super) fn error(&mut self, span: Range<usize>, message: impl Into<String>) -> Reported<'_> {
        let problem = Diagnostic::new(message).at(self.at(span));
        self.problems.push(problem);
        Reported(self.problems.last_mut().expect("just pushed"))
    }

    pub(super) fn wrong_type(&mut self, key: &str, wanted: &str, value: &Value<'_>) {
        let found = value.get_ref().type_str();
        self.error(
            value.span(),
            format!("`{key}` must be {wanted}, found {found}"),
        );
    }

    pub(super) fn unknown_key(
        &mut self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        place: &str,
        known: &[&str],
    ) {
        let name = key.get_ref().as_ref();
        let hint = match did_you_mean(name, known.iter().copied()) {
            Some(guess) => format!("did you mean `{guess}`?"),
            None => format!("known keys {place}: {}", known.join(", ")),
        };
        self.error(key.span(), format!("unknown key `{name}` {place}"))
            .hint(hint);
    }

    pub(super) fn string(&mut self, key: &str, value: &Value<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            _ => {
                self.wrong_type(key, "a string", value);
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, key: &str, value: &Value<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(key, "true or false", value);
                None
            }
        }
    }

    pub(super) fn number(&mut self, key: &str, value: &Value<'_>) -> Option<f64> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|i| i as f64),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            _ => {
                self.wrong_type(key, "a number", value);
                return None;
            }
        };
        if parsed.is_none_or(|n| !n.is_finite()) {
            self.error(value.span(), format!("`{key}` must be a finite number"));
            return None;
        }
        parsed
    }

    pub(super) fn integer(&mut self, key: &str, value: &Value<'_>) -> Option<i64> {
        match value.get_ref() {
            DeValue::Integer(i) => {
                let parsed = i64::from_str_radix(i.as_str(), i.radix()).ok();
                if parsed.is_none() {
                    self.error(value.span(), format!("`{key}` does not fit in 64 bits"));
                }
                parsed
            }
            _ => {
                self.wrong_type(key, "a whole number", value);
                None
            }
        }
    }

    pub(super) fn whole_number(&mut self, key: &str, value: &Value<'_>, min: i64) -> Option<usize> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => {
                self.wrong_type(key, "a whole number", value);
                return None;
            }
        };
        match parsed {
            Some(n) if n >= min => usize::try_from(n).ok(),
            _ => {
                self.error(
                    value.span(),
                    format!("`{key}` must be a whole number of at least {min}"),
                );
                None
            }
        }
    }

    pub(super) fn strings(
        &mut self,
        key: &str,
        value: &Value<'_>,
    ) -> Option<Vec<(String, Range<usize>)>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, "an array of strings", value);
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(text) => out.push((text.to_string(), item.span())),
                other => {
                    self.error(
                        item.span(),
                        format!(
                            "every item of `{key}` must be a string, found {}",
                            other.type_str()
                        ),
                    );
                }
            }
        }
        (out.len() == items.len()).then_some(out)
    }

    pub(super) fn table<'t, 'i>(
        &mut self,
        key: &str,
        value: &'t Value<'i>,
    ) -> Option<&'t DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.wrong_type(key, "a table", value);
                None
            }
        }
    }

    pub(super) fn regex(&mut self, key: &str, value: &Value<'_>) -> Option<Regex> {
        let pattern = self.string(key, value)?;
        match Regex::new(&pattern) {
            Ok(regex) => Some(regex),
            Err(error) => {
                let detail = error
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .to_string();
                let message = format!("`{key}` is not a valid regular expression: {detail}");
                self.error(value.span(), message).hint(
                    "the syntax is that of the Rust regex crate; \
                     escape `\\` as `\\\\` in basic strings or use a 'literal string'",
                );
                None
            }
        }
    }
}

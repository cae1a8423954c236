//! Prompt templates: `{{input}}` and `{{vars.NAME}}`, checked when the suite loads.
//!
//! `{{expected}}` is deliberately not a placeholder: the expected answer must never reach the
//! model. Any other `{{ ... }}` is an error at load time, so a typo cannot silently send the
//! placeholder text to the model.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Text(String),
    Input,
    Var(String),
}

/// A parsed prompt template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// A placeholder the template language does not know, and where it sits in the template.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownPlaceholder {
    pub text: String,
    pub offset: usize,
}

impl Default for Template {
    /// The template used when a suite gives no prompt: the input alone.
    fn default() -> Self {
        Template {
            segments: vec![Segment::Input],
        }
    }
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, Vec<UnknownPlaceholder>> {
        let mut segments = Vec::new();
        let mut unknown = Vec::new();
        let mut rest = source;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            let Some(close) = rest[open..].find("}}") else {
                break;
            };
            let inner = rest[open + 2..open + close].trim();
            if open > 0 {
                segments.push(Segment::Text(rest[..open].to_string()));
            }
            match inner.strip_prefix("vars.") {
                _ if inner == "input" => segments.push(Segment::Input),
                Some(name) if is_var_name(name) => segments.push(Segment::Var(name.to_string())),
                _ => unknown.push(UnknownPlaceholder {
                    text: rest[open..open + close + 2].to_string(),
                    offset: offset + open,
                }),
            }
            offset += open + close + 2;
            rest = &rest[open + close + 2..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_string()));
        }
        if unknown.is_empty() {
            Ok(Template { segments })
        } else {
            Err(unknown)
        }
    }

    /// The names of the `{{vars.NAME}}` placeholders, in order of first use.
    pub fn vars(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for segment in &self.segments {
            if let Segment::Var(name) = segment
                && !names.contains(&name.as_str())
            {
                names.push(name);
            }
        }
        names
    }

    /// Fills the template. Every var it names must be present (checked at load time).
    pub fn render(&self, input: &str, vars: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Input => out.push_str(input),
                Segment::Var(name) => out.push_str(vars.get(name).map_or("", String::as_str)),
            }
        }
        out
    }
}

fn is_var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_input_and_vars() {
        let t = Template::parse("Say it in {{ vars.lang }}:\n{{input}} ({{vars.lang}})").unwrap();
        let vars = BTreeMap::from([("lang".to_string(), "fr".to_string())]);
        assert_eq!(t.render("hello", &vars), "Say it in fr:\nhello (fr)");
        assert_eq!(t.vars(), ["lang"]);
    }

    #[test]
    fn expected_and_typos_are_unknown() {
        let errors = Template::parse("{{input}} {{expected}} {{ imput }}").unwrap_err();
        let texts: Vec<_> = errors.iter().map(|e| (e.text.as_str(), e.offset)).collect();
        assert_eq!(texts, [("{{expected}}", 10), ("{{ imput }}", 23)]);
    }

    #[test]
    fn unclosed_braces_are_text() {
        let t = Template::parse("a {{ b").unwrap();
        assert_eq!(t.render("x", &BTreeMap::new()), "a {{ b");
    }
}

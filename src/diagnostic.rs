//! Problems found in the user's input, each with a place, a message and the next step.
//!
//! Suite loading collects every problem it can find and reports them together, in the shape
//! compilers use: the message, `--> file:line:column`, the offending source line with a marker,
//! and a hint that says what to do.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a suite file, a cases file or a command-line argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub location: Option<Location>,
    pub hint: Option<String>,
}

/// A place in a file: 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The text of the line, for the excerpt under the message.
    pub source_line: Option<String>,
    /// How many characters of `source_line` to underline, starting at `column`.
    pub width: usize,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            location: None,
            hint: None,
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl Location {
    /// A location with no excerpt (for files that are not shown, such as a CSV row).
    pub fn line(file: &Path, line: usize, column: usize) -> Self {
        Location {
            file: file.to_path_buf(),
            line,
            column,
            source_line: None,
            width: 0,
        }
    }

    /// The location of a byte range in `source`, with the line's text kept for the excerpt.
    pub fn of_span(file: &Path, source: &str, span: std::ops::Range<usize>) -> Self {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let text = source[line_start..line_end].trim_end_matches('\r');
        let end = floor_char_boundary(source, span.end.clamp(start, line_end));
        let width = source[start..end].chars().count().max(1);
        Location {
            file: file.to_path_buf(),
            line,
            column,
            source_line: Some(text.to_string()),
            width,
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if let Some(location) = &self.location {
            let number = location.line.to_string();
            let pad = " ".repeat(number.len());
            writeln!(
                f,
                "{pad}--> {}:{}:{}",
                location.file.display(),
                location.line,
                location.column
            )?;
            if let Some(text) = &location.source_line {
                let shown: String = text.chars().take(200).map(tab_as_space).collect();
                let marker_at = (location.column - 1).min(shown.chars().count());
                let width = location
                    .width
                    .min(shown.chars().count().saturating_sub(marker_at))
                    .max(1);
                writeln!(f, "{pad} |")?;
                writeln!(f, "{number} | {shown}")?;
                writeln!(f, "{pad} | {}{}", " ".repeat(marker_at), "^".repeat(width))?;
            }
        }
        if let Some(hint) = &self.hint {
            let pad = self
                .location
                .as_ref()
                .map_or(0, |l| l.line.to_string().len());
            writeln!(f, "{} = hint: {hint}", " ".repeat(pad))?;
        }
        Ok(())
    }
}

fn tab_as_space(c: char) -> char {
    if c == '\t' { ' ' } else { c }
}

/// Several diagnostics, displayed one after another with a closing count.
pub struct Diagnostics<'a>(pub &'a [Diagnostic]);

impl fmt::Display for Diagnostics<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        let n = self.0.len();
        write!(f, "{n} problem{} found", if n == 1 { "" } else { "s" })
    }
}

/// How many problems of one data file (cases file, cassette) are shown.
pub const MAX_PROBLEMS_SHOWN: usize = 20;

/// At most `limit` of one file's problems, and a last one that counts the rest: a file that
/// is wrong on every line (the wrong file named) must not bury everything else.
pub fn capped(mut problems: Vec<Diagnostic>, file: &Path, limit: usize) -> Vec<Diagnostic> {
    if problems.len() > limit {
        let rest = problems.len() - limit;
        problems.truncate(limit);
        problems.push(
            Diagnostic::new(format!("… and {rest} more problems in {}", file.display()))
                .hint("fix the ones above first; is it the file you meant?"),
        );
    }
    problems
}

/// The closest candidate to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_maps_to_line_and_character_column() {
        let source = "a = 1\nname = \"é x\"\n";
        let at = source.find('x').unwrap();
        let location = Location::of_span(Path::new("s.toml"), source, at..at + 1);
        assert_eq!((location.line, location.column), (2, 11));
        assert_eq!(location.source_line.as_deref(), Some("name = \"é x\""));
    }

    #[test]
    fn display_underlines_the_span() {
        let source = "acuracy = 0.8\n";
        let d = Diagnostic::new("unknown metric `acuracy`")
            .at(Location::of_span(Path::new("s.toml"), source, 0..7))
            .hint("did you mean `accuracy`?");
        let text = d.to_string();
        assert!(text.contains("--> s.toml:1:1"), "{text}");
        assert!(text.contains("1 | acuracy = 0.8\n  | ^^^^^^^\n"), "{text}");
        assert!(
            text.ends_with("= hint: did you mean `accuracy`?\n"),
            "{text}"
        );
    }

    #[test]
    fn tabs_keep_the_marker_under_its_text() {
        let source = "\tacuracy = 0.8\n";
        let d = Diagnostic::new("x").at(Location::of_span(Path::new("s.toml"), source, 1..8));
        let text = d.to_string();
        assert!(
            text.contains("1 |  acuracy = 0.8\n  |  ^^^^^^^\n"),
            "{text}"
        );
    }

    #[test]
    fn problems_of_one_file_are_capped() {
        let many = vec![Diagnostic::new("bad"); 25];
        let shown = capped(many, Path::new("c.jsonl"), 20);
        assert_eq!(shown.len(), 21);
        assert_eq!(shown[20].message, "… and 5 more problems in c.jsonl");
        assert_eq!(
            capped(vec![Diagnostic::new("x")], Path::new("c"), 20).len(),
            1
        );
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        assert_eq!(
            did_you_mean("acuracy", ["accuracy", "f1_macro"]),
            Some("accuracy")
        );
        assert_eq!(did_you_mean("zzz", ["accuracy", "f1_macro"]), None);
    }
}

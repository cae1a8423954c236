//! Inline diffs of expected against actual text, readable without colour.
//!
//! libtest strips colours when output is not a terminal, so changes are marked in the text
//! itself, as `git diff --word-diff` does: `[-removed-]` and `{+added+}`. Single-line texts get a
//! word diff; multi-line texts a line diff (`- `/`+ ` prefixes) with the changed words marked.

use similar::{ChangeTag, TextDiff};
use std::time::Duration;

/// How many lines of a multi-line diff are shown before the rest is summarised.
const MAX_LINES: usize = 60;
/// How many characters of each side a word diff compares; a runaway output is cut there.
const MAX_WORD_DIFF_CHARS: usize = 2000;
/// Past this, the diff algorithm settles for a coarser diff rather than take longer.
const TIME_LIMIT: Duration = Duration::from_millis(500);

pub fn inline(expected: &str, actual: &str) -> String {
    if !expected.contains('\n') && !actual.contains('\n') {
        let cut = |text: &str| match text.char_indices().nth(MAX_WORD_DIFF_CHARS) {
            Some((at, _)) => (text[..at].to_string(), true),
            None => (text.to_string(), false),
        };
        let ((expected, cut_expected), (actual, cut_actual)) = (cut(expected), cut(actual));
        let mut diff = words(&expected, &actual);
        if cut_expected || cut_actual {
            diff.push_str(&format!(
                " … (the first {MAX_WORD_DIFF_CHARS} characters of each side)"
            ));
        }
        return diff;
    }
    let diff = TextDiff::configure()
        .timeout(TIME_LIMIT)
        .diff_lines(expected, actual);
    let mut lines = Vec::new();
    for op in diff.ops() {
        for change in diff.iter_inline_changes(op) {
            let (prefix, open, close) = match change.tag() {
                ChangeTag::Equal => ("  ", "", ""),
                ChangeTag::Delete => ("- ", "[-", "-]"),
                ChangeTag::Insert => ("+ ", "{+", "+}"),
            };
            let mut line = String::from(prefix);
            let whole_line_changed = change.values().iter().all(|(emphasized, _)| *emphasized);
            for (emphasized, text) in change.values() {
                let text = text.trim_end_matches(['\n', '\r']);
                if *emphasized && !whole_line_changed && !text.is_empty() {
                    line.push_str(open);
                    line.push_str(text);
                    line.push_str(close);
                } else {
                    line.push_str(text);
                }
            }
            lines.push(line);
        }
    }
    if lines.len() > MAX_LINES {
        let rest = lines.len() - MAX_LINES;
        lines.truncate(MAX_LINES);
        lines.push(format!("  ... {rest} more lines"));
    }
    lines.join("\n")
}

/// A diff (or any text) indented by four spaces, to sit under the line that introduces it.
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Multi-line text set off with `|` at the start of each line, so blank lines and surrounding
/// whitespace stay visible; `(empty)` for no text.
pub fn fenced(text: &str) -> String {
    if text.is_empty() {
        return "  | (empty)".to_string();
    }
    text.split('\n')
        .map(|line| format!("  | {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A word diff, merging runs of the same change so `[-a b-]{+c d+}` reads as one edit.
fn words(expected: &str, actual: &str) -> String {
    let diff = TextDiff::configure()
        .timeout(TIME_LIMIT)
        .diff_unicode_words(expected, actual);
    let mut out = String::new();
    let mut removed = String::new();
    let mut added = String::new();
    let flush = |out: &mut String, removed: &mut String, added: &mut String| {
        if !removed.is_empty() {
            out.push_str(&format!("[-{removed}-]"));
            removed.clear();
        }
        if !added.is_empty() {
            out.push_str(&format!("{{+{added}+}}"));
            added.clear();
        }
    };
    let changes: Vec<_> = diff.iter_all_changes().collect();
    for (i, change) in changes.iter().enumerate() {
        let value = change.value();
        match change.tag() {
            ChangeTag::Delete => removed.push_str(value),
            ChangeTag::Insert => added.push_str(value),
            ChangeTag::Equal => {
                // Whitespace between two replacements joins them into one, so `a b` → `x y`
                // reads `[-a b-]{+x y+}`. It is text of both sides, so it goes to both.
                let joins_replacements = value.trim().is_empty()
                    && !removed.is_empty()
                    && !added.is_empty()
                    && changes
                        .get(i + 1)
                        .is_some_and(|next| next.tag() != ChangeTag::Equal);
                if joins_replacements {
                    removed.push_str(value);
                    added.push_str(value);
                    continue;
                }
                flush(&mut out, &mut removed, &mut added);
                out.push_str(value);
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_the_changed_words() {
        assert_eq!(inline("positive", "negative"), "[-positive-]{+negative+}");
        assert_eq!(
            inline("The cat sat on the mat", "The dog sat on a mat"),
            "The [-cat-]{+dog+} sat on [-the-]{+a+} mat"
        );
    }

    #[test]
    fn a_runaway_output_is_diffed_only_in_its_first_characters() {
        let reference = "Bonne nuit.";
        let runaway = "Je suis toujou, ".repeat(2000);
        let diff = inline(reference, &runaway);
        assert!(diff.chars().count() < 2200, "{} characters", diff.len());
        assert!(
            diff.ends_with(" … (the first 2000 characters of each side)"),
            "{diff}"
        );
        assert!(!inline("a b", "a c").contains('…'));
    }

    #[test]
    fn adjacent_word_edits_merge() {
        assert_eq!(inline("a b c d", "a x y d"), "a [-b c-]{+x y+} d");
    }

    /// The two texts, rebuilt from a word diff: the old side drops `{+...+}`, the new `[-...-]`.
    fn sides(diff: &str) -> (String, String) {
        let (mut old, mut new) = (String::new(), String::new());
        let mut rest = diff;
        while !rest.is_empty() {
            if let Some(inner) = rest.strip_prefix("[-") {
                let end = inner.find("-]").unwrap();
                old.push_str(&inner[..end]);
                rest = &inner[end + 2..];
            } else if let Some(inner) = rest.strip_prefix("{+") {
                let end = inner.find("+}").unwrap();
                new.push_str(&inner[..end]);
                rest = &inner[end + 2..];
            } else {
                let c = rest.chars().next().unwrap();
                old.push(c);
                new.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        (old, new)
    }

    #[test]
    fn word_diff_keeps_both_texts_whole() {
        assert_eq!(
            sides(&inline("cat cat cat d a", "b d a cat c")),
            ("cat cat cat d a".to_string(), "b d a cat c".to_string())
        );
        // Random word strings over a small vocabulary, so that they share words.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let words = ["a", "b", "cat", "d", "é", "x"];
        for _ in 0..5_000 {
            let mut text = || {
                let n = (next() % 7) as usize;
                (0..n)
                    .map(|_| words[(next() % 6) as usize])
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let (old, new) = (text(), text());
            assert_eq!(
                sides(&inline(&old, &new)),
                (old.clone(), new.clone()),
                "{old:?} → {new:?}"
            );
        }
    }

    #[test]
    fn line_diff_for_multi_line_text() {
        let diff = inline("one\ntwo three\nfour\n", "one\ntwo 3\nfour\n");
        assert_eq!(diff, "  one\n- two [-three-]\n+ two {+3+}\n  four");
    }

    #[test]
    fn identical_text_has_no_markers() {
        assert_eq!(inline("same", "same"), "same");
    }
}

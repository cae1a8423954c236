//! Inline diffs of expected against actual text, readable without colour.
//!
//! libtest strips colours when output is not a terminal, so changes are marked in the text
//! itself, as `git diff --word-diff` does: `[-removed-]` and `{+added+}`. Single-line texts get a
//! word diff; multi-line texts a line diff (`- `/`+ ` prefixes) with the changed words marked.

use similar::{ChangeTag, TextDiff};

/// How many lines of a multi-line diff are shown before the rest is summarised.
const MAX_LINES: usize = 60;

pub fn inline(expected: &str, actual: &str) -> String {
    if !expected.contains('\n') && !actual.contains('\n') {
        return words(expected, actual);
    }
    let diff = TextDiff::from_lines(expected, actual);
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

/// A word diff, merging runs of the same change so `[-a b-]{+c d+}` reads as one edit.
fn words(expected: &str, actual: &str) -> String {
    let diff = TextDiff::from_unicode_words(expected, actual);
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
                // Whitespace between two edits belongs to the edit, so it reads as one.
                let between_edits = value.trim().is_empty()
                    && (!removed.is_empty() || !added.is_empty())
                    && changes
                        .get(i + 1)
                        .is_some_and(|next| next.tag() != ChangeTag::Equal);
                if between_edits {
                    if !removed.is_empty() {
                        removed.push_str(value);
                    }
                    if !added.is_empty() {
                        added.push_str(value);
                    }
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
    fn adjacent_word_edits_merge() {
        assert_eq!(inline("a b c d", "a x y d"), "a [-b c-]{+x y+} d");
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

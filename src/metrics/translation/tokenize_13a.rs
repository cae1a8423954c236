//! sacreBLEU's `13a` tokenizer (`Tokenizer13a`, the mteval-v13a.pl rules), BLEU's default.
//!
//! Steps, in sacreBLEU's order:
//!
//! 1. Remove `<skipped>`, then `-\n` (a hyphenated line break joins the two halves), then turn
//!    each remaining `\n` into a space. Then decode, one after the other, `&quot;` → `"`,
//!    `&amp;` → `&`, `&lt;` → `<`, `&gt;` → `>` (sequential replacements: `&amp;lt;` becomes
//!    `&lt;` and then `<`). No other entity is decoded.
//! 2. Pad the line with a space on each side, then apply four regular expressions, each over the
//!    whole line, left to right, matches not overlapping:
//!    - ``([\{-\~\[-\` -\&\(-\+\:-\@\/])`` → ` \1 `: every ASCII punctuation character except
//!      `'`, `,`, `-` and `.` is split off (and a space becomes three);
//!    - `([^0-9])([\.,])` → `\1 \2 `: a period or comma not preceded by a digit;
//!    - `([\.,])([^0-9])` → ` \1 \2`: a period or comma not followed by a digit;
//!    - `([0-9])(-)` → `\1 \2 `: a dash preceded by a digit.
//!
//!    So `1,000.50` and `3.14` stay whole, `3.14,` loses its comma, `e.g.,` becomes
//!    `e . g . ,` and `5-6` becomes `5 - 6` while `-5` and `a-b` stay.
//! 3. Split on whitespace (Python's: Unicode `White_Space` plus U+001C..U+001F) and join the
//!    pieces with single spaces.
//!
//! Every pattern is ASCII, so the passes run over UTF-8 bytes: a multi-byte character only ever
//! fills a `[^0-9]` slot, and its bytes are copied unchanged, which gives the same output as
//! Python's code-point matching.
//!
//! BLEU applies Python's `rstrip()` to a segment *before* this tokenizer (which matters for a
//! trailing `-\n`: `"a-\n"` is tokenized as `a-`).

use super::common::is_py_whitespace;

/// Tokenizes `line` exactly as sacreBLEU 2.6.0's `Tokenizer13a()(line)` does: tokens separated
/// by single spaces, no leading or trailing space.
///
/// BLEU tokenizes `line.rstrip()` (see the module docs), not `line`.
pub fn tokenize_13a(line: &str) -> String {
    let mut tokenizer = Tokenizer13a::default();
    let mut out = String::new();
    tokenizer.tokenize_into(line, &mut out);
    out
}

/// The 13a tokenizer with reusable buffers.
#[derive(Default)]
pub(crate) struct Tokenizer13a {
    a: Vec<u8>,
    b: Vec<u8>,
}

/// ASCII characters the first expression splits off: `{|}~`, ``[\]^_` ``, space to `&`, `(` to
/// `+`, `:` to `@`, and `/`.
const SPLITS_OFF: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, 0x7B..=0x7E | 0x5B..=0x60 | 0x20..=0x26 | 0x28..=0x2B | 0x3A..=0x40 | b'/');
        b += 1;
    }
    table
};

/// Python's whitespace among the ASCII characters: `\t\n\v\f\r`, U+001C..U+001F and space.
const ASCII_WHITESPACE: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = matches!(b as u8, 0x09..=0x0D | 0x1C..=0x20);
        b += 1;
    }
    table
};

#[inline]
fn is_period_or_comma(b: u8) -> bool {
    b == b'.' || b == b','
}

/// Pass 1 over ` {line} `: every byte of [`SPLITS_OFF`] becomes ` c `.
fn split_off_punctuation(line: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(line.len() + 16);
    // The padding space is split off like every space.
    out.extend_from_slice(b"   ");
    let mut copied = 0;
    for (i, &c) in line.iter().enumerate() {
        if SPLITS_OFF[usize::from(c)] {
            out.extend_from_slice(&line[copied..i]);
            out.extend_from_slice(&[b' ', c, b' ']);
            copied = i + 1;
        }
    }
    out.extend_from_slice(&line[copied..]);
    out.extend_from_slice(b"   ");
}

// Passes 2 to 4 each match two characters, left to right, without overlap: a match is tried at
// every position the previous match did not consume (`consumed` is the end of the last match,
// so a match starting at `j - 1` needs `j > consumed`). Only pairs with a `.`, `,` or `-` can
// match, so the rest is copied in runs.

/// Pass 2: `([^0-9])([\.,])` → `\1 \2 `.
fn space_period_after_non_digit(s: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(s.len() + 16);
    let (mut copied, mut consumed) = (0, 0);
    for j in 1..s.len() {
        if is_period_or_comma(s[j]) && j > consumed && !s[j - 1].is_ascii_digit() {
            out.extend_from_slice(&s[copied..j]);
            out.extend_from_slice(&[b' ', s[j], b' ']);
            copied = j + 1;
            consumed = j + 1;
        }
    }
    out.extend_from_slice(&s[copied..]);
}

/// Pass 3: `([\.,])([^0-9])` → ` \1 \2`.
fn space_period_before_non_digit(s: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(s.len() + 16);
    let (mut copied, mut consumed) = (0, 0);
    for j in 0..s.len().saturating_sub(1) {
        if is_period_or_comma(s[j]) && j >= consumed && !s[j + 1].is_ascii_digit() {
            out.extend_from_slice(&s[copied..j]);
            out.extend_from_slice(&[b' ', s[j], b' ', s[j + 1]]);
            copied = j + 2;
            consumed = j + 2;
        }
    }
    out.extend_from_slice(&s[copied..]);
}

/// Pass 4: `([0-9])(-)` → `\1 \2 `.
fn space_dash_after_digit(s: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(s.len() + 16);
    let (mut copied, mut consumed) = (0, 0);
    for j in 1..s.len() {
        if s[j] == b'-' && j > consumed && s[j - 1].is_ascii_digit() {
            out.extend_from_slice(&s[copied..j]);
            out.extend_from_slice(b" - ");
            copied = j + 1;
            consumed = j + 1;
        }
    }
    out.extend_from_slice(&s[copied..]);
}

/// Appends the whitespace-separated words of `text` to `out`, separated by single spaces.
fn join_words(text: &str, out: &mut String) {
    let start = out.len();
    let mut push = |word: &str| {
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(word);
    };
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let mut word_start = None;
        for (i, &b) in bytes.iter().enumerate() {
            match (ASCII_WHITESPACE[usize::from(b)], word_start) {
                (true, Some(w)) => {
                    push(&text[w..i]);
                    word_start = None;
                }
                (false, None) => word_start = Some(i),
                _ => {}
            }
        }
        if let Some(w) = word_start {
            push(&text[w..]);
        }
    } else {
        for word in text.split(is_py_whitespace).filter(|w| !w.is_empty()) {
            push(word);
        }
    }
}

impl Tokenizer13a {
    /// Appends the tokenization of `line` to `out` (tokens separated by single spaces; nothing
    /// is appended for a line without tokens).
    pub(crate) fn tokenize_into(&mut self, line: &str, out: &mut String) {
        // Step 1, the language-independent part. The replacements only apply when one of their
        // patterns' characters occurs at all.
        let replaced;
        let line = if line.bytes().any(|b| matches!(b, b'<' | b'\n' | b'&')) {
            let mut s = line.replace("<skipped>", "");
            s = s.replace("-\n", "");
            s = s.replace('\n', " ");
            if s.contains('&') {
                s = s.replace("&quot;", "\"");
                s = s.replace("&amp;", "&");
                s = s.replace("&lt;", "<");
                s = s.replace("&gt;", ">");
            }
            replaced = s;
            replaced.as_str()
        } else {
            line
        };

        // Step 2. Passes 2 and 3 only change lines with a period or comma, pass 4 only lines
        // with a dash.
        let (a, b) = (&mut self.a, &mut self.b);
        split_off_punctuation(line.as_bytes(), a);
        if line.bytes().any(is_period_or_comma) {
            space_period_after_non_digit(a, b);
            space_period_before_non_digit(b, a);
        }
        if line.contains('-') {
            space_dash_after_digit(a, b);
            std::mem::swap(a, b);
        }

        // Step 3. Only ASCII bytes were inserted, next to ASCII bytes, so this is still UTF-8.
        let text = std::str::from_utf8(a).expect("the 13a passes keep UTF-8 intact");
        join_words(text, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs of sacreBLEU 2.6.0's `Tokenizer13a()`.
    #[test]
    fn matches_sacrebleu_examples() {
        let cases = [
            ("a..b", "a . . b"),
            ("1,000.50 and 3.14, x.y", "1,000.50 and 3.14 , x . y"),
            ("&amp;lt; &quot;hi&quot; &amp;amp;", "< \" hi \" & amp ;"),
            ("abc-\ndef", "abcdef"),
            ("x<skipped>y", "xy"),
            ("5-6 -5 a-b", "5 - 6 -5 a-b"),
            ("e.g., U.S.A.", "e . g . , U . S . A ."),
            ("é.ü,1.2", "é . ü , 1.2"),
            (
                "Hello,world!It's 3.5$-ish (approx.)",
                "Hello , world ! It's 3.5 $ -ish ( approx . )",
            ),
            ("", ""),
            (" \t ", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(tokenize_13a(input), expected, "input {input:?}");
        }
    }

    /// The passes as written in sacreBLEU, character by character: the reference for the
    /// faster ones above.
    fn reference_13a(line: &str) -> String {
        let mut s = line.replace("<skipped>", "");
        s = s.replace("-\n", "").replace('\n', " ");
        s = s.replace("&quot;", "\"").replace("&amp;", "&");
        s = s.replace("&lt;", "<").replace("&gt;", ">");
        let chars: Vec<char> = format!(" {s} ").chars().collect();
        let splits = |c: char| c.is_ascii() && SPLITS_OFF[c as usize];
        let mut a = Vec::new();
        for c in chars {
            if splits(c) {
                a.extend([' ', c, ' ']);
            } else {
                a.push(c);
            }
        }
        // (first character's class, second character's class, replacement)
        type Pass = (fn(char) -> bool, fn(char) -> bool, &'static str);
        let passes: [Pass; 3] = [
            (|c| !c.is_ascii_digit(), |c| c == '.' || c == ',', "1 2 "),
            (|c| c == '.' || c == ',', |c| !c.is_ascii_digit(), " 1 2"),
            (|c| c.is_ascii_digit(), |c| c == '-', "1 2 "),
        ];
        for (first, second, replacement) in passes {
            let mut b = Vec::new();
            let mut i = 0;
            while i < a.len() {
                if i + 1 < a.len() && first(a[i]) && second(a[i + 1]) {
                    for r in replacement.chars() {
                        b.push(match r {
                            '1' => a[i],
                            '2' => a[i + 1],
                            other => other,
                        });
                    }
                    i += 2;
                } else {
                    b.push(a[i]);
                    i += 1;
                }
            }
            a = b;
        }
        let text: String = a.into_iter().collect();
        text.split(is_py_whitespace)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// xorshift64, fixed seed.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn same_as_the_passes_written_out() {
        let pieces = [
            "a",
            "B",
            "é",
            "中",
            "😀",
            "0",
            "7",
            ".",
            ",",
            "-",
            "'",
            "&",
            ";",
            "&amp;",
            "&lt;",
            "&quot;",
            "<skipped>",
            "<",
            ">",
            "$",
            "(",
            "/",
            "\\",
            "@",
            "~",
            "`",
            " ",
            "  ",
            "\t",
            "\n",
            "-\n",
            "\u{a0}",
            "\u{3000}",
            "\u{1c}",
            "\u{85}",
            "\u{200b}",
            "...",
            "1.5",
            "2,3",
            "4-",
            "-5",
        ];
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let len = rng.below(24);
            let line: String = (0..len).map(|_| pieces[rng.below(pieces.len())]).collect();
            assert_eq!(tokenize_13a(&line), reference_13a(&line), "input {line:?}");
        }
    }

    #[test]
    fn ascii_whitespace_split_includes_separators() {
        assert_eq!(tokenize_13a("a\u{1c}b\u{1f}c\u{0b}d"), "a b c d");
        assert_eq!(tokenize_13a("a\u{a0}b\u{3000}c\u{200b}d"), "a b c\u{200b}d");
    }
}

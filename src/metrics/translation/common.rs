//! What BLEU and chrF share: Python's notion of whitespace, a fast hasher for n-gram keys, and
//! the pieces of sacreBLEU's signatures.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The sacreBLEU version whose results this module reproduces (printed in the signatures).
pub(crate) const SACREBLEU_VERSION: &str = "2.6.0";

/// Python's `str.isspace()`, which is what `str.split()` and `str.rstrip()` split and strip on:
/// Unicode `White_Space` (Rust's [`char::is_whitespace`]) plus the information separators
/// U+001C..U+001F, which Python counts as whitespace (bidirectional class B or S) and Rust does
/// not.
#[inline]
pub(crate) fn is_py_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `s.rstrip()`.
#[inline]
pub(crate) fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(is_py_whitespace)
}

/// Python's `s.split()` (no argument): the runs of non-whitespace, in order.
#[inline]
pub(crate) fn py_split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_whitespace).filter(|w| !w.is_empty())
}

/// sacreBLEU's `nrefs` signature field: the number of references when every segment has the
/// same number, `var` otherwise (`Metric._cache_references`: the set of per-segment counts has
/// exactly one member, or the count is recorded as -1, printed as `var`). For zero segments the
/// set is empty, so this gives `var` too.
pub(crate) fn nrefs_label<I: IntoIterator<Item = usize>>(counts: I) -> String {
    let mut counts = counts.into_iter();
    match counts.next() {
        Some(first) if counts.all(|n| n == first) => first.to_string(),
        _ => "var".to_string(),
    }
}

/// A small, fast hasher for the n-gram maps: the keys are packed integers or short token
/// strings made by this crate from its inputs, so there is no need for SipHash's resistance to
/// chosen keys. Each word goes through a folded 64×64→128-bit multiply.
#[derive(Default, Clone, Copy)]
pub(crate) struct FoldHasher(u64);

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xD6E8_FEB8_6659_FD93;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            self.write_u64(word);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = fold_mul(self.0 ^ i ^ K2, K1);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.0 = fold_mul(self.0 ^ (i as u64) ^ K2, ((i >> 64) as u64) ^ K1);
        self.0 = fold_mul(self.0, K1);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FoldHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FoldHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code point for which CPython 3.11's `str.isspace()` is true.
    const PYTHON_ISSPACE: [u32; 29] = [
        0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
        0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029,
        0x202f, 0x205f, 0x3000,
    ];

    #[test]
    fn whitespace_is_pythons() {
        let ours: Vec<u32> = (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| is_py_whitespace(c))
            .map(u32::from)
            .collect();
        assert_eq!(ours, PYTHON_ISSPACE);
    }

    #[test]
    fn split_and_rstrip_like_python() {
        let s = "\u{1c}a\u{a0}b\u{3000}\u{200b}c \u{85}\n";
        assert_eq!(py_split(s).collect::<Vec<_>>(), ["a", "b", "\u{200b}c"]);
        assert_eq!(py_rstrip(s), "\u{1c}a\u{a0}b\u{3000}\u{200b}c");
        assert_eq!(py_split("   ").count(), 0);
    }

    #[test]
    fn nrefs() {
        assert_eq!(nrefs_label([2, 2, 2]), "2");
        assert_eq!(nrefs_label([1, 2]), "var");
        assert_eq!(nrefs_label([]), "var");
    }
}

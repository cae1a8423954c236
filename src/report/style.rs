//! Colour on a terminal, and only there: ANSI colours when the output is a terminal and
//! `NO_COLOR` is unset (<https://no-color.org>), or when asked for with `--color always`.
//! Colours only add to the text: diff markers (`[-removed-]`, `{+added+}`) and verdict words
//! stay, so nothing is lost without them.

use std::io::IsTerminal;

/// `--color`: `auto` (a terminal without `NO_COLOR`), `always` or `never`, as cargo spells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether text is painted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    colour: bool,
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Style {
    pub const PLAIN: Style = Style { colour: false };
    pub const COLOURED: Style = Style { colour: true };

    /// The style for standard output under `choice`.
    pub fn for_stdout(choice: ColorChoice) -> Style {
        let colour = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Style { colour }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    pub fn red(self, text: &str) -> String {
        self.paint(RED, text)
    }

    pub fn green(self, text: &str) -> String {
        self.paint(GREEN, text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint(YELLOW, text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint(BOLD, text)
    }

    /// A line of a diff or a failure message: whole `- `/`+ ` lines red or green, and within a
    /// line the `[-removed-]` parts red, the `{+added+}` parts green. The markers stay.
    pub fn diff_line(self, line: &str) -> String {
        if !self.colour {
            return line.to_string();
        }
        let whole = if line.starts_with("- ") {
            RED
        } else if line.starts_with("+ ") {
            GREEN
        } else {
            ""
        };
        let marked = ["[-", "{+"].iter().any(|marker| line.contains(marker));
        if whole.is_empty() && !marked {
            return line.to_string();
        }
        let painted = line
            .replace("[-", &format!("{RED}[-"))
            .replace("-]", &format!("-]{RESET}{whole}"))
            .replace("{+", &format!("{GREEN}{{+"))
            .replace("+}", &format!("+}}{RESET}{whole}"));
        format!("{whole}{painted}{RESET}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_marks_words_and_lines_and_keeps_the_markers() {
        assert_eq!(Style::PLAIN.diff_line("[-a-]{+b+}"), "[-a-]{+b+}");
        assert_eq!(
            Style::COLOURED.diff_line("x [-a-]{+b+}"),
            "x \x1b[31m[-a-]\x1b[0m\x1b[32m{+b+}\x1b[0m\x1b[0m"
        );
        assert_eq!(Style::COLOURED.diff_line("+ new"), "\x1b[32m+ new\x1b[0m");
        assert_eq!(Style::COLOURED.diff_line("plain text"), "plain text");
        assert_eq!(Style::PLAIN.red("FAILED"), "FAILED");
        assert_eq!(Style::COLOURED.red("FAILED"), "\x1b[31mFAILED\x1b[0m");
    }
}

//! The look of the output, decided in one place: whether to colour, the styles, and the tables.
//!
//! **Colour** is on when the stream is a terminal (and `TERM` is not `dumb`), off when it is
//! not (a pipe, a file). The conventions of <https://no-color.org> and
//! <https://bixense.com/clicolors/> apply: `NO_COLOR` (non-empty) turns colour off,
//! `CLICOLOR=0` turns it off, `CLICOLOR_FORCE` (non-zero) turns it on even when piped, and
//! `NO_COLOR` wins over `CLICOLOR_FORCE`. `--color always|never` wins over all of them. Standard
//! output and standard error are decided separately.
//!
//! **Tables** fit the terminal: on a terminal they wrap to its width (`COLUMNS` when set, else
//! the terminal's); piped or redirected they do not wrap at all, so every row stays on its lines
//! for `grep` (a cell that holds several values still spans several lines).

use std::io::IsTerminal as _;
use std::sync::OnceLock;

use anstyle::{AnsiColor, Effects, Style};
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

/// The `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour on terminals, following `NO_COLOR`, `CLICOLOR` and `CLICOLOR_FORCE`.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Sets the `--color` choice; call once, before anything is printed.
pub(crate) fn init(when: ColorWhen) {
    anstream::ColorChoice::write_global(match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    });
}

/// Whether standard output is coloured.
pub(crate) fn stdout_colored() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
    })
}

/// Whether standard error is coloured.
pub(crate) fn stderr_colored() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
    })
}

/// What a piece of text says, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Allowed, covered, passed: green.
    Good,
    /// Denied, missing, an error: red.
    Bad,
    /// A warning, a refusal that is no policy decision: yellow.
    Warn,
    /// Headings: bold.
    Strong,
}

impl Tone {
    fn style(self) -> Style {
        match self {
            Tone::Good => AnsiColor::Green.on_default(),
            Tone::Bad => AnsiColor::Red.on_default(),
            Tone::Warn => AnsiColor::Yellow.on_default(),
            Tone::Strong => Style::new().effects(Effects::BOLD),
        }
    }

    fn cell_color(self) -> Option<Color> {
        match self {
            Tone::Good => Some(Color::DarkGreen),
            Tone::Bad => Some(Color::DarkRed),
            Tone::Warn => Some(Color::DarkYellow),
            Tone::Strong => None,
        }
    }
}

/// The tone of a decision-log decision: `allow` good, denies bad, refusals a warning.
pub(crate) fn decision_tone(decision: &str) -> Tone {
    match decision {
        "allow" => Tone::Good,
        "explicit_deny" | "implicit_deny" | "deny" => Tone::Bad,
        _ => Tone::Warn,
    }
}

fn paint_if(on: bool, text: &str, tone: Tone) -> String {
    if on {
        let style = tone.style();
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}

/// Text for standard output in a tone (plain when standard output is not coloured).
pub(crate) fn paint(text: &str, tone: Tone) -> String {
    paint_if(stdout_colored(), text, tone)
}

/// Text for standard error in a tone (plain when standard error is not coloured).
pub(crate) fn paint_err(text: &str, tone: Tone) -> String {
    paint_if(stderr_colored(), text, tone)
}

/// The report markers [`highlight`] colours.
const MARKERS: &[(&str, Tone)] = &[
    ("[ok]", Tone::Good),
    ("[pass]", Tone::Good),
    ("[missing]", Tone::Bad),
    ("[FAIL]", Tone::Bad),
    ("[overreach]", Tone::Bad),
    ("[skip]", Tone::Warn),
    ("NOT covered", Tone::Bad),
    (": covered", Tone::Good),
    (": PASS", Tone::Good),
    (": FAIL", Tone::Bad),
];

/// A readable report for standard output with its status markers (`[ok]`, `[missing]`, `NOT
/// covered`, `PASS`/`FAIL`...) coloured when standard output is; otherwise the text unchanged.
pub(crate) fn highlight(text: &str) -> String {
    if !stdout_colored() {
        return text.to_owned();
    }
    let mut s = text.to_owned();
    for (marker, tone) in MARKERS {
        s = s.replace(marker, &paint_if(true, marker, *tone));
    }
    s
}

/// A table cell in a tone (styled only when standard output is coloured; see [`table`]).
pub(crate) fn cell(text: impl Into<String>, tone: Tone) -> Cell {
    let c = Cell::new(text.into());
    match tone.cell_color() {
        Some(color) => c.fg(color),
        None => c.add_attribute(Attribute::Bold),
    }
}

/// The width tables wrap to: `COLUMNS` when it is a number, else the terminal's; `None` when
/// standard output is not a terminal, or the terminal reports no usable width (a pseudo-terminal
/// of size 0 reads as a few columns): no wrapping.
fn terminal_width(t: &Table) -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w > 0)
        .or_else(|| t.width())
        .filter(|w| *w >= 20)
}

/// A table with the CLI's look: condensed UTF-8 borders, a bold header when coloured, wrapped to
/// the terminal's width on a terminal and not wrapped when piped (module documentation).
pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    match terminal_width(&t) {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    if stdout_colored() {
        t.enforce_styling();
        t.set_header(header.iter().map(|h| cell(*h, Tone::Strong)));
    } else {
        // no styling even on a terminal (NO_COLOR, --color never)
        t.force_no_tty();
        t.set_header(header.to_vec());
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones() {
        assert_eq!(decision_tone("allow"), Tone::Good);
        assert_eq!(decision_tone("implicit_deny"), Tone::Bad);
        assert_eq!(decision_tone("rejected"), Tone::Warn);
        assert_eq!(paint_if(false, "x", Tone::Bad), "x");
        assert_eq!(paint_if(true, "x", Tone::Bad), "\u{1b}[31mx\u{1b}[0m");
    }
}

//! Standard output of the commands: every command prints through [`write`] (or the `outln!` and
//! `out!` macros), never `println!`.
//!
//! A reader that stops reading (`modelarts-iam catalog actions | head -1`) closes the pipe: the
//! first write that finds it closed ends the output quietly, the following writes are dropped,
//! and the command finishes and exits with its own status (no panic, no message, no 141). Any
//! other write error (a full disk) is an error of the command (exit 1).

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write found standard output closed.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes bytes to standard output (see the module documentation for closed pipes).
pub(crate) fn write(bytes: &[u8]) -> anyhow::Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
    }
}

/// Writes text to standard output.
pub(crate) fn write_str(text: &str) -> anyhow::Result<()> {
    write(text.as_bytes())
}

/// Writes formatted text to standard output (the `out!` and `outln!` macros).
pub(crate) fn write_fmt(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    match args.as_str() {
        Some(s) => write_str(s),
        None => write_str(&args.to_string()),
    }
}

/// True when an error is a write to a closed pipe (a command that wrote to standard output
/// without [`write`]): the process ends quietly.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `print!` to standard output through [`write_fmt`]; evaluates to `anyhow::Result<()>`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::commands::out::write_fmt(format_args!($($arg)*))
    };
}

/// `println!` to standard output through [`write_fmt`]; evaluates to `anyhow::Result<()>`.
macro_rules! outln {
    () => {
        $crate::commands::out::write_str("\n")
    };
    ($($arg:tt)*) => {
        $crate::commands::out::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

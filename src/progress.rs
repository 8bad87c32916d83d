//! What the user sees while a run goes: a progress bar on a terminal, plain lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: ProgressBar,
    plain: bool,
}

impl Progress {
    pub fn new(steps: u64) -> Self {
        let plain = !std::io::stderr().is_terminal();
        let bar = if plain {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(steps)
        };
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Self { bar, plain }
    }

    /// A silent progress (tests, doctor).
    pub fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
            plain: false,
        }
    }

    pub fn set_message(&self, message: &str) {
        if self.plain {
            eprintln!("svclab: {message}");
        }
        self.bar.set_message(message.to_string());
    }

    /// A line that stays on screen above the bar.
    pub fn note(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("svclab: {line}");
        } else {
            self.bar.println(format!("svclab: {line}"));
        }
    }

    pub fn step_done(&self) {
        self.bar.inc(1);
    }

    /// Steps that will not happen (a backend that cannot run).
    pub fn skip_steps(&self, steps: u64) {
        self.bar.inc(steps);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

//! The report as a browser sees it: headless Chromium (Debian's `chromium`, installed by
//! scripts/setup.sh) loads index.html rendered from the fixture; any console message (the page has
//! no scripts, so every message is a fault) or a blank page fails the test.

mod common;

use common::run;
use std::path::Path;
use std::process::{Command, Output};

const CHROMIUM: &str = "chromium";

/// Chromium isolated from the machine and the network: fresh profile, no background fetches.
fn chromium(profile: &Path, args: &[&str]) -> Option<Output> {
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox", // tests run as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output();
    match out {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("starting {CHROMIUM}: {e}"),
    }
}

/// Skip (with the reason printed) only where Chromium is truly absent; in CI it is a failure.
/// A missing browser is a failure, never a skip: scripts/setup.sh installs it.
fn missing(why: &str) {
    panic!("{why}; install it with scripts/setup.sh (Debian package chromium)");
}

/// Console output from the page: Chromium logs it as `:CONSOLE:` lines on stderr.
fn console_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect()
}

#[test]
fn index_html_renders_in_headless_chromium_without_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/complete.jsonl");
    std::fs::copy(fixture, dir.path().join("results.jsonl")).expect("copy fixture");
    let out = run(&["report", dir.path().to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("file://{}", dir.path().join("index.html").display());

    let Some(dom) = chromium(&dir.path().join("profile-dom"), &["--dump-dom", &url]) else {
        return missing("chromium is not installed");
    };
    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert_eq!(
        console_lines(&dom),
        Vec::<String>::new(),
        "console messages from the page"
    );
    let text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        text.contains("svclab report: run 20261128-015141"),
        "the parsed page has its heading"
    );
    assert_eq!(
        text.matches("<svg").count(),
        6,
        "the browser parsed every inline plot"
    );

    // A blank white page compresses to a few kB; tables, text and six plots to far more.
    let png = dir.path().join("shot.png");
    let shot_arg = format!("--screenshot={}", png.display());
    let shot = chromium(
        &dir.path().join("profile-shot"),
        &["--window-size=1200,3000", &shot_arg, &url],
    )
    .expect("chromium ran a moment ago");
    assert!(
        shot.status.success(),
        "screenshot failed: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    assert_eq!(console_lines(&shot), Vec::<String>::new());
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 100_000,
        "screenshot is {size} bytes: a blank or nearly blank page"
    );
}

#[test]
fn the_console_check_catches_a_scripted_error() {
    // Guards the check above against passing vacuously (e.g. if Chromium changed its log format).
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<p>x</p><script>console.error('report-test')</script>",
    )
    .expect("write");
    let url = format!("file://{}", page.display());
    let Some(out) = chromium(&dir.path().join("profile"), &["--dump-dom", &url]) else {
        return missing("chromium is not installed");
    };
    let lines = console_lines(&out);
    assert!(lines.iter().any(|l| l.contains("report-test")), "{lines:?}");
}

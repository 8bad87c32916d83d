//! A small table of text cells rendered the same way into Markdown and HTML, for the report
//! sections that are plain tables (decision, locations, same-kernel ratios).

use super::escape;
use std::fmt::Write as _;

/// One cell; `best` marks the best value of its column (within its comparable group).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    pub text: String,
    pub best: bool,
}

impl Cell {
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            best: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleTable {
    /// The HTML anchor and the heading.
    pub id: &'static str,
    pub title: String,
    /// Said above the table: how to read it.
    pub intro: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Markdown marks the best value with a star (`★`), HTML with bold and a class.
pub const BEST_MARK: &str = "★";

impl SimpleTable {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn markdown(&self) -> String {
        let mut o = String::new();
        if self.is_empty() {
            return o;
        }
        let _ = writeln!(o, "## {}\n", self.title);
        if !self.intro.is_empty() {
            let _ = writeln!(o, "{}\n", self.intro);
        }
        let md = |t: &str| t.replace('|', "\\|").replace('\n', " ");
        let _ = writeln!(
            o,
            "| {} |",
            self.headers
                .iter()
                .map(|h| md(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(o, "|{}", "---|".repeat(self.headers.len()));
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| {
                    if c.best {
                        format!("{} {BEST_MARK}", md(&c.text))
                    } else {
                        md(&c.text)
                    }
                })
                .collect();
            let _ = writeln!(o, "| {} |", cells.join(" | "));
        }
        o.push('\n');
        o
    }

    pub fn html(&self) -> String {
        let mut b = String::new();
        if self.is_empty() {
            return b;
        }
        let _ = writeln!(b, "<h2 id=\"{}\">{}</h2>", self.id, escape(&self.title));
        if !self.intro.is_empty() {
            let _ = writeln!(b, "<p class=\"note\">{}</p>", escape(&self.intro));
        }
        b.push_str("<table><tr>");
        for h in &self.headers {
            let _ = write!(b, "<th>{}</th>", escape(h));
        }
        b.push_str("</tr>\n");
        for row in &self.rows {
            b.push_str("<tr>");
            for c in row {
                if c.best {
                    let _ = write!(
                        b,
                        "<td class=\"best\"><strong>{} {BEST_MARK}</strong></td>",
                        escape(&c.text)
                    );
                } else {
                    let _ = write!(b, "<td>{}</td>", escape(&c.text));
                }
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</table>\n");
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_cells_are_marked_in_both_renderings() {
        let t = SimpleTable {
            id: "t",
            title: "T".into(),
            intro: "how to read <it>".into(),
            headers: vec!["a".into(), "b|c".into()],
            rows: vec![vec![
                Cell::plain("x"),
                Cell {
                    text: "1 µs".into(),
                    best: true,
                },
            ]],
        };
        let md = t.markdown();
        assert!(md.contains("| a | b\\|c |"), "{md}");
        assert!(md.contains("| x | 1 µs ★ |"), "{md}");
        let html = t.html();
        assert!(
            html.contains("<td class=\"best\"><strong>1 µs ★</strong></td>"),
            "{html}"
        );
        assert!(html.contains("how to read &lt;it&gt;"), "{html}");
        assert!(SimpleTable::default().markdown().is_empty());
    }
}

//! The criterion reports `scripts/bench.sh` leaves in `reports/benches/`, carried into the
//! published site so `cargo bench`'s pages sit beside the lab's own reports.

use super::ReportError;
use std::path::Path;

/// The folder under `reports/` (and under the site) that holds them.
pub const FOLDER: &str = "benches";

/// Which criterion report pages may exist, relative to [`FOLDER`], and what each holds.
const PAGES: [(&str, &str); 3] = [
    (
        "host/report/index.html",
        "cargo bench on the publishing machine",
    ),
    (
        "vm/criterion/report/index.html",
        "IPVS kernel benches in the lab VM",
    ),
    (
        "vm-userspace/criterion/report/index.html",
        "IPVS userspace benches in the lab VM",
    ),
];

/// A criterion report page in the site: its link (relative to the site) and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchPage {
    pub href: String,
    pub label: String,
}

/// Copy `reports/benches` into `site/benches` (when it exists) and list its report pages.
pub fn copy_into_site(reports: &Path, site: &Path) -> Result<Vec<BenchPage>, ReportError> {
    let from = reports.join(FOLDER);
    if !from.is_dir() {
        return Ok(Vec::new());
    }
    let to = site.join(FOLDER);
    copy_tree(&from, &to)?;
    Ok(PAGES
        .iter()
        .filter(|(page, _)| to.join(page).is_file())
        .map(|(page, label)| BenchPage {
            href: format!("{FOLDER}/{page}"),
            label: label.to_string(),
        })
        .collect())
}

/// A recursive copy; std has none, and a few hundred small files need no crate.
fn copy_tree(from: &Path, to: &Path) -> Result<(), ReportError> {
    let io = super::write_error;
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().map_err(io(&src))?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(&src))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_the_tree_and_lists_only_pages_that_exist() {
        let reports = tempfile::tempdir().expect("tempdir");
        let site = tempfile::tempdir().expect("tempdir");
        assert!(copy_into_site(reports.path(), site.path())
            .expect("no benches is fine")
            .is_empty());
        let page = reports.path().join("benches/host/report/index.html");
        std::fs::create_dir_all(page.parent().expect("parent")).expect("mkdir");
        std::fs::write(&page, "<html>criterion</html>").expect("write");
        let pages = copy_into_site(reports.path(), site.path()).expect("copy");
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].href, "benches/host/report/index.html");
        let copied = std::fs::read_to_string(site.path().join(&pages[0].href)).expect("copied");
        assert_eq!(copied, "<html>criterion</html>");
    }
}

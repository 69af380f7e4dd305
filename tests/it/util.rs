//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The repository root (tests run with it as the working directory).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built binary, run from the repository root.
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("mlperf-health").expect("binary builds");
    cmd.current_dir(repo());
    cmd.env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// Every file below `dir`, relative, `/`-separated, sorted.
pub fn files_below(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap_or(e.path())
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    out.sort();
    out
}

/// Compare two directories file by file; with `UPDATE_GOLDEN=1`, make
/// `expected` a copy of `actual` instead. Extra or missing files fail, so
/// stale goldens cannot linger.
pub fn assert_dir_matches(actual: &Path, expected: &Path) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(expected);
        for f in files_below(actual) {
            let to = expected.join(&f);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(actual.join(&f), to).unwrap();
        }
        return;
    }
    let got = files_below(actual);
    let want = files_below(expected);
    assert_eq!(
        got, want,
        "file sets differ (UPDATE_GOLDEN=1 cargo test golden to accept)"
    );
    for f in &got {
        let a = std::fs::read(actual.join(f)).unwrap();
        let b = std::fs::read(expected.join(f)).unwrap();
        if a != b {
            let a = String::from_utf8_lossy(&a);
            let b = String::from_utf8_lossy(&b);
            let first = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            panic!(
                "{f} differs from its golden at line {}:\n  got:  {}\n  want: {}\n(UPDATE_GOLDEN=1 cargo test golden to accept)",
                first + 1,
                a.lines().nth(first).unwrap_or(""),
                b.lines().nth(first).unwrap_or("")
            );
        }
    }
}

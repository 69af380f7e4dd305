//! Golden reports: the full output for each bundled campaign, byte for byte.

use crate::util::{assert_dir_matches, bin, repo};

#[test]
fn demo_campaign_report_matches_golden() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["report", "fixtures/campaigns/demo", "--out"])
        .arg(out.path())
        .arg("--quiet")
        .assert()
        .code(0);
    assert_dir_matches(out.path(), &repo().join("tests/golden/demo"));
}

#[test]
fn the_same_inputs_give_byte_identical_reports() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        bin()
            .args(["report", "fixtures/campaigns/demo", "--quiet", "--out"])
            .arg(dir.path())
            .assert()
            .code(0);
    }
    assert_dir_matches(a.path(), b.path());
}

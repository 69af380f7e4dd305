//! Reading files in parallel must not change a byte of the report: the
//! whole fixture tree, reported with one thread and with several.
//! (`pipeline::tests::parallel_reading_gives_what_sequential_reading_gives`
//! forces the parallel path on these small files; this checks the CLI end
//! to end, through `RAYON_NUM_THREADS`.)

use crate::util::{bin, files_below, repo};

#[test]
fn report_is_identical_with_one_and_many_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "4"] {
        let out = tmp.path().join(format!("t{threads}"));
        bin()
            .env("RAYON_NUM_THREADS", threads)
            .arg("report")
            .arg(repo().join("fixtures"))
            .arg("--out")
            .arg(&out)
            .args(["--format", "md,html,json,junit", "--quiet"])
            .assert()
            .code(predicates::ord::lt(2));
        outputs.push(out);
    }
    let files = files_below(&outputs[0]);
    assert!(files.contains(&"report.json".to_string()), "{files:?}");
    assert_eq!(files, files_below(&outputs[1]));
    for f in &files {
        let a = std::fs::read(outputs[0].join(f)).unwrap();
        let b = std::fs::read(outputs[1].join(f)).unwrap();
        assert!(a == b, "{f} differs between 1 and 4 threads");
    }
}

//! `docs/report.schema.json`: generated from the Rust types, never stale, and
//! the reports we write validate against it.
//!
//! The validator below is a small, strict subset of JSON Schema 2020-12:
//! exactly the keywords `schemars` emits. Any other keyword is an error, so a
//! schemars upgrade that starts using one cannot make validation silently
//! weaker. (The `jsonschema` crate would do the same job with ~40 more
//! crates to build.)

use mlperf_health::render::json::render_schema;
use serde_json::Value;

use crate::util::{bin, repo};

const SCHEMA_PATH: &str = "docs/report.schema.json";

fn published_schema() -> Value {
    let text = std::fs::read_to_string(repo().join(SCHEMA_PATH))
        .unwrap_or_else(|e| panic!("{SCHEMA_PATH}: {e} (UPDATE_SCHEMA=1 cargo test schema)"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{SCHEMA_PATH}: {e}"))
}

#[test]
fn published_schema_is_up_to_date() {
    let fresh = render_schema().unwrap_or_else(|e| panic!("{e}"));
    let path = repo().join(SCHEMA_PATH);
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let on_disk = std::fs::read(&path).unwrap_or_default();
    assert!(
        on_disk == fresh,
        "{SCHEMA_PATH} is stale: the Rust types changed. Regenerate it with \
         `UPDATE_SCHEMA=1 cargo test schema`, review the diff against the \
         add-only rule in docs/report-json.md, and commit it."
    );
}

#[test]
fn the_schema_subcommand_prints_the_published_schema() {
    let out = bin().arg("schema").assert().code(0).get_output().clone();
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(printed, published_schema());
}

#[test]
fn demo_report_json_validates_against_the_schema() {
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    bin()
        .args([
            "report",
            "fixtures/campaigns/demo",
            "--quiet",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    let text = std::fs::read_to_string(out.path().join("report.json")).unwrap_or_default();
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let errors = validate(&published_schema(), &report);
    assert!(errors.is_empty(), "demo report.json: {errors:#?}");
}

#[test]
fn hand_built_reports_validate_against_the_schema() {
    // The sample report fills the optional fields the demo leaves null.
    let schema = published_schema();
    for report in [
        crate::render::sample_report(),
        crate::render::empty_report(),
    ] {
        let value = serde_json::to_value(&report).unwrap_or_else(|e| panic!("{e}"));
        let errors = validate(&schema, &value);
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

/// A way to break a valid report.
type Breakage = fn(&mut Value);

#[test]
fn the_validator_rejects_broken_reports() {
    let schema = published_schema();
    let good = serde_json::to_value(crate::render::sample_report()).unwrap_or_default();
    assert!(validate(&schema, &good).is_empty());
    let breakages: [(&str, Breakage); 7] = [
        ("missing key", |v| {
            v.as_object_mut().map(|o| o.remove("overall"));
        }),
        ("wrong enum", |v| v["overall"]["status"] = "great".into()),
        ("negative count", |v| {
            v["inputs"]["files_total"] = (-1).into()
        }),
        ("wrong type", |v| v["steps"][0]["outcome"] = 3.into()),
        ("bad severity", |v| {
            v["findings"][0]["severity"] = "urgent".into()
        }),
        ("null where required", |v| v["title"] = Value::Null),
        ("tuple too long", |v| {
            v["runs"][1]["settings_changed"]["min_duration_ms"] = serde_json::json!(["a", "b", "c"])
        }),
    ];
    for (what, breakage) in breakages {
        let mut bad = good.clone();
        breakage(&mut bad);
        assert!(
            !validate(&schema, &bad).is_empty(),
            "validator accepted a report with a {what}"
        );
    }
}

/// Every violation of `schema` by `value`, as `path: message`.
fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, value, "$", &mut errors);
    errors
}

fn check(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let obj = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => return errors.push(format!("{at}: not allowed")),
        Value::Object(o) => o,
        other => return errors.push(format!("{at}: schema is not an object: {other}")),
    };
    for (key, arg) in obj {
        match key.as_str() {
            "$schema" | "$comment" | "$defs" | "$id" | "title" | "description" | "default"
            | "examples" | "deprecated" | "readOnly" | "writeOnly" => {}
            "$ref" => {
                let target = arg
                    .as_str()
                    .and_then(|r| r.strip_prefix('#'))
                    .and_then(|p| root.pointer(p));
                match target {
                    Some(s) => check(root, s, v, at, errors),
                    None => errors.push(format!("{at}: unresolvable $ref {arg}")),
                }
            }
            "type" => {
                let names: Vec<&str> = match arg {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                if !names.iter().any(|t| has_type(v, t)) {
                    errors.push(format!("{at}: expected {names:?}, got {v}"));
                }
            }
            "enum" => {
                if !arg.as_array().is_some_and(|a| a.contains(v)) {
                    errors.push(format!("{at}: {v} is not one of {arg}"));
                }
            }
            "const" => {
                if arg != v {
                    errors.push(format!("{at}: {v} is not {arg}"));
                }
            }
            "properties" => {
                if let (Some(props), Some(o)) = (arg.as_object(), v.as_object()) {
                    for (k, s) in props {
                        if let Some(x) = o.get(k) {
                            check(root, s, x, &format!("{at}.{k}"), errors);
                        }
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for k in arg
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if !o.contains_key(k) {
                            errors.push(format!("{at}: missing required key `{k}`"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let known = obj.get("properties").and_then(Value::as_object);
                    for (k, x) in o {
                        if !known.is_some_and(|p| p.contains_key(k)) {
                            check(root, arg, x, &format!("{at}.{k}"), errors);
                        }
                    }
                }
            }
            "items" => {
                let skip = obj
                    .get("prefixItems")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                for (i, x) in v.as_array().into_iter().flatten().enumerate().skip(skip) {
                    check(root, arg, x, &format!("{at}[{i}]"), errors);
                }
            }
            "prefixItems" => {
                let items = v.as_array().into_iter().flatten();
                for (i, (s, x)) in arg.as_array().into_iter().flatten().zip(items).enumerate() {
                    check(root, s, x, &format!("{at}[{i}]"), errors);
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(n), Some(a)) = (arg.as_u64(), v.as_array()) {
                    let len = a.len() as u64;
                    if (key == "minItems" && len < n) || (key == "maxItems" && len > n) {
                        errors.push(format!("{at}: {len} items violates {key} {n}"));
                    }
                }
            }
            "uniqueItems" => {
                if let (Some(true), Some(a)) = (arg.as_bool(), v.as_array()) {
                    let dup = a.iter().enumerate().any(|(i, x)| a[..i].contains(x));
                    if dup {
                        errors.push(format!("{at}: repeated items violate uniqueItems"));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(limit), Some(x)) = (arg.as_f64(), v.as_f64()) {
                    if (key == "minimum" && x < limit) || (key == "maximum" && x > limit) {
                        errors.push(format!("{at}: {x} violates {key} {limit}"));
                    }
                }
            }
            "format" => check_format(arg.as_str().unwrap_or(""), v, at, errors),
            "oneOf" | "anyOf" | "allOf" => {
                let branches = arg.as_array().map(Vec::as_slice).unwrap_or(&[]);
                let ok = branches
                    .iter()
                    .filter(|s| {
                        let mut e = Vec::new();
                        check(root, s, v, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                let fine = match key.as_str() {
                    "oneOf" => ok == 1,
                    "anyOf" => ok >= 1,
                    _ => ok == branches.len(),
                };
                if !fine {
                    errors.push(format!(
                        "{at}: {ok} of {} {key} branches match {v}",
                        branches.len()
                    ));
                }
            }
            other => errors.push(format!(
                "{at}: keyword `{other}` is not supported by this test's validator; extend it"
            )),
        }
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        _ => false,
    }
}

fn check_format(format: &str, v: &Value, at: &str, errors: &mut Vec<String>) {
    let fits = match format {
        "double" | "float" => true,
        "uint" | "uint64" => !v.is_number() || v.is_u64(),
        "uint32" => !v.is_number() || v.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)),
        "int64" | "int" => !v.is_number() || v.is_i64(),
        "int32" => !v.is_number() || v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        other => {
            errors.push(format!(
                "{at}: format `{other}` is not supported; extend the validator"
            ));
            return;
        }
    };
    if !fits {
        errors.push(format!("{at}: {v} does not fit format {format}"));
    }
}

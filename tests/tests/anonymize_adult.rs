//! The anonymization engine on the standard benchmark (UCI Adult, ARX's copy and hierarchies):
//! 8 quasi-identifiers, occupation sensitive, 5 % suppression limit. The released CSV is judged
//! by the independent checker (../shared/eval/anon/check_k.py, pycanon), and the information
//! loss must not exceed what ARX reported at the same settings (Precision: k=5 0.381, k=10 0.426).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use kakou_sdk::anonymize::{
    ColumnPolicy, HierarchySpec, LDiversity, LVariant, Metric, Policy, PrivacySettings, Role, Suppression, Table,
    Unlisted, anonymize,
};
use kakou_tests::{python, shared_dir};

const QI: [&str; 8] =
    ["age", "education", "marital-status", "native-country", "race", "salary-class", "sex", "workclass"];

fn adult() -> (Table, HashMap<String, String>) {
    let dir = shared_dir().join("data/adult");
    let text = std::fs::read_to_string(dir.join("adult.csv")).expect("../shared/data/adult/adult.csv");
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().expect("a header").split(';').map(str::to_string).collect();
    let rows: Vec<Vec<&str>> = lines.filter(|l| !l.is_empty()).map(|l| l.split(';').collect()).collect();
    let (table, issues) = Table::from_rows(&header, &rows);
    assert!(issues.is_empty(), "{issues:?}");
    let mut files = HashMap::new();
    for c in QI.iter().chain(["occupation"].iter()) {
        let name = format!("adult_hierarchy_{c}.csv");
        files.insert(name.clone(), std::fs::read_to_string(dir.join(&name)).expect("hierarchy file"));
    }
    (table, files)
}

fn policy(k: u32, l: Option<f64>) -> Policy {
    let mut columns: Vec<ColumnPolicy> = QI
        .iter()
        .map(|c| ColumnPolicy {
            name: c.to_string(),
            role: Role::Quasi,
            hierarchy: Some(HierarchySpec::File(format!("adult_hierarchy_{c}.csv"))),
            transforms: vec![],
            l_diversity: None,
            t_closeness: None,
        })
        .collect();
    columns.push(ColumnPolicy {
        name: "occupation".into(),
        role: Role::Sensitive,
        hierarchy: None,
        transforms: vec![],
        l_diversity: l.map(|l| LDiversity { l, variant: LVariant::Distinct }),
        t_closeness: None,
    });
    Policy {
        privacy: PrivacySettings {
            k,
            suppression_limit: 0.05,
            metric: Metric::Precision,
            suppression: Default::default(),
        },
        patient: None,
        hierarchy_separator: ';',
        unlisted: Unlisted::Remove,
        population: None,
        columns,
    }
}

/// check_k.py's last line: (k, l, suppressed).
fn check_k(csv: &Path) -> (u32, Option<u32>, f64) {
    let out = Command::new(python())
        .arg(shared_dir().join("eval/anon/check_k.py"))
        .arg(csv)
        .args(["--qi", &QI.join(","), "--sa", "occupation", "--sep", ";"])
        .output()
        .expect("runs check_k.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "check_k.py failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().expect("a last line").to_string();
    let field = |name: &str| {
        last.split_whitespace().find_map(|f| f.strip_prefix(&format!("{name}="))).map(str::to_string).expect(&last)
    };
    (field("k").parse().expect("k"), field("l").parse().ok(), field("suppressed").parse().expect("suppressed"))
}

fn run(k: u32, l: Option<f64>, arx_precision: f64) -> kakou_sdk::anonymize::AnonymizationReport {
    run_with(k, l, arx_precision, Suppression::Records)
}

fn run_with(
    k: u32,
    l: Option<f64>,
    arx_precision: f64,
    suppression: Suppression,
) -> kakou_sdk::anonymize::AnonymizationReport {
    let (table, files) = adult();
    let mut p = policy(k, l);
    p.privacy.suppression = suppression;
    let started = std::time::Instant::now();
    let out = anonymize(&table, &p, &files, None).expect("a solution exists");
    let seconds = started.elapsed().as_secs_f64();
    let sol = out.report.solution.clone().expect("a search ran");
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("released.csv");
    let mut text = out.table.header().join(";") + "\n";
    for r in 0..out.table.n_rows() {
        text += &out.table.row(r).collect::<Vec<_>>().join(";");
        text.push('\n');
    }
    std::fs::write(&csv, text).expect("writes the CSV");
    let (k_found, l_found, suppressed) = check_k(&csv);
    println!(
        "{suppression:?} k={k} l={l:?}: precision {:.4} (ARX {arx_precision}), loss {:.4}, suppressed records {suppressed:.4}, \
         cells {} ({:.4} of {}), check_k k={k_found} l={l_found:?}, {seconds:.2} s",
        sol.precision,
        sol.loss,
        sol.suppressed_cells,
        sol.suppressed_cells as f64 / (30162.0 * QI.len() as f64),
        30162 * QI.len()
    );
    if suppression == Suppression::Cells {
        assert!(sol.suppressed_cells <= sol.suppression_limit_cells.expect("a cell limit"), "over the cell limit");
    }
    assert!(k_found >= k, "check_k found k={k_found} < {k}");
    if let Some(l) = l {
        assert!(l_found.expect("l printed") as f64 >= l, "check_k found l={l_found:?} < {l}");
    }
    assert!(suppressed <= 0.05 + 1e-9, "suppressed {suppressed}");
    assert!((suppressed - sol.suppressed_records as f64 / 30162.0).abs() < 1e-4, "the report and the file disagree");
    assert_eq!(out.report.risk_after.min_class_size as u32, k_found);
    assert!(sol.precision <= arx_precision, "precision loss {} above ARX's {arx_precision}", sol.precision);
    out.report
}

#[test]
fn adult_k5_is_verified_and_loses_no_more_than_arx() {
    run(5, None, 0.381);
}

#[test]
fn adult_k10_is_verified_and_loses_no_more_than_arx() {
    run(10, None, 0.426);
}

#[test]
fn adult_k5_distinct_l3_is_verified() {
    // No ARX figure for this setting was measured here, so no loss bound (1.0 is the maximum).
    let report = run(5, Some(3.0), 1.0);
    assert!(report.sensitive[0].min_distinct >= 3);
}

/// Cell (local) suppression on the same settings: verified by check_k.py (a `*` cell is an
/// ordinary value there), within the limit counted in cells, and never more loss than record
/// suppression in the same run.
fn cells_against_records(k: u32, l: Option<f64>, arx_precision: f64) {
    let records = run_with(k, l, arx_precision, Suppression::Records).solution.expect("a search ran");
    let cells = run_with(k, l, arx_precision, Suppression::Cells).solution.expect("a search ran");
    println!(
        "k={k} l={l:?}: precision cells/records {:.4}/{:.4} = {:.3}; loss {:.4}/{:.4}",
        cells.precision,
        records.precision,
        cells.precision / records.precision,
        cells.loss,
        records.loss
    );
    assert!(cells.precision <= records.precision + 1e-12);
}

#[test]
fn adult_k5_cell_suppression_is_verified_and_loses_less() {
    cells_against_records(5, None, 0.381);
}

#[test]
fn adult_k10_cell_suppression_is_verified_and_loses_less() {
    cells_against_records(10, None, 0.426);
}

#[test]
fn adult_k5_l3_cell_suppression_is_verified() {
    cells_against_records(5, Some(3.0), 1.0);
}

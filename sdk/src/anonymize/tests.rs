//! Engine tests on tables built here, where the right answer is known by hand or by brute force.

use std::collections::HashMap;

use super::search::{Engine, QuasiInput, SearchInput, SensitiveInput};
use super::*;

fn table(header: &[&str], rows: &[Vec<&str>]) -> Table {
    let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    let (t, issues) = Table::from_rows(&header, rows);
    assert!(issues.is_empty());
    t
}

fn col(name: &str, role: Role, hierarchy: Option<HierarchySpec>) -> ColumnPolicy {
    ColumnPolicy { name: name.into(), role, hierarchy, transforms: vec![], l_diversity: None, t_closeness: None }
}

fn policy(k: u32, limit: f64, columns: Vec<ColumnPolicy>) -> Policy {
    Policy {
        privacy: PrivacySettings {
            k,
            suppression_limit: limit,
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

fn values(t: &Table, name: &str) -> Vec<String> {
    let c = &t.columns[t.column_index(name).expect("column released")];
    (0..t.n_rows()).map(|r| c.value(r).to_string()).collect()
}

/// The worked example of the guideline (匿名加工医療情報の作成例): the row of 内閣花子.
#[test]
fn guideline_worked_example() {
    let rows = vec![
        vec!["P001", "内閣花子", "女", "2003/2/14", "2024/4/1", "52.3", "205", "膵島細胞症"],
        vec!["P001", "内閣花子", "女", "2003/2/14", "2024/4/15", "52.0", "198", "糖尿病"],
        vec!["P002", "厚労太郎", "男", "1960/11/3", "2024/4/2", "71.8", "142", "糖尿病"],
        vec!["P003", "医療一郎", "男", "1975/6/30", "2024/4/3", "64.0", "128", "高血圧症"],
        vec!["P004", "基盤次郎", "男", "1988/1/9", "2024/4/5", "80.1", "150", "高血圧症"],
        vec!["P005", "法令三子", "女", "1952/8/21", "2024/4/8", "47.5", "131", "糖尿病"],
    ];
    let t = table(&["患者ID", "氏名", "性別", "生年月日", "受診日", "体重", "収縮期血圧", "病名"], &rows);
    let mut p = policy(1, 0.0, vec![]);
    p.patient = Some("患者ID".into());
    p.columns = vec![
        col("患者ID", Role::Identifier, None),
        col("氏名", Role::Identifier, None),
        col("性別", Role::Insensitive, None),
        ColumnPolicy {
            transforms: vec![Transform::DateCoarsen(crate::dates::Coarsening::YearMonth)],
            ..col("生年月日", Role::Insensitive, None)
        },
        ColumnPolicy {
            transforms: vec![Transform::DateShift { min_weeks: 1, max_weeks: 52 }],
            ..col("受診日", Role::Insensitive, None)
        },
        ColumnPolicy {
            transforms: vec![Transform::Band { width: 5.0, origin: 0.0, format: "{lo}～{hi}".into() }],
            ..col("体重", Role::Insensitive, None)
        },
        ColumnPolicy {
            transforms: vec![Transform::TopCode { at: 201.0, label: None }],
            ..col("収縮期血圧", Role::Insensitive, None)
        },
        ColumnPolicy {
            transforms: vec![Transform::Rare { min: 2, replacement: "その他".into() }],
            ..col("病名", Role::Insensitive, None)
        },
    ];
    let key = crate::ProjectKey::from_bytes([42u8; 32]);
    let out = anonymize(&t, &p, &HashMap::new(), Some(&key)).unwrap();
    let o = &out.table;
    assert_eq!(o.header(), vec!["性別", "生年月日", "受診日", "体重", "収縮期血圧", "病名"], "identifiers removed");
    assert_eq!(values(o, "性別")[0], "女");
    assert_eq!(values(o, "生年月日")[0], "2003/2");
    assert_eq!(values(o, "体重")[0], "50～55");
    assert_eq!(values(o, "収縮期血圧")[0], "201以上");
    assert_eq!(values(o, "収縮期血圧")[1], "198");
    assert_eq!(values(o, "病名")[0], "その他", "膵島細胞症 is one patient's: rare");
    assert_eq!(values(o, "病名")[1], "糖尿病");
    let visits = values(o, "受診日");
    assert_ne!(visits[0], "2024/4/1");
    let d = |s: &str| {
        let v: Vec<i32> = s.split('/').map(|x| x.parse().unwrap()).collect();
        time::Date::from_calendar_date(v[0], time::Month::try_from(v[1] as u8).unwrap(), v[2] as u8).unwrap()
    };
    assert_eq!((d(&visits[1]) - d(&visits[0])).whole_days(), 14, "the patient's interval is kept");
    assert!(out.report.issues.is_empty(), "{:?}", out.report.issues);
    assert!(!format!("{:?}", out.report).contains("内閣"), "the report leaks a name");
}

fn small_adult_like(n: usize, seed: u64) -> (Table, HashMap<String, String>, Vec<ColumnPolicy>) {
    let mut x = seed;
    let mut next = |m: u64| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let rows: Vec<Vec<String>> = (0..n)
        .map(|_| {
            let age = 20 + next(40) + next(10);
            vec![
                age.to_string(),
                ["M", "F"][next(2) as usize].to_string(),
                ["a", "b", "c", "d"][next(4) as usize].to_string(),
                ["s1", "s2", "s3"][(next(3) + next(2)) as usize % 3].to_string(),
            ]
        })
        .collect();
    let header: Vec<String> = ["age", "sex", "zone", "dx"].iter().map(|s| s.to_string()).collect();
    let (t, _) = Table::from_rows(&header, &rows);
    let files = HashMap::from([
        ("zone.csv".to_string(), "a;ab;*\nb;ab;*\nc;cd;*\nd;cd;*\n".to_string()),
        ("dx.csv".to_string(), "s1;S12;*\ns2;S12;*\ns3;S3;*\n".to_string()),
    ]);
    let cols = vec![
        col("age", Role::Quasi, Some(HierarchySpec::Age { bands: vec![5, 10, 20], top: None })),
        col("sex", Role::Quasi, None),
        col("zone", Role::Quasi, Some(HierarchySpec::File("zone.csv".into()))),
        col("dx", Role::Sensitive, Some(HierarchySpec::File("dx.csv".into()))),
    ];
    (t, files, cols)
}

/// Compiles the small table's hierarchies and runs `f` with a prepared engine.
fn with_engine<R>(
    t: &Table,
    files: &HashMap<String, String>,
    cols: &[ColumnPolicy],
    settings: (u32, f64, Metric, Suppression),
    f: impl FnOnce(&Engine) -> R,
) -> R {
    let compiled: Vec<CompiledHierarchy> = cols
        .iter()
        .map(|c| {
            let h = Hierarchy::from_spec(c.hierarchy.as_ref().unwrap_or(&HierarchySpec::Suppress), files, ';').unwrap();
            let column = &t.columns[t.column_index(&c.name).unwrap()];
            CompiledHierarchy::compile(&h, &c.name, &column.dict).unwrap()
        })
        .collect();
    let mut quasi = Vec::new();
    let mut sensitive = Vec::new();
    for (c, h) in cols.iter().zip(&compiled) {
        let codes = &t.columns[t.column_index(&c.name).unwrap()].codes;
        match c.role {
            Role::Quasi => quasi.push(QuasiInput { hierarchy: h, codes }),
            Role::Sensitive if c.l_diversity.is_some() || c.t_closeness.is_some() => sensitive.push(SensitiveInput {
                codes,
                domain: h.labels[0].len(),
                l: c.l_diversity,
                t: c.t_closeness,
                hierarchy: Some(h),
            }),
            _ => {}
        }
    }
    let forced = vec![false; t.n_rows()];
    let input = SearchInput {
        quasi,
        sensitive,
        forced: &forced,
        k: settings.0,
        suppression_limit: settings.1,
        metric: settings.2,
        suppression: settings.3,
    };
    f(&Engine::new(&input).unwrap())
}

fn all_nodes(heights: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &h in heights {
        out = out.into_iter().flat_map(|n| (0..=h).map(move |l| [n.clone(), vec![l]].concat())).collect();
    }
    out
}

#[test]
fn the_search_finds_the_brute_force_optimum_for_every_metric_and_model() {
    let models: Vec<(Option<LDiversity>, Option<TCloseness>)> = vec![
        (None, None),
        (Some(LDiversity { l: 2.0, variant: LVariant::Distinct }), None),
        (Some(LDiversity { l: 1.8, variant: LVariant::Entropy }), None),
        (None, Some(TCloseness { t: 0.3, distance: TDistance::Equal })),
        (None, Some(TCloseness { t: 0.2, distance: TDistance::Hierarchical })),
    ];
    for seed in 1..=3u64 {
        let (t, files, mut cols) = small_adult_like(300, seed);
        for (l, tc) in &models {
            cols[3].l_diversity = *l;
            cols[3].t_closeness = *tc;
            for metric in [Metric::Precision, Metric::Loss, Metric::Discernibility, Metric::Aecs] {
                for (k, limit) in [(3, 0.0), (5, 0.04), (10, 0.1)] {
                    with_engine(&t, &files, &cols, (k, limit, metric, Suppression::Records), |e| {
                        let brute = all_nodes(&e.heights())
                            .into_iter()
                            .filter_map(|n| {
                                let (ev, _) = e.evaluate(&n, &e.project(&n));
                                (ev.suppressed <= e.max_suppressed()).then(|| e.loss(&n, &ev))
                            })
                            .fold(f64::INFINITY, f64::min);
                        match e.search() {
                            Ok(s) => assert!(
                                (s.loss - brute).abs() < 1e-9,
                                "seed {seed} {metric:?} k={k} {l:?} {tc:?}: search {} brute {brute}",
                                s.loss
                            ),
                            Err(AnonError::NoSolution { .. }) => assert!(brute.is_infinite()),
                            Err(other) => panic!("{other}"),
                        }
                    });
                }
            }
        }
    }
}

#[test]
fn k_anonymity_and_distinct_l_diversity_are_monotone_under_generalization() {
    let (t, files, mut cols) = small_adult_like(200, 9);
    cols[3].l_diversity = Some(LDiversity { l: 2.0, variant: LVariant::Distinct });
    with_engine(&t, &files, &cols, (4, 0.0, Metric::Precision, Suppression::Records), |e| {
        let heights = e.heights();
        for node in all_nodes(&heights) {
            let (ev, _) = e.evaluate(&node, &e.project(&node));
            for a in (0..node.len()).filter(|&a| node[a] < heights[a]) {
                let mut up = node.clone();
                up[a] += 1;
                let (ev_up, _) = e.evaluate(&up, &e.project(&up));
                assert!(ev_up.suppressed <= ev.suppressed, "{node:?} → {up:?} suppresses more");
            }
        }
    });
}

#[test]
fn k_l_and_t_on_a_hand_table() {
    // Two classes at the bottom: (M, a) ×3 with dx s1,s1,s2 and (F, b) ×2 with dx s3,s3.
    let rows = vec![
        vec!["M", "a", "s1"],
        vec!["M", "a", "s1"],
        vec!["M", "a", "s2"],
        vec!["F", "b", "s3"],
        vec!["F", "b", "s3"],
    ];
    let t = table(&["sex", "zone", "dx"], &rows);
    let files = HashMap::from([
        ("zone.csv".to_string(), "a;ab;*\nb;ab;*\n".to_string()),
        ("dx.csv".to_string(), "s1;S12;*\ns2;S12;*\ns3;S3;*\n".to_string()),
    ]);
    let mut cols = vec![
        col("sex", Role::Quasi, None),
        col("zone", Role::Quasi, Some(HierarchySpec::File("zone.csv".into()))),
        col("dx", Role::Sensitive, Some(HierarchySpec::File("dx.csv".into()))),
    ];
    let bottom = [0usize, 0];
    let suppressed = |cols: &[ColumnPolicy], k: u32| {
        with_engine(&t, &files, cols, (k, 1.0, Metric::Precision, Suppression::Records), |e| {
            e.evaluate(&bottom, &e.project(&bottom)).0
        })
    };
    // k: sizes 3 and 2.
    assert_eq!(suppressed(&cols, 2).suppressed, 0);
    assert_eq!(suppressed(&cols, 3).suppressed, 2);
    assert_eq!(suppressed(&cols, 3).min_class, 3);
    // distinct l = 2: (F,b) has one value.
    cols[2].l_diversity = Some(LDiversity { l: 2.0, variant: LVariant::Distinct });
    assert_eq!(suppressed(&cols, 1).suppressed, 2);
    // entropy l: (M,a) has H = −(⅔ln⅔ + ⅓ln⅓) = 0.6365 = ln 1.89; l = 1.85 passes, 1.95 fails.
    cols[2].l_diversity = Some(LDiversity { l: 1.85, variant: LVariant::Entropy });
    assert_eq!(suppressed(&cols, 1).suppressed, 2);
    cols[2].l_diversity = Some(LDiversity { l: 1.95, variant: LVariant::Entropy });
    assert_eq!(suppressed(&cols, 1).suppressed, 5);
    // t, equal distance: overall (.4 s1, .2 s2, .4 s3); (M,a) = (⅔, ⅓, 0): D = ½(.2667+.1333+.4) = .4;
    // (F,b) = (0, 0, 1): D = ½(.4+.2+.6) = .6.
    cols[2].l_diversity = None;
    cols[2].t_closeness = Some(TCloseness { t: 0.5, distance: TDistance::Equal });
    assert_eq!(suppressed(&cols, 1).suppressed, 2);
    cols[2].t_closeness = Some(TCloseness { t: 0.39, distance: TDistance::Equal });
    assert_eq!(suppressed(&cols, 1).suppressed, 5);
    // t, hierarchical: (M,a): extras s1 +.2667, s2 +.1333, s3 −.4 → S12: no negative → 0;
    // root: S12 +.4, S3 −.4 → .4. (F,b): s1 −.4, s2 −.2 → 0 at S12; root .6 → .6.
    cols[2].t_closeness = Some(TCloseness { t: 0.45, distance: TDistance::Hierarchical });
    assert_eq!(suppressed(&cols, 1).suppressed, 2);
}

#[test]
fn values_outside_a_hierarchy_are_suppressed_and_reported_never_released() {
    let rows = vec![vec!["a", "x"], vec!["b", "x"], vec!["SECRET", "x"], vec!["a", "y"], vec!["b", "y"]];
    let t = table(&["zone", "v"], &rows);
    let files = HashMap::from([("zone.csv".to_string(), "a;ab;*\nb;ab;*\n".to_string())]);
    let mut p = policy(2, 0.5, vec![col("zone", Role::Quasi, Some(HierarchySpec::File("zone.csv".into())))]);
    p.unlisted = Unlisted::Keep;
    let out = anonymize(&t, &p, &files, None).unwrap();
    let zones = values(&out.table, "zone");
    assert_eq!(zones[2], "*");
    assert!(!zones.iter().any(|z| z == "SECRET"));
    assert_eq!(out.report.issues, vec![RecordIssue::NotInHierarchy { row: 3, column: "zone".into() }]);
    let sol = out.report.solution.unwrap();
    assert_eq!(sol.suppressed_not_in_hierarchy, 1);
    assert!(out.report.risk_after.min_class_size >= 2);
}

#[test]
fn impossible_settings_are_a_typed_error_and_bad_policies_name_the_column() {
    let rows = vec![vec!["a"], vec!["b"], vec!["c"]];
    let t = table(&["zone"], &rows);
    let p = policy(5, 0.0, vec![col("zone", Role::Quasi, None)]);
    assert!(matches!(anonymize(&t, &p, &HashMap::new(), None), Err(AnonError::NoSolution { needed: 3, .. })));
    let p = policy(2, 0.0, vec![col("nope", Role::Quasi, None)]);
    assert!(matches!(anonymize(&t, &p, &HashMap::new(), None), Err(AnonError::UnknownColumn(c, _)) if c == "nope"));
    let p = policy(2, 0.0, vec![col("zone", Role::Quasi, Some(HierarchySpec::File("missing.csv".into())))]);
    assert!(matches!(anonymize(&t, &p, &HashMap::new(), None), Err(AnonError::MissingHierarchyFile(_))));
    let p = policy(2, 1.5, vec![col("zone", Role::Quasi, None)]);
    assert!(matches!(anonymize(&t, &p, &HashMap::new(), None), Err(AnonError::Policy(_))));
}

#[test]
fn released_table_satisfies_k_and_reports_arx_precision() {
    let (t, files, mut cols) = small_adult_like(500, 4);
    cols[3].l_diversity = Some(LDiversity { l: 2.0, variant: LVariant::Distinct });
    let p = policy(5, 0.05, cols);
    let out = anonymize(&t, &p, &files, None).unwrap();
    let sol = out.report.solution.clone().unwrap();
    assert!(sol.suppressed_records <= sol.suppression_limit_records);
    assert!(out.report.risk_after.min_class_size >= 5);
    assert!(out.report.sensitive[0].min_distinct >= 2);
    // Precision by its definition, recomputed from the levels and the suppressed count.
    let heights = [4.0, 1.0, 2.0];
    let s = sol.suppressed_records as f64 / 500.0;
    let expected: f64 = sol.levels.iter().zip(heights).map(|(&l, h)| (1.0 - s) * l as f64 / h + s).sum::<f64>() / 3.0;
    assert!((sol.precision - expected).abs() < 1e-12);
    // Every released row's quasi-identifiers are either all '*' or a combination shared by ≥ 5.
    let mut counts: HashMap<Vec<&str>, usize> = HashMap::new();
    for r in 0..out.table.n_rows() {
        let qi: Vec<&str> = out.table.row(r).take(3).collect();
        *counts.entry(qi).or_default() += 1;
    }
    assert!(counts.iter().all(|(k, &c)| c >= 5 || k.iter().all(|v| *v == "*")));
}

#[test]
fn cell_suppression_search_finds_the_brute_force_optimum() {
    let models: Vec<(Option<LDiversity>, Option<TCloseness>)> = vec![
        (None, None),
        (Some(LDiversity { l: 2.0, variant: LVariant::Distinct }), None),
        (None, Some(TCloseness { t: 0.3, distance: TDistance::Equal })),
    ];
    for seed in 1..=3u64 {
        let (t, files, mut cols) = small_adult_like(300, seed);
        for (l, tc) in &models {
            cols[3].l_diversity = *l;
            cols[3].t_closeness = *tc;
            for metric in [Metric::Precision, Metric::Loss, Metric::Discernibility] {
                for (k, limit) in [(3, 0.01), (5, 0.04), (10, 0.1)] {
                    with_engine(&t, &files, &cols, (k, limit, metric, Suppression::Cells), |e| {
                        let brute = all_nodes(&e.heights())
                            .into_iter()
                            .filter_map(|n| {
                                let (ev, _) = e.evaluate(&n, &e.project(&n));
                                let cells = ev.local.as_ref().map_or(0, |l| l.total_cells());
                                (cells <= e.max_cells()).then(|| e.loss(&n, &ev))
                            })
                            .fold(f64::INFINITY, f64::min);
                        match e.search() {
                            Ok(s) => assert!(
                                (s.loss - brute).abs() < 1e-9,
                                "seed {seed} {metric:?} k={k} {l:?} {tc:?}: search {} brute {brute}",
                                s.loss
                            ),
                            Err(AnonError::NoSolution { .. }) => assert!(brute.is_infinite()),
                            Err(other) => panic!("{other}"),
                        }
                    });
                }
            }
        }
    }
}

/// Classes of the released quasi-identifiers, `*` an ordinary value, fully suppressed rows left
/// out (as check_k.py counts them): (smallest class, smallest distinct dx count, `*` per column).
fn released_classes(t: &Table, quasi: usize) -> (usize, usize, Vec<usize>) {
    let mut classes: HashMap<Vec<String>, (usize, std::collections::HashSet<String>)> = HashMap::new();
    let mut stars = vec![0; quasi];
    for r in 0..t.n_rows() {
        let row: Vec<String> = t.row(r).map(str::to_string).collect();
        row[..quasi].iter().enumerate().filter(|(_, v)| *v == "*").for_each(|(a, _)| stars[a] += 1);
        if row[..quasi].iter().all(|v| v == "*") {
            continue;
        }
        let e = classes.entry(row[..quasi].to_vec()).or_default();
        e.0 += 1;
        e.1.insert(row[quasi].clone());
    }
    let k = classes.values().map(|c| c.0).min().unwrap_or(0);
    let l = classes.values().map(|c| c.1.len()).min().unwrap_or(0);
    (k, l, stars)
}

#[test]
fn cell_suppression_releases_k_anonymous_l_diverse_tables_and_loses_less_than_record_suppression() {
    for seed in [4u64, 5, 6] {
        let (t, files, mut cols) = small_adult_like(500, seed);
        cols[3].l_diversity = Some(LDiversity { l: 2.0, variant: LVariant::Distinct });
        let mut p = policy(5, 0.05, cols);
        let records = anonymize(&t, &p, &files, None).unwrap().report.solution.unwrap();
        p.privacy.suppression = Suppression::Cells;
        let out = anonymize(&t, &p, &files, None).unwrap();
        let sol = out.report.solution.clone().unwrap();
        let (k, l, stars) = released_classes(&out.table, 3);
        assert!(k >= 5 && l >= 2, "seed {seed}: k={k} l={l}");
        assert!(sol.suppressed_cells <= sol.suppression_limit_cells.unwrap());
        let reported: Vec<usize> = out.report.columns[..3].iter().map(|c| c.suppressed_cells.unwrap()).collect();
        assert_eq!(reported, stars, "seed {seed}: the report counts the released '*' cells");
        assert!(sol.precision <= records.precision + 1e-12, "seed {seed}: {} > {}", sol.precision, records.precision);
        assert_eq!(out.report.risk_after.min_class_size, k);
    }
}

#[test]
fn one_distinguishing_cell_is_suppressed_not_the_record() {
    // Five records share (F, 30); three (M, 40, a|b|c) differ only in zone. With k=3 and no
    // hierarchy to generalize, suppressing `zone` in those three makes them one class of 3.
    let mut rows = vec![vec!["F", "30", "x"]; 5];
    rows.extend([vec!["M", "40", "a"], vec!["M", "40", "b"], vec!["M", "40", "c"]]);
    let t = table(&["sex", "age", "zone"], &rows);
    let cols = vec![col("sex", Role::Quasi, None), col("age", Role::Quasi, None), col("zone", Role::Quasi, None)];
    let mut p = policy(3, 0.2, cols);
    p.privacy.suppression = Suppression::Cells;
    let out = anonymize(&t, &p, &HashMap::new(), None).unwrap();
    assert_eq!(values(&out.table, "zone")[5..], ["*", "*", "*"]);
    assert_eq!(values(&out.table, "sex")[5..], ["M", "M", "M"]);
    let sol = out.report.solution.unwrap();
    assert_eq!((sol.suppressed_records, sol.suppressed_cells), (0, 3));
    assert_eq!(values(&out.table, "zone")[..5], ["x"; 5], "the other records keep their zone");
    // Record suppression (3 of 8 records over the 20 % limit) must blank zone for everyone.
    p.privacy.suppression = Suppression::Records;
    let rec = anonymize(&t, &p, &HashMap::new(), None).unwrap();
    assert_eq!(values(&rec.table, "zone"), ["*"; 8]);
    assert!(sol.precision < rec.report.solution.unwrap().precision);
}

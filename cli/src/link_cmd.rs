//! `kakou link`: linkage (名寄せ) with privacy-preserving tokens.
//!
//! `tokens` runs at each hospital or municipality: it reads a register CSV and writes only record
//! ids and keyed tokens (never a name, reading, date or number). `match` runs at the creator: it
//! reads the token files of every source and writes person clusters and the reason for every
//! link. The rules are in `kakou_sdk::linkage`; this file reads and writes CSV, runs rows in
//! parallel and reports.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use kakou_sdk::linkage::join::{JoinKey, join_keys};
use kakou_sdk::linkage::linker::{Link, Linkage};
use kakou_sdk::linkage::tokens::Encoder;
use kakou_sdk::linkage::{LinkOptions, LinkageKey, NameSalt, Person, Source, Tokens, link};
use rayon::prelude::*;

use crate::batch::CliError;

/// Linkage (名寄せ) across hospitals and registers without names leaving the hospital.
///
/// A coordinating body (not the linker) creates the linkage key and gives it to every data
/// holder:
///     kakou link keygen linkage.key
/// Each data holder makes tokens from its register (names stay in the hospital):
///     kakou link tokens hosp_a.csv hosp_a.tokens.csv --key linkage.key --mapping-config map.json
/// The creator links the token files into persons (it never holds the key):
///     kakou link match hosp_a.tokens.csv hosp_b.tokens.csv --out clusters.csv
///
/// See docs/linkage.md for the token scheme, the key handling and the limits.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct LinkArgs {
    #[command(subcommand)]
    command: LinkCommand,
}

#[derive(clap::Subcommand)]
enum LinkCommand {
    Keygen(KeygenArgs),
    Tokens(TokensArgs),
    Match(MatchArgs),
}

/// Create a new random linkage key in FILE (refuses to overwrite). Give it to every data holder
/// of the project over a secure channel; never to the party that runs `kakou link match`.
#[derive(clap::Args)]
struct KeygenArgs {
    file: PathBuf,
}

/// Make linkage tokens from a register CSV (UTF-8, header row).
///
/// The output has one row per input row: source, record_id, key (the key's fingerprint), the
/// exact tokens id1/id2/id4, blocking signatures and one keyed Bloom filter per field. No name,
/// reading, date, address or number is written. Rows that cannot be read are listed on standard
/// error with their line number and skipped; fields that cannot be used (an invalid date, an
/// insurer number whose check digit fails) are counted and left out of the tokens.
///
/// MAPPING (JSON) names the input column(s) of each field; a list of columns is joined with a
/// space. Fields: record_id (required), name, family_name, given_name, kana, kana_family,
/// kana_given, birth_date, sex, postal_code, address, insurer_number, insured_symbol,
/// insured_number, insured_branch, other_id. Without a mapping, columns named like the fields
/// are used. Example:
///   {"record_id": "record_id", "name": "name_kanji", "kana": "name_kana",
///    "birth_date": "birth_date", "sex": "sex", "address": "address", "postal_code": "postal_code",
///    "insurer_number": "insurer_number", "insured_symbol": "insured_symbol",
///    "insured_number": "insured_number", "insured_branch": "insured_branch"}
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
struct TokensArgs {
    /// The register (CSV, UTF-8, header row).
    input: PathBuf,
    /// Where to write the tokens (must not exist).
    output: PathBuf,
    /// The linkage key file (from `kakou link keygen`).
    #[arg(long)]
    key: PathBuf,
    /// Column mapping (JSON).
    #[arg(long)]
    mapping_config: Option<PathBuf>,
    /// The source name written into every row (default: the input file name without extension).
    #[arg(long)]
    source: Option<String>,
    /// Salt name filters with the birth year (hardening against frequency attacks; costs recall
    /// when birth years disagree). All sources of a project must use the same setting.
    #[arg(long, value_enum, default_value = "none")]
    salt: SaltArg,
    /// Also write national-database join keys (join_id1, join_id4) under this separate key.
    #[arg(long)]
    join_key: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SaltArg {
    None,
    BirthYear,
}

/// Link token files into persons.
///
/// Writes OUT (source,record_id,cluster_id: one row per record, the same cluster_id = the same
/// person) and the explanations (every accepted link: both records, its weight and probability,
/// and per field how well it agreed and what that weighed). The model (m/u per field level,
/// estimated by EM on the data) and the counts are printed at the end. All token files must be
/// made with the same key (checked with the key fingerprint in every row).
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
struct MatchArgs {
    /// Token files from `kakou link tokens`.
    #[arg(required = true)]
    tokens: Vec<PathBuf>,
    /// The cluster file to write (must not exist).
    #[arg(long)]
    out: PathBuf,
    /// The explanations file (default: OUT with `.links.csv`).
    #[arg(long)]
    explain: Option<PathBuf>,
    /// A fixed match-probability cut-off (0–1) instead of the calibrated one.
    #[arg(long)]
    threshold: Option<f64>,
    /// Skip blocks larger than this many records.
    #[arg(long, default_value_t = 500)]
    max_block: usize,
    /// Also write every candidate pair with its weight, probability and reasons, best first
    /// (for clerical review of the pairs near the cut-off).
    #[arg(long)]
    review: Option<PathBuf>,
}

pub fn run(args: LinkArgs) -> Result<ExitCode, CliError> {
    match args.command {
        LinkCommand::Keygen(a) => keygen(a),
        LinkCommand::Tokens(a) => tokens(a),
        LinkCommand::Match(a) => match_cmd(a),
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::Io(path.display().to_string(), e)
}

fn create_new(path: &Path) -> Result<BufWriter<File>, CliError> {
    let f = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(io_err(path))?;
    Ok(BufWriter::new(f))
}

fn keygen(args: KeygenArgs) -> Result<ExitCode, CliError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CliError::Other(format!("no random source: {e}")))?;
    let key = LinkageKey::from_bytes(bytes);
    let mut f = create_new(&args.file)?;
    writeln!(
        f,
        "# Kakou LINKAGE key (fingerprint {}). Secret: for the data holders only, never for the linker.",
        key.fingerprint()
    )
    .and_then(|_| writeln!(f, "{}", key.to_hex()))
    .and_then(|_| f.flush())
    .map_err(io_err(&args.file))?;
    eprintln!("wrote {} (fingerprint {})", args.file.display(), key.fingerprint());
    Ok(ExitCode::SUCCESS)
}

const FIELDS: [&str; 15] = [
    "name",
    "family_name",
    "given_name",
    "kana",
    "kana_family",
    "kana_given",
    "birth_date",
    "sex",
    "postal_code",
    "address",
    "insurer_number",
    "insured_symbol",
    "insured_number",
    "insured_branch",
    "other_id",
];

fn person_field<'a>(p: &'a mut Person, field: &str) -> Option<&'a mut Option<String>> {
    Some(match field {
        "name" => &mut p.name,
        "family_name" => &mut p.family_name,
        "given_name" => &mut p.given_name,
        "kana" => &mut p.kana,
        "kana_family" => &mut p.kana_family,
        "kana_given" => &mut p.kana_given,
        "birth_date" => &mut p.birth_date,
        "sex" => &mut p.sex,
        "postal_code" => &mut p.postal_code,
        "address" => &mut p.address,
        "insurer_number" => &mut p.insurer_number,
        "insured_symbol" => &mut p.insured_symbol,
        "insured_number" => &mut p.insured_number,
        "insured_branch" => &mut p.insured_branch,
        "other_id" => &mut p.other_id,
        _ => return None,
    })
}

/// Field → column indexes, and the record-id column.
struct Mapping {
    record_id: usize,
    fields: Vec<(&'static str, Vec<usize>)>,
}

fn read_mapping(path: Option<&Path>, header: &csv::StringRecord, input: &Path) -> Result<Mapping, CliError> {
    let config: BTreeMap<String, serde_json::Value> = match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(io_err(p))?;
            serde_json::from_str(&text)
                .map_err(|e| CliError::Usage(format!("{}: not a JSON object of field → column: {e}", p.display())))?
        }
        None => header
            .iter()
            .filter(|h| *h == "record_id" || FIELDS.contains(h))
            .map(|h| (h.to_string(), serde_json::Value::String(h.to_string())))
            .collect(),
    };
    let column = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            CliError::Usage(format!(
                "{}: no column {name:?} (columns: {})",
                input.display(),
                header.iter().collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let mut record_id = None;
    let mut fields = Vec::new();
    for (field, value) in &config {
        let columns: Vec<&str> = match value {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => return Err(CliError::Usage(format!("mapping {field:?}: expected a column name or a list of names"))),
        };
        let idx = columns.iter().map(|c| column(c)).collect::<Result<Vec<_>, _>>()?;
        if field == "record_id" {
            record_id = idx.first().copied();
        } else if let Some(name) = FIELDS.iter().find(|f| *f == field) {
            fields.push((*name, idx));
        } else {
            return Err(CliError::Usage(format!(
                "mapping: unknown field {field:?} (fields: record_id, {})",
                FIELDS.join(", ")
            )));
        }
    }
    let record_id = record_id.ok_or_else(|| CliError::Usage("mapping: record_id is required".into()))?;
    Ok(Mapping { record_id, fields })
}

fn read_key(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(io_err(path))
}

/// Record id, tokens, reasons of unusable fields, join keys (when asked for).
type EncodedRow = (String, Tokens, Vec<&'static str>, Option<[Option<String>; 2]>);

fn tokens(args: TokensArgs) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let key =
        LinkageKey::from_hex(&read_key(&args.key)?).map_err(|e| CliError::Key(args.key.display().to_string(), e))?;
    let join = match &args.join_key {
        Some(p) => Some(JoinKey::from_hex(&read_key(p)?).map_err(|e| CliError::Key(p.display().to_string(), e))?),
        None => None,
    };
    let salt = match args.salt {
        SaltArg::None => NameSalt::None,
        SaltArg::BirthYear => NameSalt::BirthYear,
    };
    let source = args.source.clone().unwrap_or_else(|| {
        args.input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "source".into())
    });
    let mut reader =
        csv::ReaderBuilder::new().flexible(false).from_path(&args.input).map_err(|e| csv_err(&args.input, e))?;
    let header = reader.headers().map_err(|e| csv_err(&args.input, e))?.clone();
    let mapping = read_mapping(args.mapping_config.as_deref(), &header, &args.input)?;
    let mut rows = Vec::new();
    let mut bad_rows = 0usize;
    for (i, row) in reader.records().enumerate() {
        match row {
            Ok(r) => rows.push(r),
            Err(e) => {
                bad_rows += 1;
                eprintln!("{}: row {} skipped: {e}", args.input.display(), i + 2);
            }
        }
    }
    let encoder = Encoder::new(&key, salt);
    let encoded: Vec<EncodedRow> = rows
        .par_iter()
        .map(|row| {
            let mut person = Person::default();
            for (field, cols) in &mapping.fields {
                let value: Vec<&str> =
                    cols.iter().filter_map(|c| row.get(*c)).map(str::trim).filter(|v| !v.is_empty()).collect();
                if let Some(slot) = person_field(&mut person, field) {
                    *slot = (!value.is_empty()).then(|| value.join(" "));
                }
            }
            let e = encoder.encode(&person);
            let joined = join.as_ref().map(|k| {
                let j = join_keys(k, &person);
                [j.id1, j.id4]
            });
            let id = row.get(mapping.record_id).unwrap_or_default().to_string();
            (id, e.tokens, e.problems.iter().map(|p| p.reason).collect(), joined)
        })
        .collect();
    let mut out = csv::Writer::from_writer(create_new(&args.output)?);
    let mut head: Vec<String> = vec!["source".into(), "record_id".into(), "key".into()];
    head.extend(Tokens::columns());
    if join.is_some() {
        head.extend(["join_id1".to_string(), "join_id4".to_string()]);
    }
    out.write_record(&head).map_err(|e| csv_err(&args.output, e))?;
    let mut problems: BTreeMap<&str, usize> = BTreeMap::new();
    let mut missing_id = 0usize;
    for (id, t, p, joined) in &encoded {
        if id.is_empty() {
            missing_id += 1;
            continue;
        }
        for reason in p {
            *problems.entry(reason).or_default() += 1;
        }
        let mut row = vec![source.clone(), id.clone(), encoder.fingerprint().to_string()];
        row.extend(t.to_columns());
        if let Some([a, b]) = joined {
            row.extend([a.clone().unwrap_or_default(), b.clone().unwrap_or_default()]);
        }
        out.write_record(&row).map_err(|e| csv_err(&args.output, e))?;
    }
    out.flush().map_err(io_err(&args.output))?;
    eprintln!(
        "{}: {} rows → {} token rows in {} (source {source}, key {}, {:.2} s)",
        args.input.display(),
        rows.len() + bad_rows,
        encoded.len() - missing_id,
        args.output.display(),
        encoder.fingerprint(),
        started.elapsed().as_secs_f64()
    );
    if bad_rows + missing_id > 0 {
        eprintln!("  skipped: {bad_rows} unreadable rows, {missing_id} rows without a record id");
    }
    for (reason, n) in &problems {
        eprintln!("  not used ({reason}): {n} rows");
    }
    Ok(if bad_rows + missing_id > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn csv_err(path: &Path, e: csv::Error) -> CliError {
    CliError::Other(format!("{}: {e}", path.display()))
}

/// Token files → sources (grouped by the `source` column), checking the key fingerprint.
fn read_sources(paths: &[PathBuf]) -> Result<(Vec<Source>, usize), CliError> {
    let mut sources: Vec<Source> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut fingerprint: Option<(String, PathBuf)> = None;
    let mut bad = 0usize;
    let columns = Tokens::columns();
    for path in paths {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| csv_err(path, e))?;
        let header = reader.headers().map_err(|e| csv_err(path, e))?.clone();
        let expected: Vec<&str> =
            ["source", "record_id", "key"].into_iter().chain(columns.iter().map(String::as_str)).collect();
        if header.iter().take(expected.len()).ne(expected.iter().copied()) {
            return Err(CliError::Usage(format!(
                "{}: not a token file of this version (header {:?})",
                path.display(),
                header
            )));
        }
        for (i, row) in reader.records().enumerate() {
            let line = i + 2;
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    bad += 1;
                    eprintln!("{}: row {line} skipped: {e}", path.display());
                    continue;
                }
            };
            let fields: Vec<&str> = row.iter().collect();
            if fields.len() < expected.len() {
                bad += 1;
                eprintln!(
                    "{}: row {line} skipped: {} columns, expected {}",
                    path.display(),
                    fields.len(),
                    expected.len()
                );
                continue;
            }
            match &fingerprint {
                None => fingerprint = Some((fields[2].to_string(), path.clone())),
                Some((fp, first)) if fp != fields[2] => {
                    return Err(CliError::Usage(format!(
                        "{} row {line} was made with key {} but {} with key {fp}: tokens of different keys never match",
                        path.display(),
                        fields[2],
                        first.display()
                    )));
                }
                Some(_) => {}
            }
            let tokens = match Tokens::from_columns(&fields[3..expected.len()]) {
                Ok(t) => t,
                Err(e) => {
                    bad += 1;
                    eprintln!("{}: row {line} skipped: {e}", path.display());
                    continue;
                }
            };
            let s = *index.entry(fields[0].to_string()).or_insert_with(|| {
                sources.push(Source { name: fields[0].to_string(), records: Vec::new() });
                sources.len() - 1
            });
            sources[s].records.push((fields[1].to_string(), tokens));
        }
    }
    Ok((sources, bad))
}

fn match_cmd(args: MatchArgs) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    if let Some(t) = args.threshold.filter(|t| !(0.0..1.0).contains(t)) {
        return Err(CliError::Usage(format!("--threshold {t}: must be a probability in [0, 1)")));
    }
    let explain = args.explain.clone().unwrap_or_else(|| args.out.with_extension("links.csv"));
    let (sources, bad) = read_sources(&args.tokens)?;
    let read = started.elapsed();
    let options = LinkOptions { max_block: args.max_block, threshold: args.threshold, ..LinkOptions::default() };
    let linkage = link(&sources, &options);
    let linked = started.elapsed() - read;
    write_clusters(&args.out, &sources, &linkage)?;
    write_links(&explain, &sources, &linkage.links, Some(&linkage.clusters))?;
    if let Some(review) = &args.review {
        let (pairs, _, _) = kakou_sdk::linkage::linker::candidates(&sources, &options);
        write_links(review, &sources, &pairs, Some(&linkage.clusters))?;
    }
    print_summary(&sources, &linkage, &args.out, &explain);
    eprintln!(
        "time: read {:.2} s, link {:.2} s, total {:.2} s; peak memory {}",
        read.as_secs_f64(),
        linked.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    if bad > 0 {
        eprintln!("{bad} token rows skipped (see above)");
    }
    Ok(if bad > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn cluster_name(c: usize) -> String {
    format!("P{c:07}")
}

fn write_clusters(path: &Path, sources: &[Source], linkage: &Linkage) -> Result<(), CliError> {
    let mut w = csv::Writer::from_writer(create_new(path)?);
    w.write_record(["source", "record_id", "cluster_id"]).map_err(|e| csv_err(path, e))?;
    for (s, src) in sources.iter().enumerate() {
        for (r, (id, _)) in src.records.iter().enumerate() {
            w.write_record([src.name.as_str(), id, &cluster_name(linkage.clusters[s][r])])
                .map_err(|e| csv_err(path, e))?;
        }
    }
    w.flush().map_err(io_err(path))
}

fn write_links(
    path: &Path,
    sources: &[Source],
    links: &[Link],
    clusters: Option<&[Vec<usize>]>,
) -> Result<(), CliError> {
    let mut w = csv::Writer::from_writer(create_new(path)?);
    w.write_record([
        "source_a",
        "record_a",
        "source_b",
        "record_b",
        "cluster_id",
        "weight",
        "probability",
        "explanation",
    ])
    .map_err(|e| csv_err(path, e))?;
    for l in links {
        let rec = |(s, r): (usize, usize)| (sources[s].name.as_str(), sources[s].records[r].0.as_str());
        let ((sa, ra), (sb, rb)) = (rec(l.a), rec(l.b));
        let cluster = clusters.map(|c| cluster_name(c[l.a.0][l.a.1])).unwrap_or_default();
        w.write_record([
            sa,
            ra,
            sb,
            rb,
            &cluster,
            &format!("{:.2}", l.weight),
            &format!("{:.6}", l.probability),
            &l.explain(),
        ])
        .map_err(|e| csv_err(path, e))?;
    }
    w.flush().map_err(io_err(path))
}

fn print_summary(sources: &[Source], linkage: &Linkage, out: &Path, explain: &Path) {
    let s = &linkage.stats;
    let names: Vec<String> = sources.iter().map(|x| format!("{} ({})", x.name, x.records.len())).collect();
    eprintln!("sources: {}", names.join(", "));
    eprintln!(
        "{} records, {} candidate pairs ({} oversized blocks skipped), {} pairs above the cut-off p ≥ {:.4}, {} refused by one-to-one, {} links → {} persons",
        s.records,
        s.candidate_pairs,
        s.skipped_blocks,
        s.pairs_above_threshold,
        linkage.threshold,
        s.refused_one_to_one,
        s.links,
        s.clusters
    );
    let m = &linkage.model;
    eprintln!(
        "model (EM, {} iterations, prior match probability of a record pair {:.2e}): level m u weight",
        m.iterations, m.lambda
    );
    for (c, comp) in kakou_sdk::linkage::Comparison::ALL.iter().enumerate() {
        let levels: Vec<String> = comp
            .levels()
            .iter()
            .enumerate()
            .map(|(l, name)| format!("{name} {:.3}/{:.3} {:+.1}", m.m[c][l], m.u[c][l], m.weight(c, l as u8)))
            .collect();
        eprintln!("  {}: {}", comp.label(), levels.join("; "));
    }
    eprintln!("wrote {} and {}", out.display(), explain.display());
}

/// Peak resident memory of this process (Linux `VmHWM`).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.0} MB", kb / 1024.0))
}

//! `kakou text`: redact identifiers in clinical notes (see kakou_sdk::text and docs/text.md).
//!
//! The command is plumbing around one [`Redactor`] built from the options: standard input or a
//! file to standard output, or a folder to an output folder (`folder.rs`). Plain text is
//! streamed through [`StreamRedactor`] in bounded memory whatever its size.

mod decode;
mod folder;

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kakou_sdk::ProjectKey;
use kakou_sdk::text::{
    AgeAction, DateAction, Language, Patient, PatientIdentifiers, PhiKind, Policy, RedactedSpan, Redactor,
    StreamRedactor,
};
use serde::Serialize;

use crate::batch::CliError;
use decode::Utf8Decoder;

/// Redact identifiers in clinical notes: names, addresses, facilities, phone numbers, e-mail,
/// URLs, マイナンバー and card numbers (check digits verified), postal codes, dates (Western and
/// 和暦), ages, and numbers introduced by a label (MRN, 患者ID, 保険者番号, 記号/番号, 旅券番号 …).
///
/// INPUT is a UTF-8 text file, - for standard input (the default), or a folder. A file or
/// standard input is written to standard output. A folder (or a file with OUT) is walked for
/// *.txt and *.jsonl files, which are written to OUT mirroring the tree:
///
///   OUT/release/<same relative paths>   redacted files
///   OUT/spans/<path>.spans.jsonl        with --spans: one line per span (offsets, type, action)
///   OUT/report.jsonl                    one line per file: counts by type and action, errors
///   OUT/report.txt, OUT/summary.json    the summary for people and for machines
///
/// OUT must be new or empty: nothing is ever overwritten, and input files are only read.
///
/// JSON lines (*.jsonl, or --jsonl): every line is {"text": …, "id": …, "patient": {…}} (id and
/// patient optional; patient as in --hints); every output line is {"id", "redacted_text",
/// "spans":[{"start","end","start_utf16","end_utf16","type","confidence","rule","action"}]},
/// offsets in Unicode scalar values and in UTF-16 code units of the input text.
///
/// POLICIES (--policy)
///   redact-all      every identifier replaced, dates and ages too (default)
///   pseudonymized   仮名加工: identifiers replaced; dates, ages and medical content kept
///   anonymized      匿名加工: also dates shifted per patient (with --key) or cut to year-month,
///                   ages over 89 → 90歳以上 / 90 or older
///
/// REPLACEMENTS
///   Typed placeholders ([氏名], [NAME], …; change them with --placeholder), or with
///   --surrogates --key consistent keyed surrogates: the same person gets the same surrogate name
///   in every note of the patient, numbers keep their shape (and fail their check digit), dates
///   move by the patient's keyed offset so intervals are kept.
///
/// THE PATIENT'S OWN IDENTIFIERS (--hints FILE)
///   {"patient_id":"0012345","name":"山田 太郎","kana":"ヤマダ タロウ","birth_date":"1970-03-15",
///    "address":"東京都千代田区永田町1丁目7番1号","phones":["03-1234-5678"],"ids":[],"emails":[],
///    "other_names":["YAMADA TARO"]}
///   Every spelling is found: widths, katakana/hiragana/half-width, with or without spaces, the
///   family name alone, the birth date in 和暦 and other formats. patient_id also keys surrogates.
///
/// EXIT STATUS
///   0  everything was redacted (files that are not .txt/.jsonl are skipped with a reason)
///   1  nothing was done: bad arguments, key, hints or output folder; unreadable single input
///   2  some files or lines could not be read (not UTF-8, not JSON); the others were processed
///
/// EXAMPLES
///   echo "TEL 03-1234-5678 受診日 R6.3.5" | kakou text
///   kakou text note.txt --policy pseudonymized --hints patient.json > note.redacted.txt
///   kakou text notes/ out/ --policy anonymized --surrogates --key project.key
///   kakou text notes.jsonl --jsonl --placeholder NAME=＊＊＊ --placeholder PHONE.en=<phone>
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct TextArgs {
    /// A UTF-8 text file, a folder, or - for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Output folder (new or empty); required for a folder.
    output: Option<PathBuf>,
    /// Read and write JSON lines (automatic for *.jsonl files in a folder).
    #[arg(long)]
    jsonl: bool,
    /// Plain text to standard output: print the spans as JSON after the text. With OUT: write
    /// OUT/spans/<path>.spans.jsonl.
    #[arg(long)]
    spans: bool,
    /// redact-all | pseudonymized | anonymized
    #[arg(long, default_value = "redact-all")]
    policy: String,
    /// Override the policy's dates: keep | remove | shift | year-month.
    #[arg(long, value_parser = ["keep", "remove", "shift", "year-month"])]
    dates: Option<String>,
    /// Override the policy's ages: keep | remove | top-code.
    #[arg(long, value_parser = ["keep", "remove", "top-code"])]
    ages: Option<String>,
    /// Keep facility and organisation names (hospitals, clinics).
    #[arg(long)]
    keep_facilities: bool,
    /// Replace with consistent keyed surrogates instead of placeholders (needs --key).
    #[arg(long)]
    surrogates: bool,
    /// The project key file (kakou keygen): for --surrogates and date shifting.
    #[arg(long)]
    key: Option<PathBuf>,
    /// TYPE=TEXT, TYPE.ja=TEXT or TYPE.en=TEXT (repeatable), e.g. NAME=＊＊＊.
    #[arg(long = "placeholder", value_name = "TYPE=TEXT")]
    placeholders: Vec<String>,
    /// Language of placeholders: auto (per text) | ja | en.
    #[arg(long, default_value = "auto", value_parser = ["auto", "ja", "en"])]
    language: String,
    /// JSON file with the patient's identifiers (see above).
    #[arg(long)]
    hints: Option<PathBuf>,
    /// The patient's identity for surrogates and date shifts when there are no hints.
    #[arg(long)]
    patient: Option<String>,
    /// Replace invalid UTF-8 with U+FFFD (and report it) instead of refusing the file.
    #[arg(long)]
    lossy: bool,
    /// Worker threads for folders (default: one per core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// One output line of JSON-lines mode.
#[derive(Serialize)]
struct Line<'a> {
    id: serde_json::Value,
    redacted_text: &'a str,
    spans: &'a [RedactedSpan],
}

pub fn run(args: TextArgs) -> Result<ExitCode, CliError> {
    let redactor = build_redactor(&args)?;
    let patient = read_patient(&args)?;
    let is_dir = args.input.is_dir();
    match &args.output {
        Some(out) => folder::run(&args, out, &redactor, &patient),
        None if is_dir => Err(CliError::Usage(format!(
            "{} is a folder: give an output folder too (kakou text {} OUT)",
            args.input.display(),
            args.input.display()
        ))),
        None => to_stdout(&args, &redactor, &patient),
    }
}

fn build_redactor(args: &TextArgs) -> Result<Redactor, CliError> {
    let usage = |e: kakou_sdk::text::TextPolicyError| CliError::Usage(e.to_string());
    let mut b = Redactor::builder()
        .policy(args.policy.parse::<Policy>().map_err(usage)?)
        .keep_facilities(args.keep_facilities)
        .surrogates(args.surrogates)
        .language(match args.language.as_str() {
            "ja" => Language::Ja,
            "en" => Language::En,
            _ => Language::Auto,
        });
    if let Some(path) = &args.key {
        b = b.key(&read_key(path)?);
    }
    b = match args.dates.as_deref() {
        Some("keep") => b.dates(DateAction::Keep),
        Some("remove") => b.dates(DateAction::Remove),
        Some("shift") => b.dates(DateAction::Shift),
        Some("year-month") => b.dates(DateAction::YearMonth),
        _ => b,
    };
    b = match args.ages.as_deref() {
        Some("keep") => b.ages(AgeAction::Keep),
        Some("remove") => b.ages(AgeAction::Remove),
        Some("top-code") => b.ages(AgeAction::TopCode),
        _ => b,
    };
    for p in &args.placeholders {
        let (kind, language, text) = parse_placeholder(p)?;
        b = b.placeholder(kind, language, text);
    }
    b.build().map_err(usage)
}

/// `NAME=＊＊`, `NAME.ja=[患者]`, `phone.en=<phone>`.
fn parse_placeholder(p: &str) -> Result<(PhiKind, Language, &str), CliError> {
    let (lhs, text) = p
        .split_once('=')
        .ok_or_else(|| CliError::Usage(format!("--placeholder {p}: expected TYPE=TEXT (e.g. NAME=＊＊＊)")))?;
    let (kind, language) = match lhs.rsplit_once('.') {
        Some((k, "ja")) => (k, Language::Ja),
        Some((k, "en")) => (k, Language::En),
        _ => (lhs, Language::Auto),
    };
    let kind = kind.parse::<PhiKind>().map_err(|e| CliError::Usage(format!("--placeholder {p}: {e}")))?;
    Ok((kind, language, text))
}

fn read_key(path: &Path) -> Result<ProjectKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
    ProjectKey::from_hex(&text).map_err(|e| CliError::Key(path.display().to_string(), e))
}

fn read_patient(args: &TextArgs) -> Result<Patient, CliError> {
    let mut ids = match &args.hints {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.display().to_string(), e))?;
            serde_json::from_str::<PatientIdentifiers>(&text)
                .map_err(|e| CliError::Usage(format!("{}: not a valid hints file: {e}", path.display())))?
        }
        None => PatientIdentifiers::default(),
    };
    if let Some(p) = &args.patient {
        ids.patient_id.get_or_insert_with(|| p.clone());
    }
    Ok(if ids == PatientIdentifiers::default() { Patient::default() } else { Patient::new(&ids) })
}

/// A file or standard input to standard output.
fn to_stdout(args: &TextArgs, redactor: &Redactor, patient: &Patient) -> Result<ExitCode, CliError> {
    let name = args.input.display().to_string();
    let input: Box<dyn BufRead> = if name == "-" {
        Box::new(std::io::BufReader::with_capacity(1 << 20, std::io::stdin()))
    } else {
        let f = std::fs::File::open(&args.input).map_err(|e| CliError::Io(name.clone(), e))?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, f))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.jsonl {
        let bad =
            redact_jsonl(input, &mut out, &name, redactor, patient, args.lossy, &mut |_| {}).map_err(|e| match e {
                StreamError::Read(e) => CliError::Io(name.clone(), e),
                StreamError::Write(e) => CliError::Io("standard output".into(), e),
                StreamError::Utf8(e) => CliError::Usage(format!("{name}: {e}")),
            })?;
        out.flush().map_err(|e| CliError::Io("standard output".into(), e))?;
        return Ok(if bad > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS });
    }
    let mut spans = Vec::new();
    let done = redact_plain(input, &mut out, redactor, patient, args.lossy, &mut |s| {
        if args.spans {
            spans.extend_from_slice(s)
        }
    });
    let stats = done.map_err(|e| match e {
        StreamError::Read(e) => CliError::Io(name.clone(), e),
        StreamError::Write(e) => CliError::Io("standard output".into(), e),
        StreamError::Utf8(e) => CliError::Usage(format!("{name}: {e}")),
    })?;
    let write_err = |e| CliError::Io("standard output".into(), e);
    if args.spans {
        let json = serde_json::to_string(&spans).map_err(|e| CliError::Other(e.to_string()))?;
        writeln!(out, "\n{json}").map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    if stats.replaced > 0 {
        eprintln!(
            "kakou: {name}: {} invalid UTF-8 sequences replaced by U+FFFD (first at byte {})",
            stats.replaced,
            stats.first_replaced.unwrap_or(0)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Why streaming a file stopped.
#[derive(Debug)]
pub(crate) enum StreamError {
    Read(std::io::Error),
    Write(std::io::Error),
    Utf8(decode::InvalidUtf8),
}

/// What a plain-text file gave.
#[derive(Debug, Default)]
pub(crate) struct PlainStats {
    pub replaced: u64,
    pub first_replaced: Option<u64>,
}

/// Streams plain text through the redactor in 1 MiB blocks; `spans` sees every span once.
pub(crate) fn redact_plain(
    mut input: impl Read,
    out: &mut impl Write,
    redactor: &Redactor,
    patient: &Patient,
    lossy: bool,
    spans: &mut dyn FnMut(&[RedactedSpan]),
) -> Result<PlainStats, StreamError> {
    let mut decoder = Utf8Decoder::new(lossy);
    let mut stream = StreamRedactor::new(redactor, patient);
    let mut block = vec![0u8; 1 << 20];
    let mut text = String::new();
    loop {
        let n = match input.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(StreamError::Read(e)),
        };
        text.clear();
        decoder.decode(&block[..n], &mut text).map_err(StreamError::Utf8)?;
        let r = stream.push(&text);
        out.write_all(r.text.as_bytes()).map_err(StreamError::Write)?;
        spans(&r.spans);
    }
    text.clear();
    decoder.finish(&mut text).map_err(StreamError::Utf8)?;
    let r = stream.push(&text);
    out.write_all(r.text.as_bytes()).map_err(StreamError::Write)?;
    spans(&r.spans);
    let r = stream.finish();
    out.write_all(r.text.as_bytes()).map_err(StreamError::Write)?;
    spans(&r.spans);
    Ok(PlainStats { replaced: decoder.replaced, first_replaced: decoder.first_replaced })
}

/// Redacts JSON lines; returns the number of bad lines (reported on stderr and skipped).
/// `spans` sees every output line's spans.
pub(crate) fn redact_jsonl(
    mut input: impl BufRead,
    out: &mut impl Write,
    name: &str,
    redactor: &Redactor,
    patient: &Patient,
    lossy: bool,
    spans: &mut dyn FnMut(&[RedactedSpan]),
) -> Result<usize, StreamError> {
    let mut bad = 0usize;
    let mut raw = Vec::new();
    for n in 1.. {
        raw.clear();
        if input.read_until(b'\n', &mut raw).map_err(StreamError::Read)? == 0 {
            break;
        }
        let mut line = String::new();
        let mut d = Utf8Decoder::new(lossy);
        if let Err(e) = d.decode(&raw, &mut line).and_then(|_| d.finish(&mut line)) {
            eprintln!("kakou: {name} line {n}: {e}; skipped");
            bad += 1;
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let obj: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("kakou: {name} line {n}: not JSON ({e}); skipped");
                bad += 1;
                continue;
            }
        };
        let Some(text) = obj.get("text").and_then(|t| t.as_str()) else {
            eprintln!("kakou: {name} line {n}: no \"text\" string; skipped");
            bad += 1;
            continue;
        };
        let own;
        let who = match obj.get("patient") {
            Some(p) => match serde_json::from_value::<PatientIdentifiers>(p.clone()) {
                Ok(ids) => {
                    own = Patient::new(&ids);
                    &own
                }
                Err(e) => {
                    eprintln!("kakou: {name} line {n}: \"patient\" is not valid ({e}); skipped");
                    bad += 1;
                    continue;
                }
            },
            None => patient,
        };
        let r = redactor.redact_for(text, who);
        let id = obj.get("id").cloned().unwrap_or(serde_json::Value::from(n));
        let json = serde_json::to_string(&Line { id, redacted_text: &r.text, spans: &r.spans })
            .map_err(|e| StreamError::Write(std::io::Error::other(e)))?;
        writeln!(out, "{json}").map_err(StreamError::Write)?;
        spans(&r.spans);
    }
    Ok(bad)
}

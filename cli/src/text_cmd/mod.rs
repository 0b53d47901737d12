//! `kakou text`: redact identifiers in free text (pattern rules; see kakou_sdk::text).

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kakou_sdk::text::{Span, redact};
use serde::Serialize;

use crate::batch::CliError;

/// Redact identifiers in free text: phone numbers, e-mail, URLs, IPs, マイナンバー and card
/// numbers (check digits verified), postal codes, dates (Western and 和暦), ages, and numbers
/// introduced by a label (MRN, 患者ID, 保険者番号, 記号/番号, 旅券番号, 口座番号 …).
///
/// Person names, addresses and facility names are not found yet (work in progress).
///
/// INPUT is a UTF-8 text file, or - for standard input (the default). With --jsonl every input
/// line is a JSON object with "text" (and optionally "id"); every output line is
/// {"id", "redacted_text", "spans":[{"start","end","start_utf16","end_utf16","type","confidence","rule"}]},
/// offsets in Unicode scalar values and in UTF-16 code units.
///
/// EXAMPLES
///   echo "TEL 03-1234-5678 受診日 R6.3.5" | kakou text
///   kakou text notes.jsonl --jsonl > redacted.jsonl
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct TextArgs {
    /// A UTF-8 text file, or - for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Read and write JSON lines.
    #[arg(long)]
    jsonl: bool,
    /// Plain text mode: print the spans as JSON after the redacted text.
    #[arg(long)]
    spans: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    id: serde_json::Value,
    redacted_text: &'a str,
    spans: &'a [Span],
}

pub fn run(args: TextArgs) -> Result<ExitCode, CliError> {
    let name = args.input.display().to_string();
    let mut input: Box<dyn BufRead> = if name == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(&args.input).map_err(|e| CliError::Io(name.clone(), e))?;
        Box::new(std::io::BufReader::new(f))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write_err = |e: std::io::Error| CliError::Io("standard output".into(), e);
    if !args.jsonl {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| CliError::Io(name.clone(), e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            CliError::Usage(format!("{name}: not UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to()))
        })?;
        let r = redact(&text);
        out.write_all(r.text.as_bytes()).map_err(write_err)?;
        if args.spans {
            let json = serde_json::to_string(&r.spans).map_err(|e| CliError::Other(e.to_string()))?;
            writeln!(out, "\n{json}").map_err(write_err)?;
        }
        out.flush().map_err(write_err)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut bad = 0usize;
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| CliError::Io(format!("{name} line {}", n + 1), e))?;
        if line.trim().is_empty() {
            continue;
        }
        let obj: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("kakou: {name} line {}: not JSON ({e}); skipped", n + 1);
                bad += 1;
                continue;
            }
        };
        let Some(text) = obj.get("text").and_then(|t| t.as_str()) else {
            eprintln!("kakou: {name} line {}: no \"text\" string; skipped", n + 1);
            bad += 1;
            continue;
        };
        let r = redact(text);
        let id = obj.get("id").cloned().unwrap_or(serde_json::Value::from(n + 1));
        let json = serde_json::to_string(&Line { id, redacted_text: &r.text, spans: &r.spans })
            .map_err(|e| CliError::Other(e.to_string()))?;
        writeln!(out, "{json}").map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    Ok(if bad > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

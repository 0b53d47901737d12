//! `kakou keygen`: create a project key file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use kakou_sdk::ProjectKey;

use crate::batch::CliError;

/// Create a new random project key (32 bytes, hex) in FILE. Refuses to overwrite.
///
/// The key decides every keyed pseudonym, UID and date offset: the same key gives the same output
/// for the same input, in every batch and in the browser. Whoever holds it can re-identify by
/// recomputing pseudonyms, so store it like a password and never send it with the data.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct KeygenArgs {
    /// Where to write the key (must not exist).
    file: PathBuf,
}

pub fn run(args: KeygenArgs) -> Result<ExitCode, CliError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CliError::Other(format!("no random source: {e}")))?;
    let key = ProjectKey::from_bytes(bytes);
    let io = |e: std::io::Error| CliError::Io(args.file.display().to_string(), e);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&args.file).map_err(io)?;
    writeln!(
        f,
        "# Kakou project key (fingerprint {}). Secret: do not share, do not send with data.",
        key.fingerprint()
    )
    .and_then(|_| writeln!(f, "{}", key.to_hex()))
    .map_err(io)?;
    eprintln!("wrote {} (fingerprint {})", args.file.display(), key.fingerprint());
    Ok(ExitCode::SUCCESS)
}

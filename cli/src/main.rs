//! `kakou`: Kakou's native batch command line.
//!
//! The CLI is the only place where Kakou touches the file system, threads and the terminal; the
//! rules themselves live in the SDK crates, which the browser build shares. It is its own crate
//! so that the SDK stays free of I/O and so that later surfaces (the web server) can be added
//! as subcommands without the SDK depending on them.

mod anonymize_cmd;
mod batch;
mod deface_cmd;
mod dicom_cmd;
mod keygen;
mod link_cmd;
mod records_cmd;
mod text_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Kakou (加工): de-identification for Japanese medical data, where the data lives.
///
/// Start with a project key (keep it secret, keep it safe: it decides every pseudonym, UID and
/// date shift, and only its holder can re-identify):
///
///     kakou keygen project.key
///
/// then de-identify a folder of DICOM files:
///
///     kakou dicom /data/export /data/out --key project.key --preset jp-pseudonymized
#[derive(Parser)]
#[command(name = "kakou", version, about, long_about, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Dicom(dicom_cmd::DicomArgs),
    Deface(deface_cmd::DefaceArgs),
    Keygen(keygen::KeygenArgs),
    Records(records_cmd::RecordsArgs),
    Link(link_cmd::LinkArgs),
    Text(text_cmd::TextArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dicom(args) => dicom_cmd::run(args),
        Command::Deface(args) => deface_cmd::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Records(args) => records_cmd::run(args),
        Command::Link(args) => link_cmd::run(args),
        Command::Text(args) => text_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kakou: {e}");
            ExitCode::from(1)
        }
    }
}

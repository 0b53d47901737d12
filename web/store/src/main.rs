//! `kakou-store`: the web server's admin command line (database setup, first admin, audit
//! verification, provision export). It works on the same database and object store as the web
//! app, so run it on the server's machine with the same `--db` / `--objects`.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kakou_store::{Actor, NewUser, OrgKind, Role, Store, StoreConfig, audit::ChainError};

const DEFAULT_DB: &str = "sqlite://kakou-data/kakou.db?mode=rwc";
const DEFAULT_OBJECTS: &str = "kakou-data/objects";

#[derive(Parser)]
#[command(
    name = "kakou-store",
    version,
    about = "Administer the Kakou web server's database: create it, create the first admin, verify the audit chain, export provision records.",
    long_about = "Administer the Kakou web server's database and object store.\n\n\
        By default everything lives under ./kakou-data: a SQLite file (created on first run) and a folder of \
        stored packages. Point --db at PostgreSQL (postgres://user@host/db) and --objects at S3 (s3://bucket/prefix, \
        in builds with the `s3` feature) for a larger installation.\n\n\
        A first run:\n  kakou-store init\n  kakou-store create-admin --email you@example.org --org \"Example Creator\"\n\
        then open the printed link to set the admin's password.",
    after_help = "Exit status: 0 on success, 1 when the audit chain is broken (audit-verify), 2 on any other error."
)]
struct Cli {
    /// Database URL (sqlite://PATH?mode=rwc or postgres://…).
    #[arg(long, global = true, env = "KAKOU_DB_URL", default_value = DEFAULT_DB)]
    db: String,
    /// Where packages are stored: a folder, or s3://bucket/prefix.
    #[arg(long, global = true, env = "KAKOU_OBJECTS", default_value = DEFAULT_OBJECTS)]
    objects: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database (or bring its schema up to date) and the object folder.
    Init,
    /// Create an administrator and print a one-time setup link (valid 24 h), or read a
    /// password from stdin with --password-stdin.
    CreateAdmin {
        /// The admin's e-mail address (the login name).
        #[arg(long)]
        email: String,
        /// The admin's organisation, created if it does not exist.
        #[arg(long)]
        org: String,
        /// The kind of a newly created organisation.
        #[arg(long, value_enum, default_value = "creator")]
        org_kind: Kind,
        /// Read the password from the first line of stdin instead of printing a setup link.
        #[arg(long)]
        password_stdin: bool,
        /// The web app's address, for the setup link.
        #[arg(long, default_value = "http://localhost:3000")]
        base_url: String,
    },
    /// Create a user of any role (uploader by default) in an organisation (a hospital by
    /// default, created if it does not exist); setup link or --password-stdin as create-admin.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        org: String,
        #[arg(long, value_enum, default_value = "hospital")]
        org_kind: Kind,
        /// uploader, operator, committee, researcher or admin.
        #[arg(long, default_value = "uploader")]
        role: String,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, default_value = "http://localhost:3000")]
        base_url: String,
    },
    /// Recompute the audit log's hash chain. Exit 1 and name the first bad entry when broken.
    AuditVerify,
    /// Write all provision records (提供記録) as CSV or JSON.
    ProvisionsExport {
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Hospital,
    Municipality,
    Creator,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kakou-store: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let store = Store::open(&cli.db, StoreConfig::new(cli.objects.clone())).await?;
    let system = Actor::system("cli");
    match cli.command {
        Command::Init => {
            println!("database ready: {}", kakou_store::db::redact_url(&cli.db));
            println!("objects: {}", cli.objects);
        }
        Command::CreateAdmin { email, org, org_kind, password_stdin, base_url } => {
            create_user(
                &store,
                &system,
                NewAccount { email, org, org_kind, role: Role::Admin, password_stdin, base_url },
            )
            .await?;
        }
        Command::CreateUser { email, org, org_kind, role, password_stdin, base_url } => {
            let role: Role = role.parse()?;
            create_user(&store, &system, NewAccount { email, org, org_kind, role, password_stdin, base_url }).await?;
        }
        Command::AuditVerify => match store.verify_chain().await {
            Ok(n) => {
                let head = store
                    .audit_head()
                    .await?
                    .map(|(seq, hash)| format!(", head seq {seq} hash {hash}"))
                    .unwrap_or_default();
                println!("audit chain intact: {n} entries{head}");
            }
            Err(ChainError::Broken { seq, problem }) => {
                println!("audit chain BROKEN at seq {seq}: {problem}");
                return Ok(ExitCode::from(1));
            }
            Err(ChainError::Store(e)) => return Err(e.into()),
        },
        Command::ProvisionsExport { format, out } => {
            let text = match format {
                Format::Csv => store.export_provisions_csv(&system).await?,
                Format::Json => store.export_provisions_json(&system).await?,
            };
            match out {
                Some(path) => std::fs::write(path, text)?,
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

struct NewAccount {
    email: String,
    org: String,
    org_kind: Kind,
    role: Role,
    password_stdin: bool,
    base_url: String,
}

async fn create_user(store: &Store, system: &Actor, a: NewAccount) -> Result<(), Box<dyn std::error::Error>> {
    let kind = match a.org_kind {
        Kind::Hospital => OrgKind::Hospital,
        Kind::Municipality => OrgKind::Municipality,
        Kind::Creator => OrgKind::Creator,
    };
    let org = match store.org_by_name(&a.org).await? {
        Some(o) => o,
        None => store.create_org(system, &a.org, kind).await?,
    };
    let password = if a.password_stdin { Some(read_password_line()?) } else { None };
    let new = NewUser { email: a.email, org_id: org.id, role: a.role, password: password.clone() };
    let user = store.create_user(system, new).await?;
    if password.is_some() {
        println!("{} {} created in {}; sign in and enrol TOTP", a.role, user.email, org.name);
    } else {
        let token = store.issue_setup_token(system, user.id).await?;
        println!("{} {} created in {}. One-time setup link (24 h):", a.role, user.email, org.name);
        println!("{}/setup?token={token}", a.base_url.trim_end_matches('/'));
    }
    Ok(())
}

fn read_password_line() -> std::io::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

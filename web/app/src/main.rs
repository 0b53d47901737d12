//! `kakou-web`: the web server. `kakou-web serve` starts it with embedded defaults (a SQLite
//! file and a folder of packages under `./kakou-data`, created on first run); a first run with
//! no users creates the creator organisation and its first admin and prints a one-time setup
//! link. PostgreSQL and S3 are one flag away (`--db`, `--objects`).

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kakou_store::{Actor, NewUser, OrgKind, Role, Store, StoreConfig};
use kakou_web::server::{AppState, serve};
use leptos::prelude::*;

#[derive(Parser)]
#[command(
    name = "kakou-web",
    version,
    about = "Kakou's web app: hospital upload de-identified in the browser, opt-out registry, provision records, audit.",
    long_about = "Kakou's web app for the certified creator (認定作成事業者) and the hospitals that provide data.\n\n\
        Hospitals' files are de-identified inside their own browser (the Kakou SDK in a Web Worker) and only the \
        processed package is uploaded. The server keeps accounts (Argon2id passwords, TOTP or passkeys), opt-out registries, \
        records of provision and a hash-chained audit log.\n\n\
        First run:\n  kakou-web serve\nprints a one-time link for the first admin. Open it, choose a password, sign in, \
        turn on two-factor sign-in (authenticator app or passkey), then create the hospitals and their users on the Users page.",
    after_help = "Environment: KAKOU_DB_URL, KAKOU_OBJECTS, KAKOU_SITE_ROOT, KAKOU_ADDR, KAKOU_PUBLIC_URL mirror the flags.\n\
        Other admin tasks (audit-verify, provisions-export): the kakou-store command."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (creating the database and the first admin on first run).
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KAKOU_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Database: a SQLite URL (default, created on first run) or postgres://user@host/db.
    #[arg(long, env = "KAKOU_DB_URL", default_value = "sqlite://kakou-data/kakou.db?mode=rwc")]
    db: String,
    /// Where packages are stored: a folder, or s3://bucket/prefix in builds with S3 support.
    #[arg(long, env = "KAKOU_OBJECTS", default_value = "kakou-data/objects")]
    objects: String,
    /// The built site (hydration wasm, SDK, assets): scripts/build-web.sh makes it.
    #[arg(long, env = "KAKOU_SITE_ROOT", default_value = "target/site")]
    site_root: String,
    /// The URL users reach this server at: https → Secure cookies; passkeys are bound to its
    /// host name (they cannot work on an IP address). Default: http://localhost:PORT when
    /// listening on loopback, http://ADDR otherwise.
    #[arg(long, env = "KAKOU_PUBLIC_URL")]
    public_url: Option<String>,
    /// The first admin's e-mail, used only when the database has no users yet.
    #[arg(long, default_value = "admin@kakou.local")]
    first_admin: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Command::Serve(args) = Cli::parse().command;
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kakou-web: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(dir) = sqlite_dir(&args.db) {
        std::fs::create_dir_all(dir)?;
    }
    let public_url = args.public_url.clone().unwrap_or_else(|| default_public_url(args.addr));
    let mut config = StoreConfig::new(args.objects.clone());
    config.passkeys = passkey_settings(&public_url);
    let store = Store::open(&args.db, config).await?;
    first_admin(&store, &args.first_admin, &public_url).await?;
    // Built by scripts/build-web.sh: wasm-bindgen names the client `kakou_web`.
    let leptos = LeptosOptions::builder()
        .output_name("kakou_web")
        .site_root(args.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let state = AppState::new(store, public_url.starts_with("https://"), leptos);
    eprintln!(
        "kakou-web: serving {public_url} (database {}, objects {})",
        kakou_store::db::redact_url(&args.db),
        args.objects
    );
    serve(state, args.addr).await?;
    Ok(())
}

fn default_public_url(addr: SocketAddr) -> String {
    if addr.ip().is_loopback() { format!("http://localhost:{}", addr.port()) } else { format!("http://{addr}") }
}

/// Passkeys for a public URL with a host name; off (with a note) for an IP address.
fn passkey_settings(public_url: &str) -> Option<kakou_store::passkey::PasskeySettings> {
    let host = public_url.split("://").nth(1)?.split(['/', ':']).next()?;
    if host.is_empty() || host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
        eprintln!("kakou-web: passkeys are off: the public URL {public_url} has no host name (use --public-url)");
        return None;
    }
    Some(kakou_store::passkey::PasskeySettings {
        origin: public_url.trim_end_matches('/').into(),
        rp_name: "Kakou".into(),
    })
}

/// The folder of a SQLite file URL, to create before opening it.
fn sqlite_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()).map(|p| p.to_path_buf())
}

/// On a database without users: the creator organisation, its admin, and a setup link.
async fn first_admin(store: &Store, email: &str, public_url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let system = Actor::system("first-run");
    if !store.list_users(&system, None).await?.is_empty() {
        return Ok(());
    }
    let org = match store.org_by_name("認定作成事業者 Creator").await? {
        Some(o) => o,
        None => store.create_org(&system, "認定作成事業者 Creator", OrgKind::Creator).await?,
    };
    let user = store
        .create_user(&system, NewUser { email: email.into(), org_id: org.id, role: Role::Admin, password: None })
        .await?;
    let token = store.issue_setup_token(&system, user.id).await?;
    println!("First run: admin {email} created. Open this one-time link (24 h) to set the password:");
    println!("  {}/setup?token={token}", public_url.trim_end_matches('/'));
    Ok(())
}

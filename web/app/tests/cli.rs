//! The `kakou-web` binary as an operator meets it: help that teaches, a clear refusal of a bad
//! database URL, and a first run that creates the database and prints the setup link.
#![cfg(feature = "ssr")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn kakou_web() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kakou-web"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn serve_help_explains_the_flags() {
    let o = kakou_web().args(["serve", "--help"]).output().unwrap();
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for flag in ["--db", "--objects", "--site-root", "--public-url", "--first-admin", "passkeys"] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn a_bad_database_url_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let o = kakou_web()
        .args(["serve", "--db", "mysql://db.example/kakou", "--addr", &format!("127.0.0.1:{}", free_port())])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unsupported database URL 'mysql://db.example/kakou'"), "{err}");
}

#[test]
fn first_run_creates_the_database_and_prints_a_setup_link() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = kakou_web()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let link = lines.find_map(|l| l.ok().filter(|l| l.contains("/setup?token="))).unwrap_or_default();
    // Loopback: the public URL is localhost (a host name, so passkeys work).
    assert!(link.trim().starts_with(&format!("http://localhost:{port}/setup?token=")), "{link}");
    assert!(tmp.path().join("kakou-data/kakou.db").exists());
    let started = Instant::now();
    let answer = loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
            let mut text = String::new();
            s.read_to_string(&mut text).unwrap();
            break text;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not answer");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut icon = String::new();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /favicon.ico HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    s.read_to_string(&mut icon).unwrap();
    server.kill().unwrap();
    assert!(icon.contains(" 204 "), "{icon}");
    server.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
}

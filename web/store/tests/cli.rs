//! The admin CLI end to end: init, create-admin, audit-verify (intact, then tampered), export.

use std::process::{Command, Output, Stdio};

fn cli(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let db = format!("sqlite://{}/kakou.db?mode=rwc", dir.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakou-store"))
        .args(["--db", &db, "--objects", &dir.join("objects").display().to_string()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn init_admin_verify_tamper_and_export() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = cli(dir, &["init"], None);
    assert!(o.status.success(), "{o:?}");
    assert!(dir.join("kakou.db").exists());

    let o = cli(dir, &["create-admin", "--email", "root@example.org", "--org", "Example Creator"], None);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    let link = out.lines().find(|l| l.starts_with("http://localhost:3000/setup?token=")).expect(&out);
    assert_eq!(link.len() - "http://localhost:3000/setup?token=".len(), 64);

    let o = cli(
        dir,
        &["create-admin", "--email", "second@example.org", "--org", "Example Creator", "--password-stdin"],
        Some("a long enough passphrase\n"),
    );
    assert!(o.status.success(), "{o:?}");

    let o = cli(dir, &["audit-verify"], None);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout(&o).starts_with("audit chain intact: 4 entries"), "{}", stdout(&o));

    // tamper with the database directly
    let db = format!("sqlite://{}/kakou.db", dir.display());
    let store = kakou_store::Store::open(&db, kakou_store::StoreConfig::new(dir.join("objects").display().to_string()))
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET detail = '{\"role\":\"uploader\"}' WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let o = cli(dir, &["audit-verify"], None);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("BROKEN at seq 2"), "{}", stdout(&o));

    let o = cli(dir, &["provisions-export", "--format", "csv"], None);
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout(&o)
            .starts_with("id,provided,org_id,uploader_id,items,files,records,excluded_opt_out,quarantined,sha256")
    );

    let o = cli(dir, &["--help"], None);
    assert!(stdout(&o).contains("create-admin") && stdout(&o).contains("A first run"), "{}", stdout(&o));
}

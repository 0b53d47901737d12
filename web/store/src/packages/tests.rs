use futures::TryStreamExt;
use kakou_sdk::package::PackageFileKind;

use super::*;
use crate::testutil::{each_store, hospital_with_uploader};
use crate::validate::tests::{build_package, deidentified, raw_dicom};

fn sha(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn good_package(org: i64) -> Vec<u8> {
    let note = "経過良好。退院は[日付]予定。".as_bytes().to_vec();
    let dcm = deidentified(&raw_dicom());
    // a few hundred kB of CSV so the upload takes several chunks
    let mut csv = String::from("pseudonym,test,value\n");
    for i in 0..20_000 {
        csv += &format!("PS{i:06},HbA1c,{}.{}\n", 5 + i % 3, i % 10);
    }
    build_package(
        org,
        "jp-pseudonymized",
        &[
            ("notes/1.txt", PackageFileKind::Text, note),
            ("dicom/1.dcm", PackageFileKind::Dicom, dcm),
            ("lab.csv", PackageFileKind::Csv, csv.into_bytes()),
        ],
        |m| m.items = vec!["notes".into(), "dicom".into(), "lab-results".into()],
    )
}

async fn upload_all(store: &Store, actor: &Actor, bytes: &[u8], chunk: usize) -> Upload {
    let mut up = store.create_upload(actor).await.unwrap();
    for part in bytes.chunks(chunk) {
        up = store.put_chunk(actor, &up.id, up.received, Bytes::copy_from_slice(part)).await.unwrap();
    }
    up
}

#[tokio::test]
async fn an_interrupted_upload_resumes_from_the_stored_offset() {
    for store in each_store().await {
        let (org, user) = hospital_with_uploader(&store, "U").await;
        let actor = Actor::from(&user);
        let bytes = good_package(org.id);
        let chunk = 8 * 1024;
        assert!(bytes.len() > 3 * chunk, "{} bytes", bytes.len());
        let up = store.create_upload(&actor).await.unwrap();
        // two chunks, then the connection drops
        for i in 0..2 {
            store
                .put_chunk(
                    &actor,
                    &up.id,
                    (i * chunk) as u64,
                    Bytes::copy_from_slice(&bytes[i * chunk..(i + 1) * chunk]),
                )
                .await
                .unwrap();
        }
        // the client retries a chunk it already sent: told where to continue
        let e = store
            .put_chunk(&actor, &up.id, chunk as u64, Bytes::copy_from_slice(&bytes[chunk..2 * chunk]))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::WrongOffset { expected, .. } if expected == 2 * chunk as u64), "{e}");
        // resume: ask the server
        let mut resumed = store.upload(&actor, &up.id).await.unwrap();
        assert_eq!(resumed.received, 2 * chunk as u64);
        for part in bytes[resumed.received as usize..].chunks(chunk) {
            resumed = store.put_chunk(&actor, &up.id, resumed.received, Bytes::copy_from_slice(part)).await.unwrap();
        }
        let (package, provision) = store.finish_upload(&actor, &up.id, &sha(&bytes)).await.unwrap();
        assert_eq!(package.sha256, sha(&bytes));
        assert_eq!(package.size, bytes.len() as u64);
        assert_eq!(provision.items, vec!["notes", "dicom", "lab-results"]);
        assert_eq!(
            (provision.files, provision.records, provision.excluded_opt_out, provision.quarantined),
            (3, 3, 1, 0)
        );
        let (_, stream) = store.read_package(&actor, package.id).await.unwrap();
        let stored: Vec<Bytes> = stream.try_collect().await.unwrap();
        assert_eq!(stored.concat(), bytes);
        let csv = store.export_provisions_csv(&actor).await.unwrap();
        assert!(
            csv.lines().nth(1).unwrap().contains(&format!("notes;dicom;lab-results,3,3,1,0,{}", sha(&bytes))),
            "{csv}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&store.export_provisions_json(&actor).await.unwrap()).unwrap();
        assert_eq!(json[0]["sha256"], sha(&bytes));
        assert_eq!(json[0]["provided"], "2026-01-01T00:00:00Z");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_finishes_make_one_package() {
    for store in each_store().await {
        let (org, user) = hospital_with_uploader(&store, "C").await;
        let actor = Actor::from(&user);
        let bytes = good_package(org.id);
        let up = upload_all(&store, &actor, &bytes, 100_000).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, actor, id, hash) = (store.clone(), actor.clone(), up.id.clone(), sha(&bytes));
                tokio::spawn(async move { store.finish_upload(&actor, &id, &hash).await.unwrap() })
            })
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap().0.id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{ids:?}");
        let packages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM packages").fetch_one(store.pool()).await.unwrap();
        let provisions: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM provisions").fetch_one(store.pool()).await.unwrap();
        assert_eq!((packages, provisions), (1, 1));
        // and later, a retry after a lost response
        assert_eq!(store.finish_upload(&actor, &up.id, &sha(&bytes)).await.unwrap().0.id, ids[0]);
        let uploads = store
            .audit_search(
                &Actor::system("t"),
                &crate::AuditQuery { action: Some("package.upload".into()), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(uploads.len(), 1);
    }
}

#[tokio::test]
async fn one_organisation_never_reads_anothers_packages() {
    for store in each_store().await {
        let (org_a, a) = hospital_with_uploader(&store, "A").await;
        let (_, b) = hospital_with_uploader(&store, "B").await;
        let (a, b) = (Actor::from(&a), Actor::from(&b));
        let bytes = good_package(org_a.id);
        let up = upload_all(&store, &a, &bytes, 1 << 20).await;
        let (package, _) = store.finish_upload(&a, &up.id, &sha(&bytes)).await.unwrap();
        assert!(matches!(store.read_package(&b, package.id).await, Err(StoreError::NotFound(_))));
        assert!(matches!(store.upload(&b, &up.id).await, Err(StoreError::NotFound(_))));
        assert!(matches!(
            store.put_chunk(&b, &up.id, up.received, Bytes::from_static(b"x")).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(store.finish_upload(&b, &up.id, &sha(&bytes)).await, Err(StoreError::NotFound(_))));
        assert!(store.list_packages(&b).await.unwrap().is_empty());
        assert!(store.list_provisions(&b).await.unwrap().is_empty());
        assert_eq!(store.list_packages(&a).await.unwrap(), vec![package]);
        // B cannot upload a package that names A either
        let up = upload_all(&store, &b, &bytes, 1 << 20).await;
        let e = store.finish_upload(&b, &up.id, &sha(&bytes)).await.unwrap_err();
        let StoreError::PackageRejected(report) = e else { panic!("{e}") };
        assert!(report.problems.iter().any(|p| matches!(p.kind, crate::validate::ProblemKind::WrongOrg { .. })));
    }
}

#[tokio::test]
async fn identifying_or_corrupt_packages_are_rejected_and_not_stored() {
    for store in each_store().await {
        let (org, user) = hospital_with_uploader(&store, "R").await;
        let actor = Actor::from(&user);
        let note = "患者 山田太郎 様（電話 03-1234-5678）".as_bytes().to_vec();
        let bytes = build_package(org.id, "jp-pseudonymized", &[("n.txt", PackageFileKind::Text, note)], |_| {});
        let up = upload_all(&store, &actor, &bytes, 1 << 20).await;
        let e = store.finish_upload(&actor, &up.id, &sha(&bytes)).await.unwrap_err();
        let StoreError::PackageRejected(report) = e else { panic!("{e}") };
        assert!(report.problems.iter().all(|p| p.file == "n.txt"), "{report:?}");
        assert!(!report.problems.is_empty());
        assert_eq!(store.upload(&actor, &up.id).await.unwrap().status, UploadStatus::Rejected);
        assert!(store.list_packages(&actor).await.unwrap().is_empty());

        let good = good_package(org.id);
        let up = upload_all(&store, &actor, &good, 1 << 20).await;
        let e = store.finish_upload(&actor, &up.id, &"0".repeat(64)).await.unwrap_err();
        assert!(matches!(e, StoreError::HashMismatch { .. }), "{e}");
        assert!(store.list_packages(&actor).await.unwrap().is_empty());
    }
}

//! Package uploads (resumable), stored packages and provision records (提供記録).
//!
//! A hospital uploads a processed package in chunks: create an upload, put chunk after chunk at
//! the offset the server reports (each chunk is its own object, so an interrupted upload resumes
//! from the stored offset and a retried chunk just overwrites itself), then finish with the
//! SHA-256 the browser computed. Finishing assembles the chunks into a scratch file, checks the
//! hash, validates the package ([`crate::validate`]), stores it as one object and records the
//! provision — in that order, so nothing unvalidated is ever stored as a package. A second
//! finish of the same upload (a retry after a lost response, or a double click) waits for the
//! first and returns the same package: one upload gives at most one package (also enforced by a
//! unique key). Packages are strictly per organisation: every read checks the caller's
//! organisation, and object keys are prefixed with it.

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use futures::stream::BoxStream;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{Actor, Role, text_enum};
use crate::db::parse_column;
use crate::error::{Result, StoreError};
use crate::validate::{ValidationLimits, validate_package};
use crate::{Store, hex, random_bytes};

/// The object store for a configuration string: a folder (created if missing), `file:///…`,
/// or with the `s3` feature `s3://bucket[/prefix]` (credentials and endpoint from the usual
/// `AWS_*` environment variables, e.g. `AWS_ENDPOINT` for MinIO).
pub fn object_store_for(spec: &str) -> Result<Arc<dyn ObjectStore>> {
    if spec.starts_with("s3://") {
        return s3_store(spec);
    }
    let path = spec.strip_prefix("file://").unwrap_or(spec);
    std::fs::create_dir_all(path)?;
    let fs = object_store::local::LocalFileSystem::new_with_prefix(path)?;
    Ok(Arc::new(fs))
}

#[cfg(feature = "s3")]
fn s3_store(spec: &str) -> Result<Arc<dyn ObjectStore>> {
    let (bucket_url, prefix) = match spec["s3://".len()..].split_once('/') {
        Some((bucket, prefix)) if !prefix.is_empty() => (format!("s3://{bucket}"), Some(prefix.to_string())),
        _ => (spec.to_string(), None),
    };
    let s3 = object_store::aws::AmazonS3Builder::from_env()
        .with_url(bucket_url)
        .build()
        .map_err(|e| StoreError::ObjectStoreUrl { url: spec.into(), reason: e.to_string() })?;
    Ok(match prefix {
        Some(p) => Arc::new(object_store::prefix::PrefixStore::new(s3, p)),
        None => Arc::new(s3),
    })
}

#[cfg(not(feature = "s3"))]
fn s3_store(spec: &str) -> Result<Arc<dyn ObjectStore>> {
    Err(StoreError::ObjectStoreUrl { url: spec.into(), reason: "this build has no S3 support (feature `s3`)".into() })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UploadStatus {
    Open,
    Finished,
    Rejected,
}

text_enum!(UploadStatus { Open = "open", Finished = "finished", Rejected = "rejected" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub id: String,
    pub org_id: i64,
    pub user_id: i64,
    /// Bytes received so far: the offset of the next chunk.
    pub received: u64,
    pub status: UploadStatus,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub id: i64,
    pub upload_id: String,
    pub org_id: i64,
    pub uploader_id: i64,
    pub sha256: String,
    pub size: u64,
    pub created_at: i64,
}

/// A record of provision (提供記録): what a hospital provided, when, and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provision {
    pub id: i64,
    pub package_id: i64,
    pub org_id: i64,
    pub uploader_id: i64,
    /// Unix milliseconds.
    pub provided_at: i64,
    /// Data categories (from the manifest).
    pub items: Vec<String>,
    pub files: u64,
    pub records: u64,
    pub excluded_opt_out: u64,
    pub quarantined: u64,
    pub sha256: String,
}

fn upload_from_row(row: &AnyRow) -> Result<Upload> {
    Ok(Upload {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        user_id: row.try_get("user_id")?,
        received: u64::try_from(row.try_get::<i64, _>("received")?).unwrap_or(0),
        status: parse_column("uploads.status", &row.try_get::<String, _>("status")?)?,
        created_at: row.try_get("created_at")?,
    })
}

const PACKAGE_COLUMNS: &str = "id, upload_id, org_id, uploader_id, sha256, size, created_at";

fn package_from_row(row: &AnyRow) -> Result<Package> {
    Ok(Package {
        id: row.try_get("id")?,
        upload_id: row.try_get("upload_id")?,
        org_id: row.try_get("org_id")?,
        uploader_id: row.try_get("uploader_id")?,
        sha256: row.try_get("sha256")?,
        size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or(0),
        created_at: row.try_get("created_at")?,
    })
}

const PROVISION_COLUMNS: &str =
    "id, package_id, org_id, uploader_id, provided_at, items, files, records, excluded_opt_out, quarantined, sha256";

fn provision_from_row(row: &AnyRow) -> Result<Provision> {
    let count = |c: &str| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(c)?).unwrap_or(0)) };
    let items: String = row.try_get("items")?;
    Ok(Provision {
        id: row.try_get("id")?,
        package_id: row.try_get("package_id")?,
        org_id: row.try_get("org_id")?,
        uploader_id: row.try_get("uploader_id")?,
        provided_at: row.try_get("provided_at")?,
        items: serde_json::from_str(&items).map_err(|e| StoreError::Corrupt(format!("provisions.items: {e}")))?,
        files: count("files")?,
        records: count("records")?,
        excluded_opt_out: count("excluded_opt_out")?,
        quarantined: count("quarantined")?,
        sha256: row.try_get("sha256")?,
    })
}

fn chunk_prefix(upload: &Upload) -> ObjectPath {
    ObjectPath::from(format!("uploads/{}/{}", upload.org_id, upload.id))
}

fn chunk_path(upload: &Upload, offset: u64) -> ObjectPath {
    ObjectPath::from(format!("uploads/{}/{}/{offset:020}", upload.org_id, upload.id))
}

fn package_path(org_id: i64, sha256: &str) -> ObjectPath {
    ObjectPath::from(format!("packages/{org_id}/{sha256}.zip"))
}

fn i64_of(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("{n} is too large")))
}

impl Store {
    /// Starts an upload for the actor's hospital (uploaders only).
    pub async fn create_upload(&self, actor: &Actor) -> Result<Upload> {
        actor.require(Role::Uploader)?;
        let id = hex(&random_bytes::<16>()?);
        let row = sqlx::query(
            "INSERT INTO uploads (id, org_id, user_id, received, status, created_at) VALUES ($1, $2, $3, 0, 'open', $4)
             RETURNING id, org_id, user_id, received, status, created_at",
        )
        .bind(&id)
        .bind(actor.own_org()?)
        .bind(actor.user_id.unwrap_or(0))
        .bind(self.now_ms())
        .fetch_one(&self.pool)
        .await?;
        upload_from_row(&row)
    }

    /// An upload of the actor's organisation (to resume: `received` is where to continue).
    pub async fn upload(&self, actor: &Actor, id: &str) -> Result<Upload> {
        let row = sqlx::query(
            "SELECT id, org_id, user_id, received, status, created_at FROM uploads WHERE id = $1 AND org_id = $2",
        )
        .bind(id)
        .bind(actor.own_org()?)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(upload_from_row).transpose()?.ok_or_else(|| StoreError::NotFound(format!("upload {id}")))
    }

    /// Stores one chunk at `offset`, which must be the upload's `received`; returns the upload
    /// with its new offset. A chunk at a stale offset gets [`StoreError::WrongOffset`] with the
    /// offset to continue from.
    pub async fn put_chunk(&self, actor: &Actor, id: &str, offset: u64, chunk: Bytes) -> Result<Upload> {
        actor.require(Role::Uploader)?;
        let upload = self.upload(actor, id).await?;
        if upload.status != UploadStatus::Open {
            return Err(StoreError::Conflict(format!("upload {id} is {}", upload.status)));
        }
        if offset != upload.received {
            return Err(StoreError::WrongOffset { upload: id.into(), expected: upload.received, got: offset });
        }
        if chunk.is_empty() {
            return Err(StoreError::Invalid("empty chunk".into()));
        }
        let end = offset + chunk.len() as u64;
        if end > self.config.max_package_bytes {
            return Err(StoreError::Invalid(format!("package larger than {} bytes", self.config.max_package_bytes)));
        }
        self.objects.put(&chunk_path(&upload, offset), PutPayload::from_bytes(chunk)).await?;
        let moved = sqlx::query("UPDATE uploads SET received = $1 WHERE id = $2 AND received = $3 AND status = 'open'")
            .bind(i64_of(end)?)
            .bind(id)
            .bind(i64_of(offset)?)
            .execute(&self.pool)
            .await?;
        if moved.rows_affected() == 0 {
            let now = self.upload(actor, id).await?;
            return Err(StoreError::WrongOffset { upload: id.into(), expected: now.received, got: offset });
        }
        Ok(Upload { received: end, ..upload })
    }

    /// Finishes an upload: hash check, validation, storage, provision record. Idempotent: a
    /// repeated finish returns the package already made.
    pub async fn finish_upload(&self, actor: &Actor, id: &str, expected_sha256: &str) -> Result<(Package, Provision)> {
        actor.require(Role::Uploader)?;
        let lock = {
            let mut locks = self.finish_locks.lock().map_err(|_| StoreError::Corrupt("finish lock poisoned".into()))?;
            locks.entry(id.to_string()).or_default().clone()
        };
        let _finishing = lock.lock().await;
        let result = self.finish_locked(actor, id, &expected_sha256.trim().to_ascii_lowercase()).await;
        if let Ok(mut locks) = self.finish_locks.lock() {
            locks.remove(id);
        }
        result
    }

    async fn finish_locked(&self, actor: &Actor, id: &str, expected: &str) -> Result<(Package, Provision)> {
        let upload = self.upload(actor, id).await?;
        if let Some(done) = self.package_of_upload(&upload).await? {
            if done.0.sha256 != expected {
                return Err(StoreError::HashMismatch {
                    upload: id.into(),
                    expected: expected.into(),
                    actual: done.0.sha256,
                });
            }
            return Ok(done);
        }
        if upload.status != UploadStatus::Open {
            return Err(StoreError::Conflict(format!("upload {id} is {}", upload.status)));
        }
        let (mut file, actual) = self.assemble(&upload).await?;
        if actual != expected {
            self.reject(actor, &upload, serde_json::json!({"reason": "sha256"})).await?;
            return Err(StoreError::HashMismatch { upload: id.into(), expected: expected.into(), actual });
        }
        let org = upload.org_id;
        let (report, file_back) = tokio::task::spawn_blocking(move || {
            let report = validate_package(&mut file, org, &ValidationLimits::default());
            (report, file)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("validation task: {e}")))?;
        file = file_back;
        let manifest = match report.manifest.clone() {
            Some(m) if report.accepted() => m,
            _ => {
                let kinds: Vec<String> = report
                    .problems
                    .iter()
                    .take(10)
                    .map(|p| format!("{:?}", p.kind).chars().take(40).collect())
                    .collect();
                self.reject(actor, &upload, serde_json::json!({"problems": report.problems.len(), "first": kinds}))
                    .await?;
                return Err(StoreError::PackageRejected(Box::new(report)));
            }
        };
        file.seek(SeekFrom::Start(0))?;
        self.store_object(&package_path(org, &actual), file).await?;
        let recorded = self.record_package(actor, &upload, &actual, &manifest).await?;
        self.delete_chunks(&upload).await;
        let detail = serde_json::json!({"sha256": actual, "size": upload.received, "files": manifest.counts.files});
        self.audit_as(actor, "package.upload", &format!("package:{}", recorded.0.id), detail).await?;
        Ok(recorded)
    }

    async fn package_of_upload(&self, upload: &Upload) -> Result<Option<(Package, Provision)>> {
        let row = sqlx::query(&format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE upload_id = $1"))
            .bind(&upload.id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(package) = row.as_ref().map(package_from_row).transpose()? else { return Ok(None) };
        let row = sqlx::query(&format!("SELECT {PROVISION_COLUMNS} FROM provisions WHERE package_id = $1"))
            .bind(package.id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some((package, provision_from_row(&row)?)))
    }

    /// Concatenates the chunks into a scratch file, hashing on the way.
    async fn assemble(&self, upload: &Upload) -> Result<(std::fs::File, String)> {
        let mut chunks: Vec<_> = self.objects.list(Some(&chunk_prefix(upload))).try_collect().await?;
        chunks.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
        let mut file = tempfile::tempfile_in(&*self.scratch)?;
        let mut hasher = Sha256::new();
        let mut at = 0u64;
        for meta in chunks {
            if meta.location != chunk_path(upload, at) {
                return Err(StoreError::Corrupt(format!("upload {}: chunk at {} missing", upload.id, at)));
            }
            if at >= upload.received {
                break; // a chunk written whose offset update was lost: not part of the upload
            }
            let mut stream = self.objects.get(&meta.location).await?.into_stream();
            while let Some(bytes) = stream.try_next().await? {
                hasher.update(&bytes);
                file.write_all(&bytes)?;
                at += bytes.len() as u64;
            }
        }
        if at != upload.received {
            return Err(StoreError::Corrupt(format!(
                "upload {}: {} bytes stored, {} recorded",
                upload.id, at, upload.received
            )));
        }
        file.seek(SeekFrom::Start(0))?;
        Ok((file, hex(&hasher.finalize())))
    }

    /// Streams a file into one object (multipart, so large packages never sit in memory).
    async fn store_object(&self, path: &ObjectPath, mut file: std::fs::File) -> Result<()> {
        let mut writer = WriteMultipart::new(self.objects.put_multipart(path).await?);
        let mut buf = vec![0u8; 8 << 20];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(4).await?;
            writer.write(&buf[..n]);
        }
        writer.finish().await?;
        Ok(())
    }

    async fn record_package(
        &self,
        actor: &Actor,
        upload: &Upload,
        sha: &str,
        m: &kakou_sdk::package::PackageManifest,
    ) -> Result<(Package, Provision)> {
        let now = self.now_ms();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO packages (upload_id, org_id, uploader_id, sha256, size, object_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {PACKAGE_COLUMNS}"
        ))
        .bind(&upload.id)
        .bind(upload.org_id)
        .bind(actor.user_id.unwrap_or(0))
        .bind(sha)
        .bind(i64_of(upload.received)?)
        .bind(package_path(upload.org_id, sha).to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let package = package_from_row(&row)?;
        let items = serde_json::to_string(&m.items).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let row = sqlx::query(&format!(
            "INSERT INTO provisions (package_id, org_id, uploader_id, provided_at, items, files, records, excluded_opt_out, quarantined, sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {PROVISION_COLUMNS}"
        ))
        .bind(package.id)
        .bind(upload.org_id)
        .bind(package.uploader_id)
        .bind(now)
        .bind(items)
        .bind(i64_of(m.counts.files)?)
        .bind(i64_of(m.counts.records)?)
        .bind(i64_of(m.counts.excluded_opt_out)?)
        .bind(i64_of(m.counts.quarantined)?)
        .bind(sha)
        .fetch_one(&mut *tx)
        .await?;
        let provision = provision_from_row(&row)?;
        sqlx::query("UPDATE uploads SET status = 'finished' WHERE id = $1").bind(&upload.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok((package, provision))
    }

    async fn reject(&self, actor: &Actor, upload: &Upload, detail: serde_json::Value) -> Result<()> {
        sqlx::query("UPDATE uploads SET status = 'rejected' WHERE id = $1")
            .bind(&upload.id)
            .execute(&self.pool)
            .await?;
        self.delete_chunks(upload).await;
        self.audit_as(actor, "package.reject", &format!("upload:{}", upload.id), detail).await
    }

    /// Best effort: chunks left behind are garbage, not data loss.
    async fn delete_chunks(&self, upload: &Upload) {
        if let Ok(chunks) = self.objects.list(Some(&chunk_prefix(upload))).try_collect::<Vec<_>>().await {
            for c in chunks {
                let _ = self.objects.delete(&c.location).await;
            }
        }
    }

    /// The packages of the actor's organisation, newest first.
    pub async fn list_packages(&self, actor: &Actor) -> Result<Vec<Package>> {
        let rows = sqlx::query(&format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE org_id = $1 ORDER BY id DESC"))
            .bind(actor.own_org()?)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(package_from_row).collect()
    }

    /// A package's bytes as a stream, for the actor's own organisation only (audited).
    pub async fn read_package(
        &self,
        actor: &Actor,
        package_id: i64,
    ) -> Result<(Package, BoxStream<'static, Result<Bytes, object_store::Error>>)> {
        let row =
            sqlx::query(&format!("SELECT {PACKAGE_COLUMNS}, object_key FROM packages WHERE id = $1 AND org_id = $2"))
                .bind(package_id)
                .bind(actor.own_org()?)
                .fetch_optional(&self.pool)
                .await?;
        // another organisation's package is "not found", not "forbidden": its existence is not told
        let Some(row) = row else { return Err(StoreError::NotFound(format!("package {package_id}"))) };
        let package = package_from_row(&row)?;
        let key: String = row.try_get("object_key")?;
        let stream = self.objects.get(&ObjectPath::from(key)).await?.into_stream();
        self.audit_as(actor, "package.download", &format!("package:{package_id}"), serde_json::json!({})).await?;
        Ok((package, stream))
    }

    /// Provision records: uploaders see their organisation's, admins and operators all.
    pub async fn list_provisions(&self, actor: &Actor) -> Result<Vec<Provision>> {
        let rows = match actor.role {
            Role::Admin | Role::Operator => {
                sqlx::query(&format!("SELECT {PROVISION_COLUMNS} FROM provisions ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await?
            }
            _ => {
                sqlx::query(&format!("SELECT {PROVISION_COLUMNS} FROM provisions WHERE org_id = $1 ORDER BY id"))
                    .bind(actor.own_org()?)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(provision_from_row).collect()
    }

    /// Provision records as JSON (an array of [`Provision`] with an RFC 3339 `provided`).
    pub async fn export_provisions_json(&self, actor: &Actor) -> Result<String> {
        let list = self.list_provisions(actor).await?;
        let rows: Vec<serde_json::Value> = list
            .iter()
            .map(|p| {
                let mut v = serde_json::to_value(p).unwrap_or_default();
                v["provided"] = serde_json::Value::String(crate::format_ms(p.provided_at));
                v
            })
            .collect();
        self.audit_as(
            actor,
            "provision.export",
            "provisions",
            serde_json::json!({"rows": list.len(), "format": "json"}),
        )
        .await?;
        serde_json::to_string_pretty(&rows).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Provision records as CSV; `items` joined with `;`.
    pub async fn export_provisions_csv(&self, actor: &Actor) -> Result<String> {
        let list = self.list_provisions(actor).await?;
        let csv_err = |e: csv::Error| StoreError::Invalid(format!("CSV: {e}"));
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "id",
            "provided",
            "org_id",
            "uploader_id",
            "items",
            "files",
            "records",
            "excluded_opt_out",
            "quarantined",
            "sha256",
        ])
        .map_err(csv_err)?;
        for p in &list {
            w.write_record([
                p.id.to_string(),
                crate::format_ms(p.provided_at),
                p.org_id.to_string(),
                p.uploader_id.to_string(),
                p.items.join(";"),
                p.files.to_string(),
                p.records.to_string(),
                p.excluded_opt_out.to_string(),
                p.quarantined.to_string(),
                p.sha256.clone(),
            ])
            .map_err(csv_err)?;
        }
        let bytes = w.into_inner().map_err(|e| StoreError::Invalid(format!("CSV: {e}")))?;
        self.audit_as(
            actor,
            "provision.export",
            "provisions",
            serde_json::json!({"rows": list.len(), "format": "csv"}),
        )
        .await?;
        String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

#[cfg(test)]
mod tests;

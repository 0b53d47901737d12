//! The opt-out registry (丁寧なオプトアウト) and deletion requests.
//!
//! A hospital keeps the local patient IDs of patients who asked to stop provision; the
//! browser downloads the list and leaves their records out before processing. The registry is
//! strictly per organisation. The audit log records that the list changed, never the patient
//! ID itself: the log is read by the creator's admins, who must not learn a hospital's IDs.
//!
//! A deletion request asks the creator to delete data already provided. It names the patient
//! by `subject_ref`, the pseudonymised ID or linkage token the hospital's browser computes, so
//! the creator can act on it without seeing the local ID. The creator's operator moves it
//! requested → acknowledged → done, one step at a time, each step audited.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Store;
use crate::accounts::{Actor, Role, text_enum};
use crate::db::parse_column;
use crate::error::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOut {
    pub patient_id: String,
    pub added_at: i64,
    pub added_by: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeletionStatus {
    Requested,
    Acknowledged,
    Done,
}

text_enum!(DeletionStatus { Requested = "requested", Acknowledged = "acknowledged", Done = "done" });

impl DeletionStatus {
    /// The only status a request may move to from this one.
    pub fn next(self) -> Option<DeletionStatus> {
        match self {
            DeletionStatus::Requested => Some(DeletionStatus::Acknowledged),
            DeletionStatus::Acknowledged => Some(DeletionStatus::Done),
            DeletionStatus::Done => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRequest {
    pub id: i64,
    pub org_id: i64,
    pub created_by: i64,
    pub created_at: i64,
    pub subject_ref: String,
    /// The package the data came in, when the hospital knows it.
    pub package_sha256: Option<String>,
    pub reason: String,
    pub status: DeletionStatus,
    pub updated_by: Option<i64>,
    pub updated_at: i64,
}

const REQUEST_COLUMNS: &str =
    "id, org_id, created_by, created_at, subject_ref, package_sha256, reason, status, updated_by, updated_at";

fn request_from_row(row: &AnyRow) -> Result<DeletionRequest> {
    Ok(DeletionRequest {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        subject_ref: row.try_get("subject_ref")?,
        package_sha256: row.try_get("package_sha256")?,
        reason: row.try_get("reason")?,
        status: parse_column("deletion_requests.status", &row.try_get::<String, _>("status")?)?,
        updated_by: row.try_get("updated_by")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A local patient ID as typed: trimmed, non-empty, printable, bounded.
fn clean_id(id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
        return Err(StoreError::Invalid("patient ID: 1 to 128 printable characters".into()));
    }
    Ok(id.to_string())
}

impl Store {
    /// Adds a patient to the actor's hospital's registry; `false` when already there.
    pub async fn add_optout(&self, actor: &Actor, patient_id: &str) -> Result<bool> {
        actor.require(Role::Uploader)?;
        let org = actor.own_org()?;
        let id = clean_id(patient_id)?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT added_at FROM optouts WHERE org_id = $1 AND patient_id = $2")
                .bind(org)
                .bind(&id)
                .fetch_optional(&self.pool)
                .await?;
        if exists.is_some() {
            return Ok(false);
        }
        sqlx::query("INSERT INTO optouts (org_id, patient_id, added_by, added_at) VALUES ($1, $2, $3, $4)")
            .bind(org)
            .bind(&id)
            .bind(actor.user_id.unwrap_or(0))
            .bind(self.now_ms())
            .execute(&self.pool)
            .await
            .map_err(|e| crate::accounts::conflict_or(e, "already registered".into()))?;
        self.audit_as(actor, "optout.add", &format!("org:{org}"), serde_json::json!({})).await?;
        Ok(true)
    }

    /// Removes a patient (the patient withdrew the opt-out); `false` when not there.
    pub async fn remove_optout(&self, actor: &Actor, patient_id: &str) -> Result<bool> {
        actor.require(Role::Uploader)?;
        let org = actor.own_org()?;
        let done = sqlx::query("DELETE FROM optouts WHERE org_id = $1 AND patient_id = $2")
            .bind(org)
            .bind(clean_id(patient_id)?)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() > 0 {
            self.audit_as(actor, "optout.remove", &format!("org:{org}"), serde_json::json!({})).await?;
        }
        Ok(done.rows_affected() > 0)
    }

    /// The actor's hospital's registry, by patient ID.
    pub async fn list_optouts(&self, actor: &Actor) -> Result<Vec<OptOut>> {
        actor.require(Role::Uploader)?;
        let rows =
            sqlx::query("SELECT patient_id, added_at, added_by FROM optouts WHERE org_id = $1 ORDER BY patient_id")
                .bind(actor.own_org()?)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(OptOut {
                    patient_id: r.try_get("patient_id")?,
                    added_at: r.try_get("added_at")?,
                    added_by: r.try_get("added_by")?,
                })
            })
            .collect()
    }

    /// The registry as CSV (`patient_id,added_at`), for the hospital's own records; audited.
    pub async fn export_optouts_csv(&self, actor: &Actor) -> Result<String> {
        let list = self.list_optouts(actor).await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_err = |e: csv::Error| StoreError::Invalid(format!("CSV: {e}"));
        w.write_record(["patient_id", "added_at"]).map_err(csv_err)?;
        for o in &list {
            w.write_record([o.patient_id.as_str(), &crate::format_ms(o.added_at)]).map_err(csv_err)?;
        }
        let bytes = w.into_inner().map_err(|e| StoreError::Invalid(format!("CSV: {e}")))?;
        let org = actor.own_org()?;
        self.audit_as(actor, "optout.export", &format!("org:{org}"), serde_json::json!({"rows": list.len()})).await?;
        String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// A hospital asks the creator to delete provided data of one patient.
    pub async fn create_deletion_request(
        &self,
        actor: &Actor,
        subject_ref: &str,
        package_sha256: Option<&str>,
        reason: &str,
    ) -> Result<DeletionRequest> {
        actor.require(Role::Uploader)?;
        let org = actor.own_org()?;
        let now = self.now_ms();
        let row = sqlx::query(&format!(
            "INSERT INTO deletion_requests (org_id, created_by, created_at, subject_ref, package_sha256, reason, status, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'requested', $3) RETURNING {REQUEST_COLUMNS}"
        ))
        .bind(org)
        .bind(actor.user_id.unwrap_or(0))
        .bind(now)
        .bind(clean_id(subject_ref)?)
        .bind(package_sha256.map(str::to_string))
        .bind(reason.trim().to_string())
        .fetch_one(&self.pool)
        .await?;
        let request = request_from_row(&row)?;
        self.audit_as(actor, "deletion.request", &format!("deletion:{}", request.id), serde_json::json!({})).await?;
        Ok(request)
    }

    /// Hospital users see their organisation's requests; operators and admins see all.
    pub async fn list_deletion_requests(&self, actor: &Actor) -> Result<Vec<DeletionRequest>> {
        let rows = match actor.role {
            Role::Uploader => {
                sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM deletion_requests WHERE org_id = $1 ORDER BY id"))
                    .bind(actor.own_org()?)
                    .fetch_all(&self.pool)
                    .await?
            }
            Role::Operator | Role::Admin => {
                sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM deletion_requests ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await?
            }
            _ => return Err(StoreError::Forbidden(format!("{} cannot see deletion requests", actor.role))),
        };
        rows.iter().map(request_from_row).collect()
    }

    /// The creator's operator moves a request one step forward.
    pub async fn advance_deletion_request(
        &self,
        actor: &Actor,
        id: i64,
        to: DeletionStatus,
    ) -> Result<DeletionRequest> {
        actor.require(Role::Operator)?;
        let from = match to {
            DeletionStatus::Acknowledged => DeletionStatus::Requested,
            DeletionStatus::Done => DeletionStatus::Acknowledged,
            DeletionStatus::Requested => {
                return Err(StoreError::Invalid("a request cannot go back to requested".into()));
            }
        };
        let row = sqlx::query(&format!(
            "UPDATE deletion_requests SET status = $1, updated_by = $2, updated_at = $3 WHERE id = $4 AND status = $5 RETURNING {REQUEST_COLUMNS}"
        ))
        .bind(to.as_str())
        .bind(actor.user_id.unwrap_or(0))
        .bind(self.now_ms())
        .bind(id)
        .bind(from.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict(format!("deletion request {id} is not {from} (or does not exist)")));
        };
        let request = request_from_row(&row)?;
        let detail = serde_json::json!({"from": from.as_str(), "to": to.as_str(), "org_id": request.org_id});
        self.audit_as(actor, "deletion.status", &format!("deletion:{id}"), detail).await?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{NewUser, OrgKind};
    use crate::testutil::{each_store, hospital_with_uploader};

    #[tokio::test]
    async fn registry_is_per_hospital_and_never_logs_patient_ids() {
        for store in each_store().await {
            let (_, a) = hospital_with_uploader(&store, "A").await;
            let (_, b) = hospital_with_uploader(&store, "B").await;
            let (a, b) = (Actor::from(&a), Actor::from(&b));
            assert!(store.add_optout(&a, " P-0001 ").await.unwrap());
            assert!(!store.add_optout(&a, "P-0001").await.unwrap());
            assert!(store.add_optout(&a, "P-0002").await.unwrap());
            assert!(store.add_optout(&b, "P-0001").await.unwrap());
            let ids: Vec<String> = store.list_optouts(&a).await.unwrap().into_iter().map(|o| o.patient_id).collect();
            assert_eq!(ids, vec!["P-0001", "P-0002"]);
            assert!(store.remove_optout(&a, "P-0002").await.unwrap());
            assert_eq!(store.list_optouts(&b).await.unwrap().len(), 1);
            let csv = store.export_optouts_csv(&a).await.unwrap();
            assert!(csv.starts_with("patient_id,added_at\nP-0001,2026-01-01T00:00:00Z"), "{csv}");
            let log = store.audit_search(&Actor::system("t"), &crate::AuditQuery::default()).await.unwrap();
            assert!(log.iter().all(|e| !e.detail.contains("P-000") && !e.target.contains("P-000")));
            assert!(store.add_optout(&a, "").await.is_err());
        }
    }

    #[tokio::test]
    async fn deletion_requests_move_forward_one_step_by_operators_only() {
        for store in each_store().await {
            let (_, hospital_user) = hospital_with_uploader(&store, "D").await;
            let uploader = Actor::from(&hospital_user);
            let admin = Actor::system("t");
            let creator = store.create_org(&admin, "Creator", OrgKind::Creator).await.unwrap();
            let op = store
                .create_user(
                    &admin,
                    NewUser {
                        email: "op@creator.example".into(),
                        org_id: creator.id,
                        role: Role::Operator,
                        password: None,
                    },
                )
                .await
                .unwrap();
            let op = Actor::from(&op);
            let req = store.create_deletion_request(&uploader, "tok-3f9a", None, "patient withdrew").await.unwrap();
            assert_eq!(req.status, DeletionStatus::Requested);
            assert!(matches!(
                store.advance_deletion_request(&uploader, req.id, DeletionStatus::Acknowledged).await,
                Err(StoreError::Forbidden(_))
            ));
            assert!(matches!(
                store.advance_deletion_request(&op, req.id, DeletionStatus::Done).await,
                Err(StoreError::Conflict(_))
            ));
            store.advance_deletion_request(&op, req.id, DeletionStatus::Acknowledged).await.unwrap();
            let done = store.advance_deletion_request(&op, req.id, DeletionStatus::Done).await.unwrap();
            assert_eq!(done.status, DeletionStatus::Done);
            assert_eq!(store.list_deletion_requests(&uploader).await.unwrap(), vec![done.clone()]);
            assert_eq!(store.list_deletion_requests(&op).await.unwrap().len(), 1);
            let steps = store
                .audit_search(&admin, &crate::AuditQuery { action: Some("deletion.".into()), ..Default::default() })
                .await
                .unwrap();
            assert_eq!(steps.len(), 3);
        }
    }
}

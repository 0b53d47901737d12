//! Each organisation's de-identification policy: what its hospital's browser applies before a
//! package leaves (the upload page hands it to the SDK's `ProviderPackage`).
//!
//! The creator sets it (admin role), because the creator answers for what it receives. It is
//! checked here with the SDK's own parsers, so a policy the browser would refuse can never be
//! saved. An organisation without one gets [`OrgPolicy::default`]: `jp-pseudonymized` for
//! DICOM and notes, the records defaults for tables (whose safety net removes unmapped columns
//! that look like identifiers).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::Store;
use crate::accounts::{Actor, Role};
use crate::error::{Result, StoreError};

/// The policy, in the shape `ProviderPackage`'s options take it (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgPolicy {
    /// DICOM preset (`basic`, `jp-pseudonymized`, `jp-anonymized`); notes follow it.
    pub preset: String,
    /// The records policy for CSV, FHIR and HL7 (docs/records.md); `None`: the SDK defaults.
    #[serde(default)]
    pub records_policy: Option<kakou_sdk::records::Policy>,
}

impl Default for OrgPolicy {
    fn default() -> Self {
        OrgPolicy { preset: "jp-pseudonymized".into(), records_policy: None }
    }
}

impl OrgPolicy {
    /// From the admin's form: a preset name and the records policy as JSON (empty: defaults).
    pub fn from_form(preset: &str, records_json: &str) -> Result<OrgPolicy> {
        let records_policy = match records_json.trim() {
            "" => None,
            text => Some(parse_records_policy(text)?),
        };
        let policy = OrgPolicy { preset: preset.trim().to_string(), records_policy };
        policy.validate()?;
        Ok(policy)
    }

    /// Refuses what the browser's SDK would refuse.
    pub fn validate(&self) -> Result<()> {
        if kakou_dicom::policy::Preset::from_name(&self.preset).is_none() {
            return Err(StoreError::Invalid(format!(
                "unknown preset '{}' (basic, jp-pseudonymized, jp-anonymized)",
                self.preset
            )));
        }
        if let Some(records) = &self.records_policy {
            records.validate().map_err(|e| StoreError::Invalid(format!("records policy: {e}")))?;
        }
        Ok(())
    }
}

/// Parses a records policy; a bad column is named with serde's own reason (the column spec is
/// an untagged enum, whose error alone says only that nothing matched).
fn parse_records_policy(text: &str) -> Result<kakou_sdk::records::Policy> {
    use kakou_sdk::records::policy::{ColumnDetail, Role as ColumnRole};
    let invalid = |e: String| StoreError::Invalid(format!("records policy (JSON): {e}"));
    let error = match serde_json::from_str(text) {
        Ok(policy) => return Ok(policy),
        Err(e) => e,
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if let Some(columns) = value.get("columns").and_then(|c| c.as_object()) {
        for (name, spec) in columns {
            let problem = match spec {
                serde_json::Value::String(_) => serde_json::from_value::<ColumnRole>(spec.clone()).err(),
                _ => serde_json::from_value::<ColumnDetail>(spec.clone()).err(),
            };
            if let Some(p) = problem {
                return Err(invalid(format!("column '{name}': {p}")));
            }
        }
    }
    Err(invalid(error.to_string()))
}

impl Store {
    /// The organisation's policy (the defaults when none was set).
    pub async fn org_policy(&self, org_id: i64) -> Result<OrgPolicy> {
        let row = sqlx::query("SELECT policy FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("organisation {org_id}")))?;
        match row.try_get::<Option<String>, _>("policy")? {
            None => Ok(OrgPolicy::default()),
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("policy of organisation {org_id}: {e}"))),
        }
    }

    /// Sets an organisation's policy (admin only), audited with a summary of what changed.
    pub async fn set_org_policy(&self, actor: &Actor, org_id: i64, policy: &OrgPolicy) -> Result<()> {
        actor.require(Role::Admin)?;
        policy.validate()?;
        let json = serde_json::to_string(policy).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let changed = sqlx::query("UPDATE orgs SET policy = $1 WHERE id = $2")
            .bind(&json)
            .bind(org_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound(format!("organisation {org_id}")));
        }
        let columns = policy.records_policy.as_ref().map(|p| p.columns.len()).unwrap_or(0);
        let detail = serde_json::json!({ "preset": policy.preset, "records_columns": columns });
        self.audit_as(actor, "org.policy", &format!("org:{org_id}"), detail).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{each_store, hospital_with_uploader};

    #[test]
    fn the_form_is_checked_with_the_sdk_parsers() {
        let p = OrgPolicy::from_form("jp-anonymized", "").unwrap();
        assert_eq!(p, OrgPolicy { preset: "jp-anonymized".into(), records_policy: None });
        let p = OrgPolicy::from_form(
            "basic",
            r#"{"columns": {"患者ID": {"role": "patient-id"}, "氏名": {"role": "direct-identifier"}}, "birth_date": "year-month"}"#,
        )
        .unwrap();
        assert_eq!(p.records_policy.unwrap().columns.len(), 2);
        for (preset, records, why) in [
            ("strict", "", "unknown preset"),
            ("basic", "{not json", "JSON"),
            ("basic", r#"{"colums": {}}"#, "colums"),
            ("basic", r#"{"columns": {"x": {"role": "no-such-role"}}}"#, "column 'x': unknown variant `no-such-role`"),
            ("basic", r#"{"columns": {"y": "nonsense"}}"#, "column 'y': unknown variant `nonsense`"),
        ] {
            let e = OrgPolicy::from_form(preset, records).unwrap_err();
            assert!(matches!(e, StoreError::Invalid(ref m) if m.contains(why)), "{preset} {records}: {e}");
        }
    }

    #[tokio::test]
    async fn an_org_has_the_defaults_until_an_admin_sets_its_policy() {
        for store in each_store().await {
            let (org, user) = hospital_with_uploader(&store, "POL").await;
            assert_eq!(store.org_policy(org.id).await.unwrap(), OrgPolicy::default());
            let policy =
                OrgPolicy::from_form("jp-anonymized", r#"{"columns": {"pid": {"role": "patient-id"}}}"#).unwrap();
            let e = store.set_org_policy(&Actor::from(&user), org.id, &policy).await.unwrap_err();
            assert!(matches!(e, StoreError::Forbidden(_)), "an uploader cannot set it: {e}");
            store.set_org_policy(&Actor::system("t"), org.id, &policy).await.unwrap();
            assert_eq!(store.org_policy(org.id).await.unwrap(), policy);
            let e = store.set_org_policy(&Actor::system("t"), 9999, &policy).await.unwrap_err();
            assert!(matches!(e, StoreError::NotFound(_)), "{e}");
            let audited = store
                .audit_search(
                    &Actor::system("t"),
                    &crate::AuditQuery { action: Some("org.policy".into()), ..Default::default() },
                )
                .await
                .unwrap();
            assert_eq!(audited.len(), 1);
        }
    }
}

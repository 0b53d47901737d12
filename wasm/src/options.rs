//! The options object → key and [`Policy`], exactly as the CLI builds them from its flags.

use kakou_dicom::burned_in::PixelRule;
use kakou_dicom::{Policy, PolicyError, PolicyRequest};
use kakou_sdk::ProjectKey;
use serde::Deserialize;

use crate::error::Failure;

/// The `DeidentifyOptions` object. Unknown fields are refused (checked against [`Options::FIELDS`]
/// by the caller, since serde-wasm-bindgen never shows them to serde).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    pub key: Option<String>,
    pub preset: Option<String>,
    pub options: Option<Vec<String>>,
    pub address: Option<String>,
    pub pixel_rules: Option<Vec<PixelRule>>,
    pub trust_burned_in_no: Option<bool>,
    pub name: Option<String>,
}

impl Options {
    /// The field names JS may pass.
    pub const FIELDS: [&'static str; 7] =
        ["key", "preset", "options", "address", "pixelRules", "trustBurnedInNo", "name"];

    /// The project key (`invalid-key` when missing or malformed).
    pub fn key(&self) -> Result<ProjectKey, Failure> {
        let text = self.key.as_deref().ok_or_else(|| {
            Failure::new("invalid-key", "options.key is missing: pass the project key (64 hexadecimal characters)")
        })?;
        parse_key(text)
    }

    /// The policy: the same [`PolicyRequest`] the CLI builds from its flags.
    pub fn policy(&self) -> Result<Policy, Failure> {
        let request = PolicyRequest {
            preset: self.preset.clone(),
            options: self.options.clone().unwrap_or_default(),
            address: self.address.clone(),
            pixel_rules: self.pixel_rules.clone().unwrap_or_default(),
            trust_burned_in_no: self.trust_burned_in_no.unwrap_or(false),
        };
        request.build().map_err(|e| match e {
            PolicyError::UnknownAddressPolicy(_) => Failure::new("invalid-options", format!("options.address: {e}")),
            other => policy_error(other),
        })
    }
}

pub fn parse_key(text: &str) -> Result<ProjectKey, Failure> {
    ProjectKey::from_hex(text).map_err(|e| Failure::new("invalid-key", format!("project key: {e}")))
}

fn policy_error(e: PolicyError) -> Failure {
    Failure::new("policy-error", format!("policy: {e}"))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    // Native unit tests of the option mapping (no JS involved).
    use super::*;
    use kakou_dicom::Preset;
    use kakou_dicom::profile::ProfileOption;
    use kakou_sdk::address::AddressPolicy;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn defaults_are_the_basic_preset() {
        let o = Options { key: Some(KEY.into()), ..Options::default() };
        assert_eq!(o.policy().expect("valid"), Policy::preset(Preset::Basic));
        assert!(o.key().is_ok());
    }

    #[test]
    fn options_map_like_the_cli() {
        let o = Options {
            preset: Some("jp-anonymized".into()),
            options: Some(vec!["retain-device-identity".into()]),
            address: Some("prefecture".into()),
            trust_burned_in_no: Some(true),
            ..Options::default()
        };
        let p = o.policy().expect("valid");
        assert_eq!(p.preset, Preset::JpAnonymized);
        assert!(p.has(ProfileOption::RetainDeviceIdentity));
        assert_eq!(p.address, AddressPolicy::Prefecture);
        assert!(p.burned_in.trust_burned_in_no);
    }

    #[test]
    fn bad_values_have_stable_codes() {
        let bad = |o: Options| o.policy().expect_err("invalid").code;
        assert_eq!(bad(Options { preset: Some("nope".into()), ..Options::default() }), "policy-error");
        assert_eq!(bad(Options { options: Some(vec!["retain-all".into()]), ..Options::default() }), "policy-error");
        assert_eq!(bad(Options { address: Some("street".into()), ..Options::default() }), "invalid-options");
        assert_eq!(Options::default().key().expect_err("missing").code, "invalid-key");
        assert_eq!(parse_key("abc").expect_err("short").code, "invalid-key");
    }
}

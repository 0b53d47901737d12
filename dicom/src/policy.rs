//! What a de-identification run does: the preset, the profile options and Kakou's own policies.
//!
//! Three presets cover the use cases of the Next-Generation Medical Infrastructure Act:
//!
//! | preset | for | profile options | deliberate deviations |
//! |---|---|---|---|
//! | `basic` | anything leaving the hospital with no further need | none | patient name/ID become keyed pseudonyms instead of empty, so series of one patient stay together |
//! | `jp-pseudonymized` | 仮名加工医療情報 (certified researchers only) | full dates, patient characteristics, safe private, clean descriptors / structured content / graphics | birth date kept (the guideline allows it); address kept only down to the policy's level |
//! | `jp-anonymized` | 匿名加工医療情報 | modified (shifted) dates, patient characteristics, clean descriptors / structured content / graphics | birth date coarsened to year-month; ages over 89 top-coded |
//!
//! `basic` is the default: when the caller has not said what the data is for, remove the most.

use kakou_sdk::address::AddressPolicy;
use kakou_sdk::dates::ShiftRange;
use serde::{Deserialize, Serialize};

use crate::burned_in::PixelRule;
use crate::profile::ProfileOption;

/// A named starting point for a [`Policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    #[default]
    Basic,
    JpPseudonymized,
    JpAnonymized,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Basic => "basic",
            Preset::JpPseudonymized => "jp-pseudonymized",
            Preset::JpAnonymized => "jp-anonymized",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Preset::Basic, Preset::JpPseudonymized, Preset::JpAnonymized].into_iter().find(|p| p.name() == name)
    }

    fn options(self) -> Vec<ProfileOption> {
        use ProfileOption::*;
        match self {
            Preset::Basic => vec![],
            Preset::JpPseudonymized => vec![
                RetainLongitudinalFullDates,
                RetainPatientCharacteristics,
                RetainSafePrivate,
                CleanDescriptors,
                CleanStructuredContent,
                CleanGraphics,
            ],
            Preset::JpAnonymized => vec![
                RetainLongitudinalModifiedDates,
                RetainPatientCharacteristics,
                CleanDescriptors,
                CleanStructuredContent,
                CleanGraphics,
            ],
        }
    }
}

/// What happens to Patient's Birth Date (0010,0030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BirthDatePolicy {
    /// As Table E.1-1 and the options say (Z in the Basic Profile).
    Profile,
    /// Kept unchanged (仮名加工: the guideline allows it).
    Keep,
    /// Year and month kept, day replaced (匿名加工).
    YearMonth,
    /// Year kept.
    Year,
}

/// What happens to files whose pixels may carry burned-in identifying text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct BurnedInPolicy {
    /// Region rules (matched on manufacturer, model and image size) to blank before release.
    /// A file at risk that no rule matches is quarantined.
    pub rules: Vec<PixelRule>,
    /// Trust an explicit BurnedInAnnotation = NO on modalities that usually carry burned-in text
    /// (US, XA, ES, secondary captures). Off by default: vendors get this attribute wrong.
    pub trust_burned_in_no: bool,
}

/// Everything that decides the output, apart from the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Policy {
    pub preset: Preset,
    /// The profile options in force (the preset's, plus any added).
    pub options: Vec<ProfileOption>,
    pub birth_date: BirthDatePolicy,
    /// How much of Patient's Address survives (only when the preset allows any).
    pub address: AddressPolicy,
    /// Range of the per-patient date shift (Modified Dates option).
    pub date_shift: ShiftRange,
    /// Patient's Age above this many years is written as this many years (None: unchanged).
    pub age_top_code: Option<u32>,
    pub burned_in: BurnedInPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::preset(Preset::Basic)
    }
}

/// A policy that contradicts itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the Full Dates and Modified Dates options exclude each other: choose one")]
    ConflictingDateOptions,
    #[error("unknown profile option '{0}' (known: {1})")]
    UnknownOption(String, String),
    #[error("unknown preset '{0}' (known: basic, jp-pseudonymized, jp-anonymized)")]
    UnknownPreset(String),
    #[error("invalid pixel rule #{index}: {reason}")]
    InvalidPixelRule { index: usize, reason: String },
    #[error("unknown address policy '{0}' (known: remove, prefecture, municipality)")]
    UnknownAddressPolicy(String),
}

/// A policy as people and programs ask for it: names rather than types. The CLI builds one from
/// its flags and the wasm layer from its options object, so both surfaces apply a request the
/// same way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyRequest {
    /// `basic` (default), `jp-pseudonymized`, `jp-anonymized`.
    pub preset: Option<String>,
    /// Profile options added to the preset's, by name.
    pub options: Vec<String>,
    /// `remove` (default), `prefecture`, `municipality`.
    pub address: Option<String>,
    pub pixel_rules: Vec<PixelRule>,
    pub trust_burned_in_no: bool,
}

impl PolicyRequest {
    /// The validated policy.
    pub fn build(&self) -> Result<Policy, PolicyError> {
        let name = self.preset.as_deref().unwrap_or("basic");
        let preset = Preset::from_name(name).ok_or_else(|| PolicyError::UnknownPreset(name.to_string()))?;
        let mut policy = Policy::preset(preset);
        for o in &self.options {
            policy = policy.with_option_named(o)?;
        }
        policy.address = match self.address.as_deref() {
            None | Some("remove") => AddressPolicy::Remove,
            Some("prefecture") => AddressPolicy::Prefecture,
            Some("municipality") => AddressPolicy::Municipality,
            Some(other) => return Err(PolicyError::UnknownAddressPolicy(other.to_string())),
        };
        policy.burned_in.rules = self.pixel_rules.clone();
        policy.burned_in.trust_burned_in_no = self.trust_burned_in_no;
        policy.validate()?;
        Ok(policy)
    }
}

impl Policy {
    /// The policy of a preset.
    pub fn preset(preset: Preset) -> Self {
        let (birth_date, age_top_code) = match preset {
            Preset::Basic => (BirthDatePolicy::Profile, None),
            Preset::JpPseudonymized => (BirthDatePolicy::Keep, None),
            Preset::JpAnonymized => (BirthDatePolicy::YearMonth, Some(89)),
        };
        Policy {
            preset,
            options: preset.options(),
            birth_date,
            address: AddressPolicy::Remove,
            date_shift: ShiftRange::default(),
            age_top_code,
            burned_in: BurnedInPolicy::default(),
        }
    }

    /// Adds a profile option by its kebab-case name.
    pub fn with_option_named(mut self, name: &str) -> Result<Self, PolicyError> {
        let o = ProfileOption::from_name(name).ok_or_else(|| {
            let known: Vec<_> = ProfileOption::ALL.iter().map(|o| o.name()).collect();
            PolicyError::UnknownOption(name.to_string(), known.join(", "))
        })?;
        if !self.options.contains(&o) {
            self.options.push(o);
        }
        self.validate()?;
        Ok(self)
    }

    pub fn has(&self, o: ProfileOption) -> bool {
        self.options.contains(&o)
    }

    /// Checks the policy is coherent. Called by the de-identifier before any file is touched.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.has(ProfileOption::RetainLongitudinalFullDates)
            && self.has(ProfileOption::RetainLongitudinalModifiedDates)
        {
            return Err(PolicyError::ConflictingDateOptions);
        }
        for (index, rule) in self.burned_in.rules.iter().enumerate() {
            rule.validate().map_err(|reason| PolicyError::InvalidPixelRule { index, reason })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_round_trip_by_name_and_default_is_basic() {
        for p in [Preset::Basic, Preset::JpPseudonymized, Preset::JpAnonymized] {
            assert_eq!(Preset::from_name(p.name()), Some(p));
        }
        assert_eq!(Policy::default().preset, Preset::Basic);
        assert!(Policy::default().options.is_empty());
    }

    #[test]
    fn conflicting_date_options_are_refused() {
        let p = Policy::preset(Preset::JpAnonymized);
        assert_eq!(p.with_option_named("retain-longitudinal-full-dates"), Err(PolicyError::ConflictingDateOptions));
    }

    #[test]
    fn unknown_option_lists_the_known_ones() {
        let err = Policy::default().with_option_named("retain-everything").expect_err("unknown");
        assert!(err.to_string().contains("retain-safe-private"), "{err}");
    }

    #[test]
    fn requests_build_validated_policies() {
        let req = PolicyRequest {
            preset: Some("jp-anonymized".into()),
            options: vec!["retain-device-identity".into()],
            address: Some("prefecture".into()),
            ..Default::default()
        };
        let p = req.build().expect("valid");
        assert_eq!(p.preset, Preset::JpAnonymized);
        assert!(p.has(ProfileOption::RetainDeviceIdentity));
        assert_eq!(p.address, AddressPolicy::Prefecture);
        assert_eq!(PolicyRequest::default().build(), Ok(Policy::preset(Preset::Basic)));
        let bad = PolicyRequest { address: Some("street".into()), ..Default::default() };
        assert_eq!(bad.build(), Err(PolicyError::UnknownAddressPolicy("street".into())));
        let bad = PolicyRequest { preset: Some("nope".into()), ..Default::default() };
        assert!(matches!(bad.build(), Err(PolicyError::UnknownPreset(_))));
    }

    #[test]
    fn policy_reads_from_json_with_defaults() {
        let p: Policy = serde_json::from_str(r#"{"preset":"jp-anonymized","options":["clean-graphics"]}"#)
            .expect("valid policy JSON");
        assert_eq!(p.preset, Preset::JpAnonymized);
        assert_eq!(p.options, vec![ProfileOption::CleanGraphics]);
    }
}

//! The entry point: bytes of one DICOM file in, de-identified bytes and a report out.

use dicom_core::Tag;
use dicom_core::header::Header;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use kakou_sdk::dates::DateShift;
use kakou_sdk::pseudonym::Pseudonymizer;
use kakou_sdk::report::{ActionKind, Outcome};
use kakou_sdk::scrub::IdentifierSet;
use kakou_sdk::text::{Patient, PatientIdentifiers};
use kakou_sdk::uid::UidMapper;
use kakou_sdk::{ProjectKey, Purpose};

use crate::burned_in::{ImageFacts, blank_regions};
use crate::error::{DeidError, ErrorKind};
use crate::marking::{PixelMarks, add_markers};
use crate::policy::{BirthDatePolicy, Policy};
use crate::profile::{Letter, ProfileOption, ProfileTable};
use crate::report::{AttributeAction, FileReport, Notice};
use crate::safe_private::SafePrivateList;
use crate::walk::{MAX_DEPTH, Walker, first_str, strings_of};

/// Kakou's Implementation Class UID (a fixed `2.25.` UUID-derived root) and version name.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.181452193483839012345517312402838219521";
pub const IMPLEMENTATION_VERSION_NAME: &str = "KAKOU_0_1";

/// Attributes whose values are never searched for in other text (a manufacturer name that equals
/// the institution name must not erase the manufacturer).
const BENIGN: [Tag; 6] = [
    tags::MANUFACTURER,
    tags::MANUFACTURER_MODEL_NAME,
    tags::SOFTWARE_VERSIONS,
    tags::SECONDARY_CAPTURE_DEVICE_MANUFACTURER,
    tags::SECONDARY_CAPTURE_DEVICE_MANUFACTURER_MODEL_NAME,
    tags::MODALITY,
];

/// The result of de-identifying one file.
#[derive(Debug)]
pub struct Processed {
    /// The de-identified Part 10 file. For a quarantined file these are the cleaned metadata with
    /// pixels untouched: safe to inspect, not to release.
    pub bytes: Vec<u8>,
    pub report: FileReport,
}

/// De-identifies DICOM files under one key and policy. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Deidentifier {
    policy: Policy,
    key: ProjectKey,
    uids: UidMapper,
    pseudonyms: Pseudonymizer,
    verbatim_pixels: bool,
}

impl Deidentifier {
    pub fn new(key: ProjectKey, policy: Policy) -> Result<Self, crate::policy::PolicyError> {
        policy.validate()?;
        Ok(Deidentifier {
            uids: UidMapper::new(&key),
            pseudonyms: Pseudonymizer::new(&key, Purpose::PatientPseudonym),
            policy,
            key,
            verbatim_pixels: true,
        })
    }

    /// Whether unedited top-level Pixel Data is copied to the output verbatim instead of being
    /// parsed and re-encoded (on by default). Most of a file's bytes are pixels that
    /// de-identification does not change; copying them skips dicom-rs's zero-filled buffer and two
    /// copies. Only used when the Pixel Data is the file's last element and every header before
    /// it was walked by the guard; a file whose pixels must be edited is always parsed whole.
    /// The output is identical either way (tested on the corpus).
    pub fn with_verbatim_pixels(mut self, on: bool) -> Self {
        self.verbatim_pixels = on;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// A keyed UID for an instance derived from `original` by `derivation` (e.g. its defaced
    /// copy): stable under the key, and different both from `original` and from the UID that
    /// de-identifying `original` itself would give, so a derived image never shares a UID with
    /// its source under any profile option.
    pub fn derived_uid(&self, original: &str, derivation: &str) -> String {
        self.uids.map(&format!("{derivation}:{}", original.trim_end_matches(['\0', ' ']).trim_start()))
    }

    /// De-identifies one file. `name` is used in the report and in errors only.
    pub fn deidentify(&self, name: &str, input: &[u8]) -> Result<Processed, DeidError> {
        self.deidentify_marked(name, input, PixelMarks::default())
    }

    /// [`Deidentifier::deidentify`] for a file whose pixels the caller already cleaned (e.g. a
    /// defaced slice): `done` is added to the markers (CID 7050 codes, method text).
    pub fn deidentify_marked(&self, name: &str, input: &[u8], done: PixelMarks) -> Result<Processed, DeidError> {
        let err = |kind| DeidError { file: name.to_string(), kind };
        let (mut obj, mut tail) = parse(input, self.verbatim_pixels).map_err(err)?;
        let mut facts = ImageFacts::of(&obj);
        if tail.is_some() {
            facts.has_pixels = true;
            let risky = facts.risk(self.policy.burned_in.trust_burned_in_no).is_some();
            if risky && facts.matching_rule(&self.policy.burned_in.rules).is_some() {
                (obj, tail) = parse(input, false).map_err(err)?; // pixels will be edited
                facts = ImageFacts::of(&obj);
            }
        }
        let meta = obj.meta().clone();
        let identity = patient_identity(&obj);
        let pseudonym = format!("KK{}", self.pseudonyms.pseudonym("patient", &identity, 14));
        let shift = self
            .policy
            .has(ProfileOption::RetainLongitudinalModifiedDates)
            .then(|| DateShift::for_patient(&self.key, &identity, self.policy.date_shift));
        let filler = self.pseudonyms.keyed_index("birth-date-filler", &identity, 1 << 20) as u32;
        let charset: Vec<String> = obj.get(tags::SPECIFIC_CHARACTER_SET).map(strings_of).unwrap_or_default();
        let japanese = crate::charset::JapaneseText::for_charset(&charset);
        let known = self.known_identifiers(&obj, &meta, japanese.as_ref());
        let mut original_dates = Vec::new();
        collect_dates(&obj, &mut original_dates, 0);

        let safe = SafePrivateList::get();
        let mut walker = Walker::new(&self.policy, &self.uids, safe, pseudonym.clone(), shift, filler, known);
        walker.dummy_date = dummy_date(&original_dates);
        walker.patient = patient_hints(&obj, japanese.as_ref());
        walker.japanese = japanese;
        let dataset = walker.dataset(obj.into_inner(), "", 0).map_err(|_| err(ErrorKind::TooDeep(MAX_DEPTH)))?;
        let mut meta = self.clean_meta(meta, &mut walker.actions);
        // The meta SOP Instance UID must equal the data set's (some originals disagree).
        let sop = string_at(&dataset, tags::SOP_INSTANCE_UID);
        if !sop.is_empty() && sop != meta.media_storage_sop_instance_uid.trim_end_matches('\0') {
            meta.media_storage_sop_instance_uid = sop;
            meta.update_information_group_length();
        }
        let mut out = dataset.with_exact_meta(meta);

        let mut report = FileReport {
            file: name.to_string(),
            outcome: Outcome::Deidentified,
            sop_class_uid: facts.sop_class.clone(),
            modality: facts.modality.clone(),
            transfer_syntax: out.meta().transfer_syntax().trim_end_matches('\0').to_string(),
            patient_pseudonym: pseudonym,
            study_uid: string_at(&out, tags::STUDY_INSTANCE_UID),
            series_uid: string_at(&out, tags::SERIES_INSTANCE_UID),
            sop_instance_uid: string_at(&out, tags::SOP_INSTANCE_UID),
            actions: std::mem::take(&mut walker.actions),
            warnings: std::mem::take(&mut walker.warnings),
            quarantine: None,
            bytes_in: input.len() as u64,
            bytes_out: 0,
        };
        let mut pixels = self.handle_burned_in(&facts, &mut out, &mut report);
        pixels.clean_pixel_data |= done.clean_pixel_data;
        pixels.clean_recognizable_visual_features |= done.clean_recognizable_visual_features;
        add_markers(&mut out, &self.policy, pixels);
        report.actions.push(AttributeAction {
            path: "DeidentificationMethodCodeSequence".into(),
            tag: "(0012,0064)".into(),
            action: ActionKind::MarkerAdded,
            rule: "PS3.15 E.1.1: PatientIdentityRemoved, method text, CID 7050 codes, (0028,0303)".into(),
        });

        let mut bytes = Vec::with_capacity(input.len() + 1024);
        out.write_all(&mut bytes).map_err(|e| err(ErrorKind::Write(e.to_string())))?;
        if let Some(pixels) = tail {
            bytes.extend_from_slice(pixels);
        }
        report.bytes_out = bytes.len() as u64;
        Ok(Processed { bytes, report })
    }

    /// Blanks burned-in regions by rule, or quarantines. Returns the pixel markers to write.
    fn handle_burned_in(
        &self,
        facts: &ImageFacts,
        out: &mut DefaultDicomObject,
        report: &mut FileReport,
    ) -> PixelMarks {
        let Some(risk) = facts.risk(self.policy.burned_in.trust_burned_in_no) else {
            return PixelMarks::default();
        };
        let Some(rule) = facts.matching_rule(&self.policy.burned_in.rules) else {
            report.outcome = Outcome::Quarantined;
            report.quarantine = Some(Notice::new(
                "burned-in-risk",
                format!(
                    "{risk}; no pixel rule matches {} {} {}x{}",
                    facts.manufacturer, facts.model, facts.columns, facts.rows
                ),
            ));
            return PixelMarks::default();
        };
        match blank_regions(out, &rule.regions) {
            Ok(transcoded) => {
                report.actions.push(AttributeAction {
                    path: "PixelData".into(),
                    tag: "(7FE0,0010)".into(),
                    action: ActionKind::PixelsBlanked,
                    rule: format!("pixel rule '{}': {} region(s)", rule.name, rule.regions.len()),
                });
                if transcoded {
                    report.warnings.push(Notice::new(
                        "transcoded",
                        format!(
                            "pixels decoded to edit them: transfer syntax {} → Explicit VR Little Endian",
                            report.transfer_syntax
                        ),
                    ));
                    report.transfer_syntax = out.meta().transfer_syntax().trim_end_matches('\0').to_string();
                }
                out.put(dicom_core::DataElement::new(
                    tags::BURNED_IN_ANNOTATION,
                    dicom_core::VR::CS,
                    dicom_core::PrimitiveValue::from("NO"),
                ));
                PixelMarks { clean_pixel_data: true, ..Default::default() }
            }
            Err(e) => {
                report.outcome = Outcome::Quarantined;
                report.quarantine =
                    Some(Notice::new("pixels-not-editable", format!("{risk}; rule '{}' matched but {e}", rule.name)));
                PixelMarks::default()
            }
        }
    }

    /// The file meta group: new SOP Instance UID, Kakou as implementation, no AE titles or
    /// private meta information (they name the sending station).
    fn clean_meta(
        &self,
        mut meta: dicom_object::FileMetaTable,
        actions: &mut Vec<AttributeAction>,
    ) -> dicom_object::FileMetaTable {
        let mut record = |tag: &str, name: &str, action, rule: &str| {
            actions.push(AttributeAction { path: format!("meta/{name}"), tag: tag.into(), action, rule: rule.into() })
        };
        if !self.policy.has(ProfileOption::RetainUids) {
            let sop = meta.media_storage_sop_instance_uid.trim_end_matches(['\0', ' ']).to_string();
            if !sop.is_empty() {
                meta.media_storage_sop_instance_uid = self.uids.map(&sop);
                record("(0002,0003)", "MediaStorageSOPInstanceUID", ActionKind::UidMapped, "E.1-1 basic: U");
            }
        }
        for (title, tag, name) in [
            (&mut meta.source_application_entity_title, "(0002,0016)", "SourceApplicationEntityTitle"),
            (&mut meta.sending_application_entity_title, "(0002,0017)", "SendingApplicationEntityTitle"),
            (&mut meta.receiving_application_entity_title, "(0002,0018)", "ReceivingApplicationEntityTitle"),
        ] {
            if title.take().is_some() {
                record(tag, name, ActionKind::Removed, "Kakou: AE titles name stations: X");
            }
        }
        if meta.private_information.take().is_some() | meta.private_information_creator_uid.take().is_some() {
            record("(0002,0102)", "PrivateInformation", ActionKind::Removed, "Kakou: private meta information: X");
        }
        meta.implementation_class_uid = IMPLEMENTATION_CLASS_UID.to_string();
        meta.implementation_version_name = Some(IMPLEMENTATION_VERSION_NAME.to_string());
        meta.update_information_group_length();
        meta
    }

    /// Every identifying value the record carries (for scrubbing kept text).
    fn known_identifiers(
        &self,
        obj: &InMemDicomObject,
        meta: &dicom_object::FileMetaTable,
        japanese: Option<&crate::charset::JapaneseText>,
    ) -> kakou_sdk::scrub::KnownIdentifiers {
        let mut set = IdentifierSet::default();
        let mut benign = Vec::new();
        for t in BENIGN {
            if let Some(v) = obj.get(t).and_then(first_str) {
                benign.push(v);
            }
        }
        collect_identifiers(obj, &self.policy, japanese, &mut set, 0);
        for v in [&meta.source_application_entity_title, &meta.sending_application_entity_title].into_iter().flatten() {
            set.add(v);
        }
        let refs: Vec<&str> = benign.iter().map(String::as_str).collect();
        set.build(&refs)
    }
}

/// Adds the values of every attribute the policy does not keep, at any depth.
fn collect_identifiers(
    obj: &InMemDicomObject,
    policy: &Policy,
    japanese: Option<&crate::charset::JapaneseText>,
    set: &mut IdentifierSet,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let dates_kept = policy.has(ProfileOption::RetainLongitudinalFullDates);
    for e in obj.iter() {
        if let Some(items) = e.value().items() {
            for item in items {
                collect_identifiers(item, policy, japanese, set, depth + 1);
            }
            continue;
        }
        let tag = e.tag();
        if tag.group() % 2 == 1 || BENIGN.contains(&tag) {
            continue;
        }
        // Values the policy keeps (K) or cleans (C) are the text being protected, not
        // identifiers to search for; everything removed or replaced is.
        let kept = match ProfileTable::get().row(tag) {
            Some(row) => matches!(row.code_for(&policy.options).0.resolve(), Letter::K | Letter::C),
            None => !matches!(e.vr(), dicom_core::VR::PN),
        };
        let birth_kept = tag == tags::PATIENT_BIRTH_DATE && policy.birth_date == BirthDatePolicy::Keep;
        if (kept && tag != tags::PATIENT_NAME && tag != tags::PATIENT_ID) || birth_kept {
            continue;
        }
        for raw in strings_of(e) {
            let v = japanese.and_then(|jp| jp.to_unicode(&raw)).unwrap_or(raw);
            match e.vr() {
                dicom_core::VR::PN => set.add_person_name(&v),
                dicom_core::VR::DA if !dates_kept => set.add_date(&v),
                dicom_core::VR::DA | dicom_core::VR::TM | dicom_core::VR::DT => {}
                dicom_core::VR::UI if v.len() >= 10 && !v.starts_with("1.2.840.10008.") => set.add(&v),
                dicom_core::VR::LO
                | dicom_core::VR::SH
                | dicom_core::VR::LT
                | dicom_core::VR::ST
                | dicom_core::VR::UT
                | dicom_core::VR::UC
                | dicom_core::VR::AE => set.add(&v),
                _ => {}
            }
        }
    }
}

/// Every DA value in the data set, at any depth.
fn collect_dates(obj: &InMemDicomObject, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for e in obj.iter() {
        if let Some(items) = e.value().items() {
            items.iter().for_each(|i| collect_dates(i, out, depth + 1));
        } else if matches!(e.vr(), dicom_core::VR::DA | dicom_core::VR::DT) {
            out.extend(strings_of(e).into_iter().map(|v| v.chars().take(8).collect::<String>()));
        }
    }
}

/// The dummy date: 1900-01-01, or the next day not used by any original date of the file, so
/// that a dummy can never be mistaken for (or reveal) a real value.
fn dummy_date(original: &[String]) -> String {
    (1..=28)
        .map(|d| format!("190001{d:02}"))
        .find(|c| !original.iter().any(|o| o == c))
        .unwrap_or_else(|| "19000201".to_string())
}

/// Parses a Part 10 file from memory: `DICM` at byte 128 (with preamble) or at byte 0. With
/// `verbatim_pixels`, a trailing top-level Pixel Data element is not parsed: its bytes are
/// returned to be appended to the output unchanged.
pub(crate) fn parse(input: &[u8], verbatim_pixels: bool) -> Result<(DefaultDicomObject, Option<&[u8]>), ErrorKind> {
    let start = if input.get(128..132) == Some(b"DICM") {
        128
    } else if input.get(0..4) == Some(b"DICM") {
        0
    } else {
        return Err(ErrorKind::NotDicom);
    };
    let layout = crate::guard::check(&input[start..], MAX_DEPTH).map_err(|e| match e {
        crate::guard::GuardError::Depth(d) => ErrorKind::TooDeep(d),
        other => ErrorKind::Length(other.to_string()),
    })?;
    let tail = layout.trailing_pixel_data.filter(|_| verbatim_pixels).map(|at| &input[start + at..]);
    let mut options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
    if tail.is_some() {
        options = options.read_until(tags::PIXEL_DATA);
    }
    let obj = options.from_reader(&input[start..]).map_err(|e| ErrorKind::Parse(error_chain(&e)))?;
    Ok((obj, tail))
}

/// An error and its sources on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The patient's own identifiers (name groups: alphabetic = ideographic = phonetic, ID, birth
/// date, address, phones) as text hints for cleaned text. The matcher is compiled on first use,
/// so files without cleaned text pay only for collecting these few values.
fn patient_hints(obj: &InMemDicomObject, japanese: Option<&crate::charset::JapaneseText>) -> Patient {
    let s = |t: Tag| {
        let v = obj.get(t).and_then(first_str).unwrap_or_default();
        japanese.and_then(|jp| jp.to_unicode(&v)).unwrap_or(v)
    };
    let some = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let name = s(tags::PATIENT_NAME);
    let groups: Vec<String> = name.split('=').map(|g| g.replace('^', " ")).collect();
    let group = |i: usize| groups.get(i).and_then(|g| some(g));
    let (alphabetic, ideographic) = (group(0), group(1));
    Patient::new(&PatientIdentifiers {
        patient_id: some(&s(tags::PATIENT_ID)),
        name: ideographic.clone().or(alphabetic.clone()),
        kana: group(2),
        other_names: if ideographic.is_some() { alphabetic.into_iter().collect() } else { Vec::new() },
        birth_date: some(&s(tags::PATIENT_BIRTH_DATE)),
        address: some(&s(tags::PATIENT_ADDRESS)),
        phones: some(&s(tags::PATIENT_TELEPHONE_NUMBERS)).into_iter().collect(),
        ..Default::default()
    })
}

/// Who the patient is, for keyed pseudonyms and date offsets: the issuer-qualified patient ID,
/// else name + birth date, else the study (so that nothing collapses into one "unknown" patient).
fn patient_identity(obj: &InMemDicomObject) -> String {
    let s = |t: Tag| obj.get(t).and_then(first_str).unwrap_or_default();
    let id = s(tags::PATIENT_ID);
    if !id.is_empty() {
        return format!("id:{}|{}", s(tags::ISSUER_OF_PATIENT_ID), id);
    }
    let name = s(tags::PATIENT_NAME);
    if !name.is_empty() {
        return format!("name:{}|{}", name, s(tags::PATIENT_BIRTH_DATE));
    }
    let study = s(tags::STUDY_INSTANCE_UID);
    if !study.is_empty() {
        return format!("study:{study}");
    }
    format!("instance:{}", s(tags::SOP_INSTANCE_UID))
}

fn string_at(obj: &InMemDicomObject, tag: Tag) -> String {
    obj.get(tag).and_then(first_str).unwrap_or_default()
}

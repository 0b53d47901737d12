//! The recursive rewrite of a data set: one decision per element, at any depth.
//!
//! Every element is routed to exactly one [`Decision`] by, in order: Kakou's explicit rules for
//! the patient's own identity (pseudonymized name and ID, birth date, address, age), the
//! de-identification markers (rewritten at the end), private and repeating-group rules, Table
//! E.1-1 under the options in force, and finally VR-based safety rules for standard attributes
//! the table does not list (any person name, date, time or instance UID is treated as
//! identifying). Kept text always passes through the record's known identifiers, so a name
//! copied into a description is caught even where the table says keep.

use std::collections::HashMap;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::header::{HasLength, Header};
use dicom_core::value::{C, Value};
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{StandardDataDictionary, tags};
use dicom_object::InMemDicomObject;
use kakou_sdk::address::coarsen_address;
use kakou_sdk::dates::{Coarsening, DateShift, coarsen_da};
use kakou_sdk::report::ActionKind;
use kakou_sdk::scrub::KnownIdentifiers;
use kakou_sdk::uid::UidMapper;

use crate::policy::{BirthDatePolicy, Policy};
use crate::profile::{Letter, ProfileOption, ProfileTable};
use crate::report::{AttributeAction, Notice};
use crate::safe_private::SafePrivateList;

type Elem = dicom_object::mem::InMemElement;

/// Deeper nesting than this is refused: real data sets stay below ten levels.
pub const MAX_DEPTH: usize = 64;

/// Placeholder written where kept text contained a known identifier.
pub const SCRUB_PLACEHOLDER: &str = "***";

/// What happens to one element.
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    Keep,
    Remove,
    Empty,
    Dummy,
    MapUid,
    /// Date/time: shift with the patient's offset (Modified Dates) or dummy when not shifting.
    Clean,
    Pseudonym,
    Replace(String, ActionKind),
}

/// How unlisted attributes inside a sequence are treated. Table E.1-1 gives Content Sequence
/// (and a few others) a D: its items must carry no original content, yet Text Value, Concept
/// Names and the like are not rows of the table. Inside such a sequence, unlisted text is
/// therefore replaced by dummies (or cleaned, under Clean Structured Content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentMode {
    Normal,
    Dummy,
    Clean,
}

/// Sequences that are Type 2 wherever they occur: an `X/Z` code must empty them, not remove them.
const TYPE2_SEQUENCES: [Tag; 1] = [tags::ACQUISITION_CONTEXT_SEQUENCE];

/// The state of one file's rewrite.
pub struct Walker<'a> {
    pub policy: &'a Policy,
    pub uids: &'a UidMapper,
    pub safe_private: &'a SafePrivateList,
    pub pseudonym: String,
    pub shift: Option<DateShift>,
    pub birth_filler: u32,
    pub known: KnownIdentifiers,
    /// The patient's own identifiers as text hints, for cleaned (C) text.
    pub patient: kakou_sdk::text::Patient,
    /// Set for files whose text uses Japanese ISO 2022 code extensions.
    pub japanese: Option<crate::charset::JapaneseText>,
    /// The dummy date of this file: never equal to any date the original carries.
    pub dummy_date: String,
    pub actions: Vec<AttributeAction>,
    pub warnings: Vec<Notice>,
    /// Overlay groups (60xx) whose Overlay Data is removed: the whole group goes.
    overlay_removed: bool,
    mode: ContentMode,
}

/// An error that stops the walk.
#[derive(Debug)]
pub struct TooDeep;

impl<'a> Walker<'a> {
    pub fn new(
        policy: &'a Policy,
        uids: &'a UidMapper,
        safe_private: &'a SafePrivateList,
        pseudonym: String,
        shift: Option<DateShift>,
        birth_filler: u32,
        known: KnownIdentifiers,
    ) -> Self {
        let overlay_removed = ProfileTable::get()
            .row(Tag(0x6000, 0x3000))
            .is_none_or(|r| r.code_for(&policy.options).0.resolve() == Letter::X);
        Walker {
            policy,
            uids,
            safe_private,
            pseudonym,
            shift,
            birth_filler,
            known,
            dummy_date: "19000101".to_string(),
            japanese: None,
            patient: kakou_sdk::text::Patient::default(),
            actions: Vec::new(),
            warnings: Vec::new(),
            overlay_removed,
            mode: ContentMode::Normal,
        }
    }

    /// Rewrites one data set (the top level or a sequence item).
    pub fn dataset(&mut self, obj: InMemDicomObject, path: &str, depth: usize) -> Result<InMemDicomObject, TooDeep> {
        if depth > MAX_DEPTH {
            return Err(TooDeep);
        }
        let paired = self.paired_date_times(&obj);
        let kept_private = self.kept_private_blocks(&obj);
        let mut out = Vec::with_capacity(64);
        let mut private_removed: HashMap<(u16, u8), usize> = HashMap::new();
        for elem in obj {
            let tag = elem.tag();
            if tag.element() == 0x0000 {
                continue; // group lengths: deprecated, recomputed by writers where needed
            }
            if tag.group() % 2 == 1 {
                if self.keep_private(&elem, &kept_private) {
                    out.push(elem);
                } else {
                    let block = if tag.element() < 0x1000 { tag.element() as u8 } else { (tag.element() >> 8) as u8 };
                    *private_removed.entry((tag.group(), block)).or_default() += 1;
                }
                continue;
            }
            if let Some(e) = self.element(elem, path, depth, &paired)? {
                out.push(e);
            }
        }
        let mut blocks: Vec<_> = private_removed.into_iter().collect();
        blocks.sort();
        for ((group, block), n) in blocks {
            self.actions.push(AttributeAction {
                path: join(path, "private"),
                tag: format!("({group:04X},{block:02X}xx)"),
                action: ActionKind::Removed,
                rule: format!("private block: {n} element(s) not on the safe-private list"),
            });
        }
        Ok(InMemDicomObject::from_element_iter(out))
    }

    fn element(
        &mut self,
        elem: Elem,
        path: &str,
        depth: usize,
        paired: &HashMap<Tag, String>,
    ) -> Result<Option<Elem>, TooDeep> {
        let tag = elem.tag();
        let name = keyword(tag);
        let here = join(path, &name);
        let (decision, rule) = self.decide(&elem);
        let vr = effective_vr(&elem);
        if vr == VR::SQ {
            let mode = match decision {
                Decision::Dummy => Some(ContentMode::Dummy),
                Decision::Clean => Some(ContentMode::Clean),
                Decision::Keep | Decision::MapUid => Some(self.mode),
                _ => None,
            };
            if let Some(mode) = mode {
                let outer = std::mem::replace(&mut self.mode, mode);
                let r = self.keep(elem, &here, depth, &rule, false);
                self.mode = outer;
                return r;
            }
        }
        let result = match decision {
            Decision::Keep => self.keep(elem, &here, depth, &rule, false)?,
            Decision::Remove => {
                self.record(&here, tag, ActionKind::Removed, &rule);
                None
            }
            Decision::Empty => {
                self.record(&here, tag, ActionKind::Emptied, &rule);
                Some(empty(tag, vr))
            }
            Decision::Dummy => self.dummy(tag, vr, &elem, &here, &rule),
            Decision::MapUid => Some(self.map_uids(elem, &here, &rule)),
            Decision::Clean => match vr {
                VR::DA | VR::DT | VR::TM => self.clean_date(elem, vr, &here, &rule, paired),
                _ => self.keep(elem, &here, depth, &rule, true)?,
            },
            Decision::Pseudonym => {
                self.record(&here, tag, ActionKind::Pseudonymized, &rule);
                Some(DataElement::new(tag, vr, PrimitiveValue::from(self.pseudonym.clone())))
            }
            Decision::Replace(v, kind) => {
                self.record(&here, tag, kind, &rule);
                Some(DataElement::new(tag, vr, PrimitiveValue::from(v)))
            }
        };
        Ok(result)
    }

    /// The decision for a standard (even-group) element and the rule that made it.
    fn decide(&self, elem: &Elem) -> (Decision, String) {
        let tag = elem.tag();
        let p = self.policy;
        match tag {
            tags::PATIENT_NAME | tags::PATIENT_ID => {
                return (Decision::Pseudonym, "Kakou: keyed patient pseudonym".into());
            }
            tags::PATIENT_IDENTITY_REMOVED
            | tags::DEIDENTIFICATION_METHOD
            | tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE
            | tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED => {
                return (Decision::Remove, "Kakou: marker rewritten for this run".into());
            }
            tags::SPECIFIC_CHARACTER_SET => return (Decision::Keep, "Kakou: character set".into()),
            tags::PATIENT_BIRTH_DATE => match p.birth_date {
                BirthDatePolicy::Profile => {}
                BirthDatePolicy::Keep => return (Decision::Keep, "jp policy: birth date kept".into()),
                BirthDatePolicy::YearMonth | BirthDatePolicy::Year => {
                    let to =
                        if p.birth_date == BirthDatePolicy::Year { Coarsening::Year } else { Coarsening::YearMonth };
                    let out = first_str(elem).and_then(|v| coarsen_da(&v, to, self.birth_filler));
                    return match out {
                        Some(v) => {
                            (Decision::Replace(v, ActionKind::DateCoarsened), "jp policy: birth date coarsened".into())
                        }
                        None => (Decision::Remove, "jp policy: birth date unparseable, removed".into()),
                    };
                }
            },
            tags::PATIENT_ADDRESS if p.address != kakou_sdk::address::AddressPolicy::Remove => {
                let out = first_str(elem).and_then(|v| coarsen_address(&v, p.address));
                return match out {
                    Some(v) => (Decision::Replace(v, ActionKind::AddressCoarsened), "address policy".into()),
                    None => (Decision::Remove, "address policy: no prefecture recognised, removed".into()),
                };
            }
            _ => {}
        }
        if is_curve_group(tag.group()) {
            return (Decision::Remove, "E.1-1 (50xx,xxxx) curve data: X".into());
        }
        if is_overlay_group(tag.group()) && self.overlay_removed {
            return (Decision::Remove, "E.1-1 (60xx,3000) overlay data: X (whole overlay group)".into());
        }
        if let Some(row) = ProfileTable::get().row(tag) {
            let (code, option) = row.code_for(&p.options);
            let letter = if effective_vr(elem) == VR::SQ {
                match code.resolve_sequence() {
                    Letter::X if TYPE2_SEQUENCES.contains(&tag) => Letter::Z,
                    Letter::K if code.resolve() == Letter::D => Letter::D,
                    Letter::K if code.resolve() == Letter::C => Letter::C,
                    other => other,
                }
            } else {
                code.resolve()
            };
            let column = option.map_or("basic", |o| o.name());
            let rule = format!("E.1-1 {column}: {letter:?}");
            if tag == tags::PATIENT_AGE
                && letter == Letter::K
                && let Some(top) = p.age_top_code.and_then(|limit| top_code_age(elem, limit))
            {
                return (
                    Decision::Replace(top, ActionKind::TopCoded),
                    format!("{rule}, ages over {} top-coded", p.age_top_code.unwrap_or(0)),
                );
            }
            return (letter_decision(letter), rule);
        }
        self.vr_rule(elem)
    }

    /// Standard attributes Table E.1-1 does not list: identifying VRs are still handled.
    fn vr_rule(&self, elem: &Elem) -> (Decision, String) {
        let dates = self.date_letter();
        let vr = effective_vr(elem);
        if is_text_vr(vr) {
            match self.mode {
                ContentMode::Dummy => return (Decision::Dummy, "Kakou: text inside a D sequence: D".into()),
                ContentMode::Clean => return (Decision::Clean, "Kakou: text inside a C sequence: C".into()),
                ContentMode::Normal => {}
            }
        }
        match vr {
            VR::PN => (Decision::Empty, "Kakou: unlisted person name: Z".into()),
            VR::DA | VR::DT | VR::TM => (letter_decision(dates), format!("Kakou: unlisted date/time: {dates:?}")),
            VR::UI if self.policy.has(ProfileOption::RetainUids) => (Decision::Keep, "retain-uids".into()),
            VR::UI if is_non_instance_uid(elem) => (Decision::Keep, "Kakou: class/standard UID".into()),
            VR::UI => (Decision::MapUid, "Kakou: unlisted instance UID: U".into()),
            _ => (Decision::Keep, "not in E.1-1".into()),
        }
    }

    /// What dates the table does not list get: as Study Date would under the options.
    fn date_letter(&self) -> Letter {
        if self.policy.has(ProfileOption::RetainLongitudinalFullDates) {
            Letter::K
        } else if self.policy.has(ProfileOption::RetainLongitudinalModifiedDates) {
            Letter::C
        } else {
            Letter::D
        }
    }

    /// Keep (K) or clean (C) a non-date element: sequences are walked, text is scrubbed.
    fn keep(&mut self, elem: Elem, here: &str, depth: usize, rule: &str, clean: bool) -> Result<Option<Elem>, TooDeep> {
        let tag = elem.tag();
        let vr = elem.vr();
        let (header, value) = elem.into_parts();
        match value {
            Value::Sequence(seq) => {
                let mut items = Vec::with_capacity(seq.items().len());
                for (i, item) in seq.into_items().into_iter().enumerate() {
                    items.push(self.dataset(item, &format!("{here}[{i}]"), depth + 1)?);
                }
                Ok(Some(DataElement::new(tag, VR::SQ, Value::new_sequence(C::from_vec(items), Length::UNDEFINED))))
            }
            Value::Primitive(PrimitiveValue::U8(bytes)) if vr == VR::UN && dictionary_vr(tag) == Some(VR::SQ) => {
                let Some(items) = decode_un_sequence(&bytes, depth) else {
                    self.record(here, tag, ActionKind::Removed, "Kakou: UN-encoded sequence does not decode: removed");
                    return Ok(None);
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    out.push(self.dataset(item, &format!("{here}[{i}]"), depth + 1)?);
                }
                Ok(Some(DataElement::new(tag, VR::SQ, Value::new_sequence(C::from_vec(out), Length::UNDEFINED))))
            }
            Value::Primitive(pv) if is_text_vr(vr) => {
                let kept = DataElement::new(tag, vr, pv);
                Ok(Some(self.scrub_text(kept, here, rule, clean)))
            }
            Value::Primitive(PrimitiveValue::U8(bytes)) if vr == VR::UN && un_text_vr(tag, &bytes).is_some() => {
                // A standard text attribute stored as UN: give it its real VR so that it can be
                // cleaned like any other text (and is valid again).
                let real = un_text_vr(tag, &bytes).unwrap_or(VR::UN);
                let text: String = bytes.iter().map(|&b| b as char).collect();
                let values = text.split('\\').map(|v| v.trim_end_matches(['\0', ' ']).to_string()).collect();
                let kept = DataElement::new(tag, real, strs(values));
                Ok(Some(if is_text_vr(real) { self.scrub_text(kept, here, rule, clean) } else { kept }))
            }
            other => {
                let e = DataElement::new_with_len(tag, header.vr, header.length(), other);
                Ok(Some(e))
            }
        }
    }

    fn scrub_text(&mut self, elem: Elem, here: &str, rule: &str, clean: bool) -> Elem {
        let tag = elem.tag();
        let vr = elem.vr();
        let Ok(values) = elem.to_multi_str() else { return elem };
        let mut changed = 0;
        let new: Vec<String> = values
            .iter()
            .map(|v| match self.scrub_value(v, clean) {
                Some((s, n)) => {
                    changed += n;
                    s
                }
                None => v.to_string(),
            })
            .collect();
        if changed == 0 {
            if clean {
                self.record(here, tag, ActionKind::Cleaned, &format!("{rule} (no identifying content found)"));
            }
            return elem;
        }
        self.record(here, tag, ActionKind::Cleaned, &format!("{rule}: {changed} identifier(s) replaced"));
        DataElement::new(tag, vr, strs(new))
    }

    /// Scrubs one value, through Unicode when the file's text is ISO 2022 Japanese. Every kept
    /// value is checked for the record's known identifiers; a value being *cleaned* (C) also
    /// goes through the free-text recognisers (names, dates, IDs, places…), so an identifier
    /// that appears nowhere else in the record is found too, with the patient's own identifiers
    /// as hints (the name's reading in hiragana or half-width kana, the ID without its leading
    /// zeros, the birth date in era form…).
    fn scrub_value(&self, v: &str, clean: bool) -> Option<(String, usize)> {
        if let Some(jp) = &self.japanese
            && let Some(text) = jp.to_unicode(v)
        {
            let (cleaned, n) = self.scrub_unicode(&text, clean)?;
            if let Some(encoded) = jp.from_unicode(&cleaned) {
                return Some((encoded, n));
            }
        }
        self.scrub_unicode(v, clean)
    }

    fn scrub_unicode(&self, text: &str, clean: bool) -> Option<(String, usize)> {
        let known = self.known.scrub(text, SCRUB_PLACEHOLDER);
        if !clean {
            return known;
        }
        let (base, n_known) = known.unwrap_or_else(|| (text.to_string(), 0));
        let spans = kakou_sdk::text::find_with_patient(&base, &self.patient);
        if spans.is_empty() {
            return (n_known > 0).then_some((base, n_known));
        }
        let chars: Vec<char> = base.chars().collect();
        let mut out = String::with_capacity(base.len());
        let mut pos = 0;
        for s in &spans {
            out.extend(&chars[pos..s.start]);
            out.push_str(SCRUB_PLACEHOLDER);
            pos = s.end;
        }
        out.extend(&chars[pos..]);
        Some((out, n_known + spans.len()))
    }

    fn dummy(&mut self, tag: Tag, vr: VR, elem: &Elem, here: &str, rule: &str) -> Option<Elem> {
        match vr {
            VR::UI => {
                let mapped = self.uids.map(&format!("dummy:{}", tag_string(tag)));
                self.record(here, tag, ActionKind::Dummy, rule);
                Some(DataElement::new(tag, vr, PrimitiveValue::from(mapped)))
            }
            VR::DA | VR::DT | VR::TM if self.shift.is_some() => {
                self.clean_date(elem.clone(), vr, here, rule, &HashMap::new())
            }
            _ => {
                self.record(here, tag, ActionKind::Dummy, rule);
                Some(self.dummy_value(tag, vr))
            }
        }
    }

    fn map_uids(&mut self, elem: Elem, here: &str, rule: &str) -> Elem {
        let tag = elem.tag();
        let values = strings_of(&elem);
        let mapped: Vec<String> = values
            .iter()
            .map(|v| {
                let t = v.trim_end_matches(['\0', ' ']);
                if t.is_empty() || t.starts_with("1.2.840.10008.") { t.to_string() } else { self.uids.map(t) }
            })
            .collect();
        self.record(here, tag, ActionKind::UidMapped, rule);
        DataElement::new(tag, VR::UI, strs(mapped))
    }

    /// Dates and times under Modified Dates: shifted by the patient's offset; anything that does
    /// not parse is removed (it cannot be shifted, and kept as is it would leak).
    fn clean_date(
        &mut self,
        elem: Elem,
        vr: VR,
        here: &str,
        rule: &str,
        paired: &HashMap<Tag, String>,
    ) -> Option<Elem> {
        let tag = elem.tag();
        let Some(shift) = self.shift else {
            self.record(here, tag, ActionKind::Dummy, rule);
            return Some(self.dummy_value(tag, vr));
        };
        if let Some(v) = paired.get(&tag) {
            self.record(here, tag, ActionKind::DateShifted, rule);
            return Some(DataElement::new(tag, vr, PrimitiveValue::from(v.clone())));
        }
        let values = strings_of(&elem);
        if values.iter().all(|v| v.trim_matches(['\0', ' ']).is_empty()) {
            return Some(empty(tag, vr));
        }
        let shifted: Option<Vec<String>> = values
            .iter()
            .map(|v| match vr {
                VR::DA => shift.shift_da(v),
                VR::TM => shift.shift_tm(v),
                _ => shift.shift_dt(v),
            })
            .collect();
        match shifted {
            Some(s) => {
                self.record(here, tag, ActionKind::DateShifted, rule);
                Some(DataElement::new(tag, vr, strs(s)))
            }
            None => {
                self.record(
                    here,
                    tag,
                    ActionKind::Removed,
                    &format!("{rule}; value is not a valid {vr:?}, cannot shift: removed"),
                );
                self.warnings.push(Notice::new("unparseable-date", format!("{here}: not a valid {vr:?}, removed")));
                None
            }
        }
    }

    /// Date + time pairs in one item (time tag = date tag + 0x10, as in Study Date/Study Time)
    /// are shifted together so that crossing midnight carries into the date.
    fn paired_date_times(&self, obj: &InMemDicomObject) -> HashMap<Tag, String> {
        let mut out = HashMap::new();
        let Some(shift) = self.shift else { return out };
        for e in obj.iter().filter(|e| e.vr() == VR::DA) {
            let t = e.tag();
            let Some(time_tag) = t.element().checked_add(0x10).map(|el| Tag(t.group(), el)) else { continue };
            let Some(tm) = obj.get(time_tag).filter(|x| x.vr() == VR::TM) else { continue };
            let (Some(da), Some(tmv)) = (single_str(e), single_str(tm)) else { continue };
            if let Some((d2, t2)) = shift.shift_da_tm(&da, &tmv) {
                out.insert(t, d2);
                out.insert(time_tag, t2);
            }
        }
        out
    }

    /// Under Retain Safe Private: the private creator elements of this item (tag → creator
    /// name) whose blocks hold at least one safe attribute. Empty otherwise.
    fn kept_private_blocks(&self, obj: &InMemDicomObject) -> HashMap<Tag, String> {
        let mut keep = HashMap::new();
        if !self.policy.has(ProfileOption::RetainSafePrivate) {
            return keep;
        }
        for e in obj.iter() {
            let t = e.tag();
            if t.group() % 2 == 0 || !(0x10..=0xFF).contains(&t.element()) {
                continue;
            }
            let Some(creator) = single_str(e) else { continue };
            let block = t.element();
            let any_safe = obj.iter().any(|d| {
                d.tag().group() == t.group()
                    && d.tag().element() >> 8 == block
                    && self.safe_private.is_safe(&creator, t.group(), d.tag().element() as u8)
            });
            if any_safe {
                keep.insert(t, creator);
            }
        }
        keep
    }

    /// Whether a private element survives: a creator that reserves a block with safe content,
    /// or a data element on the safe list for its block's creator.
    fn keep_private(&self, elem: &Elem, kept_creators: &HashMap<Tag, String>) -> bool {
        let t = elem.tag();
        if (0x10..=0xFF).contains(&t.element()) {
            return kept_creators.contains_key(&t);
        }
        let creator_tag = Tag(t.group(), t.element() >> 8);
        kept_creators
            .get(&creator_tag)
            .is_some_and(|creator| self.safe_private.is_safe(creator, t.group(), t.element() as u8))
    }

    /// A dummy value; dates use this file's dummy date (see [`Walker::dummy_date`]).
    fn dummy_value(&self, tag: Tag, vr: VR) -> Elem {
        match vr {
            VR::DA => DataElement::new(tag, vr, PrimitiveValue::from(self.dummy_date.clone())),
            VR::DT => DataElement::new(tag, vr, PrimitiveValue::from(format!("{}000000", self.dummy_date))),
            _ => dummy_value(tag, vr),
        }
    }

    fn record(&mut self, path: &str, tag: Tag, action: ActionKind, rule: &str) {
        self.actions.push(AttributeAction {
            path: path.to_string(),
            tag: tag_string(tag),
            action,
            rule: rule.to_string(),
        });
    }
}

fn letter_decision(l: Letter) -> Decision {
    match l {
        Letter::K => Decision::Keep,
        Letter::X => Decision::Remove,
        Letter::Z => Decision::Empty,
        Letter::D => Decision::Dummy,
        Letter::U => Decision::MapUid,
        Letter::C => Decision::Clean,
    }
}

fn is_curve_group(g: u16) -> bool {
    (0x5000..=0x50FF).contains(&g) && g.is_multiple_of(2)
}

fn is_overlay_group(g: u16) -> bool {
    (0x6000..=0x60FF).contains(&g) && g.is_multiple_of(2)
}

/// UIDs that identify a kind of thing, not an instance: SOP classes, transfer syntaxes, coding
/// schemes, and any value under the standard's own root.
fn is_non_instance_uid(elem: &Elem) -> bool {
    let kw = keyword(elem.tag());
    kw.ends_with("ClassUID")
        || matches!(
            kw.as_str(),
            "TransferSyntaxUID"
                | "CodingSchemeUID"
                | "ContextUID"
                | "MappingResourceUID"
                | "ContextGroupExtensionCreatorUID"
        )
        || strings_of(elem).iter().all(|v| v.trim_end_matches(['\0', ' ']).starts_with("1.2.840.10008."))
}

/// The dictionary VR of a standard attribute stored as UN, when it is a string VR and the bytes
/// are plain ASCII (so converting them cannot change a single byte of the value).
fn un_text_vr(tag: Tag, bytes: &[u8]) -> Option<VR> {
    let vr = dictionary_vr(tag)?;
    let string_vr = matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::SH
            | VR::ST
            | VR::TM
            | VR::UC
            | VR::UR
            | VR::UT
    );
    (string_vr && bytes.is_ascii()).then_some(vr)
}

fn is_text_vr(vr: VR) -> bool {
    matches!(vr, VR::LO | VR::LT | VR::SH | VR::ST | VR::UT | VR::UC)
}

/// The element's VR, or the dictionary's when the file says UN.
fn effective_vr(elem: &Elem) -> VR {
    if elem.vr() == VR::UN { dictionary_vr(elem.tag()).unwrap_or(VR::UN) } else { elem.vr() }
}

fn dictionary_vr(tag: Tag) -> Option<VR> {
    match StandardDataDictionary.by_tag(tag)?.vr() {
        VirtualVr::Exact(vr) => Some(vr),
        _ => None,
    }
}

/// The standard keyword of a tag, or `(gggg,eeee)`.
pub fn keyword(tag: Tag) -> String {
    StandardDataDictionary.by_tag(tag).map(|e| e.alias().to_string()).unwrap_or_else(|| tag_string(tag))
}

pub fn tag_string(tag: Tag) -> String {
    format!("({:04X},{:04X})", tag.group(), tag.element())
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}/{name}") }
}

/// String values of an element, decoding UN bytes as Latin-1 (lossless for ASCII values).
pub fn strings_of(elem: &Elem) -> Vec<String> {
    match elem.value() {
        Value::Primitive(PrimitiveValue::U8(b)) => {
            let s: String = b.iter().map(|&c| c as char).collect();
            s.split('\\').map(|x| x.trim_end_matches(['\0', ' ']).to_string()).collect()
        }
        Value::Primitive(PrimitiveValue::Empty) => vec![],
        Value::Primitive(_) => elem.to_multi_str().map(|v| v.to_vec()).unwrap_or_default(),
        _ => vec![],
    }
}

pub fn first_str(elem: &Elem) -> Option<String> {
    strings_of(elem).into_iter().next().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn single_str(elem: &Elem) -> Option<String> {
    let v = strings_of(elem);
    if v.len() == 1 { Some(v[0].trim().to_string()) } else { None }
}

fn strs(values: Vec<String>) -> PrimitiveValue {
    PrimitiveValue::Strs(C::from_vec(values))
}

fn empty(tag: Tag, vr: VR) -> Elem {
    if vr == VR::SQ {
        DataElement::new(tag, VR::SQ, Value::new_sequence(C::<InMemDicomObject>::new(), Length::UNDEFINED))
    } else {
        DataElement::new(tag, vr, PrimitiveValue::Empty)
    }
}

/// A non-identifying value valid for the VR.
fn dummy_value(tag: Tag, vr: VR) -> Elem {
    let s = |v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    match vr {
        VR::DA => s("19000101"),
        VR::TM => s("000000"),
        VR::DT => s("19000101000000"),
        VR::AS => s("000Y"),
        VR::DS | VR::IS => s("0"),
        VR::AE | VR::CS | VR::SH | VR::LO | VR::LT | VR::ST | VR::UT | VR::UC | VR::PN => s("ANONYMIZED"),
        VR::US => DataElement::new(tag, vr, PrimitiveValue::from(0u16)),
        VR::SS => DataElement::new(tag, vr, PrimitiveValue::from(0i16)),
        VR::UL => DataElement::new(tag, vr, PrimitiveValue::from(0u32)),
        VR::SL => DataElement::new(tag, vr, PrimitiveValue::from(0i32)),
        VR::FL => DataElement::new(tag, vr, PrimitiveValue::from(0f32)),
        VR::FD => DataElement::new(tag, vr, PrimitiveValue::from(0f64)),
        _ => empty(tag, vr),
    }
}

/// Decodes a sequence stored as UN: items of implicit VR little endian data sets (PS3.5 §6.2.2).
/// `None` if the bytes are not such items.
fn decode_un_sequence(bytes: &[u8], depth: usize) -> Option<Vec<InMemDicomObject>> {
    let ts = dicom_transfer_syntax_registry::entries::IMPLICIT_VR_LITTLE_ENDIAN.erased();
    let mut items = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let head: [u8; 8] = bytes.get(pos..pos + 8)?.try_into().ok()?;
        let (group, element) = (u16::from_le_bytes([head[0], head[1]]), u16::from_le_bytes([head[2], head[3]]));
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if (group, element) != (0xFFFE, 0xE000) || len == u32::MAX {
            return None; // undefined-length items inside a defined-length UN: not supported
        }
        let end = (pos + 8).checked_add(len as usize)?;
        let content = bytes.get(pos + 8..end)?;
        crate::guard::check_implicit_dataset(content, MAX_DEPTH.saturating_sub(depth)).ok()?;
        items.push(InMemDicomObject::read_dataset_with_ts(content, &ts).ok()?);
        pos = end;
    }
    Some(items)
}

/// `"095Y"` with limit 89 → `"090Y"`: ages above the limit become limit + 1 years.
fn top_code_age(elem: &Elem, limit: u32) -> Option<String> {
    let v = first_str(elem)?;
    if v.len() != 4 || !v.ends_with('Y') {
        return None;
    }
    let years: u32 = v[..3].parse().ok()?;
    (years > limit).then(|| format!("{:03}Y", limit + 1))
}

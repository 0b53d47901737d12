//! TypeScript types of the JS-facing API (emitted into the package's `.d.ts`), and the opaque
//! extern types that let the Rust signatures name them.
//!
//! The shapes follow the serde forms of the core types: reports use the same snake_case field
//! names as the CLI's `report.jsonl` and `summary.json`, so one parser reads both.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A named starting point for the policy. */
export type Preset = "basic" | "jp-pseudonymized" | "jp-anonymized";

/** PS3.15 Annex E profile options, by their kebab-case names. */
export type ProfileOption =
  | "retain-safe-private"
  | "retain-uids"
  | "retain-device-identity"
  | "retain-institution-identity"
  | "retain-patient-characteristics"
  | "retain-longitudinal-full-dates"
  | "retain-longitudinal-modified-dates"
  | "clean-descriptors"
  | "clean-structured-content"
  | "clean-graphics";

/** How much of Patient's Address survives (only when the preset keeps any). */
export type AddressPolicy = "remove" | "prefecture" | "municipality";

/** A rectangle of pixels (columns, rows) blanked in every frame. */
export interface PixelRegion { x: number; y: number; width: number; height: number; }

/**
 * Where a vendor draws burned-in annotations: matched on Manufacturer / Manufacturer's Model
 * Name (case-insensitive substrings), modality and image size. A file at risk of burned-in text
 * that no rule matches is quarantined.
 */
export interface PixelRule {
  name?: string;
  manufacturer?: string | null;
  model?: string | null;
  rows?: number | null;
  columns?: number | null;
  modality?: string | null;
  regions: PixelRegion[];
}

/** Options of `deidentifyDicom` and of `new DicomDeidentifier(...)`. Unknown fields are refused. */
export interface DeidentifyOptions {
  /** The project key: 64 hexadecimal characters (a key file's text, with `#` comment lines, also works). */
  key: string;
  /** Default "basic". */
  preset?: Preset;
  /** Profile options added to the preset's. */
  options?: ProfileOption[];
  /** Default "remove". */
  address?: AddressPolicy;
  pixelRules?: PixelRule[];
  /** Trust BurnedInAnnotation = NO on modalities that usually carry burned-in text. Default false. */
  trustBurnedInNo?: boolean;
  /** The file's name, used in the report and in error messages (`deidentifyDicom` only). */
  name?: string;
}

export type Outcome = "deidentified" | "quarantined" | "skipped" | "failed";

export type ActionKind =
  | "removed" | "emptied" | "dummy" | "pseudonymized" | "uid-mapped" | "date-shifted"
  | "date-coarsened" | "top-coded" | "address-coarsened" | "cleaned" | "kept"
  | "pixels-blanked" | "marker-added";

/** What was done to one attribute. Never carries the original value. */
export interface AttributeAction { path: string; tag: string; action: ActionKind; rule: string; }

/** A warning or quarantine reason: a stable code and a sentence for people. */
export interface Notice { code: string; message: string; }

/** The report of one file (the same fields as the CLI's report.jsonl lines). */
export interface FileReport {
  file: string;
  /** "deidentified": safe to release; "quarantined": cleaned metadata, must NOT be released as is. */
  outcome: "deidentified" | "quarantined";
  sop_class_uid: string;
  modality: string;
  transfer_syntax: string;
  patient_pseudonym: string;
  study_uid: string;
  series_uid: string;
  sop_instance_uid: string;
  actions: AttributeAction[];
  warnings: Notice[];
  quarantine: Notice | null;
  bytes_in: number;
  bytes_out: number;
}

/** The result of de-identifying one file. `bytes` is a fresh copy, safe to transfer. */
export interface DeidentifyResult { bytes: Uint8Array; report: FileReport; }

/** Counts over a batch (the same fields as the CLI's summary.json). */
export interface BatchSummary {
  items: number;
  outcomes: Partial<Record<Outcome, number>>;
  actions: Partial<Record<ActionKind, number>>;
  reasons: Record<string, number>;
  bytes_in: number;
  bytes_out: number;
}

/**
 * Stable error codes carried by every error this package throws: per file (the core's
 * ErrorKind codes, as in the CLI's report) and for the options. New codes may be added.
 */
export type KakouErrorCode =
  | "not-dicom" | "parse-error" | "too-deep" | "impossible-length" | "write-error" | "policy-error"
  | "invalid-key" | "invalid-options" | "no-random-source"
  | (string & {});

/** An identifier found in free text. Offsets: Unicode scalar values and UTF-16 units (use these on JS strings). */
export interface TextSpan {
  start: number; end: number; start_utf16: number; end_utf16: number;
  type: "NAME" | "DATE" | "AGE" | "ADDRESS" | "LOCATION" | "POSTAL_CODE" | "PHONE" | "EMAIL" | "URL"
    | "IP_ADDRESS" | "MY_NUMBER" | "INSURANCE_ID" | "PATIENT_ID" | "RECORD_ID" | "PASSPORT"
    | "DRIVER_LICENSE" | "PENSION_NO" | "CREDIT_CARD" | "BANK_ACCOUNT" | "SSN" | "OTHER_ID" | "FACILITY";
  confidence: number;
  /** The rule that found it ("hint-…" for the patient's own identifiers). */
  rule: string;
  /** What was done to it. */
  action: "placeholder" | "surrogate" | "shifted" | "coarsened" | "top-coded" | "kept";
}

/** Redacted text (typed placeholders such as [電話番号], or surrogates) and every span found. */
export interface RedactTextResult { text: string; spans: TextSpan[]; }

/** An identifier type, as in `TextSpan.type`. */
export type TextSpanType = TextSpan["type"];

/**
 * The record's own patient: every occurrence in the note is found in any spelling (width,
 * katakana/hiragana/half-width, spaces, family name alone, birth date in 和暦 and other forms).
 * Names are family name first. `patient_id` also keys surrogates and the date shift.
 */
export interface PatientIdentifiers {
  patient_id?: string;
  name?: string;
  kana?: string;
  other_names?: string[];
  birth_date?: string;
  address?: string;
  phones?: string[];
  ids?: string[];
  emails?: string[];
}

/** Options of `redactText` and `new TextRedactor(...)` (the flags of `kakou text`). Unknown fields are refused. */
export interface RedactTextOptions {
  /** Default "redact-all". "pseudonymized" (仮名加工) keeps dates and ages; "anonymized" (匿名加工) shifts or coarsens dates and top-codes ages over 89. */
  policy?: "redact-all" | "pseudonymized" | "anonymized";
  /** Overrides the policy's dates. "shift" needs `key`. */
  dates?: "keep" | "remove" | "shift" | "year-month";
  /** Overrides the policy's ages. */
  ages?: "keep" | "remove" | "top-code";
  /** Keep facility names (hospitals, clinics). Default false. */
  keepFacilities?: boolean;
  /** Language of placeholders. Default "auto" (per text). */
  language?: "auto" | "ja" | "en";
  /** Placeholder per type, for both languages or per language: `{ NAME: "＊＊", PHONE: { ja: "[電話]", en: "[TEL]" } }`. */
  placeholders?: Partial<Record<TextSpanType, string | { ja?: string; en?: string }>>;
  /** Consistent keyed surrogates instead of placeholders (needs `key`). */
  surrogates?: boolean;
  /** The project key (64 hex digits), for surrogates and date shifting. */
  key?: string;
  /** The patient's identifiers (for `TextRedactor`: the default patient). */
  patient?: PatientIdentifiers;
}

/** The errors thrown by this package: `message` names the file, `code` is stable. */
export interface KakouError extends Error {
  name: "KakouError";
  code: KakouErrorCode;
  /** The file's name, for errors about one file. */
  file?: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// A JS object of type `DeidentifyOptions`.
    #[wasm_bindgen(typescript_type = "DeidentifyOptions")]
    pub type DeidentifyOptions;

    /// A JS object of type `DeidentifyResult`.
    #[wasm_bindgen(typescript_type = "DeidentifyResult")]
    pub type DeidentifyResult;

    /// A JS object of type `RedactTextResult`.
    #[wasm_bindgen(typescript_type = "RedactTextResult")]
    pub type RedactTextResult;

    /// A JS object of type `RedactTextOptions`.
    #[wasm_bindgen(typescript_type = "RedactTextOptions")]
    pub type RedactTextOptions;

    /// A JS object of type `PatientIdentifiers`.
    #[wasm_bindgen(typescript_type = "PatientIdentifiers")]
    pub type PatientIdentifiersObject;

    /// A JS object of type `BatchSummary`.
    #[wasm_bindgen(typescript_type = "BatchSummary")]
    pub type BatchSummaryObject;

    /// A JS object of type `Policy`-like (the effective policy, kebab-case fields as the core's serde form).
    #[wasm_bindgen(typescript_type = "Record<string, unknown>")]
    pub type PolicyObject;
}

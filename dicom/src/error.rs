//! Typed errors: every failure names the file and what is wrong with it.

/// Why a file could not be de-identified. Nothing is written for it.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {kind}")]
pub struct DeidError {
    /// The name the caller gave the input (a relative path in a batch).
    pub file: String,
    pub kind: ErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// No DICOM Part 10 header ("DICM" at byte 128 or 0): probably not a DICOM file.
    #[error("not a DICOM Part 10 file (no 'DICM' marker at byte 128 or 0)")]
    NotDicom,
    /// The file claims to be DICOM but cannot be parsed.
    #[error("cannot parse DICOM: {0}")]
    Parse(String),
    /// An element declares more bytes than the file holds (checked before parsing, so a
    /// corrupt length never turns into a huge allocation).
    #[error("impossible length: {0}")]
    Length(String),
    /// Sequences nested deeper than Kakou walks (a malformed or hostile file).
    #[error("sequences nested deeper than {0} levels")]
    TooDeep(usize),
    /// The de-identified object could not be encoded.
    #[error("cannot write the de-identified file: {0}")]
    Write(String),
    /// The policy is invalid.
    #[error("invalid policy: {0}")]
    Policy(#[from] crate::policy::PolicyError),
}

impl ErrorKind {
    /// A short stable code for summaries and exit statuses.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::NotDicom => "not-dicom",
            ErrorKind::Parse(_) => "parse-error",
            ErrorKind::TooDeep(_) => "too-deep",
            ErrorKind::Length(_) => "impossible-length",
            ErrorKind::Write(_) => "write-error",
            ErrorKind::Policy(_) => "policy-error",
        }
    }
}

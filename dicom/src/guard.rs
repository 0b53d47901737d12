//! A bounds pre-scan that runs before dicom-rs parses a file.
//!
//! dicom-rs allocates (and zero-fills) a buffer of an element's *declared* length before reading
//! it. A corrupt or hostile file that declares a 4 GB element therefore costs 4 GB of memory even
//! though the file is a few kilobytes, and deeply nested sequences recurse without limit. Since
//! Kakou always has the whole file in memory, it can afford one cheap linear walk over the
//! element headers first: every defined length must fit in the bytes that remain, and nesting
//! must stay below a sane depth. The walk never allocates; anything it cannot interpret is left
//! for the parser to judge (it only ever adds rejections, never accepts what dicom-rs refuses).

/// Lengths above this are "undefined length" markers.
const UNDEFINED: u32 = 0xFFFF_FFFF;

/// A deflated data set may expand to at most this many bytes (a decompression bomb otherwise).
pub const MAX_INFLATED: u64 = 1 << 30;

/// Why a file was refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardError {
    /// An element declares more bytes than the file has left.
    Length { group: u16, element: u16, declared: u32, remaining: usize },
    /// Sequences nested deeper than the limit.
    Depth(usize),
    /// A deflated data set that expands beyond [`MAX_INFLATED`].
    Inflated(u64),
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardError::Length { group, element, declared, remaining } => write!(
                f,
                "element ({group:04X},{element:04X}) declares {declared} bytes but only {remaining} remain in the file"
            ),
            GuardError::Depth(d) => write!(f, "sequences nested deeper than {d} levels"),
            GuardError::Inflated(n) => write!(f, "the deflated data set expands beyond {n} bytes"),
        }
    }
}

#[derive(Clone, Copy)]
struct Encoding {
    explicit: bool,
    big_endian: bool,
}

/// What the scan learned about the file's layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileLayout {
    /// Offset (within the slice given to [`check`]) of the top-level Pixel Data element, when it
    /// is the last element of a file whose every header was walked to the very end. Only then
    /// may its bytes be copied to the output verbatim.
    pub trailing_pixel_data: Option<usize>,
}

/// Checks `file` (starting at the `DICM` magic) for impossible lengths and excessive nesting.
pub fn check(file: &[u8], max_depth: usize) -> Result<FileLayout, GuardError> {
    let Some(body) = file.get(4..) else { return Ok(FileLayout::default()) };
    let meta_end = scan_meta(body)?;
    let Some((dataset_start, ts)) = meta_end else { return Ok(FileLayout::default()) };
    let enc = match ts.as_str() {
        "1.2.840.10008.1.2" => Encoding { explicit: false, big_endian: false },
        "1.2.840.10008.1.2.2" => Encoding { explicit: true, big_endian: true },
        "1.2.840.10008.1.2.1.99" => {
            let inflated = inflate(&body[dataset_start..])?;
            scan_dataset(&inflated, Encoding { explicit: true, big_endian: false }, max_depth)?;
            return Ok(FileLayout::default());
        }
        _ => Encoding { explicit: true, big_endian: false },
    };
    let scan = scan_dataset(&body[dataset_start..], enc, max_depth)?;
    let trailing_pixel_data = match scan {
        Scan { complete: true, pixel_data: Some(p), after_pixel_data: false } => Some(4 + dataset_start + p),
        _ => None,
    };
    Ok(FileLayout { trailing_pixel_data })
}

/// Walks the file meta group (always explicit VR little endian) the way dicom-rs reads it: File
/// Meta Information Group Length (0002,0000) first, then elements until that many bytes are
/// consumed; the data set starts right after, whatever group its next element claims. Returns
/// where the data set starts and the transfer syntax, or `None` when dicom-rs would refuse the
/// meta group itself (it then allocates nothing more).
fn scan_meta(b: &[u8]) -> Result<Option<(usize, String)>, GuardError> {
    let le = Encoding { explicit: true, big_endian: false };
    let Some(first) = header(b, 0, le) else { return Ok(None) };
    if (first.group, first.element, first.length) != (0x0002, 0x0000, 4) {
        return Ok(None);
    }
    let Some(group_length) = u32_at(b, first.size, false) else { return Ok(None) };
    let mut pos = first.size + 4;
    let meta_start = pos;
    let mut ts = String::new();
    while pos - meta_start < group_length as usize {
        let Some(h) = header(b, pos, le) else { return Ok(None) };
        if h.length == UNDEFINED {
            return Ok(None);
        }
        let value_start = pos + h.size;
        let remaining = b.len().saturating_sub(value_start);
        if h.length as usize > remaining {
            return Err(GuardError::Length { group: h.group, element: h.element, declared: h.length, remaining });
        }
        let value = &b[value_start..value_start + h.length as usize];
        if (h.group, h.element) == (0x0002, 0x0010) {
            ts = String::from_utf8_lossy(value).trim_end_matches(['\0', ' ']).to_string();
        }
        pos = value_start + h.length as usize;
    }
    Ok(Some((pos, ts)))
}

/// Inflates a deflated data set (raw deflate, PS3.5 §A.5) up to [`MAX_INFLATED`] bytes. A stream
/// that breaks off yields what inflated before the break: dicom-rs reads those bytes too before it
/// notices, so their lengths must be checked all the same.
fn inflate(deflated: &[u8]) -> Result<Vec<u8>, GuardError> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut reader = flate2::read::DeflateDecoder::new(deflated).take(MAX_INFLATED + 1);
    let _ = reader.read_to_end(&mut out); // on error, `out` holds everything read before it
    if out.len() as u64 > MAX_INFLATED {
        return Err(GuardError::Inflated(MAX_INFLATED));
    }
    Ok(out)
}

/// The bytes dicom-rs consumes for a value of `length`: numeric VRs are read as whole values
/// (a UL of length 5 reads 4 bytes), so a length that is not a multiple of the value size
/// shifts everything after it. The scan must shift the same way to see what the parser sees.
fn consumed(vr: &[u8; 2], length: usize) -> usize {
    let size = match vr {
        b"US" | b"SS" | b"OW" => 2,
        b"UL" | b"SL" | b"FL" | b"OL" | b"OF" | b"AT" => 4,
        b"FD" | b"OD" | b"SV" | b"UV" | b"OV" => 8,
        _ => 1,
    };
    length - length % size
}

/// The dictionary VR of a tag, for implicit VR data sets (as dicom-rs assigns it).
fn implicit_vr(group: u16, element: u16) -> [u8; 2] {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
    match dicom_dictionary_std::StandardDataDictionary.by_tag(dicom_core::Tag(group, element)).map(|e| e.vr()) {
        Some(VirtualVr::Exact(vr)) => vr.to_bytes(),
        _ => *b"UN",
    }
}

struct Header {
    group: u16,
    element: u16,
    vr: [u8; 2],
    length: u32,
    size: usize,
}

fn u16_at(b: &[u8], pos: usize, be: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(pos..pos + 2)?.try_into().ok()?;
    Some(if be { u16::from_be_bytes(s) } else { u16::from_le_bytes(s) })
}

fn u32_at(b: &[u8], pos: usize, be: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(pos..pos + 4)?.try_into().ok()?;
    Some(if be { u32::from_be_bytes(s) } else { u32::from_le_bytes(s) })
}

/// Reads one element or item header at `pos`; `None` at the end or on bytes it cannot read.
fn header(b: &[u8], pos: usize, enc: Encoding) -> Option<Header> {
    let be = enc.big_endian;
    let group = u16_at(b, pos, be)?;
    let element = u16_at(b, pos + 2, be)?;
    if group == 0xFFFE {
        return Some(Header { group, element, vr: *b"  ", length: u32_at(b, pos + 4, be)?, size: 8 });
    }
    if !enc.explicit {
        let vr = implicit_vr(group, element);
        return Some(Header { group, element, vr, length: u32_at(b, pos + 4, be)?, size: 8 });
    }
    let vr: [u8; 2] = b.get(pos + 4..pos + 6)?.try_into().ok()?;
    // PS3.5 §7.1.2: these VRs have a 2-byte length. Anything else, including bytes that are not
    // a VR at all, has the 4-byte form: dicom-rs reads an unknown VR as UN, and so must we.
    let short = matches!(
        &vr,
        b"AE"
            | b"AS"
            | b"AT"
            | b"CS"
            | b"DA"
            | b"DS"
            | b"DT"
            | b"FL"
            | b"FD"
            | b"IS"
            | b"LO"
            | b"LT"
            | b"PN"
            | b"SH"
            | b"SL"
            | b"SS"
            | b"ST"
            | b"TM"
            | b"UI"
            | b"UL"
            | b"US"
    );
    if !short {
        Some(Header { group, element, vr, length: u32_at(b, pos + 8, be)?, size: 12 })
    } else {
        Some(Header { group, element, vr, length: u32::from(u16_at(b, pos + 6, be)?), size: 8 })
    }
}

/// One open sequence or item: where it ends if its length is defined.
struct Open {
    end: Option<usize>,
}

/// Checks a data set encoded in implicit VR little endian (the content of a sequence stored as
/// UN, PS3.5 §6.2.2) before it is parsed.
pub fn check_implicit_dataset(b: &[u8], max_depth: usize) -> Result<(), GuardError> {
    scan_dataset(b, Encoding { explicit: false, big_endian: false }, max_depth).map(|_| ())
}

/// The outcome of a data set scan.
struct Scan {
    /// Every byte was walked: the last header's value ended exactly at the end.
    complete: bool,
    /// Offset of the top-level Pixel Data header.
    pixel_data: Option<usize>,
    /// A top-level element follows the Pixel Data, or a length from the Pixel Data on is odd
    /// (invalid: re-encoding pads it, so copying it verbatim would differ).
    after_pixel_data: bool,
}

fn scan_dataset(b: &[u8], enc: Encoding, max_depth: usize) -> Result<Scan, GuardError> {
    let mut pos = 0;
    let mut open: Vec<Open> = Vec::new();
    let mut in_fragments = false;
    let mut pixel_data = None;
    let mut after_pixel_data = false;
    while let Some(h) = header(b, pos, enc) {
        while open.last().is_some_and(|o| o.end.is_some_and(|e| e <= pos)) {
            open.pop();
        }
        if open.is_empty() && !in_fragments && h.group != 0xFFFE {
            if (h.group, h.element) == (0x7FE0, 0x0010) && pixel_data.is_none() {
                pixel_data = Some(pos);
                // Encapsulated pixel data must be OB; re-encoding corrects a wrong VR, so a file
                // that has one is not copied verbatim.
                after_pixel_data |= enc.explicit && h.length == UNDEFINED && &h.vr != b"OB";
            } else if pixel_data.is_some() {
                after_pixel_data = true;
            }
        }
        if pixel_data.is_some() && h.length != UNDEFINED && h.length % 2 == 1 {
            after_pixel_data = true;
        }
        let value_start = pos + h.size;
        let remaining = b.len().saturating_sub(value_start);
        let too_long = h.length != UNDEFINED && h.length as usize > remaining;
        if too_long {
            return Err(GuardError::Length { group: h.group, element: h.element, declared: h.length, remaining });
        }
        let defined_end = (h.length != UNDEFINED).then(|| value_start + h.length as usize);
        pos = value_start;
        if h.group == 0xFFFE {
            match h.element {
                0xE000 if in_fragments => pos = defined_end.unwrap_or(pos),
                0xE000 => open.push(Open { end: defined_end }),
                0xE00D => {
                    open.pop();
                }
                0xE0DD if in_fragments => in_fragments = false,
                0xE0DD => {
                    open.pop();
                }
                _ => {}
            }
        } else if h.length == UNDEFINED {
            if (h.group, h.element) == (0x7FE0, 0x0010) {
                in_fragments = true;
            } else {
                open.push(Open { end: None });
            }
        } else if &h.vr == b"SQ" || (!enc.explicit && starts_with_item(b, pos, enc)) {
            open.push(Open { end: defined_end });
        } else {
            pos += consumed(&h.vr, h.length as usize);
        }
        if open.len() > 2 * max_depth {
            return Err(GuardError::Depth(max_depth));
        }
    }
    Ok(Scan { complete: pos == b.len(), pixel_data, after_pixel_data })
}

fn starts_with_item(b: &[u8], pos: usize, enc: Encoding) -> bool {
    u16_at(b, pos, enc.big_endian) == Some(0xFFFE) && u16_at(b, pos + 2, enc.big_endian) == Some(0xE000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "DICM" + a meta group (group length, transfer syntax), then `dataset`.
    fn file(ts: &str, dataset: &[u8]) -> Vec<u8> {
        let mut ts_bytes = ts.as_bytes().to_vec();
        if ts_bytes.len() % 2 == 1 {
            ts_bytes.push(0);
        }
        let mut meta = vec![0x02, 0x00, 0x10, 0x00, b'U', b'I'];
        meta.extend_from_slice(&(ts_bytes.len() as u16).to_le_bytes());
        meta.extend_from_slice(&ts_bytes);
        let mut f = b"DICM".to_vec();
        f.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0]);
        f.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        f.extend_from_slice(&meta);
        f.extend_from_slice(dataset);
        f
    }

    fn explicit_le(group: u16, element: u16, vr: &[u8; 2], value_len: u32, value: &[u8]) -> Vec<u8> {
        let mut e = group.to_le_bytes().to_vec();
        e.extend_from_slice(&element.to_le_bytes());
        e.extend_from_slice(vr);
        if matches!(vr, b"OB" | b"SQ" | b"UN" | b"UT") {
            e.extend_from_slice(&[0, 0]);
            e.extend_from_slice(&value_len.to_le_bytes());
        } else {
            e.extend_from_slice(&(value_len as u16).to_le_bytes());
        }
        e.extend_from_slice(value);
        e
    }

    #[test]
    fn accepts_consistent_lengths() {
        let ds = explicit_le(0x0010, 0x0010, b"PN", 4, b"DOE ");
        assert!(check(&file("1.2.840.10008.1.2.1", &ds), 64).is_ok());
    }

    #[test]
    fn refuses_a_declared_length_beyond_the_file() {
        let ds = explicit_le(0x7FE0, 0x0010, b"OB", 0x4000_0000, b"abcd");
        let err = check(&file("1.2.840.10008.1.2.1", &ds), 64).expect_err("must refuse");
        assert!(matches!(err, GuardError::Length { group: 0x7FE0, declared: 0x4000_0000, remaining: 4, .. }), "{err}");
    }

    #[test]
    fn refuses_huge_lengths_inside_sequences_and_in_implicit_vr() {
        let mut item = vec![0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF];
        item.extend(explicit_le(0x0008, 0x0104, b"UT", 0x7FFF_FFF0, b"x"));
        let seq = explicit_le(0x0008, 0x1115, b"SQ", UNDEFINED, &item);
        assert!(check(&file("1.2.840.10008.1.2.1", &seq), 64).is_err());

        let mut implicit = 0x0010u16.to_le_bytes().to_vec();
        implicit.extend_from_slice(&0x0010u16.to_le_bytes());
        implicit.extend_from_slice(&0x1000_0000u32.to_le_bytes());
        implicit.extend_from_slice(b"DOE ");
        assert!(check(&file("1.2.840.10008.1.2", &implicit), 64).is_err());
    }

    #[test]
    fn an_unknown_vr_is_read_as_un_with_a_long_length() {
        // Implicit data mislabelled as explicit: "ORIGINAL" lands where the length goes.
        let mut ds = vec![0x08, 0x00, 0x08, 0x00, 0x16, 0x00, 0x00, 0x00];
        ds.extend_from_slice(b"ORIGINAL\\PRIMARY");
        assert!(matches!(check(&file("1.2.840.10008.1.2.1", &ds), 64), Err(GuardError::Length { .. })));
    }

    #[test]
    fn follows_the_parser_through_lengths_that_are_not_whole_values() {
        // Implicit VR: a group length (UL) of length 5 is read as 4 bytes; the next header then
        // starts one byte early and declares 0xFFFFFFFC bytes (a fuzzer finding).
        let mut ds = vec![0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        ds.extend_from_slice(&[0xFC, 0xFF, 0xFF, 0xFF]);
        assert!(matches!(check(&file("1.2.840.10008.1.2", &ds), 64), Err(GuardError::Length { .. })));
        assert_eq!(consumed(b"UL", 5), 4);
        assert_eq!(consumed(b"FD", 17), 16);
        assert_eq!(consumed(b"LO", 5), 5);
    }

    #[test]
    fn deflated_data_sets_are_inflated_and_checked() {
        use std::io::Write;
        let ds = explicit_le(0x0010, 0x0010, b"UT", 0x7000_0000, b"tiny");
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&ds).expect("deflates");
        let deflated = z.finish().expect("deflates");
        let err = check(&file("1.2.840.10008.1.2.1.99", &deflated), 64).expect_err("must refuse");
        assert!(matches!(err, GuardError::Length { .. }), "{err}");
    }

    #[test]
    fn the_meta_group_ends_where_its_group_length_says() {
        // A (0002,0000) element inside an implicit VR data set is data, not meta (fuzz finding):
        // dicom-rs reads it as a UL of 0xFF000000 bytes.
        let ds = [0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(matches!(check(&file("1.2.840.10008.1.2", &ds), 64), Err(GuardError::Length { .. })));
    }

    #[test]
    fn refuses_excessive_nesting() {
        let mut ds = Vec::new();
        for _ in 0..200 {
            ds.extend(explicit_le(0x0008, 0x1115, b"SQ", UNDEFINED, &[]));
            ds.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        assert_eq!(check(&file("1.2.840.10008.1.2.1", &ds), 64), Err(GuardError::Depth(64)));
    }

    #[test]
    fn fragments_are_skipped_not_parsed() {
        let mut frags = vec![0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]; // empty offset table
        frags.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        frags.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        let pixel = explicit_le(0x7FE0, 0x0010, b"OB", UNDEFINED, &frags);
        let f = file("1.2.840.10008.1.2.4.50", &pixel);
        let layout = check(&f, 64).expect("valid");
        let at = layout.trailing_pixel_data.expect("pixel data is last");
        assert_eq!(&f[at..at + 4], &[0xE0, 0x7F, 0x10, 0x00]);
    }

    #[test]
    fn pixel_data_is_trailing_only_when_nothing_follows() {
        let mut ds = explicit_le(0x0010, 0x0010, b"PN", 4, b"DOE ");
        ds.extend(explicit_le(0x7FE0, 0x0010, b"OB", 4, b"\x01\x02\x03\x04"));
        let f = file("1.2.840.10008.1.2.1", &ds);
        assert!(check(&f, 64).expect("valid").trailing_pixel_data.is_some());
        let mut padded = ds.clone();
        padded.extend(explicit_le(0xFFFC, 0xFFFC, b"OB", 2, b"\0\0"));
        assert_eq!(check(&file("1.2.840.10008.1.2.1", &padded), 64).expect("valid").trailing_pixel_data, None);
        let mut garbage = ds;
        garbage.extend_from_slice(b"xyz");
        assert_eq!(check(&file("1.2.840.10008.1.2.1", &garbage), 64).expect("valid").trailing_pixel_data, None);
    }
}

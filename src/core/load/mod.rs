//! Loading: finding candidate files in paths, folders and ZIP archives, parsing and validating.

pub mod parse;
pub mod probe;
pub mod repair;
pub mod sources;

pub use parse::{parse_dicom, parse_file, ParsedFile};
pub use probe::{probe, FileInfo, UsRegion};
pub use sources::{gather, Gathered, InputSource, Skipped, SourceKind};

/// A file ready for work: where it came from, its parsed object and what we know of it.
pub struct LoadedFile {
    pub source: InputSource,
    pub obj: dicom_object::DefaultDicomObject,
    pub info: FileInfo,
}

/// Native little-endian files at least this large keep their pixel data on disk: frames are
/// read when needed, so memory does not hold the whole cine loop.
/// Flags that name a repair made to read the file start with this.
pub const REPAIRED: &str = "repaired: ";

const LEAVE_ON_DISK: u64 = 8 << 20;

/// The header only, and the pixel data located in the file; `None` when the file is not
/// native little endian or its pixel data cannot be located (then it is read whole).
fn load_leaving_pixels_on_disk(
    source: &InputSource,
    path: &std::path::Path,
) -> Result<Option<LoadedFile>, String> {
    use crate::core::dcm::{get_str, get_u32};
    use dicom_dictionary_std::tags;
    let Ok((parsed, consumed)) = parse::parse_file_header(path) else {
        return Ok(None); // the full parse gives the reason
    };
    let ts = parsed
        .obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .trim()
        .to_string();
    let explicit = match ts.as_str() {
        "1.2.840.10008.1.2.1" => true,
        "1.2.840.10008.1.2" => false,
        _ => return Ok(None),
    };
    let obj = &parsed.obj;
    let frames = get_str(obj, tags::NUMBER_OF_FRAMES)
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let expected = crate::core::pixels::layout::native_frame_bytes(
        get_u32(obj, tags::ROWS).unwrap_or(0),
        get_u32(obj, tags::COLUMNS).unwrap_or(0),
        get_u32(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1) as u16,
        get_u32(obj, tags::BITS_ALLOCATED).unwrap_or(8) as u16,
        &get_str(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default(),
    ) * frames;
    if expected == 0 {
        return Ok(None);
    }
    let Some(location) = parse::locate_native_pixels(path, consumed, explicit, expected) else {
        return Ok(None);
    };
    let info = probe::probe_with(&parsed.obj, Some(location))?;
    Ok(Some(LoadedFile {
        source: source.clone(),
        obj: parsed.obj,
        info,
    }))
}

/// Reads, parses and validates one source. The error is a human reason, free of patient data.
pub fn load(
    source: &InputSource,
    limits: &crate::core::settings::LoadSettings,
) -> Result<LoadedFile, String> {
    let parsed = match &source.kind {
        SourceKind::File(path) => {
            let size = std::fs::metadata(path)
                .map(|m| m.len())
                .map_err(|e| format!("cannot open: {}", e.kind()))?;
            if size > limits.max_file_mb.saturating_mul(1 << 20) {
                return Err(format!(
                    "larger than load.max_file_mb ({} MB)",
                    limits.max_file_mb
                ));
            }
            if size >= LEAVE_ON_DISK {
                if let Some(f) = load_leaving_pixels_on_disk(source, path)? {
                    return Ok(f);
                }
            }
            parse::parse_file(path)?
        }
        SourceKind::ZipMember { .. } => parse_dicom(&source.read(limits)?)?,
    };
    let mut info = probe(&parsed.obj)?;
    info.flags
        .extend(parsed.repairs.iter().map(|r| format!("{REPAIRED}{r}")));
    Ok(LoadedFile {
        source: source.clone(),
        obj: parsed.obj,
        info,
    })
}

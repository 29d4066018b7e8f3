//! Loading: finding candidate files in paths, folders and ZIP archives, parsing and validating.

pub mod digest;
pub mod parse;
pub mod probe;
pub mod repair;
pub mod scan;
pub mod source_list;
pub mod sources;
pub mod spill;
pub mod zipindex;

pub use parse::{parse_dicom, parse_file, ParsedFile};
pub use probe::{probe, FileInfo, UsRegion};
pub use source_list::SourceList;
pub use sources::{gather, gather_list, Gathered, GatheredList, InputSource, Skipped, SourceKind};

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

/// The header only, and the pixel data located in the file by the element walk; `None` when
/// the file is not native little endian or has no top-level native Pixel Data (then it is read
/// whole, and the full parse gives the reason).
fn load_leaving_pixels_on_disk(
    source: &InputSource,
    path: &std::path::Path,
    keep: &spill::KeepAlive,
) -> Result<Option<LoadedFile>, String> {
    use crate::core::dcm::{get_str, get_u32};
    use dicom_dictionary_std::tags;
    let parsed = parse::parse_file_header(path)?;
    let ts = parsed
        .obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .trim()
        .to_string();
    if !matches!(ts.as_str(), "1.2.840.10008.1.2.1" | "1.2.840.10008.1.2") {
        return Ok(None);
    }
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
    // The position comes from the walk over the element stream, never from a byte search: a
    // Pixel Data header planted inside another element's value is just part of that value.
    let Some(scan::PixelElement {
        offset,
        len: Some(len),
        ..
    }) = parsed.scan.pixel
    else {
        return Ok(None); // the full parse gives the reason
    };
    let location = probe::PixelLocation {
        path: path.to_path_buf(),
        offset,
        len,
        keep: keep.clone(),
    };
    let info = probe::probe_with(&parsed.obj, Some(location))?;
    Ok(Some(LoadedFile {
        source: source.clone(),
        obj: parsed.obj,
        info,
    }))
}

/// Refuses frames whose decoded size is above `load.max_frame_mb`: decoders allocate a frame
/// from the header's Rows and Columns, whatever the compressed data holds.
pub fn check_frame_size(
    info: &FileInfo,
    limits: &crate::core::settings::LoadSettings,
) -> Result<(), String> {
    let bytes = info.rows as u64
        * info.columns as u64
        * info.samples_per_pixel as u64
        * info.bits_allocated.div_ceil(8) as u64;
    if bytes > limits.max_frame_mb.saturating_mul(1 << 20) {
        return Err(format!(
            "a {}x{} frame needs {} MB decoded, above load.max_frame_mb ({} MB)",
            info.columns,
            info.rows,
            bytes >> 20,
            limits.max_frame_mb
        ));
    }
    Ok(())
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
            return load_path(source, path, size, limits, &spill::KeepAlive::default());
        }
        // a large member is read from a private temporary file, as a file on disk is
        SourceKind::ZipMember { .. } => match spill::spill(source, limits)? {
            Some(tmp) => {
                let path = tmp.path().to_path_buf();
                let keep = spill::KeepAlive(Some(tmp));
                return load_path(source, &path, source.size, limits, &keep);
            }
            None => parse_dicom(&source.read(limits)?)?,
        },
    };
    finish(source, parsed, limits)
}

/// Loads a file on disk (an input, or a spilled ZIP member kept alive by `keep`).
fn load_path(
    source: &InputSource,
    path: &std::path::Path,
    size: u64,
    limits: &crate::core::settings::LoadSettings,
    keep: &spill::KeepAlive,
) -> Result<LoadedFile, String> {
    if size >= LEAVE_ON_DISK {
        // what the strict header read refuses gets the full (lenient) parse below
        if let Ok(Some(f)) = load_leaving_pixels_on_disk(source, path, keep) {
            check_frame_size(&f.info, limits)?;
            return Ok(f);
        }
    }
    finish(source, parse::parse_file(path)?, limits)
}

fn finish(
    source: &InputSource,
    parsed: ParsedFile,
    limits: &crate::core::settings::LoadSettings,
) -> Result<LoadedFile, String> {
    let mut info = probe(&parsed.obj)?;
    check_frame_size(&info, limits)?;
    info.flags
        .extend(parsed.repairs.iter().map(|r| format!("{REPAIRED}{r}")));
    Ok(LoadedFile {
        source: source.clone(),
        obj: parsed.obj,
        info,
    })
}

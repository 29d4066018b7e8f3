//! Loading: finding candidate files in paths, folders and ZIP archives, parsing and validating.

pub mod parse;
pub mod probe;
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
            parse::parse_file(path)?
        }
        SourceKind::ZipMember { .. } => parse_dicom(&source.read(limits)?)?,
    };
    let info = probe(&parsed.obj)?;
    Ok(LoadedFile {
        source: source.clone(),
        obj: parsed.obj,
        info,
    })
}

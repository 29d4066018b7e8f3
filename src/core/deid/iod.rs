//! Hand-written IOD knowledge that Annex E does not hold: attribute Types in the US Image and
//! US Multi-frame Image IODs (PS3.3 A.6, A.7), the attributes the pixel pipeline owns, and the
//! few public text attributes outside Table E.1-1 that are kept verbatim.

/// Type of a top-level attribute in the US (Multi-frame) Image IOD: 1, 2 (including 2C, so a
/// present attribute is emptied, never dropped) or 3 for everything else.
pub fn us_type(tag: u32) -> u8 {
    match tag {
        0x0008_0016 // SOP Class UID
        | 0x0008_0018 // SOP Instance UID
        | 0x0008_0060 // Modality
        | 0x0020_000D // Study Instance UID
        | 0x0020_000E // Series Instance UID
        | 0x0020_0052 // Frame of Reference UID (when the module is present)
        | 0x0020_0200 // Synchronization Frame of Reference UID (US MF, Synchronization module)
        => 1,
        0x0008_0008 // Image Type (US Image module)
        | 0x0008_0020 // Study Date
        | 0x0008_0023 // Content Date (2C)
        | 0x0008_0030 // Study Time
        | 0x0008_0033 // Content Time (2C)
        | 0x0008_0050 // Accession Number
        | 0x0008_0070 // Manufacturer
        | 0x0008_0090 // Referring Physician's Name
        | 0x0010_0010 // Patient's Name
        | 0x0010_0020 // Patient ID
        | 0x0010_0030 // Patient's Birth Date
        | 0x0010_0040 // Patient's Sex
        | 0x0020_0010 // Study ID
        | 0x0020_0011 // Series Number
        | 0x0020_0013 // Instance Number
        | 0x0020_0020 // Patient Orientation (2C)
        | 0x0020_0060 // Laterality (2C)
        => 2,
        _ => 3,
    }
}

/// Attributes owned by the pixel pipeline: the Image Pixel module, palette and LUT descriptors
/// and data, compression and frame bookkeeping, Pixel Data. De-identification passes them
/// through untouched (they carry no text).
pub fn pixel_owned(tag: u32) -> bool {
    match tag >> 16 {
        0x0028 => matches!(
            tag & 0xFFFF,
            0x0002 // Samples per Pixel
            | 0x0003 // Samples per Pixel Used
            | 0x0004 // Photometric Interpretation
            | 0x0006 // Planar Configuration
            | 0x0008 // Number of Frames
            | 0x0009 // Frame Increment Pointer
            | 0x0010 // Rows
            | 0x0011 // Columns
            | 0x0014 // Ultrasound Color Data Present
            | 0x0030 // Pixel Spacing
            | 0x0034 // Pixel Aspect Ratio
            | 0x0100..=0x0103 // Bits Allocated/Stored, High Bit, Pixel Representation
            | 0x0106 | 0x0107 // Smallest/Largest Image Pixel Value
            | 0x0120 // Pixel Padding Value
            | 0x1050..=0x1054 // Window Center/Width, Rescale
            | 0x1101..=0x1104 // Palette Color LUT Descriptors
            | 0x1201..=0x1204 // Palette Color LUT Data
            | 0x1221..=0x1223 // Segmented Palette Color LUT Data
            | 0x2000 // ICC Profile
            | 0x2002 // Color Space
            | 0x2110 // Lossy Image Compression
            | 0x2112 // Lossy Image Compression Ratio
            | 0x2114 // Lossy Image Compression Method
            | 0x3002 // LUT Descriptor
            | 0x3004 // Modality LUT Type
            | 0x3006 // LUT Data
        ),
        0x7FE0 => matches!(tag & 0xFFFF, 0x0001 | 0x0002 | 0x0008 | 0x0009 | 0x0010),
        _ => false,
    }
}

/// Public text attributes (LO, SH, LT, ST, UT, UC, AE, UR) outside Table E.1-1 that are kept
/// whatever the options: device make and model (not an individual device, so not "device
/// identity"), US stage/view names, and the attributes of the Code Sequence Macro (their items
/// pass the code rule of `codes.rs`). The values must still pass [`device_text_ok`].
pub fn text_kept(tag: u32) -> bool {
    matches!(
        tag,
        0x0008_0070 // Manufacturer
            | 0x0008_1090 // Manufacturer's Model Name
            | 0x0008_0100 // Code Value
            | 0x0008_0102 // Coding Scheme Designator
            | 0x0008_0103 // Coding Scheme Version
            | 0x0008_0104 // Code Meaning
            | 0x0008_0119 // Long Code Value
            | 0x0008_0120 // URN Code Value
            | 0x0008_2120 // Stage Name
            | 0x0008_2127 // View Name
    )
}

/// Free-text device descriptions outside Table E.1-1 that can name an individual device
/// (Transducer Data holds probe serial numbers on several makes): kept only with Retain Device
/// Identity.
pub fn device_text(tag: u32) -> bool {
    matches!(
        tag,
        0x0018_5010 // Transducer Data
            | 0x0018_5020 // Processing Function
            | 0x0018_1020 // Software Versions (also named by the table)
    )
}

/// A kept make/model/view text must not look like an identifier: no run of 5 or more digits
/// and no serial-number label. (Code values are exempt: SNOMED CT ids are long numbers.)
pub fn device_text_ok(value: &str) -> bool {
    let upper = value.to_ascii_uppercase();
    let mut run = 0;
    for b in upper.bytes() {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 5 {
            return false;
        }
    }
    !["SERIAL", "S/N", "SN:", "SN#", "SN ", "S.N."]
        .iter()
        .any(|w| upper.contains(w))
}

/// Whether the VR backstop keeps a public text attribute with this value.
pub fn text_kept_value(tag: u32, value: &str, retain_device: bool) -> bool {
    let code_attr = matches!(tag, 0x0008_0100..=0x0008_0104 | 0x0008_0119 | 0x0008_0120);
    if code_attr {
        return true;
    }
    if device_text(tag) {
        return retain_device;
    }
    text_kept(tag) && (retain_device || device_text_ok(value))
}

/// Pixel-owned attributes that can carry text are not passed through: the ICC Profile
/// (0028,2000: description, copyright and vendor text) and its Color Space (0028,2002) are
/// removed (Type 3 in the Image Pixel module of the US IODs), and a text-VR pixel attribute
/// (Modality LUT Type, Lossy Image Compression Method) is kept only as a code string.
pub fn pixel_owned_clean(
    e: dicom_object::mem::InMemElement,
) -> Option<dicom_object::mem::InMemElement> {
    use dicom_core::header::Header;
    use dicom_core::VR;
    let t = ((e.tag().group() as u32) << 16) | e.tag().element() as u32;
    if t == 0x0028_2000 || t == 0x0028_2002 {
        return None;
    }
    match e.vr() {
        VR::CS | VR::LO | VR::SH | VR::LT | VR::ST | VR::UT | VR::UC => {
            let s = e.to_str().map(|s| s.into_owned()).unwrap_or_default();
            let code_string = s.split('\\').all(|v| {
                let v = v.trim_matches([' ', '\0']);
                v.len() <= 16
                    && v.bytes().all(|b| {
                        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b' '
                    })
            });
            code_string.then_some(e)
        }
        _ => Some(e),
    }
}

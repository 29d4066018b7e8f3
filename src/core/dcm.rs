//! Small helpers over dicom-rs: reading values and classifying transfer syntaxes.

/// How deep our own walkers (de-identification, verify, the UI's header tree) follow nested
/// sequences: the same limit as the load walk (`load::scan::MAX_DEPTH`), so an object built
/// or edited in memory cannot take them deeper than a loaded file could.
pub const MAX_NESTING: u32 = crate::core::load::scan::MAX_DEPTH as u32;

use dicom_core::Tag;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use serde::Serialize;

/// A trimmed string value of a top-level attribute (multi-valued: joined with `\`).
pub fn get_str(obj: &DefaultDicomObject, tag: Tag) -> Option<String> {
    get_str_in(obj, tag)
}

pub fn get_str_in(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let e = obj.element_opt(tag).ok().flatten()?;
    let s = e.to_str().ok()?;
    Some(s.trim_end_matches(['\0', ' ']).trim_start().to_string())
}

pub fn get_u32(obj: &DefaultDicomObject, tag: Tag) -> Option<u32> {
    obj.element_opt(tag).ok().flatten()?.to_int::<u32>().ok()
}

/// What a transfer syntax means for our pixel work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferSyntaxKind {
    ImplicitLittle,
    ExplicitLittle,
    ExplicitBig,
    Deflated,
    Rle,
    JpegBaseline,
    JpegExtended,
    JpegLossless,
    JpegLs,
    JpegLsNear,
    Jpeg2000Lossless,
    Jpeg2000,
    /// High-Throughput JPEG 2000, lossless only (.201, .202 with RPCL).
    Htj2kLossless,
    /// High-Throughput JPEG 2000 (.203): may be lossy.
    Htj2k,
    JpegXlLossless,
    /// JPEG XL holding a JPEG (lossy) bit stream, recompressed.
    JpegXlRecompression,
    /// JPEG XL (.112): may be lossy.
    JpegXl,
}

impl TransferSyntaxKind {
    pub fn of(uid: &str) -> Option<Self> {
        use TransferSyntaxKind::*;
        Some(match uid {
            "1.2.840.10008.1.2" => ImplicitLittle,
            "1.2.840.10008.1.2.1" => ExplicitLittle,
            "1.2.840.10008.1.2.2" => ExplicitBig,
            "1.2.840.10008.1.2.1.99" => Deflated,
            "1.2.840.10008.1.2.5" => Rle,
            "1.2.840.10008.1.2.4.50" => JpegBaseline,
            "1.2.840.10008.1.2.4.51" => JpegExtended,
            "1.2.840.10008.1.2.4.57" | "1.2.840.10008.1.2.4.70" => JpegLossless,
            "1.2.840.10008.1.2.4.80" => JpegLs,
            "1.2.840.10008.1.2.4.81" => JpegLsNear,
            "1.2.840.10008.1.2.4.90" => Jpeg2000Lossless,
            "1.2.840.10008.1.2.4.91" => Jpeg2000,
            "1.2.840.10008.1.2.4.201" | "1.2.840.10008.1.2.4.202" => Htj2kLossless,
            "1.2.840.10008.1.2.4.203" => Htj2k,
            "1.2.840.10008.1.2.4.110" => JpegXlLossless,
            "1.2.840.10008.1.2.4.111" => JpegXlRecompression,
            "1.2.840.10008.1.2.4.112" => JpegXl,
            _ => return None,
        })
    }

    pub fn is_encapsulated(self) -> bool {
        !matches!(
            self,
            Self::ImplicitLittle | Self::ExplicitLittle | Self::ExplicitBig | Self::Deflated
        )
    }

    /// Pixel data compressed with loss (near-lossless JPEG-LS counts as lossy).
    pub fn is_lossy(self) -> bool {
        matches!(
            self,
            Self::JpegBaseline
                | Self::JpegExtended
                | Self::JpegLsNear
                | Self::Jpeg2000
                | Self::Htj2k
                | Self::JpegXlRecompression
                | Self::JpegXl
        )
    }

    pub fn is_jpeg_family(self) -> bool {
        matches!(
            self,
            Self::JpegBaseline
                | Self::JpegExtended
                | Self::JpegLossless
                | Self::JpegLs
                | Self::JpegLsNear
        )
    }

    pub fn name(self) -> &'static str {
        use TransferSyntaxKind::*;
        match self {
            ImplicitLittle => "Implicit VR Little Endian",
            ExplicitLittle => "Explicit VR Little Endian",
            ExplicitBig => "Explicit VR Big Endian",
            Deflated => "Deflated Explicit VR Little Endian",
            Rle => "RLE Lossless",
            JpegBaseline => "JPEG Baseline",
            JpegExtended => "JPEG Extended",
            JpegLossless => "JPEG Lossless",
            JpegLs => "JPEG-LS Lossless",
            JpegLsNear => "JPEG-LS Near-Lossless",
            Jpeg2000Lossless => "JPEG 2000 Lossless",
            Jpeg2000 => "JPEG 2000",
            Htj2kLossless => "HTJ2K Lossless",
            Htj2k => "HTJ2K",
            JpegXlLossless => "JPEG XL Lossless",
            JpegXlRecompression => "JPEG XL Recompression",
            JpegXl => "JPEG XL",
        }
    }
}

//! The crop rectangle and where it comes from (user, preset, automatic detection).

pub mod auto;
pub mod scan_area;
pub mod sector;

use serde::{Deserialize, Serialize};

/// A crop box: `x0,y0` inclusive, `x1,y1` exclusive, the same for every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CropRect {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl CropRect {
    pub const fn new(x0: u32, y0: u32, x1: u32, y1: u32) -> Self {
        CropRect { x0, y0, x1, y1 }
    }

    pub fn full(columns: u32, rows: u32) -> Self {
        CropRect::new(0, 0, columns, rows)
    }

    pub fn width(&self) -> u32 {
        self.x1.saturating_sub(self.x0)
    }

    pub fn height(&self) -> u32 {
        self.y1.saturating_sub(self.y0)
    }

    pub fn as_array(&self) -> [u32; 4] {
        [self.x0, self.y0, self.x1, self.y1]
    }

    pub fn is_full(&self, columns: u32, rows: u32) -> bool {
        *self == CropRect::full(columns, rows)
    }

    /// An error (never a clamp) when the box is empty or leaves the image.
    pub fn validate(&self, columns: u32, rows: u32) -> Result<(), String> {
        if self.x0 >= self.x1 || self.y0 >= self.y1 {
            return Err(format!(
                "crop {},{},{},{} is empty: x0 must be < x1 and y0 < y1",
                self.x0, self.y0, self.x1, self.y1
            ));
        }
        if self.x1 > columns || self.y1 > rows {
            return Err(format!(
                "crop {},{},{},{} is outside the {}x{} image (x1 <= {}, y1 <= {})",
                self.x0, self.y0, self.x1, self.y1, columns, rows, columns, rows
            ));
        }
        Ok(())
    }

    /// Parses `X0,Y0,X1,Y1`.
    pub fn parse(s: &str) -> Result<CropRect, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(format!("expected X0,Y0,X1,Y1, got `{s}`"));
        }
        let mut v = [0u32; 4];
        for (i, p) in parts.iter().enumerate() {
            v[i] = p
                .parse()
                .map_err(|_| format!("`{p}` is not a non-negative integer in `{s}`"))?;
        }
        Ok(CropRect::new(v[0], v[1], v[2], v[3]))
    }
}

impl std::fmt::Display for CropRect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{},{},{}", self.x0, self.y0, self.x1, self.y1)
    }
}

/// Where a crop came from; reported per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CropSource {
    /// Given on the command line or typed by the user.
    User,
    /// A device preset from settings.
    Preset,
    /// The SequenceOfUltrasoundRegions.
    AutoRegions,
    /// Detected from the image content.
    AutoContent,
    /// No crop: the whole image.
    None,
}

impl CropSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            CropSource::User => "user",
            CropSource::Preset => "preset",
            CropSource::AutoRegions => "auto_regions",
            CropSource::AutoContent => "auto_content",
            CropSource::None => "none",
        }
    }

    /// Did a person choose or approve this crop (so burned-in text is considered removed)?
    pub fn approved(&self) -> bool {
        matches!(self, CropSource::User | CropSource::Preset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_rejects_empty_and_outside() {
        assert!(CropRect::new(0, 0, 10, 10).validate(10, 10).is_ok());
        assert!(CropRect::new(5, 0, 5, 10).validate(10, 10).is_err());
        assert!(CropRect::new(0, 0, 11, 10).validate(10, 10).is_err());
        assert!(CropRect::new(0, 3, 10, 2).validate(10, 10).is_err());
    }

    #[test]
    fn parse_accepts_four_numbers_only() {
        assert_eq!(
            CropRect::parse("1, 2,3,4").unwrap(),
            CropRect::new(1, 2, 3, 4)
        );
        assert!(CropRect::parse("1,2,3").is_err());
        assert!(CropRect::parse("1,2,3,-4").is_err());
    }
}

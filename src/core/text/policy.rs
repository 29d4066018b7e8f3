//! What happens to a file whose pixels hold text: the `[pixels] burned_in_text` setting.

use serde::Deserialize;

use super::TextBox;

/// `[pixels] burned_in_text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TextMode {
    /// Text boxes on black inside the crop are blanked; text over the scan blocks the file.
    #[default]
    Mask,
    /// Any text inside the crop blocks the file.
    Refuse,
    /// Nothing is blanked; the file is exported with Burned In Annotation YES.
    Keep,
}

/// The decision for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No text inside the crop.
    Clean,
    /// Blank these boxes (image coordinates, margin not yet added).
    Mask(Vec<TextBox>),
    /// Export as is, text included.
    Keep(Vec<TextBox>),
    /// Do not export: the reason names the boxes.
    Block(String),
}

/// Decides from the boxes that reach into the crop.
pub fn decide(inside: &[TextBox], mode: TextMode) -> Decision {
    if inside.is_empty() {
        return Decision::Clean;
    }
    let list = |bs: &[&TextBox]| {
        bs.iter()
            .take(4)
            .map(|b| b.label())
            .collect::<Vec<_>>()
            .join(", ")
            + if bs.len() > 4 { ", ..." } else { "" }
    };
    match mode {
        TextMode::Keep => Decision::Keep(inside.to_vec()),
        TextMode::Refuse => {
            let all: Vec<&TextBox> = inside.iter().collect();
            Decision::Block(format!(
                "burned-in text inside the crop at {} (burned_in_text = \"refuse\")",
                list(&all)
            ))
        }
        TextMode::Mask => {
            let over: Vec<&TextBox> = inside.iter().filter(|b| b.over_scan).collect();
            if over.is_empty() {
                Decision::Mask(inside.to_vec())
            } else {
                Decision::Block(format!(
                    "burned-in text over the scan content at {}: not masked automatically (shrink the crop, or decide in the TUI)",
                    list(&over)
                ))
            }
        }
    }
}

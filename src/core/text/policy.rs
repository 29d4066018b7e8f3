//! What happens to a file whose pixels hold text: the `[pixels] burned_in_text` setting.

use serde::{Deserialize, Serialize};

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

/// What a person decided for one file's text (the TUI's mask / keep keys), over the setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextChoice {
    /// Blank every box inside the crop, those over the scan content too (a person looked).
    Mask,
    /// Export the text as it is (Burned In Annotation YES): a person allowed it explicitly.
    Keep,
}

/// The decision the export applies to one file: the person's choice when there is one, else
/// the setting; `allow_keep` is the explicit permission to export text that the setting keeps.
pub fn decide_file(
    inside: &[TextBox],
    mode: TextMode,
    choice: Option<TextChoice>,
    allow_keep: bool,
) -> Decision {
    match choice {
        Some(TextChoice::Mask) if inside.is_empty() => Decision::Clean,
        Some(TextChoice::Mask) => Decision::Mask(inside.to_vec()),
        Some(TextChoice::Keep) => decide(inside, TextMode::Keep),
        None => match decide(inside, mode) {
            Decision::Keep(b) if !allow_keep => Decision::Block(format!(
                "burned-in text inside the crop at {} is kept (burned_in_text = \"keep\"): allow burned-in export explicitly",
                b.iter().map(|b| b.label()).collect::<Vec<_>>().join(", ")
            )),
            d => d,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::crop::CropRect;

    fn tb(x: u32, over_scan: bool) -> TextBox {
        TextBox {
            rect: CropRect::new(x, 10, x + 40, 20),
            over_scan,
            glyphs: 5,
            glyph_height: 8,
        }
    }

    #[test]
    fn a_persons_choice_overrides_the_setting() {
        let over = [tb(10, false), tb(100, true)];
        // the setting blocks text over the scan; a person's mask blanks it
        assert!(matches!(
            decide_file(&over, TextMode::Mask, None, false),
            Decision::Block(_)
        ));
        assert_eq!(
            decide_file(&over, TextMode::Mask, Some(TextChoice::Mask), false),
            Decision::Mask(over.to_vec())
        );
        // keep: refused without permission under the setting, allowed when a person chose it
        assert!(matches!(
            decide_file(&over, TextMode::Keep, None, false),
            Decision::Block(_)
        ));
        assert!(matches!(
            decide_file(&over, TextMode::Keep, None, true),
            Decision::Keep(_)
        ));
        assert!(matches!(
            decide_file(&over, TextMode::Refuse, Some(TextChoice::Keep), false),
            Decision::Keep(_)
        ));
        assert_eq!(
            decide_file(&[], TextMode::Refuse, Some(TextChoice::Mask), false),
            Decision::Clean
        );
    }
}

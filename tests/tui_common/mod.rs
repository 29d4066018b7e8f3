//! Helpers for the TUI tests: a state with fake loaded files, and key strings.
#![allow(dead_code)]

use std::path::PathBuf;

use us_dicomizer::core::dcm::TransferSyntaxKind;
use us_dicomizer::core::load::{FileInfo, InputSource, SourceKind};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::tui::effect::Effect;
use us_dicomizer::tui::keymap::{Key, Keymap};
use us_dicomizer::tui::msg::Msg;
use us_dicomizer::tui::state::AppState;
use us_dicomizer::tui::update;

pub fn info(columns: u32, rows: u32, frames: u32) -> FileInfo {
    FileInfo {
        sop_instance_uid: "1.2.3".into(),
        sop_class_uid: "1.2.840.10008.5.1.4.1.1.6.1".into(),
        modality: "US".into(),
        transfer_syntax: "1.2.840.10008.1.2.1".into(),
        ts_kind: TransferSyntaxKind::ExplicitLittle,
        photometric: "MONOCHROME2".into(),
        rows,
        columns,
        frames,
        samples_per_pixel: 1,
        bits_allocated: 8,
        bits_stored: 8,
        pixel_representation: 0,
        planar_configuration: 0,
        manufacturer: "ACME".into(),
        model: "Sono".into(),
        regions: vec![],
        frame_time_ms: Some(40.0),
        burned_in: None,
        lossy: false,
        flags: vec![],
        laterality: None,
        pixel_location: None,
    }
}

pub fn source(name: &str) -> InputSource {
    InputSource {
        kind: SourceKind::File(PathBuf::from(format!("/exam/{name}"))),
        size: 1000,
    }
}

/// A state with files `(name, columns, rows, frames)`, all loaded, and a preview area.
pub fn state_with(files: &[(&str, u32, u32, u32)]) -> AppState {
    state_with_keymap(files, Keymap::defaults())
}

pub fn state_with_keymap(files: &[(&str, u32, u32, u32)], keymap: Keymap) -> AppState {
    let mut s = AppState::new(Settings::defaults(), keymap);
    let sources: Vec<InputSource> = files.iter().map(|f| source(f.0)).collect();
    update::on_msg(
        &mut s,
        Msg::Gathered {
            sources,
            skipped: vec![],
        },
    );
    let ids: Vec<u64> = s.files.iter().map(|f| f.id).collect();
    for (id, f) in ids.iter().zip(files) {
        update::on_msg(
            &mut s,
            Msg::Loaded {
                file: *id,
                result: Ok(Box::new(info(f.1, f.2, f.3))),
            },
        );
    }
    s
}

/// Feeds space-separated key names (`"j j c l enter"`) through the keymap and reducer.
pub fn keys(s: &mut AppState, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for k in text.split_whitespace() {
        let key = Key::parse(k).unwrap_or_else(|e| panic!("bad key {k}: {e}"));
        fx.extend(update::handle_key(s, key));
    }
    fx
}

/// Types literal text (each character a key).
pub fn type_text(s: &mut AppState, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(update::handle_key(s, Key::char(c)));
    }
    fx
}

pub fn names(s: &AppState) -> Vec<String> {
    s.files.iter().map(|f| f.name.clone()).collect()
}

//! Helpers for the TUI tests: a state with fake loaded files, and key strings.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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
        patient: Default::default(),
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
    for (n, (id, f)) in ids.iter().zip(files).enumerate() {
        // Each file its own SOP Instance UID (same UIDs are flagged as duplicates).
        let mut i = info(f.1, f.2, f.3);
        i.sop_instance_uid = format!("1.2.3.{}", n + 1);
        update::on_msg(
            &mut s,
            Msg::Loaded {
                file: *id,
                result: Ok(Box::new(i)),
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

/// Runs the reducer's effects the way the runner does, but in this thread: gathering and
/// loading inputs, automatic crops, the text search and the export itself (on real files). Previews, sessions
/// and the clipboard are not needed here and are dropped.
pub struct Driver {
    pub key: Vec<u8>,
    /// Keys pressed so far (each key of a string counts one).
    pub keys: usize,
    pub report: Option<us_dicomizer::core::export::ExportReport>,
}

impl Driver {
    pub fn new() -> Driver {
        Driver {
            key: vec![7u8; 32],
            keys: 0,
            report: None,
        }
    }

    /// Presses space-separated keys (`"c a A y"`), counting them.
    pub fn press(&mut self, s: &mut AppState, text: &str) {
        for k in text.split_whitespace() {
            let key = Key::parse(k).unwrap_or_else(|e| panic!("bad key {k}: {e}"));
            self.keys += 1;
            let fx = update::handle_key(s, key);
            self.perform(s, fx);
        }
    }

    /// Types literal text (each character one key).
    pub fn type_text(&mut self, s: &mut AppState, text: &str) {
        for c in text.chars() {
            self.keys += 1;
            let fx = update::handle_key(s, Key::char(c));
            self.perform(s, fx);
        }
    }

    pub fn perform(&mut self, s: &mut AppState, fx: Vec<Effect>) {
        use us_dicomizer::core::{export, load};
        for e in fx {
            let more = match e {
                Effect::Gather { paths } => {
                    let g = load::gather(&paths, &s.settings.load);
                    update::on_msg(
                        s,
                        Msg::Gathered {
                            sources: g.sources,
                            skipped: g.skipped,
                        },
                    )
                }
                Effect::Load { items } => {
                    let mut out = Vec::new();
                    for (file, source) in items {
                        let r = load::load(&source, &s.settings.load);
                        let mcu = r
                            .as_ref()
                            .ok()
                            .and_then(us_dicomizer::tui::worker::jpeg_mcu);
                        let result = r.map(|f| Box::new(f.info));
                        out.extend(update::on_msg(s, Msg::Loaded { file, result }));
                        if let Some(mcu) = mcu {
                            out.extend(update::on_msg(s, Msg::Mcu { file, mcu }));
                        }
                    }
                    out
                }
                Effect::ScanText { file, source } => {
                    let result = us_dicomizer::tui::text_worker::scan(&source, &s.settings);
                    update::on_msg(s, Msg::TextFound { file, result })
                }
                Effect::ImportAnnotations { items } => {
                    let mut out = Vec::new();
                    for (file, sidecars) in items {
                        let refs: Vec<&InputSource> = sidecars.iter().collect();
                        let i = us_dicomizer::core::annotation::import::import(
                            &refs,
                            &s.settings.load,
                            &s.settings.annotation,
                        );
                        out.extend(update::on_msg(
                            s,
                            Msg::AnnotationsImported {
                                file,
                                annotations: i.annotations,
                                from: i.report.imported_from,
                                problems: i.report.problems,
                            },
                        ));
                    }
                    out
                }
                Effect::AutoCrop { file, source } => {
                    let f = load::load(&source, &s.settings.load).expect("loads");
                    let result = export::auto_crop_explained(&f, &s.settings);
                    update::on_msg(s, Msg::AutoCrop { file, result })
                }
                Effect::StartExport {
                    items,
                    out,
                    force,
                    pseudonym,
                    excluded,
                } => {
                    let req = export::ExportRequest {
                        items,
                        out,
                        force,
                        pseudonym: s.settings.pseudonym.rule(&pseudonym),
                        key: self.key.clone(),
                        allow_uncropped: false,
                        write_mapping: false,
                        indices: None,
                        shard: None,
                        excluded,
                    };
                    let cancel = std::sync::atomic::AtomicBool::new(false);
                    let r =
                        export::run(&req, &s.settings, &|_| {}, &cancel).map_err(|e| e.to_string());
                    let msg = r
                        .as_ref()
                        .map(|rep| format!("exported {}", rep.summary.exported))
                        .map_err(|e| e.clone());
                    self.report = r.ok();
                    update::on_msg(
                        s,
                        Msg::Export(us_dicomizer::tui::msg::ExportMsg::Finished(msg)),
                    )
                }
                _ => Vec::new(),
            };
            if !more.is_empty() {
                self.perform(s, more);
            }
        }
    }
}

/// A state on real input paths (gathered and loaded through the driver).
pub fn state_on(paths: &[PathBuf], settings: Settings, d: &mut Driver) -> AppState {
    let mut s = AppState::new(settings, Keymap::defaults());
    d.perform(
        &mut s,
        vec![Effect::Gather {
            paths: paths.to_vec(),
        }],
    );
    s
}

/// A fresh state holding one real file, gathered and loaded as the worker reports them:
/// `(state, its id, (columns, rows))`.
pub fn state_with_loaded(
    path: &Path,
    settings: &Settings,
    no_color: bool,
) -> (AppState, us_dicomizer::tui::state::FileId, (u32, u32)) {
    let g = us_dicomizer::core::load::gather(&[path.to_path_buf()], &settings.load);
    let src = g.sources[0].clone();
    let loaded = us_dicomizer::core::load::load(&src, &settings.load).unwrap();
    let size = (loaded.info.columns, loaded.info.rows);
    let mut s = AppState::new(settings.clone(), Keymap::defaults());
    s.no_color = no_color;
    update::on_msg(
        &mut s,
        Msg::Gathered {
            sources: vec![src],
            skipped: vec![],
        },
    );
    let id = s.files[0].id;
    update::on_msg(
        &mut s,
        Msg::Loaded {
            file: id,
            result: Ok(Box::new(loaded.info)),
        },
    );
    (s, id, size)
}

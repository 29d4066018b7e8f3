//! Export: pseudonym and destination prompts, the gate (what blocks which file), the
//! confirmation, and yes/no dialogs in general.

use std::path::PathBuf;

use crate::core::export::{CropChoice, ExportItem};

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::keymap::Mode;
use super::super::state::{
    AppState, Confirm, ConfirmKind, ExportJob, Level, Prompt, PromptKind, View,
};
use super::crop;

/// `e`: asks for the pseudonym (then the destination).
pub(super) fn start(state: &mut AppState) {
    if state.export_running() {
        state.notify(Level::Warn, "an export is already running (w shows it)");
        return;
    }
    if state.files.is_empty() {
        state.notify(Level::Warn, "no files to export");
        return;
    }
    let text = state.pseudonym.clone();
    state.prompt = Some(Prompt {
        kind: PromptKind::Pseudonym,
        text,
        candidates: Vec::new(),
        error: None,
    });
    state.push_mode(Mode::Prompt);
}

/// The files an export takes: the marked ones, or all when none is marked.
pub fn candidates(state: &AppState) -> Vec<u64> {
    let marked: Vec<u64> = state
        .files
        .iter()
        .filter(|f| f.marked)
        .map(|f| f.id)
        .collect();
    if marked.is_empty() {
        state.files.iter().map(|f| f.id).collect()
    } else {
        marked
    }
}

/// Runs the gate and asks for confirmation.
pub(super) fn ask(state: &mut AppState, out: PathBuf) {
    let ids = candidates(state);
    let scope = if state.marked_count() > 0 {
        "marked"
    } else {
        "listed"
    };
    let mut ready = Vec::new();
    let mut blocked = Vec::new();
    for id in &ids {
        let idx = state.index_of(*id).unwrap_or(0);
        let f = &state.files[idx];
        match f.blocker(&state.settings) {
            None => ready.push(*id),
            Some(r) => blocked.push(format!("  #{} {}: {r}", idx + 1, f.name)),
        }
    }
    // Checking the destination is the reducer's only look at the file system.
    let exists = out.exists();
    let mapping = crate::core::export::mapping_path(&out);
    let mapping_exists = state.settings.output.write_mapping && mapping.exists();
    let mut lines = Vec::new();
    let kind = if ready.is_empty() {
        lines.push(format!(
            "Nothing to export: all {} {scope} file(s) are blocked.",
            ids.len()
        ));
        ConfirmKind::Nothing
    } else {
        lines.push(format!(
            "Export {} of {} {scope} file(s) as `{}` to {}?",
            ready.len(),
            ids.len(),
            state.pseudonym,
            out.display()
        ));
        if exists {
            lines.push(format!("{} exists and will be replaced.", out.display()));
        }
        if mapping_exists {
            lines.push(format!(
                "{} exists and will be replaced.",
                mapping.display()
            ));
        }
        ConfirmKind::Export {
            items: ready,
            out,
            force: exists || mapping_exists,
        }
    };
    if !blocked.is_empty() {
        lines.push(format!("{} blocked (not exported):", blocked.len()));
        lines.extend(blocked);
    }
    state.confirm = Some(Confirm {
        kind,
        title: "Export".into(),
        lines,
    });
    state.push_mode(Mode::Confirm);
}

pub(super) fn ask_quit(state: &mut AppState) {
    if state.mode == Mode::Confirm {
        return;
    }
    state.confirm = Some(Confirm {
        kind: ConfirmKind::QuitDuringExport,
        title: "Quit".into(),
        lines: vec!["An export is running. Cancel it and quit?".into()],
    });
    state.push_mode(Mode::Confirm);
}

pub(super) fn confirm_update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    match action {
        Action::ConfirmYes => {
            let Some(c) = state.confirm.take() else {
                state.pop_mode();
                return;
            };
            state.pop_mode();
            match c.kind {
                ConfirmKind::Nothing => {}
                ConfirmKind::ApplySameGeometry {
                    rect,
                    source,
                    files,
                } => crop::apply_same_geometry(state, rect, source, &files, fx),
                ConfirmKind::Export { items, out, force } => run(state, items, out, force, fx),
                ConfirmKind::QuitDuringExport => {
                    if let Some(j) = state.export.as_mut() {
                        j.cancel_requested = true;
                    }
                    fx.push(Effect::CancelExport);
                    state.quit = Some(0);
                }
            }
        }
        Action::ConfirmNo | Action::Back => {
            state.confirm = None;
            state.pop_mode();
            state.notify(Level::Info, "cancelled");
        }
        _ => {}
    }
}

fn run(state: &mut AppState, ids: Vec<u64>, out: PathBuf, force: bool, fx: &mut Vec<Effect>) {
    let mut items = Vec::with_capacity(ids.len());
    for id in &ids {
        let Some(f) = state.file(*id) else { continue };
        let Some(source) = f.source.clone() else {
            continue;
        };
        let crop = match f.crop {
            Some((r, s)) => CropChoice::Fixed(r, s),
            None => CropChoice::None,
        };
        items.push(ExportItem {
            source,
            crop,
            tags: f.tags.clone(),
        });
    }
    for f in state.files.iter_mut().filter(|f| ids.contains(&f.id)) {
        f.export = None;
    }
    state.export = Some(ExportJob {
        items: ids,
        out: out.display().to_string(),
        total: items.len(),
        running: true,
        ..Default::default()
    });
    state.notify(
        Level::Info,
        format!("export started: {} file(s)", items.len()),
    );
    fx.push(Effect::StartExport {
        items,
        out,
        force,
        pseudonym: state.pseudonym.clone(),
    });
    state.view = View::Jobs;
    state.jobs_scroll = 0;
    state.push_mode(Mode::Jobs);
}

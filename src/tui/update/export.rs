//! Export: pseudonym and destination prompts, the gate (what blocks which file), the
//! confirmation, and yes/no dialogs in general.

use std::path::PathBuf;

use crate::core::export::{CropChoice, ExportItem};

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::keymap::Mode;
use super::super::state::{
    AppState, Confirm, ConfirmKind, ExportJob, Level, LoadState, Prompt, PromptKind, View,
};
use super::crop;

/// `e`: when some (not all) files are marked, asks "marked only or all?"; then lists what is
/// blocked and asks for the pseudonym (then the destination).
pub(super) fn start(state: &mut AppState) {
    if state.export_running() {
        state.notify(Level::Warn, "an export is already running (w shows it)");
        return;
    }
    if state.files.is_empty() {
        state.notify(Level::Warn, "no files to export");
        return;
    }
    let marked = state.marked_count();
    state.export_marked_only = false;
    if marked > 0 && marked < state.files.len() {
        state.confirm = Some(Confirm {
            kind: ConfirmKind::ExportScope,
            title: "Export: marked only or all?".into(),
            lines: vec![
                format!("{marked} of {} file(s) are marked.", state.files.len()),
                format!("m  export the {marked} marked file(s) only"),
                format!("a  export all {} file(s)", state.files.len()),
            ],
        });
        state.push_mode(Mode::Confirm);
        return;
    }
    ask_pseudonym(state);
}

/// The pseudonym prompt, with the blocked files listed above it (nothing to ask when every
/// file is blocked: the list is shown instead).
fn ask_pseudonym(state: &mut AppState) {
    let (ready, blocked) = gate(state);
    let total = ready.len() + blocked.len();
    if ready.is_empty() {
        let mut lines = vec![format!(
            "Nothing to export: all {total} {} file(s) are blocked.",
            scope(state)
        )];
        lines.extend(blocked);
        state.confirm = Some(Confirm {
            kind: ConfirmKind::Nothing,
            title: "Export".into(),
            lines,
        });
        state.push_mode(Mode::Confirm);
        return;
    }
    let mut info = Vec::new();
    if !blocked.is_empty() {
        info.push(format!(
            "{} of {total} {} file(s) blocked (not exported):",
            blocked.len(),
            scope(state)
        ));
        info.extend(blocked);
    } else {
        info.push(format!("all {total} {} file(s) ready", scope(state)));
    }
    // Empty means the settings' default (normally `auto`: one keyed pseudonym per patient).
    info.push(format!(
        "pseudonym (empty: `{}`, {})",
        state.settings.pseudonym.default,
        state
            .settings
            .pseudonym
            .rule(&state.settings.pseudonym.default)
            .describe()
    ));
    let text = state.pseudonym.clone();
    state.prompt = Some(Prompt {
        kind: PromptKind::Pseudonym,
        text,
        candidates: Vec::new(),
        error: None,
        info,
    });
    state.push_mode(Mode::Prompt);
}

fn scope(state: &AppState) -> &'static str {
    if state.export_marked_only {
        "marked"
    } else {
        "listed"
    }
}

/// Ready ids and one line per blocked file, over the export's candidates.
fn gate(state: &AppState) -> (Vec<u64>, Vec<String>) {
    let mut ready = Vec::new();
    let mut blocked = Vec::new();
    for id in candidates(state) {
        let idx = state.index_of(id).unwrap_or(0);
        let f = &state.files[idx];
        match state.blocker_at(idx) {
            None => ready.push(id),
            Some(r) => blocked.push(format!("  #{} {}: {r}", idx + 1, f.name)),
        }
    }
    (ready, blocked)
}

/// The files an export takes: the marked ones when the user chose "marked only", else all.
pub fn candidates(state: &AppState) -> Vec<u64> {
    state
        .files
        .iter()
        .filter(|f| !state.export_marked_only || f.marked)
        .map(|f| f.id)
        .collect()
}

/// Runs the gate and asks for confirmation.
pub(super) fn ask(state: &mut AppState, out: PathBuf) {
    let scope = scope(state);
    let (ready, blocked) = gate(state);
    let total = ready.len() + blocked.len();
    // The same rule as `batch`: one literal pseudonym over several patients is refused.
    let patients: std::collections::BTreeSet<&crate::core::patients::PatientKey> = ready
        .iter()
        .filter_map(|id| match &state.file(*id)?.load {
            LoadState::Loaded(info) => Some(&info.patient),
            _ => None,
        })
        .collect();
    let rule = state.settings.pseudonym.rule(&state.pseudonym);
    let merges = rule.is_literal() && patients.len() > 1;
    // Checking the destination is the reducer's only look at the file system.
    let exists = out.exists();
    let mapping = crate::core::export::mapping_path(&out);
    let mapping_exists = state.settings.output.write_mapping && mapping.exists();
    let mut lines = Vec::new();
    let kind = if merges {
        lines.push(format!(
            "The {} ready file(s) hold {} different patients: one pseudonym `{}` would merge them into one person.",
            ready.len(),
            patients.len(),
            state.pseudonym
        ));
        lines.push(format!(
            "Export again (e) with the pseudonym `{}` for one keyed pseudonym per patient, or mark the files of one patient.",
            crate::core::patients::AUTO
        ));
        ConfirmKind::Nothing
    } else if ready.is_empty() {
        lines.push(format!(
            "Nothing to export: all {total} {scope} file(s) are blocked."
        ));
        ConfirmKind::Nothing
    } else {
        lines.push(format!(
            "Export {} of {} {scope} file(s) ({} patient(s)) as {} to {}?",
            ready.len(),
            total,
            patients.len(),
            rule.describe(),
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
        Action::ConfirmYes
            if !matches!(
                state.confirm.as_ref().map(|c| &c.kind),
                Some(ConfirmKind::ExportScope)
            ) =>
        {
            let Some(c) = state.confirm.take() else {
                state.pop_mode();
                return;
            };
            state.pop_mode();
            match c.kind {
                ConfirmKind::Nothing | ConfirmKind::ExportScope => {}
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
        Action::Char(c @ ('m' | 'a'))
            if matches!(
                state.confirm.as_ref().map(|c| &c.kind),
                Some(ConfirmKind::ExportScope)
            ) =>
        {
            state.confirm = None;
            state.pop_mode();
            state.export_marked_only = c == 'm';
            ask_pseudonym(state);
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
            index: state.index_of(*id).map(|i| i + 1),
            text: f.text_choice,
            // What the person drew and graded (original-image coordinates; the export
            // translates them by the crop and clips them).
            annotations: (!f.annotations.is_empty()).then(|| f.annotations.clone()),
        });
    }
    for f in state.files.iter_mut().filter(|f| ids.contains(&f.id)) {
        f.export = None;
    }
    state.export = Some(ExportJob {
        items: ids.clone(),
        out: out.display().to_string(),
        total: items.len(),
        running: true,
        ..Default::default()
    });
    state.notify(
        Level::Info,
        format!("export started: {} file(s)", items.len()),
    );
    let excluded = state
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| !ids.contains(&f.id))
        .map(|(i, f)| {
            let why = if state.export_marked_only && !f.marked {
                "not marked (marked files only)".to_string()
            } else {
                state
                    .blocker_at(i)
                    .unwrap_or_else(|| "left out".to_string())
            };
            format!("#{}: {why}", i + 1)
        })
        .collect();
    fx.push(Effect::StartExport {
        items,
        out,
        force,
        pseudonym: state.pseudonym.clone(),
        excluded,
    });
    state.view = View::Jobs;
    state.jobs_scroll = 0;
    state.push_mode(Mode::Jobs);
}

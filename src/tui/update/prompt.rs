//! Text prompts: pseudonym, destination, a path to add, a metadata search.

use std::path::PathBuf;

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::state::{AppState, Level, Prompt, PromptKind};
use super::{export, meta};

pub(super) fn update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let Some(p) = state.prompt.as_mut() else {
        state.pop_mode();
        return;
    };
    match action {
        Action::Char(c) => {
            p.text.push(c);
            p.candidates.clear();
            p.error = None;
            incremental_search(state);
        }
        Action::PromptDelete => {
            p.text.pop();
            p.candidates.clear();
            incremental_search(state);
        }
        Action::PromptDeleteWord => {
            let t = p.text.trim_end_matches(['/', ' ']);
            let cut = t.rfind(['/', ' ']).map(|i| i + 1).unwrap_or(0);
            p.text.truncate(cut);
            p.candidates.clear();
        }
        Action::PromptClear => {
            p.text.clear();
            p.candidates.clear();
        }
        Action::PromptComplete => {
            if matches!(p.kind, PromptKind::Destination | PromptKind::AddPath) {
                fx.push(Effect::CompletePath(p.text.clone()));
            }
        }
        Action::PromptSubmit => submit(state, fx),
        Action::Back => {
            state.prompt = None;
            state.pop_mode();
        }
        _ => {}
    }
}

fn submit(state: &mut AppState, fx: &mut Vec<Effect>) {
    let p = state.prompt.clone().expect("checked");
    let text = p.text.trim().to_string();
    let fail = |state: &mut AppState, msg: String| {
        if let Some(p) = state.prompt.as_mut() {
            p.error = Some(msg);
        }
    };
    match p.kind {
        PromptKind::Pseudonym => {
            if !crate::core::deid::valid_pseudonym(&text) {
                return fail(state, "1-64 characters of A-Z, a-z, 0-9, '_' or '-'".into());
            }
            state.pseudonym = text.clone();
            let dest = if state.destination.is_empty() {
                default_export_dir(state)
                    .join(format!("{text}.zip"))
                    .display()
                    .to_string()
            } else {
                state.destination.clone()
            };
            state.prompt = Some(Prompt {
                kind: PromptKind::Destination,
                text: dest,
                candidates: Vec::new(),
                error: None,
                info: Vec::new(),
            });
        }
        PromptKind::Destination => {
            let mut path = expand_home(&text);
            // A folder gets the default file name.
            if text.ends_with('/') || path.is_dir() {
                path = path.join(format!("{}.zip", state.pseudonym));
            }
            if !path
                .to_string_lossy()
                .to_ascii_lowercase()
                .ends_with(".zip")
            {
                return fail(state, "the destination must end in .zip".into());
            }
            // Messages and the export use the absolute path.
            let path = std::path::absolute(&path).unwrap_or(path);
            state.destination = path.display().to_string();
            state.prompt = None;
            state.pop_mode();
            export::ask(state, path);
        }
        PromptKind::AddPath => {
            if text.is_empty() {
                return fail(
                    state,
                    "type a file, folder or ZIP path (tab completes)".into(),
                );
            }
            let path = expand_home(&text);
            state.prompt = None;
            state.pop_mode();
            if !state.extra_inputs.contains(&path) {
                state.extra_inputs.push(path.clone());
            }
            state.notify(Level::Info, "adding inputs…");
            fx.push(Effect::Gather { paths: vec![path] });
        }
        PromptKind::Search => {
            state.prompt = None;
            state.pop_mode();
            if let Some(m) = state.meta.as_mut() {
                m.search = text;
            }
            meta::find(state, true, true);
        }
    }
}

/// While a search is typed: the query is the search, the cursor on its first match from the top.
fn incremental_search(state: &mut AppState) {
    let Some(p) = state
        .prompt
        .as_ref()
        .filter(|p| p.kind == PromptKind::Search)
    else {
        return;
    };
    let text = p.text.clone();
    let Some(m) = state.meta.as_mut() else { return };
    m.search = text;
    if m.search.is_empty() {
        return;
    }
    m.collapsed.clear();
    if let Some(&first) = m.matches().first() {
        m.cursor = first;
    }
}

/// Where exports go by default: `[output] export_dir`, else the user's home.
pub fn default_export_dir(state: &AppState) -> PathBuf {
    let dir = state.settings.output.export_dir.trim();
    if !dir.is_empty() {
        return expand_home(dir);
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// `~/x` to `$HOME/x`.
pub fn expand_home(text: &str) -> PathBuf {
    if let Some(rest) = text.strip_prefix("~/") {
        if let Some(h) = std::env::var_os("HOME") {
            return PathBuf::from(h).join(rest);
        }
    }
    PathBuf::from(text)
}

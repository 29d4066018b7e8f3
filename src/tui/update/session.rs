//! Bringing saved work back: the set's order, marks and cursor when inputs are gathered; each
//! file's crop, tags and export name when its content identity is known (whatever path or set
//! of inputs it was opened with).

use super::super::effect::Effect;
use super::super::session::{key_hash, FileRecord, Session};
use super::super::state::{AppState, FileEntry, FileId};
use super::save;

fn count(state: &mut AppState, rec: &FileRecord) {
    if rec.crop.is_some() {
        state.session.restored_crops += 1;
    }
    state.session.restored_tags += rec.tags.len();
    if rec.annotations.as_ref().is_some_and(|a| !a.is_empty()) {
        state.session.restored_annotated += 1;
    }
}

/// Marks from the set's session, and (version 1 sessions) the work saved by path.
pub fn restore_from_set(state: &mut AppState, restore: Option<&Session>, entry: &mut FileEntry) {
    let Some(r) = restore else { return };
    entry.marked = r.marked.contains(&key_hash(&entry.key));
    if let Some(rec) = r.legacy_record(&entry.key) {
        if rec.apply_to(entry) {
            count(state, &rec);
        }
    }
}

/// The saved list order, and the saved cursor (once: later gathers keep the user's cursor).
pub fn order_and_cursor(state: &mut AppState, r: &Session) {
    let cur = state.current().map(|f| f.id);
    let pos = |k: &str| {
        let h = key_hash(k);
        r.order.iter().position(|o| *o == h).unwrap_or(usize::MAX)
    };
    state.files.sort_by_key(|f| pos(&f.key));
    let saved = state.restore.as_mut().and_then(|r| r.cursor.take());
    let want = saved.and_then(|c| state.files.iter().position(|f| key_hash(&f.key) == c));
    state.cursor = want
        .or_else(|| cur.and_then(|id| state.index_of(id)))
        .unwrap_or(0);
}

/// A file's identity arrived: its saved record comes back unless the file already has work
/// of its own (done in this window, or from a version 1 session, which is then stored).
pub fn identified(state: &mut AppState, file: FileId, identity: String, fx: &mut Vec<Effect>) {
    state.session.identity.insert(file, identity.clone());
    let rec = state.session.records.get(&identity).cloned();
    let Some(f) = state.file_mut(file) else {
        return;
    };
    if let Some(rec) = rec {
        if rec.apply_to(f) {
            state.session.written.insert(identity, rec.clone());
            count(state, &rec);
            return;
        }
    }
    let now = FileRecord::of_entry(f);
    if !now.is_empty() && state.session.written.get(&identity) != Some(&now) {
        save(state, fx);
    }
}

/// "restored N crops, M tags" when there was saved work to look in, and the start note.
pub fn restored_line(state: &AppState) -> Option<String> {
    let t = &state.session;
    let restored = t.had_saved.then(|| {
        let mut line = format!(
            "restored {} crops, {} tags",
            t.restored_crops, t.restored_tags
        );
        if t.restored_annotated > 0 {
            line.push_str(&format!(", {} annotated file(s)", t.restored_annotated));
        }
        line
    });
    match (restored, &t.start_note) {
        (Some(r), Some(n)) => Some(format!("{r}; {n}")),
        (r, n) => r.or_else(|| n.clone()),
    }
}

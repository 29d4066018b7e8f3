//! Worker results applied to the state.

use crate::core::export::Status;

use super::super::effect::Effect;
use super::super::msg::{ExportMsg, Msg};
use super::super::state::{AppState, ExportMark, FileEntry, JobLine, Level, LoadState};
use super::super::text::TextScan;
use super::{finish, save, session};

pub fn on_msg(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Gathered { sources, skipped } => gathered(state, sources, skipped, &mut fx),
        Msg::Identified { file, identity } => session::identified(state, file, identity, &mut fx),
        Msg::Loaded { file, result } => {
            state.loading = state.loading.saturating_sub(1);
            if let Some(f) = state.file_mut(file) {
                f.load = match result {
                    Ok(info) => {
                        f.frame = f.frame.min(info.frames.saturating_sub(1));
                        LoadState::Loaded(info)
                    }
                    Err(r) => LoadState::Invalid(r),
                };
                // the text search runs once per file, on its worker
                if let (LoadState::Loaded(_), None, Some(source)) =
                    (&f.load, &f.text, f.source.clone())
                {
                    f.text = Some(TextScan::Pending);
                    fx.push(Effect::ScanText { file, source });
                }
            }
            // Duplicates are flagged as they load, not at the export.
            let mut dup_text = None;
            if let Some(i) = state.index_of(file) {
                let pair = match state.duplicate_of(i) {
                    Some(first) => Some((first, i)),
                    None => (i + 1..state.files.len())
                        .find(|&j| state.duplicate_of(j) == Some(i))
                        .map(|j| (i, j)),
                };
                if let Some((first, dup)) = pair {
                    let text = format!(
                        "#{} is a duplicate of #{} (same SOP Instance UID): exported once",
                        dup + 1,
                        first + 1
                    );
                    state.notify(Level::Warn, text.clone());
                    dup_text = Some(text);
                }
            }
            if state.loading == 0 {
                let invalid = state
                    .files
                    .iter()
                    .filter(|f| matches!(f.load, LoadState::Invalid(_)))
                    .count();
                let n = state.files.len();
                let restored = session::restored_line(state)
                    .map(|r| format!("; {r}"))
                    .unwrap_or_default();
                let dups = state.counts().duplicates;
                let level = if dups > 0 { Level::Warn } else { Level::Info };
                let mut text = format!("{n} file(s) listed, {invalid} invalid{restored}");
                if dups > 0 {
                    text.push_str(&format!(", {dups} duplicate(s)"));
                    // Keep the pair just found in view.
                    if let Some(pair) = dup_text {
                        text.push_str(&format!(": {pair}"));
                    } else {
                        text.push_str(" (same SOP Instance UID; = in the list)");
                    }
                }
                state.notify(level, text);
            }
        }
        Msg::PreviewDone {
            id,
            file,
            frame,
            result,
            ms,
        } => {
            let newer = state.preview.shown.map(|(s, _, _)| id >= s).unwrap_or(true);
            if newer {
                match result {
                    Ok(()) => {
                        state.preview.shown = Some((id, file, frame));
                        state.preview.error = None;
                        state.preview.last_ms = Some(ms);
                    }
                    Err(e) => {
                        state.preview.error = Some(e);
                        state.preview.shown = Some((id, file, frame));
                    }
                }
            }
        }
        Msg::Metadata { file, result } => {
            if let Some(m) = state.meta.as_mut().filter(|m| m.file == file) {
                m.loading = false;
                match result {
                    Ok(rows) => m.rows = rows,
                    Err(e) => m.error = Some(e),
                }
            }
        }
        Msg::AutoCrop { file, result } => {
            if let Some(d) = state.draft.as_mut().filter(|d| d.file == file) {
                match result {
                    Ok((rect, source, rule)) => {
                        d.rect = rect;
                        d.origin = source;
                        d.edited = false;
                        let msg = format!("automatic crop {rect} ({rule}); enter applies");
                        state.notify(Level::Info, msg);
                    }
                    Err(e) => state.notify(Level::Warn, e),
                }
            }
        }
        Msg::Export(e) => export_msg(state, e, &mut fx),
        Msg::Completion { text, candidates } => {
            if let Some(p) = state.prompt.as_mut() {
                p.text = text;
                p.candidates = candidates;
            }
        }
        Msg::PresetSaved(r) => match r {
            Ok(path) => state.notify(Level::Info, format!("preset saved in {path}")),
            Err(e) => state.notify(Level::Error, format!("preset not saved: {e}")),
        },
        Msg::SessionError(e) => state.notify(Level::Warn, format!("session not saved: {e}")),
        Msg::Mcu { file, mcu } => {
            if let Some(f) = state.file_mut(file) {
                f.mcu = Some(mcu);
            }
        }
        Msg::TextFound { file, result } => {
            if let Some(f) = state.file_mut(file) {
                f.text = Some(match result {
                    Ok(b) => TextScan::Found(b),
                    Err(e) => TextScan::Failed(e),
                });
            }
        }
        Msg::AnnotationsImported {
            file,
            annotations,
            from,
            problems,
        } => annotations_imported(state, file, annotations, from, problems, &mut fx),
        Msg::PlayTick => {
            if state.playing {
                if let Some(f) = state.current_mut() {
                    let n = f.frames().max(1);
                    f.frame = (f.frame + 1) % n;
                }
            }
        }
    }
    finish(state, &mut fx);
    fx
}

fn gathered(
    state: &mut AppState,
    sources: Vec<crate::core::load::InputSource>,
    skipped: Vec<crate::core::load::Skipped>,
    fx: &mut Vec<Effect>,
) {
    let restore = state.restore.clone();
    let removed: Vec<String> = restore
        .as_ref()
        .map(|r| r.removed.clone())
        .unwrap_or_default();
    let removed_here = |key: &str| removed.contains(&super::super::session::key_hash(key));
    let mut items = Vec::new();
    let mut added = 0usize;
    // Annotation files next to the inputs are not inputs: they are read for their file.
    let pairing = crate::core::annotation::import::pair(&sources);
    let mut imports = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        if pairing.consumed[i] {
            continue;
        }
        let key = s.display();
        if removed_here(&key) || state.files.iter().any(|f| f.key == key) {
            continue;
        }
        let id = state.next_id;
        state.next_id += 1;
        let mut entry =
            FileEntry::new(id, s.short_name(), key, Some(s.clone()), LoadState::Pending);
        session::restore_from_set(state, restore.as_ref(), &mut entry);
        state.files.push(entry);
        items.push((id, s.clone()));
        if !pairing.sidecars[i].is_empty() {
            let files = pairing.sidecars[i]
                .iter()
                .map(|&j| sources[j].clone())
                .collect();
            imports.push((id, files));
        }
        added += 1;
    }
    for s in skipped {
        if removed_here(&s.input) || state.files.iter().any(|f| f.key == s.input) {
            continue;
        }
        let id = state.next_id;
        state.next_id += 1;
        let name = s
            .input
            .rsplit(['/', '!'])
            .next()
            .unwrap_or(&s.input)
            .to_string();
        state.files.push(FileEntry::new(
            id,
            name,
            s.input,
            None,
            LoadState::Invalid(s.reason),
        ));
        added += 1;
    }
    if let Some(r) = &restore {
        session::order_and_cursor(state, r);
    }
    state.loading += items.len();
    if added == 0 {
        state.notify(Level::Warn, "no new inputs found");
    }
    if !items.is_empty() {
        fx.push(Effect::Load { items });
    }
    if !imports.is_empty() {
        fx.push(Effect::ImportAnnotations { items: imports });
    }
    save(state, fx);
}

/// Annotations read from the files next to an input: they fill a file without annotations of
/// its own; work saved in the session (which started from them) is kept, never added to, so
/// opening the same files again never duplicates polygons.
fn annotations_imported(
    state: &mut AppState,
    file: super::super::state::FileId,
    annotations: Option<crate::core::annotation::Annotations>,
    from: Vec<String>,
    problems: Vec<String>,
    fx: &mut Vec<Effect>,
) {
    let Some(n) = state.index_of(file) else {
        return;
    };
    for p in &problems {
        state.notify(Level::Warn, format!("#{}: {p}", n + 1));
    }
    let Some(a) = annotations else { return };
    let f = &mut state.files[n];
    if !f.annotations.is_empty() {
        state.notify(
            Level::Info,
            format!(
                "#{}: annotations from the session kept ({} not re-read)",
                n + 1,
                from.join(", ")
            ),
        );
        return;
    }
    let polys = a.polygon_count();
    f.annotations = a;
    state.notify(
        Level::Info,
        format!(
            "#{}: {polys} polygon(s) imported from {}",
            n + 1,
            from.join(", ")
        ),
    );
    save(state, fx);
}

fn export_msg(state: &mut AppState, e: ExportMsg, fx: &mut Vec<Effect>) {
    let Some(job) = state.export.as_mut() else {
        return;
    };
    match e {
        ExportMsg::Started { total } => job.total = total,
        ExportMsg::FileStarted { n } => {
            job.current = Some(n);
            job.frames = (0, 0);
        }
        ExportMsg::Frames { n, done, total } => {
            job.current = Some(n);
            job.frames = (done, total);
        }
        ExportMsg::FileDone {
            n,
            status,
            reason,
            output,
        } => {
            job.done = n;
            let id = job.items.get(n - 1).copied();
            let mark = match status {
                Status::Exported => ExportMark::Exported(output.unwrap_or_default()),
                Status::Skipped => ExportMark::Skipped(reason.unwrap_or_default()),
                Status::Failed => ExportMark::Failed(reason.unwrap_or_default()),
            };
            let name = id
                .and_then(|id| state.files.iter().find(|f| f.id == id))
                .map(|f| f.name.clone())
                .unwrap_or_default();
            job.results.push(JobLine {
                n,
                file: id,
                name,
                mark: mark.clone(),
            });
            if let Some(f) = id.and_then(|id| state.files.iter_mut().find(|f| f.id == id)) {
                f.export = Some(mark);
            }
        }
        ExportMsg::Writing => job.writing = true,
        ExportMsg::Finished(r) => {
            job.running = false;
            job.writing = false;
            job.current = None;
            match &r {
                Ok(summary) => {
                    let s = summary.clone();
                    job.finished = Some(r);
                    state.notify(Level::Info, s);
                }
                Err(err) => {
                    let s = err.clone();
                    job.finished = Some(r);
                    // Nothing was written: forget the per-file marks of this run.
                    let ids = job.items.clone();
                    for f in state.files.iter_mut().filter(|f| ids.contains(&f.id)) {
                        f.export = None;
                    }
                    state.notify(Level::Error, format!("export failed: {s}"));
                }
            }
            save(state, fx);
        }
    }
}

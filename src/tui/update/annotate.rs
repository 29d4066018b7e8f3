//! Annotation mode (sticky until esc): the file's status by one key, the current frame's grade
//! by a digit, and polygons drawn with a vertex cursor (h/j/k/l 1 px, H/J/K/L 10 px), closed,
//! undone, deleted, classed from the vocabulary and copied from the previous frame. Every
//! change is saved in the session like crops and tags.

use crate::core::annotation::Polygon;

use super::super::action::Action;
use super::super::annot::{label_short, AnnotEdit};
use super::super::effect::Effect;
use super::super::keymap::{Key, Mode};
use super::super::state::{AppState, Level};
use super::{files, save, BIG_STEP};

/// Opens annotation mode on the current file; the cursor starts at the centre of the crop (or
/// of the frame), the class is the one used last.
pub(super) fn enter(state: &mut AppState) {
    let Some(f) = state.current() else { return };
    let Some(info) = f.info() else {
        state.notify(
            Level::Warn,
            "this file cannot be annotated (not loaded or invalid)",
        );
        return;
    };
    let (cols, rows) = (info.columns, info.rows);
    let cursor = match f.crop {
        Some((r, _)) => ((r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2),
        None => (cols / 2, rows / 2),
    };
    let class = state.annot.as_ref().map(|e| e.class).unwrap_or(0);
    state.annot = Some(AnnotEdit {
        file: f.id,
        cursor: (
            cursor.0.min(cols.saturating_sub(1)),
            cursor.1.min(rows.saturating_sub(1)),
        ),
        points: Vec::new(),
        frame: f.frame,
        class,
        selected: None,
    });
    state.push_mode(Mode::Annotate);
}

/// Keys that pick a class in the class menu: digits, then letters not bound there.
pub fn class_keys(state: &AppState) -> Vec<char> {
    let n = state.settings.annotation.classes.len();
    "123456789abcdefghijklmnopqrstuvwz"
        .chars()
        .filter(|c| !state.keymap.is_bound(Mode::AnnotateClass, Key::char(*c)))
        .take(n)
        .collect()
}

pub(super) fn update(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let Some((id, cols, rows, frame)) = state
        .current()
        .and_then(|f| f.info().map(|i| (f.id, i.columns, i.rows, f.frame)))
    else {
        leave(state);
        return;
    };
    if state.annot.as_ref().map(|e| e.file != id).unwrap_or(true) {
        leave(state);
        return;
    }
    if state.mode == Mode::AnnotateClass {
        return class_menu(state, action, fx);
    }
    match action {
        Action::AnnotLeft => nudge(state, -1, 0, (cols, rows)),
        Action::AnnotRight => nudge(state, 1, 0, (cols, rows)),
        Action::AnnotUp => nudge(state, 0, -1, (cols, rows)),
        Action::AnnotDown => nudge(state, 0, 1, (cols, rows)),
        Action::AnnotLeftBig => nudge(state, -BIG_STEP, 0, (cols, rows)),
        Action::AnnotRightBig => nudge(state, BIG_STEP, 0, (cols, rows)),
        Action::AnnotUpBig => nudge(state, 0, -BIG_STEP, (cols, rows)),
        Action::AnnotDownBig => nudge(state, 0, BIG_STEP, (cols, rows)),
        Action::AnnotAddVertex => {
            let e = edit(state);
            if e.points.is_empty() {
                e.frame = frame;
            } else if e.frame != frame {
                let msg = format!("the open polygon is on frame {} (X drops it)", e.frame + 1);
                state.notify(Level::Warn, msg);
                return;
            }
            let (x, y) = e.cursor;
            e.points.push([x as f64, y as f64]);
            e.selected = None;
            let n = e.points.len();
            state.notify(
                Level::Info,
                format!("vertex {n} at {x},{y} (enter closes from 3)"),
            );
        }
        Action::AnnotClose => close(state, fx),
        Action::AnnotUndo => {
            let e = edit(state);
            match e.points.pop() {
                Some(_) => {
                    let n = e.points.len();
                    state.notify(Level::Info, format!("last vertex removed ({n} left)"));
                }
                None => state.notify(Level::Info, "no vertex to undo"),
            }
        }
        Action::AnnotCancel => cancel(state),
        Action::AnnotNextPolygon | Action::AnnotPrevPolygon => {
            let n = frame_polygons(state).len();
            let e = edit(state);
            if n == 0 {
                e.selected = None;
                state.notify(Level::Info, "no polygon on this frame");
                return;
            }
            e.selected = Some(match (e.selected.filter(|s| *s < n), action) {
                (None, Action::AnnotNextPolygon) => 0,
                (None, _) => n - 1,
                (Some(s), Action::AnnotNextPolygon) => (s + 1) % n,
                (Some(s), _) => (s + n - 1) % n,
            });
        }
        Action::AnnotDelete => delete(state, fx),
        Action::AnnotClassMenu => {
            if state.settings.annotation.classes.is_empty() {
                state.notify(Level::Warn, "no classes in [annotation] (settings.toml)");
            } else {
                state.push_mode(Mode::AnnotateClass);
            }
        }
        Action::AnnotCopyPrevious => copy_previous(state, fx),
        Action::AnnotStatus => cycle_status(state, fx),
        Action::Char(c) if c.is_ascii_digit() => grade(state, c as u8 - b'0', fx),
        Action::AnnotGradeClear => {
            let f = state.current_mut().expect("checked");
            if f.annotations.grades.remove(&frame).is_some() {
                state.notify(Level::Info, format!("grade of frame {} cleared", frame + 1));
                save(state, fx);
            }
        }
        Action::AnnotNextFile | Action::AnnotPrevFile => {
            let Some(to) = files::neighbour(state, action == Action::AnnotNextFile) else {
                return;
            };
            let dropped = !edit(state).points.is_empty();
            state.pop_mode();
            files::select(state, to);
            enter(state);
            if dropped {
                state.notify(Level::Warn, "the open polygon was dropped (not closed)");
            }
        }
        Action::Back => {
            if edit(state).points.is_empty() {
                leave(state);
            } else {
                cancel(state);
            }
        }
        a @ (Action::NextFrame
        | Action::PrevFrame
        | Action::NextFrame10
        | Action::PrevFrame10
        | Action::FirstFrame
        | Action::LastFrame
        | Action::PlayPause) => {
            files::frame_action(state, a);
            let changed = state.current().map(|f| f.frame) != Some(frame);
            if changed {
                edit(state).selected = None;
            }
        }
        _ => {}
    }
}

fn edit(state: &mut AppState) -> &mut AnnotEdit {
    state.annot.as_mut().expect("checked by update")
}

fn leave(state: &mut AppState) {
    state.annot = None;
    while matches!(state.mode, Mode::Annotate | Mode::AnnotateClass) {
        state.pop_mode();
    }
}

fn frame_polygons(state: &AppState) -> &[Polygon] {
    state
        .current()
        .and_then(|f| f.annotations.polygons.get(&f.frame))
        .map(|v| v.as_slice())
        .unwrap_or(&[])
}

fn nudge(state: &mut AppState, dx: i64, dy: i64, (cols, rows): (u32, u32)) {
    let e = edit(state);
    let x = (e.cursor.0 as i64 + dx).clamp(0, cols.saturating_sub(1) as i64);
    let y = (e.cursor.1 as i64 + dy).clamp(0, rows.saturating_sub(1) as i64);
    e.cursor = (x as u32, y as u32);
}

fn cancel(state: &mut AppState) {
    let e = edit(state);
    if e.points.is_empty() {
        state.notify(Level::Info, "no polygon is being drawn");
    } else {
        e.points.clear();
        state.notify(
            Level::Info,
            "polygon dropped (esc again leaves annotation mode)",
        );
    }
}

/// Closes the open polygon (3 vertices or more) into its frame's list, in the current class.
fn close(state: &mut AppState, fx: &mut Vec<Effect>) {
    let e = edit(state).clone();
    if e.points.len() < 3 {
        let n = e.points.len();
        state.notify(
            Level::Warn,
            format!("a polygon needs 3 vertices ({n} so far; a or space adds one)"),
        );
        return;
    }
    let Some(class) = state.settings.annotation.classes.get(e.class).cloned() else {
        state.notify(Level::Warn, "no classes in [annotation] (settings.toml)");
        return;
    };
    let Some(f) = state.current_mut() else { return };
    let list = f.annotations.polygons.entry(e.frame).or_default();
    list.push(Polygon {
        label: class.label.clone(),
        points: e.points.clone(),
    });
    let index = list.len() - 1;
    let on_frame = f.frame == e.frame;
    let ed = edit(state);
    ed.points.clear();
    ed.selected = on_frame.then_some(index);
    state.notify(
        Level::Info,
        format!(
            "polygon {} closed: {}, {} points, frame {}",
            index + 1,
            class.short,
            e.points.len(),
            e.frame + 1
        ),
    );
    save(state, fx);
}

fn delete(state: &mut AppState, fx: &mut Vec<Effect>) {
    let n = frame_polygons(state).len();
    let Some(s) = edit(state).selected.filter(|s| *s < n) else {
        state.notify(Level::Info, "no polygon selected (tab selects)");
        return;
    };
    let f = state.current_mut().expect("checked");
    let frame = f.frame;
    let list = f.annotations.polygons.entry(frame).or_default();
    let gone = list.remove(s);
    if list.is_empty() {
        f.annotations.polygons.remove(&frame);
    }
    edit(state).selected = if n > 1 { Some(s.min(n - 2)) } else { None };
    let short = label_short(&state.settings.annotation, &gone.label).to_string();
    state.notify(Level::Info, format!("polygon {} ({short}) deleted", s + 1));
    save(state, fx);
}

/// The class menu: one key per class. Sets the class of the next polygon, and of the selected
/// polygon when one is selected and none is being drawn.
fn class_menu(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    match action {
        Action::Char(c) => {
            let Some(i) = class_keys(state).iter().position(|k| *k == c) else {
                return;
            };
            let class = state.settings.annotation.classes[i].clone();
            state.pop_mode();
            let n = frame_polygons(state).len();
            let e = edit(state);
            e.class = i;
            let relabel = e.selected.filter(|s| *s < n && e.points.is_empty());
            match relabel {
                Some(s) => {
                    let f = state.current_mut().expect("checked");
                    let frame = f.frame;
                    if let Some(p) = f
                        .annotations
                        .polygons
                        .get_mut(&frame)
                        .and_then(|l| l.get_mut(s))
                    {
                        p.label = class.label.clone();
                    }
                    state.notify(
                        Level::Info,
                        format!("polygon {} is now {}", s + 1, class.short),
                    );
                    save(state, fx);
                }
                None => state.notify(Level::Info, format!("class: {}", class.short)),
            }
        }
        Action::Back => state.pop_mode(),
        _ => {}
    }
}

/// Appends the previous frame's polygons to this frame (those already here are not repeated).
fn copy_previous(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(f) = state.current_mut() else { return };
    if f.frame == 0 {
        state.notify(Level::Info, "the first frame has no previous frame");
        return;
    }
    let frame = f.frame;
    let prev = f
        .annotations
        .polygons
        .get(&(frame - 1))
        .cloned()
        .unwrap_or_default();
    if prev.is_empty() {
        state.notify(Level::Info, format!("frame {frame} has no polygons"));
        return;
    }
    let list = f.annotations.polygons.entry(frame).or_default();
    let mut added = 0;
    for p in prev {
        if !list.contains(&p) {
            list.push(p);
            added += 1;
        }
    }
    if list.is_empty() {
        f.annotations.polygons.remove(&frame);
    }
    state.notify(
        Level::Info,
        format!("{added} polygon(s) copied from frame {frame}"),
    );
    if added > 0 {
        save(state, fx);
    }
}

/// none -> first status -> ... -> last -> none.
fn cycle_status(state: &mut AppState, fx: &mut Vec<Effect>) {
    let statuses = state.settings.annotation.statuses.clone();
    let name = state.settings.annotation.status_name.clone();
    if statuses.is_empty() {
        state.notify(Level::Warn, "no statuses in [annotation] (settings.toml)");
        return;
    }
    let f = state.current_mut().expect("checked");
    let i = f
        .annotations
        .status
        .as_ref()
        .and_then(|s| statuses.iter().position(|x| x == s));
    f.annotations.status = match i {
        None => Some(statuses[0].clone()),
        Some(i) if i + 1 < statuses.len() => Some(statuses[i + 1].clone()),
        Some(_) => None,
    };
    let shown = f
        .annotations
        .status
        .clone()
        .unwrap_or_else(|| "none".into());
    state.notify(Level::Info, format!("{name}: {shown}"));
    save(state, fx);
}

fn grade(state: &mut AppState, g: u8, fx: &mut Vec<Effect>) {
    let a = &state.settings.annotation;
    let (lo, hi, name) = (a.grade_min, a.grade_max, a.grade_name.clone());
    if g < lo || g > hi {
        state.notify(Level::Warn, format!("{name} goes from {lo} to {hi}"));
        return;
    }
    let f = state.current_mut().expect("checked");
    let frame = f.frame;
    f.annotations.grades.insert(frame, g);
    state.notify(Level::Info, format!("frame {}: {name} {g}", frame + 1));
    save(state, fx);
}

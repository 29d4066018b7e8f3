//! Reducer tests driven by key strings: the real keymap, the pure update, no threads.

mod tui_common;

use tui_common::*;
use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::export::CropChoice;
use us_dicomizer::tui::effect::Effect;
use us_dicomizer::tui::keymap::{Keymap, Mode};
use us_dicomizer::tui::msg::{ExportMsg, Msg};
use us_dicomizer::tui::state::{ConfirmKind, Edge, FileStatus, View};
use us_dicomizer::tui::update;

const EXAM: &[(&str, u32, u32, u32)] = &[
    ("a.dcm", 640, 480, 1),
    ("b.dcm", 640, 480, 24),
    ("c.dcm", 800, 600, 1),
    ("d.dcm", 640, 480, 5),
];

#[test]
fn navigation_and_chords() {
    let mut s = state_with(EXAM);
    keys(&mut s, "j j");
    assert_eq!(s.cursor, 2);
    keys(&mut s, "g g");
    assert_eq!(s.cursor, 0);
    keys(&mut s, "G");
    assert_eq!(s.cursor, 3);
    keys(&mut s, "g");
    assert_eq!(s.pending.len(), 1, "g waits for the rest of the chord");
    keys(&mut s, "x");
    assert!(s.pending.is_empty(), "an invalid continuation cancels");
    assert_eq!(s.cursor, 3);
    keys(&mut s, "j j j");
    assert_eq!(s.cursor, 3, "clamped at the end");
}

#[test]
fn frames_step_clamp_and_play() {
    let mut s = state_with(EXAM);
    keys(&mut s, "j ] ] ]");
    assert_eq!(s.files[1].frame, 3);
    keys(&mut s, "} }");
    assert_eq!(s.files[1].frame, 23);
    keys(&mut s, "[ {");
    assert_eq!(s.files[1].frame, 12);
    keys(&mut s, "p");
    assert!(s.playing);
    update::on_msg(&mut s, Msg::PlayTick);
    assert_eq!(s.files[1].frame, 13);
    keys(&mut s, "p");
    assert!(!s.playing);
    keys(&mut s, "k ]");
    assert_eq!(s.files[0].frame, 0, "single frame file stays at 0");
}

#[test]
fn preview_requests_follow_file_frame_and_crop() {
    let mut s = state_with(EXAM);
    let fx = update::set_preview_area(&mut s, Some((40, 12)));
    let req = |fx: &[Effect]| {
        fx.iter().rev().find_map(|e| {
            if let Effect::Preview(r) = e {
                Some(r.clone())
            } else {
                None
            }
        })
    };
    let r = req(&fx).expect("first preview");
    assert_eq!((r.frame, r.area), (0, (40, 12)));
    let r2 = req(&keys(&mut s, "j ]")).expect("frame change");
    assert_eq!((r2.file, r2.frame), (s.files[1].id, 1));
    assert!(r2.id > r.id);
    assert!(
        req(&keys(&mut s, "ctrl-l")).is_none(),
        "nothing changed: no request"
    );
    let r3 = req(&keys(&mut s, "c l")).expect("crop change is drawn");
    assert_eq!(r3.crop, Some(CropRect::new(1, 0, 640, 480)));
    keys(&mut s, "esc m");
    assert_eq!(s.view, View::Metadata);
    assert!(
        s.preview.requested_key.is_none(),
        "no preview behind the metadata pane"
    );
}

#[test]
fn crop_mode_moves_the_active_edge_and_applies() {
    let mut s = state_with(EXAM);
    keys(&mut s, "c");
    assert_eq!(s.mode, Mode::Crop);
    keys(&mut s, "l l L");
    assert_eq!(
        s.draft.as_ref().unwrap().rect,
        CropRect::new(12, 0, 640, 480)
    );
    keys(&mut s, "j");
    assert_eq!(
        s.draft.as_ref().unwrap().rect.y0,
        0,
        "j does not move a vertical edge"
    );
    keys(&mut s, "tab J j");
    assert_eq!(s.draft.as_ref().unwrap().edge, Edge::Top);
    keys(&mut s, "tab H tab K");
    let d = s.draft.clone().unwrap();
    assert_eq!(d.rect, CropRect::new(12, 11, 630, 470));
    keys(&mut s, "enter");
    assert_eq!(s.mode, Mode::Files);
    assert_eq!(
        s.files[0].crop,
        Some((CropRect::new(12, 11, 630, 470), CropSource::User))
    );
    // Edges never cross or leave the image.
    keys(&mut s, "c H H H tab tab L L L L L");
    assert_eq!(s.draft.as_ref().unwrap().rect.x0, 0);
    assert_eq!(s.draft.as_ref().unwrap().rect.x1, 640);
    keys(&mut s, "esc");
    assert_eq!(
        s.files[0].crop.unwrap().0,
        CropRect::new(12, 11, 630, 470),
        "esc discards the draft"
    );
}

#[test]
fn typed_crop_numbers() {
    let mut s = state_with(EXAM);
    let fx = keys(&mut s, "c i");
    assert!(fx.is_empty() || !fx.iter().any(|e| matches!(e, Effect::SaveSession(_))));
    assert_eq!(s.mode, Mode::CropInput);
    keys(&mut s, "backspace");
    type_text(&mut s, "5");
    keys(&mut s, "tab backspace");
    type_text(&mut s, "7");
    keys(&mut s, "tab backspace backspace backspace");
    type_text(&mut s, "600");
    keys(&mut s, "enter");
    assert_eq!(s.mode, Mode::Crop);
    assert_eq!(
        s.draft.as_ref().unwrap().rect,
        CropRect::new(5, 7, 600, 480)
    );
    // Digits in crop mode start typing into the active edge.
    keys(&mut s, "tab tab tab");
    type_text(&mut s, "9999");
    keys(&mut s, "enter");
    assert_eq!(
        s.mode,
        Mode::CropInput,
        "an invalid box keeps the field open"
    );
    assert!(s.notice.as_ref().unwrap().1.contains("9999"));
    keys(&mut s, "esc enter");
    assert_eq!(s.files[0].crop.unwrap().0, CropRect::new(5, 7, 600, 480));
}

#[test]
fn apply_to_same_geometry_asks_and_honours_the_answer() {
    let mut s = state_with(EXAM);
    keys(&mut s, "c l l A");
    assert_eq!(s.mode, Mode::Confirm);
    match &s.confirm.as_ref().unwrap().kind {
        ConfirmKind::ApplySameGeometry { files, .. } => assert_eq!(files.len(), 3),
        k => panic!("{k:?}"),
    }
    keys(&mut s, "n");
    assert_eq!(s.mode, Mode::Crop, "no returns to crop mode");
    assert!(
        s.files.iter().all(|f| f.crop.is_none()),
        "no applies nothing"
    );
    keys(&mut s, "A y");
    assert_eq!(s.mode, Mode::Files);
    let crops: Vec<_> = s.files.iter().map(|f| f.crop.map(|c| c.0)).collect();
    let r = Some(CropRect::new(2, 0, 640, 480));
    assert_eq!(crops, vec![r, r, None, r], "only 640x480 files");
}

#[test]
fn auto_crop_and_preset() {
    let mut s = state_with(EXAM);
    let fx = keys(&mut s, "c a");
    let id = s.files[0].id;
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::AutoCrop { file, .. } if *file == id)));
    update::on_msg(
        &mut s,
        Msg::AutoCrop {
            file: id,
            result: Ok((
                CropRect::new(10, 20, 600, 460),
                CropSource::AutoRegions,
                "regions".into(),
            )),
        },
    );
    assert_eq!(
        s.draft.as_ref().unwrap().rect,
        CropRect::new(10, 20, 600, 460)
    );
    keys(&mut s, "p");
    assert!(s.notice.as_ref().unwrap().1.contains("no preset"));
    keys(&mut s, "S");
    assert_eq!(
        s.settings.crop.preset.len(),
        1,
        "saved preset applies at once"
    );
    keys(&mut s, "enter j j j c");
    assert_eq!(
        s.draft.as_ref().unwrap().rect,
        CropRect::new(10, 20, 600, 460),
        "the preset is proposed for the same device"
    );
    assert_eq!(s.draft.as_ref().unwrap().origin, CropSource::Preset);
    keys(&mut s, "enter");
    assert_eq!(s.files[3].crop.unwrap().1, CropSource::Preset);
}

#[test]
fn tag_menu_one_key_per_value_and_copy_to_marked() {
    let mut s = state_with(EXAM);
    keys(&mut s, "t");
    assert_eq!(s.mode, Mode::Tags);
    keys(&mut s, "2 1");
    assert_eq!(s.tag_list, 2, "each pick moves to the next list");
    keys(&mut s, "2");
    assert_eq!(
        (s.mode, s.cursor, s.tag_list),
        (Mode::Tags, 1, 0),
        "after the last list the menu stays open on the next file"
    );
    let t = &s.files[0].tags;
    assert_eq!(
        (
            t["position"].as_str(),
            t["side"].as_str(),
            t["purpose"].as_str()
        ),
        ("GSV", "L", "non-diagnostic")
    );
    keys(&mut s, "esc k t tab x esc");
    assert!(!s.files[0].tags.contains_key("side"));
    keys(&mut s, "j space space g g Y");
    assert_eq!(s.files[1].tags, s.files[0].tags);
    assert_eq!(s.files[2].tags, s.files[0].tags);
    assert!(s.files[3].tags.is_empty(), "unmarked files keep theirs");
    assert_eq!(s.marked_count(), 0, "copying tags clears the marks");
}

#[test]
fn order_mark_remove() {
    let mut s = state_with(EXAM);
    let fx = keys(&mut s, "J");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::SaveSession(_))),
        "changes are saved"
    );
    assert_eq!(names(&s), ["b.dcm", "a.dcm", "c.dcm", "d.dcm"]);
    assert_eq!(s.cursor, 1);
    keys(&mut s, "G K K");
    assert_eq!(names(&s), ["b.dcm", "d.dcm", "a.dcm", "c.dcm"]);
    keys(&mut s, "V");
    assert_eq!(s.marked_count(), 4);
    keys(&mut s, "V");
    assert_eq!(s.marked_count(), 0);
    keys(&mut s, "g g d d");
    assert_eq!(names(&s), ["d.dcm", "a.dcm", "c.dcm"]);
    assert_eq!(s.removed_keys, ["/exam/b.dcm"]);
}

#[test]
fn export_gate_prompts_and_effect() {
    let mut s = state_with(EXAM);
    // Make a.dcm and b.dcm ready; c.dcm lacks a crop, d.dcm lacks tags.
    keys(
        &mut s,
        // The tag menu moves to the next file after the last list; esc closes it.
        "c l enter t 1 1 1 esc c l enter t 1 1 1 esc t 1 1 1 esc c l enter",
    );
    assert_eq!(s.files[0].status(&s.settings), FileStatus::Ready);
    assert_eq!(s.files[2].status(&s.settings), FileStatus::Tagged);
    assert_eq!(s.files[3].status(&s.settings), FileStatus::Cropped);
    keys(&mut s, "e");
    assert_eq!(s.mode, Mode::Prompt);
    type_text(&mut s, "bad name");
    keys(&mut s, "enter");
    assert!(
        s.prompt.as_ref().unwrap().error.is_some(),
        "invalid pseudonym refused"
    );
    keys(&mut s, "ctrl-u");
    type_text(&mut s, "P01");
    keys(&mut s, "enter");
    let dest = s.prompt.as_ref().unwrap().text.clone();
    assert!(
        dest.ends_with("/P01.zip") && std::path::Path::new(&dest).is_absolute(),
        "default destination in the home folder, not the working directory: {dest}"
    );
    keys(&mut s, "ctrl-u");
    type_text(&mut s, "/nonexistent-dir/out.zip");
    keys(&mut s, "enter");
    assert_eq!(s.mode, Mode::Confirm);
    let c = s.confirm.clone().unwrap();
    let text = c.lines.join("\n");
    assert!(text.contains("Export 2 of 4"), "{text}");
    assert!(text.contains("#3 c.dcm: no crop"), "{text}");
    assert!(text.contains("#4 d.dcm: missing required tag(s)"), "{text}");
    let fx = keys(&mut s, "y");
    let (items, out) = fx
        .iter()
        .find_map(|e| {
            if let Effect::StartExport {
                items,
                out,
                pseudonym,
                ..
            } = e
            {
                assert_eq!(pseudonym, "P01");
                Some((items.clone(), out.clone()))
            } else {
                None
            }
        })
        .expect("export started");
    assert_eq!(items.len(), 2);
    assert!(matches!(
        items[0].crop,
        CropChoice::Fixed(_, CropSource::User)
    ));
    assert_eq!(out.to_str(), Some("/nonexistent-dir/out.zip"));
    assert_eq!(s.view, View::Jobs);
    assert!(s.export_running());
    // Quitting now asks; "no" keeps running.
    keys(&mut s, "q");
    assert_eq!(s.mode, Mode::Confirm);
    keys(&mut s, "n");
    assert!(s.quit.is_none());
    // Progress and results.
    update::on_msg(&mut s, Msg::Export(ExportMsg::Started { total: 2 }));
    update::on_msg(
        &mut s,
        Msg::Export(ExportMsg::FileDone {
            n: 1,
            status: us_dicomizer::core::export::Status::Exported,
            reason: None,
            output: Some("P01_0001.dcm".into()),
        }),
    );
    update::on_msg(&mut s, Msg::Export(ExportMsg::Finished(Ok("done".into()))));
    assert!(!s.export_running());
    assert_eq!(s.files[0].status(&s.settings), FileStatus::Exported);
    keys(&mut s, "esc q");
    assert_eq!(s.quit, Some(0));
}

#[test]
fn quit_during_export_cancels_after_yes() {
    let mut s = state_with(EXAM);
    s.export = Some(us_dicomizer::tui::state::ExportJob {
        running: true,
        ..Default::default()
    });
    keys(&mut s, "q");
    assert!(s.quit.is_none());
    let fx = keys(&mut s, "y");
    assert!(fx.iter().any(|e| matches!(e, Effect::CancelExport)));
    assert_eq!(s.quit, Some(0));
}

#[test]
fn invalid_and_skipped_inputs_are_listed_with_reasons() {
    let mut s = state_with(&[("ok.dcm", 640, 480, 1)]);
    let id = s.next_id;
    update::on_msg(
        &mut s,
        Msg::Gathered {
            sources: vec![source("broken.dcm")],
            skipped: vec![us_dicomizer::core::load::Skipped {
                input: "/exam/x.zip!inner.zip".into(),
                reason: "nested ZIP archives are not opened".into(),
            }],
        },
    );
    update::on_msg(
        &mut s,
        Msg::Loaded {
            file: id,
            result: Err("not a DICOM file: text".into()),
        },
    );
    assert_eq!(s.files.len(), 3);
    assert_eq!(s.files[1].status(&s.settings), FileStatus::Invalid);
    assert_eq!(s.files[2].status(&s.settings), FileStatus::Invalid);
    keys(&mut s, "j c");
    assert_eq!(s.mode, Mode::Files, "invalid files cannot be cropped");
}

#[test]
fn metadata_search_and_copy() {
    use us_dicomizer::tui::state::MetaRow;
    let mut s = state_with(EXAM);
    let fx = keys(&mut s, "m");
    assert!(fx.iter().any(|e| matches!(e, Effect::Metadata { .. })));
    let row = |tag: &str, name: &str, value: &str, depth: u16, kids: bool| MetaRow {
        depth,
        tag: tag.into(),
        vr: "LO".into(),
        name: name.into(),
        value: value.into(),
        has_children: kids,
    };
    let rows = vec![
        row("(0008,0060)", "Modality", "US", 0, false),
        row(
            "(0018,6011)",
            "SequenceOfUltrasoundRegions",
            "1 item(s)",
            0,
            true,
        ),
        row("item 1", "", "", 1, true),
        row("(0018,6018)", "RegionLocationMinX0", "10", 2, false),
        row("(0028,0010)", "Rows", "480", 0, false),
    ];
    let id = s.files[0].id;
    update::on_msg(
        &mut s,
        Msg::Metadata {
            file: id,
            result: Ok(rows),
        },
    );
    keys(&mut s, "j enter");
    assert_eq!(
        s.meta.as_ref().unwrap().visible().len(),
        3,
        "folded sequence hides its items"
    );
    keys(&mut s, "/");
    type_text(&mut s, "minx0");
    keys(&mut s, "enter");
    assert_eq!(
        s.meta.as_ref().unwrap().cursor,
        3,
        "search unfolds and finds"
    );
    let fx = keys(&mut s, "y");
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Clipboard(v) if v == "10")));
    keys(&mut s, "esc");
    assert_eq!((s.mode, s.view), (Mode::Files, View::Preview));
}

#[test]
fn help_opens_and_closes_and_q_quits() {
    let mut s = state_with(EXAM);
    keys(&mut s, "c ?");
    assert_eq!(s.mode, Mode::Help);
    keys(&mut s, "esc");
    assert_eq!(s.mode, Mode::Crop);
    keys(&mut s, "esc esc");
    assert_eq!(s.mode, Mode::Files);
    assert!(s.quit.is_none());
    keys(&mut s, "q");
    assert_eq!(s.quit, Some(0));
}

#[test]
fn user_override_changes_behaviour() {
    let km = Keymap::from_layers(&[
        (
            "default".into(),
            us_dicomizer::tui::keymap::DEFAULT_KEYMAP.into(),
        ),
        (
            "mine".into(),
            "[global]\nq = \"noop\"\n[files]\nZ = \"quit\"\nx = \"toggle_mark\"\n".into(),
        ),
    ])
    .unwrap();
    let mut s = state_with_keymap(EXAM, km);
    keys(&mut s, "x");
    assert!(s.files[0].marked);
    keys(&mut s, "q");
    assert!(s.quit.is_none(), "q is unbound");
    keys(&mut s, "Z");
    assert_eq!(s.quit, Some(0));
}

#[test]
fn add_inputs_prompt_gathers_and_completes() {
    let mut s = state_with(EXAM);
    keys(&mut s, "o");
    assert_eq!(s.mode, Mode::Prompt);
    type_text(&mut s, "/data/more");
    let fx = keys(&mut s, "tab");
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::CompletePath(t) if t == "/data/more")));
    update::on_msg(
        &mut s,
        Msg::Completion {
            text: "/data/more_exam/".into(),
            candidates: vec![],
        },
    );
    let fx = keys(&mut s, "enter");
    assert!(fx.iter().any(
        |e| matches!(e, Effect::Gather { paths } if paths[0].to_str() == Some("/data/more_exam/"))
    ));
    assert_eq!(
        s.extra_inputs.len(),
        1,
        "added inputs are remembered in the session"
    );
    assert_eq!(s.mode, Mode::Files);
    // The new files are appended; known ones are not listed twice.
    update::on_msg(
        &mut s,
        Msg::Gathered {
            sources: vec![source("a.dcm"), source("e.dcm")],
            skipped: vec![],
        },
    );
    assert_eq!(names(&s), ["a.dcm", "b.dcm", "c.dcm", "d.dcm", "e.dcm"]);
}

#[test]
fn jobs_pane_cancels_a_running_export() {
    let mut s = state_with(EXAM);
    keys(&mut s, "w");
    assert_eq!((s.mode, s.view), (Mode::Jobs, View::Jobs));
    keys(&mut s, "x");
    assert!(s.notice.as_ref().unwrap().1.contains("no export"));
    s.export = Some(us_dicomizer::tui::state::ExportJob {
        running: true,
        ..Default::default()
    });
    let fx = keys(&mut s, "x");
    assert!(fx.iter().any(|e| matches!(e, Effect::CancelExport)));
    assert!(s.export.as_ref().unwrap().cancel_requested);
    keys(&mut s, "esc");
    assert_eq!((s.mode, s.view), (Mode::Files, View::Preview));
}

#[test]
fn unbound_alt_key_is_esc_then_key() {
    let mut s = state_with(EXAM);
    keys(&mut s, "c alt-j");
    assert_eq!(s.mode, Mode::Files, "esc left crop mode");
    assert_eq!(s.cursor, 1, "then j moved down");
}

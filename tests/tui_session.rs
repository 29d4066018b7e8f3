//! Never losing work: saved crops and tags come back per file by content identity (whatever
//! set of inputs or path), `--fresh` keeps the saved session, a second window on the same inputs
//! is refused, session files are private and hold no paths or UIDs where not needed, Ctrl-C in a
//! prompt cancels the prompt. Drives the real reducer and writes real files in a temp folder.

mod tui_common;

use std::path::{Path, PathBuf};

use tui_common::*;
use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::load::{InputSource, SourceKind};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::tui::effect::Effect;
use us_dicomizer::tui::keymap::{Keymap, Mode};
use us_dicomizer::tui::msg::Msg;
use us_dicomizer::tui::session::store::{self, Paths};
use us_dicomizer::tui::session::{Session, Snapshot};
use us_dicomizer::tui::state::AppState;
use us_dicomizer::tui::update;

fn src(path: &str) -> InputSource {
    InputSource {
        kind: SourceKind::File(PathBuf::from(path)),
        size: 1000,
    }
}

/// What the runner does at start (minus the terminal): session and records from disk.
fn start(paths: &Paths, fresh: bool) -> AppState {
    let mut s = AppState::new(Settings::defaults(), Keymap::defaults());
    if !fresh {
        let restore = store::load_session(&paths.session);
        let records = store::load_records(&paths.files);
        s.session.had_saved = restore.is_some() || !records.is_empty();
        s.session.records = records.into_iter().collect();
        s.restore = restore;
    }
    s
}

/// Gathers `files` (path, identity) and loads them as the workers would: identity, then info.
fn open(s: &mut AppState, files: &[(&str, &str)]) -> Vec<Effect> {
    let mut fx = update::on_msg(
        s,
        Msg::Gathered {
            sources: files.iter().map(|f| src(f.0)).collect(),
            skipped: vec![],
        },
    );
    for (path, identity) in files {
        let id = s
            .files
            .iter()
            .find(|f| f.key == *path)
            .map(|f| f.id)
            .unwrap();
        fx.extend(update::on_msg(
            s,
            Msg::Identified {
                file: id,
                identity: identity.to_string(),
            },
        ));
        fx.extend(update::on_msg(
            s,
            Msg::Loaded {
                file: id,
                result: Ok(Box::new(info(640, 480, 1))),
            },
        ));
    }
    fx
}

/// Performs the save effects as the session writer does (coalesced, newest last).
fn write(paths: &Paths, fx: &[Effect]) {
    let mut pending: Option<Snapshot> = None;
    for e in fx {
        if let Effect::SaveSession(snap) = e {
            let mut snap = (**snap).clone();
            if let Some(older) = pending.take() {
                snap.absorb(older);
            }
            pending = Some(snap);
        }
    }
    if let Some(p) = pending {
        store::save(paths, &p).unwrap();
    }
}

fn crop_of(s: &AppState, key: &str) -> Option<(CropRect, CropSource)> {
    s.files.iter().find(|f| f.key == key).unwrap().crop
}

fn tags_of(s: &AppState, key: &str) -> Vec<(String, String)> {
    let f = s.files.iter().find(|f| f.key == key).unwrap();
    f.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

const EXAM: &[(&str, &str)] = &[
    ("/exam/DOE^JOHN/a.dcm", "id-a"),
    ("/exam/DOE^JOHN/b.dcm", "id-b"),
    ("/exam/DOE^JOHN/c.dcm", "id-c"),
];

/// Crops and tags a.dcm and c.dcm, leaves the cursor on c.dcm, quits; returns the paths.
fn first_session(data: &Path) -> Paths {
    let paths = store::paths(data, &[PathBuf::from("/exam/DOE^JOHN")]);
    let mut s = start(&paths, false);
    let mut fx = open(&mut s, EXAM);
    fx.extend(keys(
        &mut s,
        "c l enter t 1 2 1 esc j c l l enter t 2 1 1 esc",
    ));
    write(&paths, &fx);
    paths
}

#[test]
fn work_comes_back_by_content_whatever_the_inputs_and_paths() {
    let d = tempfile::tempdir().unwrap();
    let paths = first_session(d.path());

    // Same set of inputs: crops, tags and the cursor come back.
    let mut s = start(&paths, false);
    open(&mut s, EXAM);
    assert_eq!(
        crop_of(&s, "/exam/DOE^JOHN/a.dcm"),
        Some((CropRect::new(1, 0, 640, 480), CropSource::User))
    );
    assert_eq!(
        crop_of(&s, "/exam/DOE^JOHN/c.dcm"),
        Some((CropRect::new(2, 0, 640, 480), CropSource::User))
    );
    assert_eq!(crop_of(&s, "/exam/DOE^JOHN/b.dcm"), None);
    assert_eq!(s.cursor, 2, "cursor restored on c.dcm");
    let notice = s.notice.clone().unwrap().1;
    assert!(
        notice.contains("3 file(s) listed, 0 invalid; restored 2 crops, 6 tags"),
        "{notice}"
    );

    // Another set (one file added) and other paths (a copy elsewhere): same content, same work.
    let other = store::paths(d.path(), &[PathBuf::from("/copy")]);
    let mut s2 = start(&other, false);
    open(
        &mut s2,
        &[
            ("/copy/first.dcm", "id-a"),
            ("/copy/new.dcm", "id-new"),
            ("/copy/third.dcm", "id-c"),
        ],
    );
    assert_eq!(
        crop_of(&s2, "/copy/first.dcm"),
        Some((CropRect::new(1, 0, 640, 480), CropSource::User))
    );
    assert_eq!(
        tags_of(&s2, "/copy/first.dcm"),
        tags_of(&s, "/exam/DOE^JOHN/a.dcm")
    );
    assert_eq!(
        tags_of(&s2, "/copy/third.dcm"),
        tags_of(&s, "/exam/DOE^JOHN/c.dcm")
    );
    assert!(tags_of(&s2, "/copy/new.dcm").is_empty());
    let notice = s2.notice.clone().unwrap().1;
    assert!(notice.contains("restored 2 crops, 6 tags"), "{notice}");

    // A changed file (other content under the same name) does not get the old work.
    let mut s3 = start(&paths, false);
    open(
        &mut s3,
        &[
            ("/exam/DOE^JOHN/a.dcm", "id-a-edited"),
            ("/exam/DOE^JOHN/b.dcm", "id-b"),
            ("/exam/DOE^JOHN/c.dcm", "id-c"),
        ],
    );
    assert_eq!(crop_of(&s3, "/exam/DOE^JOHN/a.dcm"), None);
}

#[test]
fn work_in_another_window_on_other_inputs_is_merged_not_replaced() {
    let d = tempfile::tempdir().unwrap();
    let paths = first_session(d.path());
    // A second set holding only b.dcm (by another path) tags it; a.dcm and c.dcm keep theirs.
    let other = store::paths(d.path(), &[PathBuf::from("/elsewhere")]);
    let mut s = start(&other, false);
    let mut fx = open(&mut s, &[("/elsewhere/b.dcm", "id-b")]);
    fx.extend(keys(&mut s, "t 3 3 1"));
    write(&other, &fx);
    let mut s2 = start(&paths, false);
    open(&mut s2, EXAM);
    assert!(crop_of(&s2, "/exam/DOE^JOHN/a.dcm").is_some());
    assert!(crop_of(&s2, "/exam/DOE^JOHN/c.dcm").is_some());
    assert_eq!(
        tags_of(&s2, "/exam/DOE^JOHN/b.dcm"),
        tags_of(&s, "/elsewhere/b.dcm")
    );
}

#[test]
fn fresh_keeps_the_saved_session_and_a_normal_start_restores_it() {
    let d = tempfile::tempdir().unwrap();
    let paths = first_session(d.path());
    let before = std::fs::read(&paths.files).unwrap();
    let set_before = std::fs::read(&paths.session).unwrap();

    // --fresh: the set's session is kept aside under a new name, the store copied.
    let kept = store::set_aside(&paths).unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), set_before);
    assert_eq!(std::fs::read(&kept[1]).unwrap(), before);
    assert!(kept[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .contains("before-fresh"));
    let mut s = start(&paths, true);
    let mut fx = open(&mut s, EXAM);
    assert!(
        crop_of(&s, "/exam/DOE^JOHN/a.dcm").is_none(),
        "fresh shows nothing"
    );
    // Crop b.dcm in the fresh window; the others are left alone.
    fx.extend(keys(&mut s, "j c l l l enter"));
    write(&paths, &fx);

    // A normal start: the work of before on files not touched since, the new crop on b.dcm.
    let mut s2 = start(&paths, false);
    open(&mut s2, EXAM);
    assert_eq!(
        crop_of(&s2, "/exam/DOE^JOHN/a.dcm"),
        Some((CropRect::new(1, 0, 640, 480), CropSource::User))
    );
    assert_eq!(tags_of(&s2, "/exam/DOE^JOHN/a.dcm").len(), 3);
    assert!(crop_of(&s2, "/exam/DOE^JOHN/c.dcm").is_some());
    assert_eq!(
        crop_of(&s2, "/exam/DOE^JOHN/b.dcm"),
        Some((CropRect::new(3, 0, 640, 480), CropSource::User))
    );
}

#[test]
fn a_second_window_on_the_same_inputs_is_refused_until_the_first_closes() {
    let d = tempfile::tempdir().unwrap();
    let paths = store::paths(d.path(), &[PathBuf::from("/exam")]);
    let first = store::lock_inputs(&paths).unwrap();
    let err = store::lock_inputs(&paths).unwrap_err();
    assert!(
        err.contains("already open in another us-dicomizer window"),
        "{err}"
    );
    assert!(
        err.contains(&format!("process {}", std::process::id())),
        "{err}"
    );
    let other = store::paths(d.path(), &[PathBuf::from("/other")]);
    let _unrelated = store::lock_inputs(&other).expect("other inputs are not locked");
    assert!(first.is_some() && _unrelated.is_some());
    drop(first);
    store::lock_inputs(&paths).expect("free again once the first window is gone");
}

#[cfg(unix)]
#[test]
fn session_files_are_private_and_hold_no_paths_or_names() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    // An older version left the folder world-readable.
    std::fs::create_dir_all(d.path().join("sessions")).unwrap();
    std::fs::set_permissions(
        d.path().join("sessions"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let paths = first_session(d.path());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&paths.dir), 0o700);
    assert_eq!(mode(&paths.session), 0o600);
    assert_eq!(mode(&paths.files), 0o600);
    for p in [&paths.session, &paths.files] {
        let text = std::fs::read_to_string(p).unwrap();
        for leak in ["DOE", "JOHN", "/exam", "a.dcm", "c.dcm"] {
            assert!(!text.contains(leak), "{} holds {leak}: {text}", p.display());
        }
    }
}

#[test]
fn a_version_1_session_by_path_is_restored_and_rewritten_without_paths() {
    let d = tempfile::tempdir().unwrap();
    let paths = store::paths(d.path(), &[PathBuf::from("/exam/DOE^JOHN")]);
    std::fs::create_dir_all(&paths.dir).unwrap();
    let v1 = r#"{"version":1,"extra_inputs":[],
      "order":["/exam/DOE^JOHN/c.dcm","/exam/DOE^JOHN/a.dcm","/exam/DOE^JOHN/b.dcm"],
      "removed":[],
      "files":{"/exam/DOE^JOHN/c.dcm":{"crop":[5,6,600,400],"crop_source":"user",
               "tags":{"side":"R"},"marked":true}},
      "pseudonym":"P7","destination":"/out/x.zip"}"#;
    std::fs::write(&paths.session, v1).unwrap();
    let mut s = start(&paths, false);
    let fx = open(&mut s, EXAM);
    assert_eq!(names(&s), ["c.dcm", "a.dcm", "b.dcm"]);
    assert_eq!(
        s.files[0].crop,
        Some((CropRect::new(5, 6, 600, 400), CropSource::User))
    );
    assert!(s.files[0].marked);
    write(&paths, &fx);
    let text = std::fs::read_to_string(&paths.session).unwrap();
    assert!(!text.contains("DOE"), "{text}");
    let mut s2 = start(&paths, false);
    open(&mut s2, EXAM);
    assert_eq!(
        s2.files[0].crop,
        Some((CropRect::new(5, 6, 600, 400), CropSource::User)),
        "now kept by content identity"
    );
    assert_eq!(names(&s2), ["c.dcm", "a.dcm", "b.dcm"]);
}

#[test]
fn snapshots_hold_only_changed_files() {
    let d = tempfile::tempdir().unwrap();
    let paths = first_session(d.path());
    let mut s = start(&paths, false);
    open(&mut s, EXAM);
    let snap = Session::snapshot(&mut s);
    assert!(
        snap.records.is_empty(),
        "restored, unchanged: nothing to write"
    );
    let fx = keys(&mut s, "g g t 3");
    let written: Vec<&String> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::SaveSession(snap) => Some(snap.records.keys()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(written, ["id-a"], "only the changed file is written");
}

#[test]
fn ctrl_c_in_a_prompt_or_question_cancels_it_not_the_program() {
    let mut s = state_with(&[("a.dcm", 640, 480, 1)]);
    keys(&mut s, "c l enter t 1 1 1 e");
    assert_eq!(s.mode, Mode::Prompt);
    keys(&mut s, "ctrl-c");
    assert!(
        s.quit.is_none(),
        "ctrl-c in the pseudonym prompt quit the program"
    );
    assert!(s.prompt.is_none());
    assert_eq!(s.mode, Mode::Files);
    keys(&mut s, "c i");
    assert_eq!(s.mode, Mode::CropInput);
    keys(&mut s, "ctrl-c");
    assert!(s.quit.is_none(), "ctrl-c in a crop field quit the program");
    keys(&mut s, "esc e");
    type_text(&mut s, "P01");
    keys(&mut s, "enter ctrl-u");
    type_text(&mut s, "/nonexistent-dir/o.zip");
    keys(&mut s, "enter");
    assert_eq!(s.mode, Mode::Confirm);
    keys(&mut s, "ctrl-c");
    assert!(
        s.quit.is_none(),
        "ctrl-c in the export question quit the program"
    );
    assert_eq!(s.mode, Mode::Files);
    keys(&mut s, "ctrl-c");
    assert_eq!(s.quit, Some(0), "outside prompts ctrl-c still quits");
}

#[test]
fn annotations_come_back_by_content_and_old_files_json_still_reads() {
    let d = tempfile::tempdir().unwrap();
    let paths = store::paths(d.path(), &[PathBuf::from("/exam/DOE^JOHN")]);
    let mut s = start(&paths, false);
    let mut fx = open(&mut s, EXAM);
    // b.dcm: status, grade 4, one triangle; a and c untouched.
    fx.extend(keys(&mut s, "j a s 4 space L space J space enter esc"));
    write(&paths, &fx);
    let drawn = s.files[1].annotations.clone();
    assert_eq!(drawn.polygon_count(), 1);
    assert_eq!(drawn.status.as_deref(), Some("DVT"));

    // Another set of inputs, other paths, same content: the annotations come back.
    let other = store::paths(d.path(), &[PathBuf::from("/copy")]);
    let mut s2 = start(&other, false);
    open(&mut s2, &[("/copy/x.dcm", "id-b"), ("/copy/y.dcm", "id-a")]);
    assert_eq!(s2.files[0].annotations, drawn);
    assert!(s2.files[1].annotations.is_empty());
    let notice = s2.notice.clone().unwrap().1;
    assert!(notice.contains("1 annotated file(s)"), "{notice}");
    // The store holds no path or name, annotations included.
    let text = std::fs::read_to_string(&paths.files).unwrap();
    assert!(text.contains("\"annotations\""), "{text}");
    assert!(!text.contains("DOE") && !text.contains("b.dcm"), "{text}");

    // A files.json written before annotations existed still reads (the field is optional).
    let old = r#"{"version": 2, "files": {"id-z": {"crop": [1, 2, 30, 40], "crop_source": "user", "tags": {"side": "L"}}}}"#;
    let old_paths = store::paths(d.path(), &[PathBuf::from("/old")]);
    std::fs::write(&old_paths.files, old).unwrap();
    let mut s3 = start(&old_paths, false);
    open(&mut s3, &[("/old/z.dcm", "id-z")]);
    assert!(s3.files[0].crop.is_some(), "the old record applies");
    assert!(s3.files[0].annotations.is_empty());
}

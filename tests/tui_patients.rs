//! The TUI export dialog counts the patients of the selected files and applies batch's rule:
//! one literal pseudonym over several patients is refused; `auto` is the default.

mod tui_common;

use tui_common::*;
use us_dicomizer::core::patients::PatientKey;
use us_dicomizer::tui::keymap::Mode;
use us_dicomizer::tui::state::{ConfirmKind, LoadState};

const TWO: &[(&str, u32, u32, u32)] = &[("a.dcm", 64, 48, 1), ("b.dcm", 64, 48, 1)];

fn two_patients() -> us_dicomizer::tui::state::AppState {
    let mut s = state_with(TWO);
    for (i, id) in ["MRN-1", "MRN-2"].iter().enumerate() {
        if let LoadState::Loaded(info) = &mut s.files[i].load {
            info.patient = PatientKey::new(id, "", "", "");
        }
    }
    // each file: a crop and its tags (the tag menu moves on to the next file, esc closes it)
    keys(&mut s, "g g c l enter t 1 1 1 esc G c l enter t 1 1 1 esc");
    assert_eq!(s.counts().ready, 2, "{:?}", s.counts());
    s
}

fn export_as(s: &mut us_dicomizer::tui::state::AppState, pseudonym: &str) -> String {
    keys(s, "e");
    assert_eq!(s.mode, Mode::Prompt);
    keys(s, "ctrl-u");
    type_text(s, pseudonym);
    keys(s, "enter");
    keys(s, "ctrl-u");
    type_text(s, "/nonexistent-dir/out.zip");
    keys(s, "enter");
    assert_eq!(s.mode, Mode::Confirm);
    s.confirm.as_ref().unwrap().lines.join("\n")
}

#[test]
fn literal_pseudonym_over_two_patients_is_refused_auto_is_offered() {
    let mut s = two_patients();
    // the first prompt offers the settings default: one pseudonym per patient
    keys(&mut s, "e");
    let p = s.prompt.as_ref().unwrap();
    assert!(p.text.is_empty(), "{:?}", p.text);
    let info = p.info.join("\n");
    assert!(info.contains("empty: `auto`"), "{info}");
    assert!(info.contains("one keyed pseudonym per patient"), "{info}");
    keys(&mut s, "esc");
    let text = export_as(&mut s, "ANON");
    assert!(text.contains("2 different patients"), "{text}");
    assert!(
        matches!(s.confirm.as_ref().unwrap().kind, ConfirmKind::Nothing),
        "a literal over two patients must not be confirmable"
    );
    keys(&mut s, "esc");
    let text = export_as(&mut s, "auto");
    assert!(text.contains("(2 patient(s))"), "{text}");
    assert!(text.contains("one keyed pseudonym per patient"), "{text}");
    assert!(matches!(
        s.confirm.as_ref().unwrap().kind,
        ConfirmKind::Export { .. }
    ));
}

#[test]
fn literal_pseudonym_over_one_patient_is_fine() {
    let mut s = two_patients();
    if let LoadState::Loaded(info) = &mut s.files[1].load {
        info.patient = PatientKey::new("MRN-1", "", "", "");
    }
    let text = export_as(&mut s, "P01");
    assert!(text.contains("(1 patient(s))"), "{text}");
    assert!(matches!(
        s.confirm.as_ref().unwrap().kind,
        ConfirmKind::Export { .. }
    ));
}

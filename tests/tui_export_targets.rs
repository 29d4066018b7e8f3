//! The UI's export confirmation names every file it will replace (archive and mapping), and
//! only then asks the export to replace them.

mod tui_common;

use tui_common::*;
use us_dicomizer::tui::effect::Effect;
use us_dicomizer::tui::keymap::Mode;

fn confirm_for(out: &std::path::Path, write_mapping: bool) -> (String, bool) {
    let mut s = state_with(&[("a.dcm", 640, 480, 1)]);
    s.settings.output.write_mapping = write_mapping;
    keys(&mut s, "c l enter t 1 1 1 e");
    type_text(&mut s, "P01");
    keys(&mut s, "enter ctrl-u");
    type_text(&mut s, out.to_str().unwrap());
    keys(&mut s, "enter");
    assert_eq!(s.mode, Mode::Confirm);
    let text = s.confirm.clone().unwrap().lines.join("\n");
    let fx = keys(&mut s, "y");
    let force = fx
        .iter()
        .find_map(|e| match e {
            Effect::StartExport { force, .. } => Some(*force),
            _ => None,
        })
        .expect("export started");
    (text, force)
}

#[test]
fn an_existing_mapping_file_is_named_before_it_is_replaced() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("x.zip");
    // nothing there: nothing to replace
    let (text, force) = confirm_for(&out, true);
    assert!(!text.contains("will be replaced"), "{text}");
    assert!(!force);
    // only the mapping exists: the dialog says so, and only then is it replaced
    std::fs::write(d.path().join("x.zip.mapping.json"), b"[]").unwrap();
    let (text, force) = confirm_for(&out, true);
    assert!(
        text.contains("x.zip.mapping.json exists and will be replaced"),
        "{text}"
    );
    assert!(force);
    // without a mapping to write, an old mapping is no concern
    let (text, force) = confirm_for(&out, false);
    assert!(!text.contains("will be replaced"), "{text}");
    assert!(!force);
}

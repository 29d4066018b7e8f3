//! Keymap parsing, merging (key by key, "noop" unbinds), chords and error lines.

use us_dicomizer::tui::action::Action;
use us_dicomizer::tui::keymap::{
    load_keymap, parse_seq, Key, KeyCode, Keymap, Mode, Resolved, DEFAULT_KEYMAP,
};

fn layers(user: &str) -> Result<Keymap, us_dicomizer::tui::KeymapError> {
    Keymap::from_layers(&[
        ("default".into(), DEFAULT_KEYMAP.into()),
        ("mine.toml".into(), user.into()),
    ])
}

#[test]
fn default_parses_and_has_the_documented_keys() {
    let km = Keymap::defaults();
    let r = |m, s: &str| km.resolve(m, &parse_seq(s).unwrap());
    assert_eq!(r(Mode::Files, "j"), Resolved::Action(Action::Down));
    assert_eq!(r(Mode::Files, "g"), Resolved::Pending);
    assert_eq!(r(Mode::Files, "g g"), Resolved::Action(Action::Top));
    assert_eq!(r(Mode::Files, "G"), Resolved::Action(Action::Bottom));
    assert_eq!(r(Mode::Files, "]"), Resolved::Action(Action::NextFrame));
    assert_eq!(r(Mode::Files, "["), Resolved::Action(Action::PrevFrame));
    assert_eq!(r(Mode::Files, "c"), Resolved::Action(Action::CropMode));
    assert_eq!(r(Mode::Files, "t"), Resolved::Action(Action::TagMenu));
    assert_eq!(r(Mode::Files, "e"), Resolved::Action(Action::Export));
    assert_eq!(r(Mode::Files, "?"), Resolved::Action(Action::Help));
    assert_eq!(r(Mode::Files, "q"), Resolved::Action(Action::Quit));
    assert_eq!(r(Mode::Files, "esc"), Resolved::Action(Action::Back));
    assert_eq!(
        r(Mode::Files, "ctrl-d"),
        Resolved::Action(Action::HalfPageDown)
    );
    assert_eq!(r(Mode::Crop, "H"), Resolved::Action(Action::CropLeftBig));
    assert_eq!(r(Mode::Crop, "tab"), Resolved::Action(Action::CropNextEdge));
    // Text fields take characters, not global keys; ctrl keys still work, but ctrl-c cancels
    // the prompt or question instead of quitting.
    assert_eq!(r(Mode::Prompt, "q"), Resolved::Unbound);
    assert_eq!(r(Mode::Prompt, "ctrl-l"), Resolved::Action(Action::Redraw));
    assert_eq!(r(Mode::Prompt, "ctrl-c"), Resolved::Action(Action::Back));
    assert_eq!(
        r(Mode::Confirm, "ctrl-c"),
        Resolved::Action(Action::ConfirmNo)
    );
}

#[test]
fn user_file_overrides_key_by_key_and_noop_unbinds() {
    let km = layers("[files]\nZ = \"quit\"\nj = \"up\"\nspace = \"noop\"\n\"g e\" = \"export\"\n")
        .unwrap();
    let r = |s: &str| km.resolve(Mode::Files, &parse_seq(s).unwrap());
    assert_eq!(r("Z"), Resolved::Action(Action::Quit));
    assert_eq!(r("j"), Resolved::Action(Action::Up));
    assert_eq!(r("k"), Resolved::Action(Action::Up), "other defaults stay");
    assert_eq!(r("space"), Resolved::Unbound);
    assert_eq!(r("g e"), Resolved::Action(Action::Export));
    assert_eq!(r("g g"), Resolved::Action(Action::Top));
}

#[test]
fn errors_name_file_and_line() {
    let e = layers("# mine\n[files]\nj = \"jump_around\"\n").unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("mine.toml", 3), "{e}");
    assert!(e.to_string().starts_with("mine.toml:3: "), "{e}");
    assert!(e.message.contains("unknown action `jump_around`"), "{e}");

    let e = layers("[files]\n\n[nonsense]\nj = \"up\"\n").unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("unknown mode"), "{e}");

    let e = layers("[files]\nctrl-banana = \"up\"\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("unknown key name"), "{e}");

    let e = layers("[files]\nj = 3\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");

    let e = layers("[files]\nj = \"up\"\nk = [\n").unwrap_err();
    assert_eq!(e.file, "mine.toml");
    assert!(e.line >= 3, "{e}");

    // `g` alone would shadow the `g g` chord.
    let e = layers("[files]\n\n\ng = \"export\"\n").unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("mine.toml", 4), "{e}");
    assert!(e.message.contains("starts the chord"), "{e}");
}

#[test]
fn key_names() {
    assert_eq!(Key::parse("G").unwrap(), Key::char('G'));
    assert_eq!(Key::parse("shift-g").unwrap(), Key::char('G'));
    assert_eq!(Key::parse("space").unwrap(), Key::char(' '));
    assert_eq!(Key::parse("-").unwrap(), Key::char('-'));
    let k = Key::parse("ctrl-d").unwrap();
    assert!(k.ctrl && k.code == KeyCode::Char('d'));
    assert_eq!(
        Key::parse("shift-tab").unwrap(),
        Key::plain(KeyCode::BackTab)
    );
    assert_eq!(Key::parse("f5").unwrap(), Key::plain(KeyCode::F(5)));
    assert!(Key::parse("hyper-x").is_err());
    for s in [
        "ctrl-d", "alt-h", "G", "space", "enter", "backtab", "f12", "?",
    ] {
        assert_eq!(Key::parse(s).unwrap().to_string(), s);
    }
}

#[test]
fn crossterm_events_normalise_shift() {
    use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers as M};
    let k = Key::from_event(&KeyEvent::new(C::Char('G'), M::SHIFT)).unwrap();
    assert_eq!(k, Key::char('G'));
    let k = Key::from_event(&KeyEvent::new(C::Tab, M::SHIFT)).unwrap();
    assert_eq!(k, Key::plain(KeyCode::BackTab));
    let k = Key::from_event(&KeyEvent::new(C::Char('d'), M::CONTROL)).unwrap();
    assert_eq!(k, Key::parse("ctrl-d").unwrap());
}

#[test]
fn load_keymap_reads_config_dir_in_name_order() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("keymaps")).unwrap();
    std::fs::write(d.path().join("keymaps/a.toml"), "[files]\nZ = \"export\"\n").unwrap();
    std::fs::write(d.path().join("keymaps/b.toml"), "[files]\nZ = \"quit\"\n").unwrap();
    std::fs::write(d.path().join("keymaps/notes.txt"), "ignored").unwrap();
    let km = load_keymap(d.path()).unwrap();
    assert_eq!(
        km.resolve(Mode::Files, &[Key::char('Z')]),
        Resolved::Action(Action::Quit)
    );
    std::fs::write(d.path().join("keymaps/c.toml"), "[crop]\nx = \"flip\"\n").unwrap();
    let e = load_keymap(d.path()).unwrap_err();
    assert!(e.file.ends_with("c.toml") && e.line == 2, "{e}");
    // No keymaps folder at all is fine.
    assert!(load_keymap(&d.path().join("nothing")).is_ok());
}

#[test]
fn every_action_name_round_trips() {
    for a in Action::ALL {
        assert_eq!(Action::from_name(a.name()), Some(*a));
        assert!(!a.description().is_empty());
    }
}

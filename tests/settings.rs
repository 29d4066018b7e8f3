//! Settings: defaults, key-by-key overrides, errors located as file:line.

use us_dicomizer::core::settings::{save_preset, CropPreset, Encoding, Settings};

fn layers(user: &str) -> Result<Settings, us_dicomizer::core::settings::ConfigError> {
    Settings::from_layers(&[
        (
            "<built-in>".into(),
            us_dicomizer::core::settings::DEFAULT_SETTINGS.into(),
        ),
        ("user.toml".into(), user.into()),
    ])
}

#[test]
fn user_file_overrides_key_by_key() {
    let s = layers("[output]\nencoding = \"jpeg\"\n").unwrap();
    assert_eq!(s.output.encoding, Encoding::Jpeg);
    assert_eq!(
        s.output.jpeg_quality,
        Settings::defaults().output.jpeg_quality
    );
    assert_eq!(s.crop.banner_rows, Settings::defaults().crop.banner_rows);
}

#[test]
fn errors_name_file_and_line() {
    let e = layers("# comment\n[output]\n\njpeg_quality = 300\n").unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("user.toml", 4), "{e}");
    let e = layers("[output]\nencodng = \"jpeg\"\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.to_string().starts_with("user.toml:2: "), "{e}");
    let e = layers("[output\n").unwrap_err();
    assert_eq!(e.line, 1);
    let e = layers("[[crop.preset]]\nname='a'\ncolumns=100\nrows=100\nsingle=[0,0,200,50]\n")
        .unwrap_err();
    assert_eq!(e.line, 5, "{e}");
}

#[test]
fn saving_a_preset_keeps_user_comments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.toml"),
        "# my notes\n[output]\njpeg_quality = 80 # keep\n",
    )
    .unwrap();
    let p = CropPreset {
        name: "probe".into(),
        manufacturer: "ACME".into(),
        model: "X".into(),
        columns: 640,
        rows: 480,
        single: [10, 20, 600, 460],
        multi: None,
    };
    save_preset(dir.path(), &p).unwrap();
    let text = std::fs::read_to_string(dir.path().join("settings.toml")).unwrap();
    assert!(
        text.contains("# my notes") && text.contains("# keep"),
        "{text}"
    );
    let s = Settings::load(Some(dir.path()), None).unwrap();
    assert_eq!(s.output.jpeg_quality, 80);
    assert_eq!(s.preset_for("acme", "x", 640, 480), Some(&p));
    assert_eq!(s.preset_for("acme", "x", 640, 481), None);
}

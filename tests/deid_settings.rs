//! The documented `[deid]`, `[deid.private]` and `[tags]` sections of `settings.toml` parse and
//! equal the defaults in code.

use serde::Deserialize;
use us_dicomizer::core::deid::DeidSettings;
use us_dicomizer::core::tags::Vocabulary;

#[derive(Deserialize)]
struct Part {
    deid: DeidSettings,
    tags: Vocabulary,
}

#[test]
fn documented_sections_match_the_defaults() {
    let text = us_dicomizer::core::settings::DEFAULT_SETTINGS;
    let p: Part = toml::from_str(text).expect("parses");
    p.deid.validate().unwrap();
    p.tags.validate().unwrap();
    assert_eq!(p.deid, DeidSettings::default());
    assert_eq!(p.tags, Vocabulary::default());
}

#[test]
fn empty_sections_give_defaults() {
    let p: Part = toml::from_str("[deid]\n[tags]\n").unwrap();
    assert_eq!(p.deid, DeidSettings::default());
    assert_eq!(p.tags, Vocabulary::default());
    let off: Part = toml::from_str("[deid]\n[tags]\nlist = []\n").unwrap();
    assert!(off.tags.is_empty());
    assert!(off.tags.check_required(&[]).is_ok());
}

// Temporary: drive the TUI until main.rs calls it. Deleted before hand-off.
use std::path::PathBuf;
use us_dicomizer::core::settings::{default_data_dir, Settings};
fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut config_dir = PathBuf::from("/tmp/tui_cfg");
    let mut protocol = None;
    let mut fresh = false;
    let mut paths = Vec::new();
    while !args.is_empty() {
        let a = args.remove(0);
        match a.as_str() {
            "--config-dir" => config_dir = PathBuf::from(args.remove(0)),
            "--protocol" => protocol = Some(args.remove(0)),
            "--fresh" => fresh = true,
            _ => paths.push(PathBuf::from(a)),
        }
    }
    let settings = match Settings::load(Some(&config_dir), None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    };
    if let Err(e) = us_dicomizer::tui::load_keymap(&config_dir) {
        eprintln!("{e}");
        std::process::exit(2)
    }
    let key = us_dicomizer::core::key::load_or_create_key(&config_dir, None).expect("key");
    let code = us_dicomizer::tui::run(us_dicomizer::tui::TuiOptions {
        paths,
        config_dir,
        data_dir: default_data_dir(),
        settings,
        protocol,
        fresh,
        key,
    })
    .expect("run");
    std::process::exit(code);
}

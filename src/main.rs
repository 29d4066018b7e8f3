//! `us-dicomizer`: the terminal UI (no command) and the headless commands.

mod cli;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use us_dicomizer::core::settings::{default_config_dir, default_data_dir, Settings};

fn main() -> ExitCode {
    us_dicomizer::tune_allocator();
    let args = Cli::parse();
    let config_dir = args
        .global
        .config_dir
        .clone()
        .unwrap_or_else(default_config_dir);
    let mut settings = match Settings::load(Some(&config_dir), args.global.settings.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", esc(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let data_dir = default_data_dir();
    let _guard = cli::logging::init(&data_dir, &settings.logging.level);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "start");
    if !matches!(args.command, Some(Command::Batch(_))) {
        us_dicomizer::core::guard::init_pool(None);
    }
    let code = match &args.command {
        Some(Command::Batch(b)) => match cli::batch::run(
            b,
            &mut settings,
            &config_dir,
            args.global.key_file.as_deref(),
        ) {
            Ok(code) => code,
            Err(f) => {
                eprintln!("error: {}", esc(&f.message));
                f.code
            }
        },
        Some(Command::Check(c)) => cli::check::run(c, &settings),
        Some(Command::Demo {
            dir,
            patients,
            studies,
            files,
            cines,
        }) => {
            let dir = dir.clone().unwrap_or_else(|| "us-dicomizer-demo".into());
            let written = match patients {
                Some(p) => us_dicomizer::core::demo_archive::write_archive(
                    &dir,
                    &us_dicomizer::core::demo_archive::ArchiveSpec {
                        patients: *p,
                        studies_per_patient: *studies,
                        files_per_study: *files,
                        cines: *cines,
                        ..Default::default()
                    },
                ),
                None => us_dicomizer::core::demo::write_exam(&dir),
            };
            match written {
                Ok(files) => {
                    println!(
                        "wrote {} demo files to {}",
                        files.len(),
                        esc(&dir.display().to_string())
                    );
                    println!("try: us-dicomizer {}", esc(&dir.display().to_string()));
                    0
                }
                Err(e) => {
                    eprintln!("error: {}", esc(&e.to_string()));
                    2
                }
            }
        }
        Some(Command::Verify(v)) => cli::verify::run(v, &settings),
        Some(Command::Merge(m)) => cli::merge::run(m),
        None => run_tui(&args, settings, config_dir, data_dir),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn run_tui(args: &Cli, settings: Settings, config_dir: PathBuf, data_dir: PathBuf) -> i32 {
    // configuration problems are reported before the screen is taken over
    if let Err(e) = us_dicomizer::tui::load_keymap(&config_dir) {
        eprintln!("{}", esc(&e.to_string()));
        return 2;
    }
    let key_file = args.global.key_file.clone().or(settings
        .deid
        .key_file
        .as_ref()
        .map(PathBuf::from));
    let key = match us_dicomizer::core::key::load_key(
        &config_dir,
        key_file.as_deref(),
        settings.deid.key_permissions,
    ) {
        Ok(k) => {
            if let Some(w) = &k.warning {
                eprintln!("warning: {}", esc(w));
            }
            k.bytes
        }
        Err(e) => {
            eprintln!("error: key: {}", esc(&e.to_string()));
            return 2;
        }
    };
    let mut paths = args.paths.clone();
    if args.demo {
        let exam = data_dir.join("demo-exam");
        if !exam.exists() {
            if let Err(e) = us_dicomizer::core::demo::write_exam(&exam) {
                eprintln!("error: demo exam: {}", esc(&e.to_string()));
                return 2;
            }
        }
        paths.push(exam);
    }
    let opts = us_dicomizer::tui::TuiOptions {
        paths,
        config_dir,
        data_dir,
        settings,
        protocol: args.protocol.clone(),
        fresh: args.fresh,
        key,
    };
    match us_dicomizer::tui::run(opts) {
        Ok(code) => code,
        Err(e) => {
            // Not eprintln!: it panics when the terminal is gone.
            let _ = writeln!(std::io::stderr(), "error: terminal: {e}");
            1
        }
    }
}

/// Every human-readable line escapes terminal control characters (file names come from outside).
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    us_dicomizer::core::display::escape(s)
}

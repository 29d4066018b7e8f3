//! `batch`: the headless export.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use clap::Args;

use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::display::escape;
use us_dicomizer::core::export::{self, CropChoice, Event, ExportItem, ExportRequest, Status};
use us_dicomizer::core::load::{self, InputSource};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::tags;

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Files, folders or .zip archives.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The ZIP to write (written under a temporary name, renamed when complete).
    #[arg(short, long, value_name = "OUT.zip")]
    pub output: PathBuf,
    /// auto (device preset, else ultrasound regions, else image content), preset, none, or X0,Y0,X1,Y1.
    #[arg(long, default_value = "auto")]
    pub crop: String,
    /// Write the per-file report as JSON.
    #[arg(long, value_name = "REPORT.json")]
    pub report: Option<PathBuf>,
    /// Worker threads for frame work (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Replace an existing output archive.
    #[arg(long)]
    pub force: bool,
    /// The pseudonym that replaces Patient Name and Patient ID (letters, digits, - and _).
    #[arg(long, default_value = "ANON")]
    pub pseudonym: String,
    /// A tag for every input, e.g. --tag position=CFV --tag side=L (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Per-input tags: CSV with header `input,<key>,...` (input = path as given, or file name).
    #[arg(long, value_name = "CSV")]
    pub tags_file: Option<PathBuf>,
    /// Export files that may carry burned-in text even when they have no crop.
    #[arg(long)]
    pub allow_uncropped: bool,
    /// Write the private mapping file (original -> new UIDs, inputs) next to the archive.
    #[arg(long)]
    pub mapping: bool,
    /// Encoding for this run: preserve or jpeg (overrides [output] encoding).
    #[arg(long, value_parser = ["preserve", "jpeg"])]
    pub encoding: Option<String>,
}

pub struct Failure {
    pub code: i32,
    pub message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

pub fn run(
    args: &BatchArgs,
    settings: &mut Settings,
    config_dir: &Path,
    key_file: Option<&Path>,
) -> Result<i32, Failure> {
    if !args
        .pseudonym
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || args.pseudonym.is_empty()
        || args.pseudonym.len() > 64
    {
        return Err(usage("--pseudonym must be 1-64 letters, digits, - or _"));
    }
    if let Some(enc) = &args.encoding {
        settings.output.encoding = if enc == "jpeg" {
            us_dicomizer::core::settings::Encoding::Jpeg
        } else {
            us_dicomizer::core::settings::Encoding::Preserve
        };
    }
    let choice = match args.crop.as_str() {
        "auto" => CropChoice::Auto,
        "preset" => CropChoice::Preset,
        "none" => CropChoice::None,
        s => CropChoice::Fixed(
            CropRect::parse(s).map_err(|e| usage(format!("--crop: {e}")))?,
            CropSource::User,
        ),
    };
    let global_tags: Vec<(String, String)> = args
        .tags
        .iter()
        .map(|t| tags::parse_tag_arg(t))
        .collect::<Result<_, _>>()
        .map_err(|e| usage(e.to_string()))?;
    for (k, v) in &global_tags {
        settings
            .tags
            .resolve(k, v)
            .map_err(|e| usage(format!("--tag {k}={v}: {e}")))?;
    }
    let rows = match &args.tags_file {
        Some(p) => tags::load_tags_csv(p).map_err(|e| usage(format!("{}: {e}", p.display())))?,
        None => Vec::new(),
    };
    for r in &rows {
        settings
            .tags
            .resolve_map(&r.tags)
            .map_err(|e| usage(format!("tags file: {e}")))?;
    }
    export::check_destination(&args.output, args.force).map_err(|e| usage(e.to_string()))?;
    if let Some(r) = &args.report {
        export::check_target(r, args.force).map_err(|e| usage(format!("--report: {e}")))?;
        let folder = r.parent().filter(|p| !p.as_os_str().is_empty());
        if folder.is_some_and(|f| !f.is_dir()) {
            return Err(usage(format!(
                "--report: folder `{}` does not exist",
                folder.unwrap_or(Path::new(".")).display()
            )));
        }
        let same = |p: &Path| std::path::absolute(p).ok() == std::path::absolute(r).ok();
        if same(&args.output) || same(&export::mapping_path(&args.output)) {
            return Err(usage(
                "--report must name another file than the archive and its mapping",
            ));
        }
    }
    let key = us_dicomizer::core::key::load_key(
        config_dir,
        key_file.or(settings.deid.key_file.as_deref().map(Path::new)),
        settings.deid.key_permissions,
    )
    .map_err(|e| usage(format!("key: {e}")))?;
    if let Some(w) = &key.warning {
        eprintln!("warning: {}", escape(w));
    }
    let key = key.bytes;
    if let Some(j) = args.jobs {
        us_dicomizer::core::guard::check_jobs(j).map_err(usage)?;
    }
    us_dicomizer::core::guard::init_pool(args.jobs);

    let gathered = load::gather(&args.paths, &settings.load);
    let mut matched = vec![false; rows.len()];
    let items: Vec<ExportItem> = gathered
        .sources
        .iter()
        .map(|src| {
            let row = rows
                .iter()
                .position(|r| row_matches(&r.input, src, &args.paths));
            if let Some(i) = row {
                matched[i] = true;
            }
            ExportItem {
                source: src.clone(),
                crop: choice.clone(),
                tags: tags::merge_tags(&global_tags, row.map(|i| &rows[i].tags)),
                index: None,
            }
        })
        .collect();
    if let Some(i) = matched.iter().position(|m| !m) {
        return Err(usage(format!(
            "tags file: row {} names an input that was not given",
            i + 1
        )));
    }
    let req = ExportRequest {
        items,
        out: args.output.clone(),
        force: args.force,
        pseudonym: args.pseudonym.clone(),
        key,
        allow_uncropped: args.allow_uncropped,
        write_mapping: args.mapping || settings.output.write_mapping,
        excluded: Vec::new(),
    };
    export::check_outputs(&req).map_err(|e| usage(e.to_string()))?;
    // the paths as given count as inputs too, even those skipped before loading (an archive
    // over the ZIP limits, say)
    let given: Vec<InputSource> = args
        .paths
        .iter()
        .filter(|p| p.is_file())
        .map(|p| InputSource {
            kind: load::SourceKind::File(p.clone()),
            size: 0,
        })
        .collect();
    let inputs = || req.items.iter().map(|i| &i.source).chain(&given);
    let mut targets = vec![(args.output.clone(), "")];
    if req.write_mapping {
        targets.push((export::mapping_path(&args.output), ""));
    }
    if let Some(r) = &args.report {
        targets.push((r.clone(), "--report: "));
    }
    for (t, what) in targets {
        export::check_not_input(&t, inputs()).map_err(|e| usage(format!("{what}{e}")))?;
    }

    let bar = progress_bar(req.items.len() as u64);
    let bar_ref = &bar;
    let lines: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let on_event = |e: Event| match e {
        Event::FileStarted { n, total } => {
            if let Some(b) = bar_ref {
                b.set_message(format!("file {n}/{total}"));
            }
        }
        Event::FileDone { report, .. } => {
            if let Some(b) = bar_ref {
                b.inc(1);
            }
            if report.status != Status::Exported {
                let line = format!(
                    "{:?}: {} ({})",
                    report.status,
                    escape(&report.input),
                    escape(report.reason.as_deref().unwrap_or_default())
                );
                match bar_ref {
                    Some(b) => b.println(line.to_lowercase_first()),
                    None => lines.lock().unwrap().push(line.to_lowercase_first()),
                }
            }
        }
        Event::Frames { n, done, total } => {
            if let Some(b) = bar_ref {
                b.set_message(format!("file {n}: frame {done}/{total}"));
            }
        }
        _ => {}
    };
    let cancel = AtomicBool::new(false);
    let result = export::run(&req, settings, &on_event, &cancel);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    for l in lines.into_inner().unwrap_or_default() {
        eprintln!("{l}");
    }
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            return Err(Failure {
                code: 1,
                message: format!("export failed, nothing written: {e}"),
            })
        }
    };
    // inputs skipped before loading (unreadable paths, zip limits) are part of the report too
    let pre: Vec<export::FileReport> = gathered
        .skipped
        .iter()
        .map(|s| {
            eprintln!("skipped: {} ({})", escape(&s.input), escape(&s.reason));
            export::FileReport::new(s.input.clone(), Status::Skipped, s.reason.clone())
        })
        .collect();
    report.summary.skipped += pre.len();
    report.summary.total += pre.len();
    report.files.splice(0..0, pre);
    if let Some(p) = &args.report {
        let json = serde_json::to_vec_pretty(&report).unwrap_or_default();
        // private (it names the inputs); replaces a file only with --force, an input never
        us_dicomizer::core::fsutil::write_private(p, &json, args.force).map_err(|e| Failure {
            code: 1,
            message: format!("cannot write report: {e}"),
        })?;
    }
    let s = &report.summary;
    if !s.removed_temporaries.is_empty() {
        eprintln!(
            "removed {} stale temporary file(s) of an interrupted export: {}",
            s.removed_temporaries.len(),
            escape(&s.removed_temporaries.join(", "))
        );
    }
    eprintln!(
        "{} exported ({} frames), {} skipped, {} failed -> {} in {:.1}s",
        s.exported,
        s.frames,
        s.skipped,
        s.failed,
        escape(&s.archive),
        s.seconds
    );
    Ok(if s.skipped + s.failed > 0 { 1 } else { 0 })
}

fn row_matches(row_input: &str, src: &InputSource, roots: &[PathBuf]) -> bool {
    let display = src.display();
    if row_input == display || row_input == src.short_name() {
        return true;
    }
    roots.iter().any(|root| {
        let prefix = format!("{}/", root.display().to_string().trim_end_matches('/'));
        display.strip_prefix(&prefix) == Some(row_input)
    })
}

fn progress_bar(len: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} files {msg} [{elapsed_precise}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}

trait LowerFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowerFirst for String {
    fn to_lowercase_first(&self) -> String {
        let mut c = self.chars();
        match c.next() {
            Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
            None => String::new(),
        }
    }
}

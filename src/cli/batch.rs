//! `batch`: the headless export.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use clap::Args;

use us_dicomizer::core::crop::{CropRect, CropSource};
use us_dicomizer::core::display::escape;
use us_dicomizer::core::export::batch_items::{import_annotations, BatchItems};
use us_dicomizer::core::export::plan;
use us_dicomizer::core::export::{self, CropChoice, Event, ExportRequest, Items, Status};
use us_dicomizer::core::load::{self, InputSource};
use us_dicomizer::core::patients::{self, PatientKey, PseudonymRule};
use us_dicomizer::core::settings::Settings;
use us_dicomizer::core::tags;

use super::report_stream::ReportStream;

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
    /// `auto` (default, from [pseudonym] default): one keyed pseudonym per original patient;
    /// or one literal pseudonym (letters, digits, - and _) for inputs that are one patient.
    #[arg(long)]
    pub pseudonym: Option<String>,
    /// A study coordinator's list: CSV with a header naming `patient_id,pseudonym`, or
    /// `patient_id,issuer,pseudonym` to match Issuer of Patient ID too; a file whose patient is
    /// not in it is refused, and so is an ambiguous list.
    #[arg(long, value_name = "CSV", conflicts_with = "pseudonym")]
    pub pseudonyms: Option<PathBuf>,
    /// The inputs are one person: allow one literal --pseudonym over several patient identities.
    #[arg(long)]
    pub same_patient: bool,
    /// Export only shard K of N (1-based): a deterministic partition by study, the same on
    /// every machine; N shards together equal one run. An existing shard archive is skipped.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
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
    let pseudonym_text = args
        .pseudonym
        .clone()
        .unwrap_or_else(|| settings.pseudonym.default.clone());
    if !us_dicomizer::core::deid::valid_pseudonym(&pseudonym_text) {
        return Err(usage(
            "--pseudonym must be `auto` or 1-64 letters, digits, - or _",
        ));
    }
    let rule = match &args.pseudonyms {
        Some(p) => PseudonymRule::Table(
            patients::load_table(p).map_err(|e| usage(format!("--pseudonyms: {e}")))?,
        ),
        None => settings.pseudonym.rule(&pseudonym_text),
    };
    let shard = match &args.shard {
        Some(s) => Some(plan::parse_shard(s).map_err(|e| usage(format!("--shard: {e}")))?),
        None => None,
    };
    if let Some((k, n)) = shard {
        if args.output.exists() && !args.force {
            return resume_check(args, k, n);
        }
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

    // the input list is kept in unnamed temporary files next to the archive (memory does not
    // grow with the number of inputs)
    let list_failed = |e: std::io::Error| Failure {
        code: 1,
        message: format!("cannot keep the input list next to the archive: {e}"),
    };
    let out_dir = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut gathered =
        load::gather_list(&args.paths, &settings.load, Some(out_dir)).map_err(list_failed)?;
    // annotation files next to the inputs (`<stem>.json`, `<stem>_darwin.json`) go with their
    // input and are not inputs themselves
    let (imported, import_notes) =
        import_annotations(&mut gathered, settings).map_err(list_failed)?;
    let mut matched = vec![false; rows.len()];
    // the tags-file row of each input (items are made later, one window at a time); empty
    // without a tags file
    let row_of: Vec<Option<u32>> = if rows.is_empty() {
        Vec::new()
    } else {
        let mut row_of = Vec::new();
        for src in gathered.sources.iter() {
            let src = src.map_err(list_failed)?;
            let row = rows
                .iter()
                .position(|r| row_matches(&r.input, &src, &args.paths));
            if let Some(i) = row {
                matched[i] = true;
            }
            row_of.push(row.map(|i| i as u32));
        }
        row_of
    };
    if let Some(i) = matched.iter().position(|m| !m) {
        return Err(usage(format!(
            "tags file: row {} names an input that was not given",
            i + 1
        )));
    }

    // The whole input set is scanned (headers only) before anything is written: patients,
    // the order that gives every file its index, and the shards.
    let scan_bar = progress_bar(gathered.sources.len() as u64, "scanning headers");
    let scan_ref = &scan_bar;
    // each header's record goes to disk as it is read, and the order is an external sort:
    // planning holds a few MB whatever the number of inputs
    let scan = plan::scan_to_disk(
        &gathered.sources,
        &settings.load,
        &|n| {
            if let Some(b) = scan_ref {
                b.inc(n as u64);
            }
        },
        Some(out_dir),
    )
    .map_err(list_failed)?;
    if let Some(b) = &scan_bar {
        b.finish_and_clear();
    }
    let n_shards = shard.map(|s| s.1).unwrap_or(1);
    // labels are read back only for ties and unreadable inputs
    let label = |i: usize| {
        gathered
            .sources
            .get(i)
            .map(|s| s.display())
            .unwrap_or_else(|e| format!("input #{} (input list unreadable: {e})", i + 1))
    };
    let the_plan = plan::plan_on_disk(scan, &label, n_shards).map_err(list_failed)?;
    check_patients(&rule, &the_plan.patients, &key, args.same_patient)?;

    let this_shard = |shard_no: usize| shard.map(|(k, _)| k == shard_no).unwrap_or(true);
    // per exported input only its number and its index in the whole input set (8 bytes, on
    // disk): the items themselves are built when the export reaches them
    let planned = the_plan.planned(shard.map(|s| s.0)).map_err(list_failed)?;
    let unreadable: Vec<export::FileReport> = the_plan
        .unreadable
        .iter()
        .filter(|u| this_shard(u.2))
        .map(|(i, reason, _)| {
            export::FileReport::new(label(*i as usize), Status::Skipped, reason.clone())
        })
        .collect();
    let n_patients = the_plan.patients.len();
    let fingerprint = the_plan.fingerprint.clone();
    drop(the_plan);
    let items = BatchItems {
        sources: &gathered.sources,
        planned,
        crop: choice,
        global_tags: &global_tags,
        rows: &rows,
        row_of,
        annotations: imported,
    };
    let req = ExportRequest {
        items: Vec::new(),
        out: args.output.clone(),
        force: args.force,
        pseudonym: rule.clone(),
        key,
        allow_uncropped: args.allow_uncropped,
        write_mapping: args.mapping || settings.output.write_mapping,
        indices: None,
        shard,
        excluded: Vec::new(),
    };
    export::check_outputs_with(&req, &items).map_err(|e| usage(e.to_string()))?;
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
    let mut targets = vec![(args.output.clone(), "")];
    if req.write_mapping {
        targets.push((export::mapping_path(&args.output), ""));
    }
    if let Some(r) = &args.report {
        targets.push((r.clone(), "--report: "));
    }
    for (t, what) in targets {
        // the inputs of this shard's items (read back from the list), then the paths as given
        let inputs = (0..items.len())
            .map(|k| items.source(k))
            .chain(given.iter().map(|g| Ok(std::borrow::Cow::Borrowed(g))));
        export::check_not_input_of(&t, inputs).map_err(|e| usage(format!("{what}{e}")))?;
    }

    // inputs skipped before loading (unreadable paths, zip limits, unreadable headers) are
    // part of the report too (each in exactly one shard)
    let mut pre: Vec<export::FileReport> = gathered
        .skipped
        .iter()
        .filter(|s| this_shard(plan::shard_of(&s.input, n_shards)))
        .map(|s| export::FileReport::new(s.input.clone(), Status::Skipped, s.reason.clone()))
        .collect();
    pre.extend(unreadable);
    // the report's file rows are streamed to its temporary as files finish (memory does not
    // grow with the number of files); it gets its final name only when the export succeeded
    let stream =
        ReportStream::start(args.report.as_deref(), &pre, import_notes).map_err(|e| Failure {
            code: 1,
            message: format!("cannot write report: {e}"),
        })?;
    let stream = Mutex::new(stream);
    let bar = progress_bar(items.len() as u64, "files");
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
            stream
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add(&report);
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
    let result = export::run_items(
        &req,
        &items,
        settings,
        &on_event,
        &cancel,
        export::Keep::Summary,
    );
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
    for r in &pre {
        eprintln!(
            "skipped: {} ({})",
            escape(&r.input),
            escape(r.reason.as_deref().unwrap_or_default())
        );
    }
    report.summary.skipped += pre.len();
    report.summary.total += pre.len();
    let stream = stream.into_inner().unwrap_or_else(|e| e.into_inner());
    let annotation_summary = stream.annotation_line();
    if let Some(p) = &args.report {
        let run = serde_json::json!({
            "pseudonym": rule.describe(),
            "patients": n_patients,
            "inputs": gathered.sources.len() + gathered.skipped.len(),
            "fingerprint": fingerprint,
            "shard": shard.map(|(k, n)| serde_json::json!({ "k": k, "n": n })),
        });
        stream
            .finish(p, &report.summary, &run, args.force)
            .map_err(|e| Failure {
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
    let shard_note = shard
        .map(|(k, n)| format!("shard {k}/{n}: "))
        .unwrap_or_default();
    if let Some(line) = annotation_summary {
        eprintln!("{shard_note}{line}");
    }
    eprintln!(
        "{shard_note}{} exported ({} frames), {} skipped, {} failed -> {} in {:.1}s ({} patient(s) in the inputs, pseudonyms: {})",
        s.exported,
        s.frames,
        s.skipped,
        s.failed,
        escape(&s.archive),
        s.seconds,
        n_patients,
        rule.describe()
    );
    Ok(if s.skipped + s.failed > 0 { 1 } else { 0 })
}

/// Refuses, before anything is written, a literal pseudonym over several patients (unless
/// `--same-patient`) and two patients that would share an automatic pseudonym.
fn check_patients(
    rule: &PseudonymRule,
    patients: &BTreeMap<PatientKey, usize>,
    key: &[u8],
    same_patient: bool,
) -> Result<(), Failure> {
    let count = patients.len();
    match rule {
        PseudonymRule::Literal(p) if count > 1 && !same_patient => Err(usage(format!(
            "the inputs hold {count} different patients (by Patient ID and issuer, or name and \
             birth date); one pseudonym `{p}` would merge them into one person. Use \
             --pseudonym auto (one keyed pseudonym per patient), --pseudonyms CSV (your own \
             list), or add --same-patient if these files really are one person. Nothing was written."
        ))),
        PseudonymRule::Auto { .. } => {
            let mut seen = std::collections::HashMap::new();
            for patient in patients.keys() {
                let p = rule.resolve(key, patient).map_err(usage)?;
                if seen.insert(p, ()).is_some() {
                    return Err(usage(
                        "two different patients would get the same automatic pseudonym (a \
                         hash collision): use --pseudonyms CSV for this archive. Nothing was written.",
                    ));
                }
            }
            Ok(())
        }
        PseudonymRule::Table(t) => {
            let mut missing = 0;
            let mut given: std::collections::HashMap<String, usize> = Default::default();
            for p in patients.keys() {
                match rule.resolve(key, p) {
                    Ok(pseudonym) => *given.entry(pseudonym).or_insert(0) += 1,
                    Err(_) => missing += 1,
                }
            }
            // two people under one pseudonym: a two-column list over one Patient ID that
            // several issuers use
            if let Some((p, n)) = given.iter().find(|(_, &n)| n > 1) {
                return Err(usage(format!(
                    "the pseudonym list gives `{p}` to {n} different patients of the inputs (one Patient ID from several issuers){}. Nothing was written.",
                    if t.has_issuer() {
                        ""
                    } else {
                        ": add an `issuer` column (patient_id,issuer,pseudonym)"
                    }
                )));
            }
            if missing > 0 {
                eprintln!(
                    "note: {missing} of {count} patient(s) are not in the pseudonym list: their files are refused"
                );
            }
            Ok(())
        }
        PseudonymRule::Literal(_) => Ok(()),
    }
}

/// A shard whose archive exists: skipped when it is this shard's finished output, so a
/// half-finished array can be resumed; anything else is refused.
fn resume_check(args: &BatchArgs, k: usize, n: usize) -> Result<i32, Failure> {
    let out = args.output.display();
    let marker = read_shard_marker(&args.output);
    if marker != Some((k, n)) {
        let what = match marker {
            Some((a, b)) => format!("holds shard {a}/{b}"),
            None => "is not a shard archive of this tool".into(),
        };
        return Err(usage(format!(
            "`{out}` already exists and {what}, not {k}/{n}: give each shard its own -o, or --force to replace it"
        )));
    }
    if let Some(r) = &args.report {
        if !r.exists() {
            return Err(usage(format!(
                "shard {k}/{n}: `{out}` exists but its report `{}` does not: pass --force to redo this shard",
                r.display()
            )));
        }
    }
    eprintln!("shard {k}/{n}: `{out}` already exists, skipped (--force redoes it)");
    Ok(0)
}

/// The `shard` recorded in an archive's manifest.json.
fn read_shard_marker(zip_path: &Path) -> Option<(usize, usize)> {
    let f = std::fs::File::open(zip_path).ok()?;
    let mut z = zip::ZipArchive::new(f).ok()?;
    let e = z.by_name("manifest.json").ok()?;
    let v: serde_json::Value = serde_json::from_reader(std::io::Read::take(e, 64 << 20)).ok()?;
    let s = v.get("shard")?;
    Some((s["k"].as_u64()? as usize, s["n"].as_u64()? as usize))
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

fn progress_bar(len: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {what} {{msg}} [{{elapsed_precise}}]"
        ))
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

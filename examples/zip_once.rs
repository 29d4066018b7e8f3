//! How often a ZIP member is unpacked when a file is opened (issue 13): prints figures, asserts
//! nothing.
//!
//!     cargo run --release --example zip_once -- [MB] [ROUNDS]
//!
//! Writes a generated native grey cine of about MB megabytes (default 40), the same bytes as a
//! stored and as a deflated member of a ZIP, and times, in this process, what opening a file in
//! the application does: `load` (parse, validate) and then the content identity (the SHA-256
//! that saved work is keyed by). A file on disk is read twice (load, then hashed); a member
//! was unpacked twice (inflate, CRC) and is now unpacked once, its digest taken on the way.
//! The best of ROUNDS (default 3) runs is printed, in milliseconds of wall time.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use us_dicomizer::core::demo::{self, Kind, Spec};
use us_dicomizer::core::identity::content_identity;
use us_dicomizer::core::load::{self, InputSource, SourceKind};
use us_dicomizer::core::settings::Settings;

fn member(archive: &Path) -> InputSource {
    let limits = Settings::defaults().load;
    let g = load::gather(&[archive.to_path_buf()], &limits);
    g.sources.into_iter().next().expect("one member")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mb: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let settings = Settings::defaults();
    let dir = tempfile::tempdir().unwrap();
    let frames = ((mb << 20) / (1024 * 768)).max(1) as u32;
    let file = dir.path().join("cine.dcm");
    demo::write_file(&file, &Spec::new(Kind::Mono, 1024, 768, frames)).unwrap();
    let size = std::fs::metadata(&file).unwrap().len();
    let mut inputs = vec![(
        "file on disk".to_string(),
        InputSource {
            kind: SourceKind::File(file.clone()),
            size,
        },
    )];
    for (label, method) in [
        ("stored ZIP member", zip::CompressionMethod::Stored),
        ("deflated ZIP member", zip::CompressionMethod::Deflated),
    ] {
        let archive = dir.path().join(format!("{}.zip", label.replace(' ', "-")));
        let mut z = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true);
        z.start_file("exam/cine.dcm", opts).unwrap();
        z.write_all(&std::fs::read(&file).unwrap()).unwrap();
        z.finish().unwrap();
        inputs.push((label.to_string(), member(&archive)));
    }
    println!(
        "input: {frames} frames of 1024x768 grey, {} MB; spill above {} MB; best of {rounds}",
        size >> 20,
        settings.load.spill_zip_member_mb
    );
    println!(
        "{:<22} {:>8} {:>10} {:>8}",
        "input", "load ms", "identity ms", "total"
    );
    for (label, src) in &inputs {
        let (mut best_load, mut best_id) = (f64::MAX, f64::MAX);
        let mut id = String::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let f = load::load(src, &settings.load).expect("loads");
            let l = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            id = content_identity(src, &f.info.sop_instance_uid, &settings.load).unwrap();
            let i = t.elapsed().as_secs_f64() * 1e3;
            drop(f);
            best_load = best_load.min(l);
            best_id = best_id.min(i);
        }
        println!(
            "{label:<22} {best_load:>8.0} {best_id:>10.0} {:>8.0}   identity {}",
            best_load + best_id,
            &id[..8]
        );
    }
}

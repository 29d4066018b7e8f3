//! Where the time of an export goes, stage by stage, on a folder of DICOM files (issue 11).
//!
//! `cargo run --release --example stages -- <folder> [x0,y0,x1,y1] [jpeg|preserve]`
//! (write the bench's exam with `BENCH_EXAM_WRITE=<dir> cargo bench --bench pipeline`).
//!
//! Each stage runs over every file of the folder before the next one starts (rayon inside as
//! in an export), so its wall and CPU time (this process's user + system) are its own. The
//! text search is the export's: the sampled frames, the boxes inside the crop masked with
//! their margins, the recheck of the output pixels. Prints a table; asserts nothing.

use std::path::PathBuf;
use std::time::Instant;

use us_dicomizer::core::crop::CropRect;
use us_dicomizer::core::export::file;
use us_dicomizer::core::load::{self, InputSource, LoadedFile, SourceKind};
use us_dicomizer::core::settings::{Encoding, Settings};
use us_dicomizer::core::text;
use us_dicomizer::core::zipwrite::{Method, Ready, ZipOut};

fn cpu() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(ru.ru_utime) + s(ru.ru_stime)
}

struct Stages(Vec<(String, f64, f64)>);

impl Stages {
    fn time<T>(&mut self, name: &str, f: impl FnOnce() -> T) -> T {
        let (c, t) = (cpu(), Instant::now());
        let r = f();
        self.0
            .push((name.to_string(), t.elapsed().as_secs_f64(), cpu() - c));
        r
    }
}

fn main() {
    us_dicomizer::tune_allocator();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: stages <folder> [x0,y0,x1,y1] [jpeg|preserve]");
        std::process::exit(2);
    };
    let crop_arg = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "80,16,1104,784".into());
    let v: Vec<u32> = crop_arg.split(',').map(|s| s.parse().unwrap()).collect();
    let crop = CropRect::new(v[0], v[1], v[2], v[3]);
    let mut settings = Settings::defaults();
    settings.output.encoding = match args.get(2).map(String::as_str) {
        Some("preserve") => Encoding::Preserve,
        _ => Encoding::Jpeg,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut st = Stages(Vec::new());
    let loaded: Vec<LoadedFile> = st.time("load + parse", || {
        paths
            .iter()
            .map(|p| {
                let source = InputSource {
                    kind: SourceKind::File(p.clone()),
                    size: std::fs::metadata(p).unwrap().len(),
                };
                load::load(&source, &settings.load).unwrap()
            })
            .collect()
    });
    let frames: Vec<_> = st.time("decode sampled frames (8-bit)", || {
        loaded
            .iter()
            .map(|l| text::read_frames(&l.obj, &l.info).unwrap())
            .collect()
    });
    let imgs: Vec<_> = st.time("text: luma and overlay colour", || {
        frames.iter().map(|f| text::images(f)).collect()
    });
    let searches: Vec<_> = st.time("text search", || {
        imgs.iter()
            .map(|i| text::Search::new(i))
            .collect::<Vec<_>>()
    });
    let boxes: Vec<Vec<text::TextBox>> = searches.iter().map(|s| s.boxes().to_vec()).collect();
    let masks: Vec<Vec<CropRect>> = loaded
        .iter()
        .zip(&boxes)
        .map(|(l, b): (&LoadedFile, &Vec<text::TextBox>)| {
            text::inside(b, &crop)
                .iter()
                .map(|b| b.with_margin(l.info.columns, l.info.rows))
                .collect()
        })
        .collect();
    st.time("text recheck on the output", || {
        for (s, m) in searches.iter().zip(&masks) {
            s.recheck(m, &crop);
        }
    });
    let prepared: Vec<_> = st.time("prepare (decode, crop, encode if jpeg)", || {
        loaded
            .into_iter()
            .zip(&masks)
            .map(|(l, m)| file::prepare(l, crop, m, &[], &settings, &|_, _| {}).unwrap())
            .collect()
    });
    // as the export's workers do: the file serialised into memory reserved at once, its CRC
    let ready: Vec<Ready> = st.time("serialise + CRC (native frames decoded here)", || {
        prepared
            .into_iter()
            .map(|p| {
                let mut b = Vec::with_capacity(p.size_hint());
                file::write(p, &mut b, &|_, _| {}).unwrap();
                Ready::new(b, Method::Stored).unwrap()
            })
            .collect()
    });
    let tmp = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    // the export's writer: local headers, data, the directory from its spill file, one fsync
    st.time("write the ZIP + one fsync", || {
        let f = std::fs::File::create(tmp.path().join("out.zip")).unwrap();
        let mut z = ZipOut::new(f, tempfile::tempfile_in(tmp.path()).unwrap());
        for (i, r) in ready.iter().enumerate() {
            z.add(&format!("{i:04}.dcm"), r).unwrap();
        }
        z.finish().unwrap().sync_all().unwrap();
    });
    let found: usize = masks.iter().map(Vec::len).sum();
    println!(
        "{} files, {} boxes masked inside the crop, {} threads, load {}",
        paths.len(),
        found,
        rayon::current_num_threads(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or("?")
    );
    println!("| stage | wall ms | CPU ms |");
    println!("|---|---:|---:|");
    for (n, w, c) in &st.0 {
        println!("| {n} | {:.0} | {:.0} |", w * 1e3, c * 1e3);
    }
}

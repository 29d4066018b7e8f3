//! Seeds for the `fuzz/` targets, generated (no corpus file is kept in the repository):
//!
//!     cargo run --release --example fuzz_seeds -- [DIR]      (default fuzz/corpus/seeds)
//!
//! Writes small demo files of every kind (grey, RGB, YBR 4:2:2, JPEG Baseline), each also
//! relabelled with every transfer syntax the loader knows (so encapsulated data meets the RLE,
//! JPEG-LS, JPEG 2000 and deflate readers), and 200 seeded mutations of them
//! (`tests/mutate`). Both targets start from this folder; libFuzzer grows its own corpus
//! next to it.

#[path = "../tests/mutate/mod.rs"]
mod mutate;

use us_dicomizer::core::demo::{self, Kind, Spec};

const SYNTAXES: [&str; 10] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.1.99",
];

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("fuzz/corpus/seeds"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<Vec<u8>> = Vec::new();
    for kind in [
        Kind::Mono,
        Kind::Rgb,
        Kind::Ybr422Native,
        Kind::JpegBaseline,
    ] {
        for (w, h, frames) in [(16, 8, 1), (40, 24, 2)] {
            let obj = demo::build(&Spec::new(kind, w, h, frames)).unwrap();
            let mut bytes = Vec::new();
            obj.write_all(&mut bytes).unwrap();
            for ts in SYNTAXES {
                let mut b = bytes.clone();
                if mutate::retag_to(&mut b, ts) {
                    files.push(b);
                }
            }
            files.push(bytes);
        }
    }
    let bases = files.clone();
    let mut r = mutate::Rng::new(7);
    for k in 0..200 {
        let base = &bases[k % bases.len()];
        let other = &bases[r.below(bases.len())];
        files.push(mutate::mutate(&mut r, base, other).1);
    }
    for (i, b) in files.iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:04}.dcm")), b).unwrap();
    }
    println!("{} seeds in {}", files.len(), dir.display());
}

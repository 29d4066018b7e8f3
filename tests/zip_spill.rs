//! Large ZIP members are unpacked to a private temporary file and read from there (issue 13):
//! the loaded file's native pixels stay in that file (not memory), the file is 0600 and is
//! removed when the loaded file is dropped, and the pixels equal those of the same file on disk.

mod common;

use std::io::Write;
use std::path::Path;

use us_dicomizer::core::demo::{Kind, Spec};
use us_dicomizer::core::load::{self, SourceKind};
use us_dicomizer::core::pixels::decode;
use us_dicomizer::core::settings::Settings;

fn zip_of(path: &Path, members: &[(&str, &[u8], bool)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes, deflate) in members {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true);
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn a_large_member_is_read_from_a_private_temporary_file_removed_after() {
    let dir = tempfile::tempdir().unwrap();
    // 640x480 x 30 frames of native grey: 9.2 MB, above the 8 MB "leave on disk" size
    let big = common::write_fixture(dir.path(), "big.dcm", &Spec::new(Kind::Mono, 640, 480, 30));
    let small = common::write_fixture(dir.path(), "small.dcm", &Spec::new(Kind::Mono, 64, 48, 2));
    let big_bytes = std::fs::read(&big).unwrap();
    let small_bytes = std::fs::read(&small).unwrap();
    let archive = dir.path().join("in.zip");
    zip_of(
        &archive,
        &[
            ("a/stored.dcm", &big_bytes, false),
            ("b/deflated.dcm", &big_bytes, true),
            ("c/small.dcm", &small_bytes, true),
        ],
    );
    let mut limits = Settings::defaults().load;
    limits.spill_zip_member_mb = 2;
    let g = load::gather(std::slice::from_ref(&archive), &limits);
    assert_eq!(g.sources.len(), 3, "{:?}", g.skipped);
    let on_disk = load::load(&common::file_source(&big), &limits).unwrap();
    let tmp = std::env::temp_dir();
    for s in &g.sources {
        let SourceKind::ZipMember { name, .. } = &s.kind else {
            unreachable!()
        };
        let f = load::load(s, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.contains("small") {
            assert!(
                f.info.pixel_location.is_none(),
                "small members stay in memory"
            );
            continue;
        }
        let loc = f
            .info
            .pixel_location
            .clone()
            .unwrap_or_else(|| panic!("{name}: the pixels were read into memory"));
        assert!(loc.path.starts_with(&tmp), "{name}: {}", loc.path.display());
        assert_ne!(loc.path, big);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&loc.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        for i in [0u32, 17, 29] {
            let a = decode::decode_full(&f.obj, &f.info, i).unwrap();
            let b = decode::decode_full(&on_disk.obj, &on_disk.info, i).unwrap();
            assert!(a.data == b.data, "{name}: frame {i} differs");
        }
        drop(f);
        drop(loc);
        assert!(!loc_exists(&g, s), "{name}: temporary file left behind");
    }
    // the plan's header scan reads the spilled member too
    let scanned = us_dicomizer::core::export::plan::scan(&g.sources, &limits, &|_| {});
    assert!(scanned.iter().all(|r| r.is_ok()), "{scanned:?}");
}

/// No `.usd-member-` temporary of ours is left in the temporary folder for this member (the
/// name is random, so the folder is searched for files of the member's exact size).
fn loc_exists(_g: &load::Gathered, s: &load::InputSource) -> bool {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".usd-member-"))
        .any(|e| e.metadata().map(|m| m.len() == s.size).unwrap_or(false))
}

#[test]
fn the_spill_keeps_the_member_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let big = common::write_fixture(dir.path(), "big.dcm", &Spec::new(Kind::Mono, 640, 480, 8));
    let archive = dir.path().join("in.zip");
    zip_of(
        &archive,
        &[("big.dcm", &std::fs::read(&big).unwrap(), false)],
    );
    let mut limits = Settings::defaults().load;
    limits.spill_zip_member_mb = 1;
    limits.max_file_mb = 2;
    let g = load::gather(std::slice::from_ref(&archive), &limits);
    let e = load::load(&g.sources[0], &limits).err().unwrap();
    assert!(e.contains("load.max_file_mb"), "{e}");
}

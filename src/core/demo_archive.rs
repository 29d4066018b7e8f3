//! A synthetic multi-patient archive (fake identities): several patients, each with studies of
//! small single-frame files and optionally cine loops. Used by `demo --patients`, the tests,
//! the benchmark and the cluster examples. Every third patient has an issuer, every seventh has
//! no Patient ID (told apart by name and birth date).

use std::path::{Path, PathBuf};

use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;

use super::demo::{self, Kind, Spec};

#[derive(Debug, Clone)]
pub struct ArchiveSpec {
    pub patients: u32,
    pub studies_per_patient: u32,
    pub files_per_study: u32,
    /// Small single frames: columns x rows.
    pub small: (u32, u32),
    /// Cine loops in total (spread over the patients), columns x rows x frames.
    pub cines: u32,
    pub cine: (u32, u32, u32),
}

impl Default for ArchiveSpec {
    fn default() -> Self {
        ArchiveSpec {
            patients: 5,
            studies_per_patient: 2,
            files_per_study: 3,
            small: (96, 72),
            cines: 0,
            cine: (320, 240, 20),
        }
    }
}

/// The fake identity of patient `p` (ID, issuer, name, birth date).
pub fn identity(p: u32) -> (String, String, String, String) {
    let id = if p % 7 == 6 {
        String::new()
    } else {
        format!("FAKE-{p:06}")
    };
    let issuer = if p % 3 == 2 {
        "FAKE-HOSPITAL-B".into()
    } else {
        String::new()
    };
    (
        id,
        issuer,
        format!("FAKE^PATIENT^{p}"),
        format!("19{:02}0{}1{}", 40 + p % 60, 1 + p % 9, p % 10),
    )
}

fn write_one(path: &Path, spec: &Spec, p: u32, s: u32, n: u32) -> Result<(), String> {
    let mut obj = demo::build(spec)?;
    let (id, issuer, name, birth) = identity(p);
    let put = |o: &mut dicom_object::DefaultDicomObject, t, vr, v: String| {
        o.put(DataElement::new(t, vr, v));
    };
    put(&mut obj, tags::PATIENT_ID, VR::LO, id);
    put(&mut obj, tags::PATIENT_NAME, VR::PN, name);
    put(&mut obj, tags::PATIENT_BIRTH_DATE, VR::DA, birth);
    if !issuer.is_empty() {
        put(&mut obj, tags::ISSUER_OF_PATIENT_ID, VR::LO, issuer);
    }
    let study = format!("1.2.826.0.1.3680043.10.1337.9.{p}.{s}");
    put(&mut obj, tags::STUDY_INSTANCE_UID, VR::UI, study.clone());
    put(
        &mut obj,
        tags::SERIES_INSTANCE_UID,
        VR::UI,
        format!("{study}.1"),
    );
    put(&mut obj, tags::INSTANCE_NUMBER, VR::IS, n.to_string());
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).map_err(|e| e.to_string())?;
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the archive into `dir` (one folder per patient); returns the files written.
/// Refuses a folder that is not empty.
pub fn write_archive(dir: &Path, a: &ArchiveSpec) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    if std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .next()
        .is_some()
    {
        return Err(format!(
            "`{}` is not empty: pick an empty folder",
            dir.display()
        ));
    }
    let mut out = Vec::new();
    let mut instance = 0u32;
    for p in 0..a.patients {
        let pdir = dir.join(format!("patient-{p:05}"));
        std::fs::create_dir_all(&pdir).map_err(|e| e.to_string())?;
        for s in 0..a.studies_per_patient {
            for f in 0..a.files_per_study {
                instance += 1;
                let spec = Spec {
                    instance,
                    ..Spec::new(Kind::Mono, a.small.0, a.small.1, 1)
                };
                let path = pdir.join(format!("s{s}-{f:04}.dcm"));
                write_one(&path, &spec, p, s, f + 1)?;
                out.push(path);
            }
        }
    }
    for c in 0..a.cines {
        instance += 1;
        let p = c % a.patients.max(1);
        let spec = Spec {
            instance,
            regions: true,
            ..Spec::new(Kind::Mono, a.cine.0, a.cine.1, a.cine.2)
        };
        let path = dir
            .join(format!("patient-{p:05}"))
            .join(format!("cine-{c:04}.dcm"));
        write_one(&path, &spec, p, 0, 10_000 + c)?;
        out.push(path);
    }
    Ok(out)
}

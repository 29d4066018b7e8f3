//! The items of a `batch`: what is kept per input between planning and the export (8 bytes on
//! disk: its number and its index), and each export item built only when the export reaches
//! it from the input list on disk, so that the memory of a batch does not grow with the number
//! of files (apart from the archive's directory).

use std::borrow::Cow;
use std::collections::HashMap;

use super::plan::PlannedList;
use super::{CropChoice, ExportItem, Items};
use crate::core::annotation::{self, Annotations};
use crate::core::load::{self, InputSource};
use crate::core::settings::Settings;
use crate::core::tags;

/// Takes the annotation files next to the inputs out of the inputs and reads them: the
/// annotations of the remaining inputs that have any (by their number among them; nothing for
/// the others), and per input label what was imported and any problem. The list is read in
/// order (twice, and once more to leave the annotation files out when there are any); what is
/// held grows with the annotation files, not with the inputs. The error is a failure to read
/// or write the input list.
#[allow(clippy::type_complexity)]
pub fn import_annotations(
    gathered: &mut load::GatheredList,
    settings: &Settings,
) -> std::io::Result<(
    HashMap<u32, Annotations>,
    HashMap<String, annotation::export::AnnotationReport>,
)> {
    let list = &gathered.sources;
    let pairing = annotation::import::pair_sparse(|| list.iter())?;
    let mut annotations = HashMap::new();
    let mut notes = HashMap::new();
    if pairing.consumed.is_empty() {
        return Ok((annotations, notes));
    }
    let mut kept = list.writer()?;
    for (i, src) in list.iter().enumerate() {
        if pairing.consumed.contains(&i) {
            continue;
        }
        let src = src?;
        kept.push(&src)?;
        let remaining = (kept.len() - 1) as u32;
        let Some(sidecars) = pairing.sidecars.get(&i) else {
            continue;
        };
        let files: Vec<InputSource> = sidecars
            .iter()
            .map(|&j| list.get(j))
            .collect::<std::io::Result<_>>()?;
        let refs: Vec<&InputSource> = files.iter().collect();
        let imported = annotation::import::import(&refs, &settings.load, &settings.annotation);
        notes.insert(src.display(), imported.report);
        if let Some(a) = imported.annotations {
            annotations.insert(remaining, a);
        }
    }
    gathered.sources = kept.finish()?;
    Ok((annotations, notes))
}

/// One input of this shard to export: its number among the inputs and its `{index}` in the
/// whole input set (u32 each: all the memory an input costs until the export reaches it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    source: u32,
    index: u32,
}

impl Planned {
    pub fn new(source: usize, index: usize) -> Self {
        Planned {
            source: u32::try_from(source).expect("fewer than 2^32 inputs"),
            index: u32::try_from(index).expect("fewer than 2^32 inputs"),
        }
    }

    /// Its 8 bytes in a [`PlannedList`] on disk.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.source.to_le_bytes());
        b[4..].copy_from_slice(&self.index.to_le_bytes());
        b
    }

    pub fn from_bytes(b: [u8; 8]) -> Self {
        Planned {
            source: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            index: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// The items of a batch, each built only when the export reaches it (its tags merged from
/// `--tag` and the tags file, its annotations), so that the items of a whole archive are never
/// held at once.
pub struct BatchItems<'a> {
    /// Every input (on disk, read by number).
    pub sources: &'a load::SourceList,
    /// This shard's inputs to export (on disk, read by number).
    pub planned: PlannedList,
    pub crop: CropChoice,
    pub global_tags: &'a [(String, String)],
    pub rows: &'a [tags::TagsRow],
    /// Per input its tags-file row (empty without a tags file).
    pub row_of: Vec<Option<u32>>,
    /// The inputs that have annotation files next to them.
    pub annotations: HashMap<u32, Annotations>,
}

impl Items for BatchItems<'_> {
    fn len(&self) -> usize {
        self.planned.len()
    }
    fn source(&self, k: usize) -> std::io::Result<Cow<'_, InputSource>> {
        Ok(Cow::Owned(
            self.sources.get(self.planned.get(k)?.source as usize)?,
        ))
    }
    fn item(&self, k: usize) -> std::io::Result<Cow<'_, ExportItem>> {
        let p = self.planned.get(k)?;
        let i = p.source as usize;
        let row = self
            .row_of
            .get(i)
            .copied()
            .flatten()
            .map(|r| &self.rows[r as usize].tags);
        Ok(Cow::Owned(ExportItem {
            source: self.sources.get(i)?,
            crop: self.crop.clone(),
            tags: tags::merge_tags(self.global_tags, row),
            index: Some(p.index as usize),
            text: None,
            annotations: self.annotations.get(&p.source).cloned(),
        }))
    }
}

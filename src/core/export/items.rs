//! Where an export's items come from: a list held in memory (the UI, tests), or items built on
//! demand a window at a time (batch), so that the memory of an export over an archive does not
//! grow with the number of files.

use std::borrow::Cow;

use super::ExportItem;
use crate::core::load::InputSource;

/// The items of one export, in order. Only the few items of the window being processed are
/// held at once (`item` is called once per item, in order).
pub trait Items: Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The input of item `k` (its size decides whether it is processed in memory). The error
    /// is a failure to read a list kept on disk.
    fn source(&self, k: usize) -> std::io::Result<Cow<'_, InputSource>>;
    /// Item `k`, borrowed from a list or built for the moment it is processed.
    fn item(&self, k: usize) -> std::io::Result<Cow<'_, ExportItem>>;
}

impl Items for Vec<ExportItem> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn source(&self, k: usize) -> std::io::Result<Cow<'_, InputSource>> {
        Ok(Cow::Borrowed(&self[k].source))
    }
    fn item(&self, k: usize) -> std::io::Result<Cow<'_, ExportItem>> {
        Ok(Cow::Borrowed(&self[k]))
    }
}

//! The attribute tree view (`m`): its rows, folding and search.

use std::collections::BTreeSet;

use super::FileId;

/// One line of the attribute tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaRow {
    pub depth: u16,
    /// `(gggg,eeee)`, or `item n` for sequence items.
    pub tag: String,
    pub vr: String,
    pub name: String,
    pub value: String,
    pub has_children: bool,
}

#[derive(Debug, Clone, Default)]
pub struct MetaView {
    pub file: FileId,
    pub rows: Vec<MetaRow>,
    pub error: Option<String>,
    pub loading: bool,
    /// Row indices (into `rows`) of folded sequences/items.
    pub collapsed: BTreeSet<usize>,
    /// Index into `visible()`.
    pub cursor: usize,
    pub search: String,
}

impl MetaView {
    /// Row indices matching the search (tag, keyword or value, case-insensitive).
    pub fn matches(&self) -> Vec<usize> {
        let needle = self.search.to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.tag.to_lowercase().contains(&needle)
                    || r.name.to_lowercase().contains(&needle)
                    || r.value.to_lowercase().contains(&needle)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// "n of m matches" for the cursor row (0 when the cursor is not on a match).
    pub fn match_position(&self) -> (usize, usize) {
        let all = self.matches();
        let row = self.visible().get(self.cursor).copied();
        let n = row
            .and_then(|r| all.iter().position(|&x| x == r))
            .map(|p| p + 1)
            .unwrap_or(0);
        (n, all.len())
    }

    /// Indices of rows not hidden by a folded parent.
    pub fn visible(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.rows.len());
        let mut hide_below: Option<u16> = None;
        for (i, r) in self.rows.iter().enumerate() {
            if let Some(d) = hide_below {
                if r.depth > d {
                    continue;
                }
                hide_below = None;
            }
            out.push(i);
            if r.has_children && self.collapsed.contains(&i) {
                hide_below = Some(r.depth);
            }
        }
        out
    }
}

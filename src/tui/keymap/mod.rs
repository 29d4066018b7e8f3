//! Keymaps: key names, the per-mode tables, merging the embedded default with the user's files
//! key by key, and resolving key presses (with chords) into actions.
//!
//! Format (`keymaps/default.toml`): one table per mode plus `[global]`, entries
//! `KEY = "action_name"`, chords as space-separated keys (`"g g"`), `"noop"` unbinds.//!
//! `key`: key names and sequences; `locate`: finding a binding's line in its file.

mod key;
mod locate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::action::Action;
use locate::{find_key_line, find_table_line, line_of_offset};

pub use key::{parse_seq, seq_to_string, Key, KeyCode, Seq};

/// The embedded default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../../keymaps/default.toml");

/// Which table a key is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Global,
    Files,
    Crop,
    CropInput,
    Tags,
    Metadata,
    Jobs,
    Help,
    Confirm,
    Prompt,
    Annotate,
    AnnotateClass,
}

impl Mode {
    pub const ALL: &'static [Mode] = &[
        Mode::Global,
        Mode::Files,
        Mode::Crop,
        Mode::CropInput,
        Mode::Tags,
        Mode::Metadata,
        Mode::Jobs,
        Mode::Help,
        Mode::Confirm,
        Mode::Prompt,
        Mode::Annotate,
        Mode::AnnotateClass,
    ];

    /// The table name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Files => "files",
            Mode::Crop => "crop",
            Mode::CropInput => "crop_input",
            Mode::Tags => "tags",
            Mode::Metadata => "metadata",
            Mode::Jobs => "jobs",
            Mode::Help => "help",
            Mode::Confirm => "confirm",
            Mode::Prompt => "prompt",
            Mode::Annotate => "annotate",
            Mode::AnnotateClass => "annotate_class",
        }
    }

    pub fn from_name(s: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|m| m.name() == s)
    }

    /// Modes where typed characters are text: `[global]` only applies to ctrl/alt keys there.
    pub fn is_text(self) -> bool {
        matches!(self, Mode::CropInput | Mode::Prompt | Mode::Confirm)
    }
}

/// A keymap problem, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for KeymapError {}

/// Where a binding came from (for error messages about conflicts).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    file: String,
    line: usize,
}

/// The merged bindings of every mode.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    tables: BTreeMap<Mode, BTreeMap<Seq, (Action, Origin)>>,
}

/// The outcome of one key press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A complete binding.
    Action(Action),
    /// A chord prefix: wait for more keys.
    Pending,
    /// Not bound (the pending keys, if any, are dropped).
    Unbound,
}

impl Keymap {
    /// The embedded default alone.
    pub fn defaults() -> Keymap {
        Keymap::from_layers(&[(
            "<built-in keymaps/default.toml>".into(),
            DEFAULT_KEYMAP.into(),
        )])
        .expect("the embedded keymap is valid")
    }

    /// Default, then each `(file name, text)` layer overriding key by key.
    pub fn from_layers(layers: &[(String, String)]) -> Result<Keymap, KeymapError> {
        let mut km = Keymap::default();
        for (file, text) in layers {
            km.apply_layer(file, text)?;
        }
        km.check_prefixes()?;
        Ok(km)
    }

    /// Applies one file's bindings over the current ones.
    fn apply_layer(&mut self, file: &str, text: &str) -> Result<(), KeymapError> {
        let err = |line: usize, message: String| KeymapError {
            file: file.to_string(),
            line,
            message,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of_offset(text, s.start)).unwrap_or(1);
            err(line, e.message().trim().to_string())
        })?;
        for (mode_name, value) in table {
            let mode_line = find_table_line(text, &mode_name).unwrap_or(1);
            let mode = Mode::from_name(&mode_name).ok_or_else(|| {
                err(
                    mode_line,
                    format!(
                        "unknown mode table [{mode_name}]; known: {}",
                        Mode::ALL
                            .iter()
                            .map(|m| m.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            let toml::Value::Table(entries) = value else {
                return Err(err(
                    find_key_line(text, None, &mode_name).unwrap_or(1),
                    format!("`{mode_name}` must be a table"),
                ));
            };
            for (key_name, action) in entries {
                let line = find_key_line(text, Some(&mode_name), &key_name).unwrap_or(mode_line);
                let seq =
                    parse_seq(&key_name).map_err(|m| err(line, format!("[{mode_name}] {m}")))?;
                let toml::Value::String(action_name) = action else {
                    return Err(err(line, format!("[{mode_name}] `{key_name}`: the value must be an action name in quotes")));
                };
                let action = Action::from_name(&action_name).ok_or_else(|| {
                    err(line, format!("[{mode_name}] `{key_name}`: unknown action `{action_name}` (see `?` or keymaps/default.toml)"))
                })?;
                let t = self.tables.entry(mode).or_default();
                if action == Action::Noop {
                    t.remove(&seq);
                } else {
                    t.insert(
                        seq,
                        (
                            action,
                            Origin {
                                file: file.to_string(),
                                line,
                            },
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// A key that is both a binding and the start of a chord in one mode can never be reached.
    fn check_prefixes(&self) -> Result<(), KeymapError> {
        for (mode, t) in &self.tables {
            for (seq, (_, origin)) in t {
                for n in 1..seq.len() {
                    if let Some((_, o2)) = t.get(&seq[..n]) {
                        let later =
                            if (o2.file.as_str(), o2.line) > (origin.file.as_str(), origin.line) {
                                o2
                            } else {
                                origin
                            };
                        return Err(KeymapError {
                            file: later.file.clone(),
                            line: later.line,
                            message: format!(
                                "[{}] `{}` is bound and also starts the chord `{}`; unbind one with \"noop\"",
                                mode.name(),
                                seq_to_string(&seq[..n]),
                                seq_to_string(seq)
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Looks a key sequence up in `mode`, then in `[global]` (only ctrl/alt keys in text modes).
    pub fn resolve(&self, mode: Mode, seq: &[Key]) -> Resolved {
        let mut tables = vec![mode];
        let global_ok = !mode.is_text() || seq.first().map(|k| k.ctrl || k.alt).unwrap_or(false);
        if global_ok && mode != Mode::Global {
            tables.push(Mode::Global);
        }
        let mut pending = false;
        for m in &tables {
            let Some(t) = self.tables.get(m) else {
                continue;
            };
            if let Some((a, _)) = t.get(seq) {
                return Resolved::Action(*a);
            }
            if t.range(seq.to_vec()..)
                .next()
                .map(|(k, _)| k.starts_with(seq))
                .unwrap_or(false)
            {
                pending = true;
            }
        }
        if pending {
            Resolved::Pending
        } else {
            Resolved::Unbound
        }
    }

    /// Bindings that continue `prefix` in `mode` (and global), for which-key hints.
    pub fn continuations(&self, mode: Mode, prefix: &[Key]) -> Vec<(Seq, Action)> {
        let mut out = Vec::new();
        for m in [mode, Mode::Global] {
            if let Some(t) = self.tables.get(&m) {
                for (k, (a, _)) in t {
                    if k.len() > prefix.len() && k.starts_with(prefix) {
                        out.push((k[prefix.len()..].to_vec(), *a));
                    }
                }
            }
        }
        out
    }

    /// The bindings of one table, sorted by key.
    pub fn bindings(&self, mode: Mode) -> Vec<(Seq, Action)> {
        self.tables
            .get(&mode)
            .map(|t| t.iter().map(|(k, (a, _))| (k.clone(), *a)).collect())
            .unwrap_or_default()
    }

    /// The keys bound to `action` in `mode` (then global), shortest first, for hints.
    pub fn keys_for(&self, mode: Mode, action: Action) -> Vec<String> {
        let mut out: Vec<Seq> = Vec::new();
        for m in [mode, Mode::Global] {
            if let Some(t) = self.tables.get(&m) {
                out.extend(
                    t.iter()
                        .filter(|(_, (a, _))| *a == action)
                        .map(|(k, _)| k.clone()),
                );
            }
        }
        out.sort_by_key(|k| {
            (
                k.len(),
                k.iter().map(|k| k.to_string().len()).sum::<usize>(),
            )
        });
        out.iter().map(|s| seq_to_string(s)).collect()
    }

    /// Is this single key bound in `mode` (as a key or chord start)?
    pub fn is_bound(&self, mode: Mode, key: Key) -> bool {
        !matches!(self.resolve(mode, &[key]), Resolved::Unbound)
    }
}

/// Reads the default keymap and `<config_dir>/keymaps/*.toml` (in name order).
pub fn load_keymap(config_dir: &Path) -> Result<Keymap, KeymapError> {
    let mut layers = vec![(
        "<built-in keymaps/default.toml>".to_string(),
        DEFAULT_KEYMAP.to_string(),
    )];
    let dir = config_dir.join("keymaps");
    if dir.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| KeymapError {
                file: dir.display().to_string(),
                line: 0,
                message: format!("cannot read: {e}"),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().map(|x| x == "toml").unwrap_or(false))
            .collect();
        files.sort();
        for p in files {
            let text = std::fs::read_to_string(&p).map_err(|e| KeymapError {
                file: p.display().to_string(),
                line: 0,
                message: format!("cannot read: {e}"),
            })?;
            layers.push((p.display().to_string(), text));
        }
    }
    Keymap::from_layers(&layers)
}

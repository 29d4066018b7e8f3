//! Settings: the documented defaults in `settings.toml` (embedded in the binary) overridden key
//! by key by the user's copy in the config directory. Errors carry `file:line: message`.

mod locate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::core::crop::CropRect;
use crate::core::deid::DeidSettings;
use crate::core::tags::Vocabulary;

/// The default configuration, also the reference documentation of every key.
pub const DEFAULT_SETTINGS: &str = include_str!("../../../settings.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub output: OutputSettings,
    pub load: LoadSettings,
    pub crop: CropSettings,
    #[serde(default)]
    pub deid: DeidSettings,
    #[serde(default)]
    pub tags: Vocabulary,
    pub preview: PreviewSettings,
    pub logging: LoggingSettings,
    #[serde(default)]
    pub pseudonym: PseudonymSettings,
    #[serde(default)]
    pub pixels: PixelSettings,
    #[serde(default)]
    pub annotation: crate::core::annotation::AnnotationSettings,
}

/// `[pseudonym]`: how patients are named in an export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PseudonymSettings {
    /// `auto` (one keyed pseudonym per patient) or a literal for every file.
    pub default: String,
    /// Put before the base32 part of `auto` pseudonyms.
    pub prefix: String,
}

impl Default for PseudonymSettings {
    fn default() -> Self {
        PseudonymSettings {
            default: crate::core::patients::AUTO.into(),
            prefix: "P-".into(),
        }
    }
}

impl PseudonymSettings {
    /// The rule for a typed value (`auto` or a literal).
    pub fn rule(&self, text: &str) -> crate::core::patients::PseudonymRule {
        crate::core::patients::PseudonymRule::parse(text, &self.prefix)
    }
}

/// `[pixels]`: what happens to text burned into the pixels.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PixelSettings {
    pub burned_in_text: crate::core::text::policy::TextMode,
    /// Blank everything outside the scan sector/area in every frame.
    #[serde(default)]
    pub mask_outside_sector: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Keep lossless data lossless; crop JPEG Baseline in the DCT domain where possible.
    Preserve,
    /// Everything becomes JPEG Baseline at `jpeg_quality`.
    Jpeg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JpegCropMode {
    /// Move the crop origin inward to the next MCU boundary and crop without re-encoding.
    Snap,
    /// Keep the exact crop and re-encode the JPEG frames.
    Reencode,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSettings {
    pub encoding: Encoding,
    pub jpeg_quality: u8,
    pub jpeg_crop: JpegCropMode,
    pub entry_template: String,
    pub deflate_native: bool,
    pub write_mapping: bool,
    pub allow_burned_in_without_crop: bool,
    /// Folder the UI proposes for exports (`~/` allowed); empty: the user's home.
    #[serde(default)]
    pub export_dir: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSettings {
    pub max_zip_members: usize,
    pub max_zip_total_mb: u64,
    pub max_zip_ratio: u64,
    pub max_file_mb: u64,
    pub follow_symlinks: bool,
    /// The most memory one decoded frame may take; larger frames are refused at load.
    pub max_frame_mb: u64,
    /// ZIP members at least this large are unpacked to a private temporary file, not memory.
    pub spill_zip_member_mb: u64,
    /// The most files and folders one walk over the inputs visits (links multiply them).
    pub max_walk_entries: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CropSettings {
    pub banner_rows: u32,
    pub threshold: u8,
    #[serde(default)]
    pub preset: Vec<CropPreset>,
}

/// A crop box remembered for one device and image size.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CropPreset {
    pub name: String,
    #[serde(default)]
    pub manufacturer: String,
    #[serde(default)]
    pub model: String,
    pub columns: u32,
    pub rows: u32,
    pub single: [u32; 4],
    pub multi: Option<[u32; 4]>,
}

impl CropPreset {
    pub fn rect(&self, multi_frame: bool) -> CropRect {
        let b = if multi_frame {
            self.multi.unwrap_or(self.single)
        } else {
            self.single
        };
        CropRect::new(b[0], b[1], b[2], b[3])
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewSettings {
    pub protocol: String,
    pub max_fps: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingSettings {
    pub level: String,
}

/// A configuration problem located in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Settings {
    /// The embedded defaults alone.
    pub fn defaults() -> Settings {
        Self::from_layers(&[("<built-in settings.toml>".into(), DEFAULT_SETTINGS.into())])
            .expect("the embedded settings.toml is valid")
    }

    /// Defaults overridden by `<config_dir>/settings.toml` (if present) and then by `extra`.
    pub fn load(config_dir: Option<&Path>, extra: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut layers = vec![(
            "<built-in settings.toml>".to_string(),
            DEFAULT_SETTINGS.to_string(),
        )];
        let mut files: Vec<PathBuf> = Vec::new();
        if let Some(dir) = config_dir {
            let p = dir.join("settings.toml");
            if p.exists() {
                files.push(p);
            }
        }
        if let Some(p) = extra {
            files.push(p.to_path_buf());
        }
        for p in files {
            let text = std::fs::read_to_string(&p).map_err(|e| ConfigError {
                file: p.display().to_string(),
                line: 0,
                message: format!("cannot read: {e}"),
            })?;
            layers.push((p.display().to_string(), text));
        }
        Self::from_layers(&layers)
    }

    /// Merges TOML texts key by key (later wins; arrays and values are replaced whole, tables
    /// merge) and checks the result. `layers` are `(file name, text)`.
    pub fn from_layers(layers: &[(String, String)]) -> Result<Settings, ConfigError> {
        let mut merged = toml::Table::new();
        for (file, text) in layers {
            let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError {
                file: file.clone(),
                line: e
                    .span()
                    .map(|s| locate::line_of(text, s.start))
                    .unwrap_or(1),
                message: e.message().to_string(),
            })?;
            merge(&mut merged, table);
        }
        let settings: Settings = serde_path_to_error::deserialize(toml::Value::Table(merged))
            .map_err(|e| {
                let path = e.path().to_string();
                let message = format!("{}: {}", path, e.inner().message());
                blame(layers, &path, message)
            })?;
        if let Err((path, message)) = settings.check() {
            return Err(blame(layers, &path, format!("{path}: {message}")));
        }
        Ok(settings)
    }

    /// Value checks serde cannot express. Returns the key path and the message.
    fn check(&self) -> Result<(), (String, String)> {
        self.deid
            .validate()
            .map_err(|e| ("deid".to_string(), e.to_string()))?;
        self.tags
            .validate()
            .map_err(|e| ("tags".to_string(), e.to_string()))?;
        let q = self.output.jpeg_quality;
        if !(1..=100).contains(&q) {
            return Err((
                "output.jpeg_quality".into(),
                format!("must be 1..=100, got {q}"),
            ));
        }
        crate::core::patients::check_prefix(&self.pseudonym.prefix)
            .map_err(|m| ("pseudonym.prefix".to_string(), m))?;
        if !crate::core::deid::valid_pseudonym(&self.pseudonym.default) {
            return Err((
                "pseudonym.default".into(),
                "must be `auto` or 1-64 characters of A-Z, a-z, 0-9, '_' or '-'".into(),
            ));
        }
        crate::core::export::names::check_template(&self.output.entry_template)
            .map_err(|m| ("output.entry_template".to_string(), m))?;
        for (i, p) in self.crop.preset.iter().enumerate() {
            for (name, b) in [("single", Some(p.single)), ("multi", p.multi)] {
                let Some(b) = b else { continue };
                if b[0] >= b[2] || b[1] >= b[3] || b[2] > p.columns || b[3] > p.rows {
                    return Err((
                        format!("crop.preset[{i}].{name}"),
                        format!(
                            "box {:?} is empty or outside a {}x{} image (x0,y0 inclusive, x1,y1 exclusive)",
                            b, p.columns, p.rows
                        ),
                    ));
                }
            }
        }
        if !matches!(
            self.preview.protocol.as_str(),
            "auto" | "sixel" | "kitty" | "iterm2" | "halfblocks"
        ) {
            return Err((
                "preview.protocol".into(),
                "must be one of auto, sixel, kitty, iterm2, halfblocks".into(),
            ));
        }
        Ok(())
    }

    /// The preset for a device and image geometry, if any.
    pub fn preset_for(
        &self,
        manufacturer: &str,
        model: &str,
        columns: u32,
        rows: u32,
    ) -> Option<&CropPreset> {
        self.crop.preset.iter().rev().find(|p| {
            p.columns == columns
                && p.rows == rows
                && (p.manufacturer.is_empty()
                    || p.manufacturer.eq_ignore_ascii_case(manufacturer.trim()))
                && (p.model.is_empty() || p.model.eq_ignore_ascii_case(model.trim()))
        })
    }
}

/// The last layer that mentions `path` is blamed; the built-in file otherwise.
fn blame(layers: &[(String, String)], path: &str, message: String) -> ConfigError {
    for (file, text) in layers.iter().rev() {
        if let Some(line) = locate::line_of_path(text, path) {
            return ConfigError {
                file: file.clone(),
                line,
                message,
            };
        }
    }
    let (file, _) = layers.last().expect("at least the built-in layer");
    ConfigError {
        file: file.clone(),
        line: 1,
        message,
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Where user configuration lives: `--config-dir`, else `$XDG_CONFIG_HOME/us-dicomizer`, else
/// `~/.config/us-dicomizer`.
pub fn default_config_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("us-dicomizer");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".config").join("us-dicomizer");
    }
    PathBuf::from(".us-dicomizer")
}

/// Where logs and sessions live: `$XDG_DATA_HOME/us-dicomizer`, else `~/.local/share/us-dicomizer`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("us-dicomizer");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h)
            .join(".local")
            .join("share")
            .join("us-dicomizer");
    }
    PathBuf::from(".us-dicomizer")
}

/// Appends a crop preset to `<config_dir>/settings.toml`, keeping the user's comments and
/// formatting (the file is edited, not regenerated). Written atomically.
pub fn save_preset(config_dir: &Path, preset: &CropPreset) -> std::io::Result<PathBuf> {
    use toml_edit::{value, Array, ArrayOfTables, DocumentMut, Item, Table};
    std::fs::create_dir_all(config_dir)?;
    let path = config_dir.join("settings.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{e}")))?;
    let crop = doc.entry("crop").or_insert(Item::Table(Table::new()));
    let crop = crop.as_table_mut().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "[crop] is not a table")
    })?;
    crop.set_implicit(true);
    let presets = crop
        .entry("preset")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let presets = presets.as_array_of_tables_mut().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "crop.preset is not an array of tables",
        )
    })?;
    let arr = |b: [u32; 4]| {
        let mut a = Array::new();
        for v in b {
            a.push(v as i64);
        }
        value(a)
    };
    let mut t = Table::new();
    t["name"] = value(preset.name.as_str());
    t["manufacturer"] = value(preset.manufacturer.as_str());
    t["model"] = value(preset.model.as_str());
    t["columns"] = value(preset.columns as i64);
    t["rows"] = value(preset.rows as i64);
    t["single"] = arr(preset.single);
    if let Some(m) = preset.multi {
        t["multi"] = arr(m);
    }
    presets.push(t);
    crate::core::fsutil::write_atomic(&path, doc.to_string().as_bytes())?;
    Ok(path)
}

/// Settings keys as a flat map, for `settings` listings and tests.
pub fn flatten(table: &toml::Table) -> BTreeMap<String, String> {
    fn go(prefix: &str, t: &toml::Table, out: &mut BTreeMap<String, String>) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(sub) => go(&key, sub, out),
                other => {
                    out.insert(key, other.to_string());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    go("", table, &mut out);
    out
}

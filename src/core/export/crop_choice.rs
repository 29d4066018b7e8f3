//! The crop of a file for export: the user's box, the device preset, or automatic detection.

use super::CropChoice;
use crate::core::crop::{auto, CropRect, CropSource};
use crate::core::load::LoadedFile;
use crate::core::pixels::decode;
use crate::core::settings::Settings;

/// Resolves a crop choice for a loaded file.
pub fn resolve_crop(
    choice: &CropChoice,
    file: &LoadedFile,
    settings: &Settings,
) -> std::result::Result<(CropRect, CropSource), String> {
    resolve_crop_explained(choice, file, settings).map(|(r, s, _)| (r, s))
}

/// As [`resolve_crop`], also saying which rule chose an automatic crop (for the report).
pub fn resolve_crop_explained(
    choice: &CropChoice,
    file: &LoadedFile,
    settings: &Settings,
) -> std::result::Result<(CropRect, CropSource, Option<String>), String> {
    let info = &file.info;
    let preset = || {
        settings
            .preset_for(&info.manufacturer, &info.model, info.columns, info.rows)
            .map(|p| p.rect(info.is_multi_frame()))
    };
    match choice {
        CropChoice::Fixed(r, s) => Ok((*r, *s, None)),
        CropChoice::None => Ok((
            CropRect::full(info.columns, info.rows),
            CropSource::None,
            None,
        )),
        CropChoice::Preset => preset()
            .map(|r| (r, CropSource::Preset, None))
            .ok_or_else(|| {
                format!(
                    "no crop preset for this device and {}x{} images",
                    info.columns, info.rows
                )
            }),
        CropChoice::Auto => {
            if let Some(r) = preset() {
                return Ok((r, CropSource::Preset, Some("preset: device preset".into())));
            }
            auto_crop_explained(file, settings).map(|(r, s, why)| (r, s, Some(why)))
        }
    }
}

/// Regions first, else content of the middle frame.
pub fn auto_crop(file: &LoadedFile, settings: &Settings) -> Option<(CropRect, CropSource)> {
    auto_crop_explained(file, settings)
        .ok()
        .map(|(r, s, _)| (r, s))
}

/// As [`auto_crop`], with the rule that chose the crop, or what was looked for.
pub fn auto_crop_explained(
    file: &LoadedFile,
    settings: &Settings,
) -> std::result::Result<(CropRect, CropSource, String), String> {
    let info = &file.info;
    auto::detect(
        &info.regions,
        info.columns,
        info.rows,
        || {
            let f = decode::decode_full(&file.obj, info, auto::detection_frame(info.frames))?;
            let palette = crate::core::pixels::render::read_palette(&file.obj);
            Ok(crate::core::pixels::render::to_8bit(
                &f,
                palette.as_ref(),
                None,
            ))
        },
        settings.crop.banner_rows,
        settings.crop.threshold,
    )
}

//! The preview worker: decodes frames and encodes them for the terminal off the UI thread.
//! Requests go into a latest-wins slot, so holding `]` decodes only the frame you land on.
//! Also answers the (rare) metadata-tree and automatic-crop requests, since it keeps the
//! parsed files.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use image::{imageops, DynamicImage, Rgb, RgbImage};
use ratatui::layout::Size;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::protocol::halfblocks::Halfblocks;
use ratatui_image::protocol::Protocol;
use ratatui_image::Resize;

use crate::core::crop::CropRect;
use crate::core::load::{self, InputSource, LoadedFile};
use crate::core::pixels::{decode, render};
use crate::core::settings::Settings;

use super::effect::PreviewRequest;
use super::metatree;
use super::msg::Msg;
use super::state::FileId;
use super::worker::AppEvent;

/// Longest side of a decoded frame kept for the preview (SSH bandwidth and memory).
const MAX_SIDE: u32 = 1024;
const FRAME_CACHE: usize = 48;
const FILE_CACHE: usize = 2;

#[derive(Default)]
struct Jobs {
    frame: Option<PreviewRequest>,
    meta: Option<(FileId, InputSource)>,
    auto: Option<(FileId, InputSource)>,
    protocol: Option<ProtocolType>,
    closed: bool,
}

/// The request side of the preview worker.
#[derive(Clone)]
pub struct PreviewHandle {
    slot: Arc<(Mutex<Jobs>, Condvar)>,
}

impl PreviewHandle {
    pub fn request(&self, r: PreviewRequest) {
        self.with(|j| j.frame = Some(r));
    }
    pub fn metadata(&self, file: FileId, source: InputSource) {
        self.with(|j| j.meta = Some((file, source)));
    }
    pub fn auto_crop(&self, file: FileId, source: InputSource) {
        self.with(|j| j.auto = Some((file, source)));
    }
    /// Switches the protocol for the following frames.
    pub fn set_protocol(&self, p: ProtocolType) {
        self.with(|j| j.protocol = Some(p));
    }
    pub fn close(&self) {
        self.with(|j| j.closed = true);
    }
    fn with(&self, f: impl FnOnce(&mut Jobs)) {
        let (m, cv) = &*self.slot;
        if let Ok(mut j) = m.lock() {
            f(&mut j);
            cv.notify_one();
        }
    }
}

/// Starts the worker thread.
pub fn spawn(
    picker: Picker,
    settings: Settings,
    no_color: bool,
    tx: Sender<AppEvent>,
) -> PreviewHandle {
    let slot = Arc::new((Mutex::new(Jobs::default()), Condvar::new()));
    let handle = PreviewHandle { slot: slot.clone() };
    let _ = std::thread::Builder::new()
        .stack_size(crate::core::guard::WORKER_STACK)
        .name("usd-preview".into())
        .spawn(move || {
            let mut worker = Previewer::new(picker, settings);
            worker.no_color = no_color;
            loop {
                let job = {
                    let (m, cv) = &*slot;
                    let Ok(mut j) = m.lock() else { return };
                    while j.frame.is_none()
                        && j.meta.is_none()
                        && j.auto.is_none()
                        && j.protocol.is_none()
                        && !j.closed
                    {
                        j = match cv.wait(j) {
                            Ok(j) => j,
                            Err(_) => return,
                        };
                    }
                    if j.closed {
                        return;
                    }
                    if let Some(p) = j.protocol.take() {
                        worker.picker.set_protocol_type(p);
                        if j.frame.is_none() && j.meta.is_none() && j.auto.is_none() {
                            continue;
                        }
                    }
                    if let Some(a) = j.auto.take() {
                        Job::Auto(a)
                    } else if let Some(m) = j.meta.take() {
                        Job::Meta(m)
                    } else {
                        Job::Frame(j.frame.take().expect("checked"))
                    }
                };
                let ev = crate::core::guard::catch(|| worker.run(job));
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(why) => {
                        tracing::error!(%why, "preview worker: a decoder panicked");
                        continue;
                    }
                };
                if tx.send(ev).is_err() {
                    return;
                }
            }
        });
    handle
}

enum Job {
    Frame(PreviewRequest),
    Meta((FileId, InputSource)),
    Auto((FileId, InputSource)),
}

/// Decoding and encoding state (caches of parsed files and decoded frames).
pub struct Previewer {
    picker: Picker,
    settings: Settings,
    files: VecDeque<(FileId, Arc<LoadedFile>)>,
    frames: VecDeque<((FileId, u32), Arc<RgbImage>)>,
    /// NO_COLOR: frames become grey-level characters.
    pub no_color: bool,
}

impl Previewer {
    pub fn new(picker: Picker, settings: Settings) -> Previewer {
        Previewer {
            picker,
            settings,
            files: VecDeque::new(),
            frames: VecDeque::new(),
            no_color: false,
        }
    }

    fn run(&mut self, job: Job) -> AppEvent {
        match job {
            Job::Frame(r) => {
                let started = Instant::now();
                let (protocol, text, result) = if self.no_color {
                    match self.frame_text(&r) {
                        Ok(t) => (None, Some(t), Ok(())),
                        Err(e) => (None, None, Err(e)),
                    }
                } else {
                    match self.frame_protocol(&r) {
                        Ok(p) => (Some(p), None, Ok(())),
                        Err(e) => (None, None, Err(e)),
                    }
                };
                let ms = started.elapsed().as_millis() as u64;
                tracing::debug!(file = r.file, frame = r.frame, ms, "preview frame");
                AppEvent::Preview {
                    protocol,
                    text,
                    msg: Msg::PreviewDone {
                        id: r.id,
                        file: r.file,
                        frame: r.frame,
                        result,
                        ms,
                    },
                }
            }
            Job::Meta((file, source)) => {
                let result = self.loaded(file, &source).map(|f| metatree::build(&f.obj));
                AppEvent::Msg(Msg::Metadata { file, result })
            }
            Job::Auto((file, source)) => {
                let result = self
                    .loaded(file, &source)
                    .and_then(|f| crate::core::export::auto_crop_explained(&f, &self.settings));
                AppEvent::Msg(Msg::AutoCrop { file, result })
            }
        }
    }

    /// The parsed file (cached).
    fn loaded(&mut self, file: FileId, source: &InputSource) -> Result<Arc<LoadedFile>, String> {
        if let Some(i) = self
            .files
            .iter()
            .position(|(id, f)| *id == file && f.source == *source)
        {
            let e = self.files.remove(i).expect("index");
            let f = e.1.clone();
            self.files.push_front(e);
            return Ok(f);
        }
        let f = Arc::new(load::load(source, &self.settings.load)?);
        self.files.push_front((file, f.clone()));
        self.files.truncate(FILE_CACHE);
        Ok(f)
    }

    /// The decoded frame as RGB, downscaled to at most MAX_SIDE (cached).
    fn rgb(
        &mut self,
        file: FileId,
        source: &InputSource,
        frame: u32,
    ) -> Result<(Arc<RgbImage>, (u32, u32)), String> {
        let f = self.loaded(file, source)?;
        let geom = (f.info.columns, f.info.rows);
        if let Some(i) = self.frames.iter().position(|(k, _)| *k == (file, frame)) {
            let e = self.frames.remove(i).expect("index");
            let img = e.1.clone();
            self.frames.push_front(e);
            return Ok((img, geom));
        }
        let decoded = decode::decode_full(&f.obj, &f.info, frame)?;
        let palette = render::read_palette(&f.obj);
        let window = render::read_window(&f.obj, f.info.pixel_representation == 1);
        let mut img = render::to_rgb_image(&decoded, palette.as_ref(), window);
        let long = img.width().max(img.height());
        if long > MAX_SIDE {
            let s = MAX_SIDE as f64 / long as f64;
            let (w, h) = (
                ((img.width() as f64 * s).round() as u32).max(1),
                ((img.height() as f64 * s).round() as u32).max(1),
            );
            img = imageops::resize(&img, w, h, imageops::FilterType::Triangle);
        }
        let img = Arc::new(img);
        self.frames.push_front(((file, frame), img.clone()));
        self.frames.truncate(FRAME_CACHE);
        Ok((img, geom))
    }

    /// Decodes (or reuses) the frame and hands what the request shows to `f`, with the picker.
    fn with_shown<T>(
        &mut self,
        r: &PreviewRequest,
        f: impl FnOnce(&Picker, Shown<'_>) -> Result<T, String>,
    ) -> Result<T, String> {
        let (img, geom) = self.rgb(r.file, &r.source, r.frame)?;
        f(&self.picker, zoomed(&img, geom, r))
    }

    /// Decodes (or reuses) the frame as grey-level characters (NO_COLOR).
    pub fn frame_text(&mut self, r: &PreviewRequest) -> Result<Vec<String>, String> {
        self.with_shown(r, |_, s| {
            let mut lines = super::greytext::grey_text(&s.img, s.geom, s.crop, r.area);
            super::text::draw_boxes_text(&mut lines, s.geom, &s.text);
            if let Some(ov) = &s.annot {
                super::annot::draw_text(&mut lines, ov, s.geom);
            }
            Ok(lines)
        })
    }

    /// Decodes (or reuses) the frame and encodes it for the request's area.
    pub fn frame_protocol(&mut self, r: &PreviewRequest) -> Result<Protocol, String> {
        self.with_shown(r, |picker, s| {
            let annot = s.annot.as_deref();
            if s.text.boxes.is_empty() {
                return encode(picker, &s.img, s.geom, s.crop, r.area, annot);
            }
            // the text layer, drawn at a thickness that survives the scaling to the pane
            let mut pic = s.img.into_owned();
            let halfblocks = picker.protocol_type() == ProtocolType::Halfblocks;
            let fs = picker.font_size();
            let (gw, gh) = if halfblocks {
                (r.area.0 as f64, r.area.1 as f64 * 2.0)
            } else {
                (
                    r.area.0 as f64 * fs.width.max(1) as f64,
                    r.area.1 as f64 * fs.height.max(1) as f64,
                )
            };
            let scale = (gw / pic.width().max(1) as f64).min(gh / pic.height().max(1) as f64);
            let shown = 2.0;
            let t = (shown / scale.max(1e-3)).ceil().max(1.0) as u32;
            super::text::draw_boxes(&mut pic, s.geom, &s.text, t);
            encode(picker, &pic, s.geom, s.crop, r.area, annot)
        })
    }
}

/// What one request shows, in one coordinate system.
struct Shown<'a> {
    img: Cow<'a, RgbImage>,
    /// The size in frame pixels `img` stands for.
    geom: (u32, u32),
    /// The crop to outline (none in the zoom).
    crop: Option<CropRect>,
    text: super::text::TextOverlay,
    annot: Option<Cow<'a, super::annot::Overlay>>,
}

/// The picture a request shows: the whole frame with the crop outlined, or (zoom) only the
/// crop area; with the text layer and the annotation layer in the same coordinates.
fn zoomed<'a>(img: &'a RgbImage, geom: (u32, u32), r: &'a PreviewRequest) -> Shown<'a> {
    if let (true, Some(c)) = (r.zoom, r.crop) {
        if let Some((part, g, text)) = super::text::zoom(img, geom, &c, &r.text) {
            return Shown {
                img: Cow::Owned(part),
                geom: g,
                crop: None,
                text,
                annot: r.overlay.as_ref().map(|o| Cow::Owned(o.within(&c))),
            };
        }
    }
    Shown {
        img: Cow::Borrowed(img),
        geom,
        crop: r.crop,
        text: r.text.clone(),
        annot: r.overlay.as_ref().map(Cow::Borrowed),
    }
}

/// Fits the picture into `area` cells, dims what the crop removes, outlines the crop, draws
/// the annotation overlay, and encodes it with the picker's protocol.
pub fn encode(
    picker: &Picker,
    img: &RgbImage,
    geom: (u32, u32),
    crop: Option<CropRect>,
    area: (u16, u16),
    overlay: Option<&super::annot::Overlay>,
) -> Result<Protocol, String> {
    let halfblocks = picker.protocol_type() == ProtocolType::Halfblocks;
    let fs = picker.font_size();
    let (fw, fh) = (fs.width.max(1) as u32, fs.height.max(1) as u32);
    // The pixel grid the terminal will really show.
    let (gw, gh) = if halfblocks {
        (area.0 as u32, area.1 as u32 * 2)
    } else {
        (area.0 as u32 * fw, area.1 as u32 * fh)
    };
    // Halfblock "pixels" are square when the font is 1:2; correct other fonts.
    let aspect = if halfblocks {
        (fh as f64 / 2.0) / fw as f64
    } else {
        1.0
    };
    let s = (gw as f64 / img.width() as f64).min(gh as f64 / (img.height() as f64 * aspect));
    let tw = ((img.width() as f64 * s).floor() as u32).clamp(1, gw.max(1));
    let th = ((img.height() as f64 * s * aspect).floor() as u32).clamp(1, gh.max(1));
    let mut pic = imageops::resize(img, tw, th, imageops::FilterType::Triangle);
    if let Some(c) = crop {
        if !c.is_full(geom.0, geom.1) {
            outline(
                &mut pic,
                c,
                geom,
                if halfblocks { 1 } else { (fw / 4).max(2) },
            );
        }
    }
    if let Some(ov) = overlay {
        let t = if halfblocks { 1 } else { (fw / 6).max(1) };
        super::annot::draw_pixels(&mut pic, ov, geom, t);
    }
    if halfblocks {
        let cells = Size::new(tw as u16, th.div_ceil(2) as u16);
        let mut full = RgbImage::new(tw, cells.height as u32 * 2);
        imageops::replace(&mut full, &pic, 0, 0);
        let hb =
            Halfblocks::new(DynamicImage::ImageRgb8(full), cells).map_err(|e| e.to_string())?;
        return Ok(Protocol::Halfblocks(hb));
    }
    // Pad to whole cells so the library does not resize again.
    let (cw, ch) = (tw.div_ceil(fw), th.div_ceil(fh));
    let mut full = RgbImage::new(cw * fw, ch * fh);
    imageops::replace(&mut full, &pic, 0, 0);
    picker
        .new_protocol(
            DynamicImage::ImageRgb8(full),
            Size::new(cw as u16, ch as u16),
            Resize::Fit(None),
        )
        .map_err(|e| e.to_string())
}

/// Darkens pixels outside the crop and draws its border (`t` pixels, inside the box).
fn outline(pic: &mut RgbImage, c: CropRect, (cols, rows): (u32, u32), t: u32) {
    let (w, h) = (pic.width(), pic.height());
    let sx = |x: u32| ((x as u64 * w as u64) / cols.max(1) as u64) as u32;
    let sy = |y: u32| ((y as u64 * h as u64) / rows.max(1) as u64) as u32;
    let (x0, y0) = (
        sx(c.x0).min(w.saturating_sub(1)),
        sy(c.y0).min(h.saturating_sub(1)),
    );
    let (x1, y1) = (sx(c.x1).clamp(x0 + 1, w), sy(c.y1).clamp(y0 + 1, h));
    let colour = Rgb([255, 200, 0]);
    for (x, y, p) in pic.enumerate_pixels_mut() {
        let inside = x >= x0 && x < x1 && y >= y0 && y < y1;
        if !inside {
            p.0 = [p.0[0] / 3, p.0[1] / 3, p.0[2] / 3 + 30];
        } else if x < x0 + t || x + t >= x1 || y < y0 + t || y + t >= y1 {
            *p = colour;
        }
    }
}

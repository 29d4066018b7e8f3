//! The first search of a file's images kept for the rechecks of its output: a recheck searches
//! the images cropped and with the black boxes blanked, and gives the boxes a search of those
//! images gives ([`super::recheck_images`]), while reusing every component the crop and the
//! blanking leave whole. Both only remove or darken pixels, so a component of the first search
//! with no pixel outside the crop and none blanked meets no new pixel: it is the same
//! component, with the same statistics, and its ring is the same when the ring's box lies in
//! the crop away from every blank. Only the runs of the other components are labelled again.

use super::detect::{
    self, colour_plane, merge_found, pieces, ring, ring_outside, rows_of, Found, Memo, PassMemo,
    NOT_READ,
};
use super::label::{count, label_runs, Blob};
use super::*;

/// The first search of a file's images ([`scan_images`]), kept so that each recheck of the
/// output ([`Search::recheck`]) reuses what the crop and the black boxes leave as it was.
pub struct Search<'s, 'a> {
    imgs: &'s [Image8<'a>],
    pub(super) boxes: Vec<TextBox>,
    /// Per pixel, whether it stays the same in every image, before the 1 % gate (`None`: fewer
    /// than three images or images of several sizes), and whether the gate let it through.
    steady_all: Option<Vec<bool>>,
    gated: bool,
    min: Option<Image8<'a>>,
    picks: Vec<usize>,
    /// Per image searched (the minimum first, then the picks); empty when not kept.
    memos: Vec<Memo>,
}

impl<'s, 'a> Search<'s, 'a> {
    /// Searches `imgs` and keeps what the rechecks reuse.
    pub fn new(imgs: &'s [Image8<'a>]) -> Self {
        Self::run(imgs, true)
    }

    /// The boxes found (image coordinates).
    pub fn boxes(&self) -> &[TextBox] {
        &self.boxes
    }

    pub(super) fn run(imgs: &'s [Image8<'a>], keep: bool) -> Self {
        let mut s = Search {
            imgs,
            boxes: Vec::new(),
            steady_all: None,
            gated: false,
            min: None,
            picks: Vec::new(),
            memos: Vec::new(),
        };
        let Some(mid) = imgs.get(imgs.len() / 2) else {
            return s;
        };
        use rayon::prelude::*;
        let all = steady_all(imgs);
        let steady = all.as_ref().filter(|a| gate(a)).cloned();
        let min = steady.as_ref().map(|_| min_image(imgs));
        // first, middle and last frames (text that changes, like a clock, is not in the
        // minimum); each searched in parallel, the rows kept in this order
        let mut picks = vec![0, imgs.len() / 2, imgs.len() - 1];
        picks.dedup();
        let searched: Vec<&Image8> = min.iter().chain(picks.iter().map(|&k| &imgs[k])).collect();
        let (found, memos): (Vec<Vec<Found>>, Vec<Memo>) = searched
            .par_iter()
            .map(|img| detect::detect_keeping(img, steady.as_deref(), keep))
            .unzip();
        s.boxes = boxes_of(found, mid, steady.as_deref());
        if keep {
            s.gated = steady.is_some();
            s.steady_all = all;
            s.min = min;
            s.picks = picks;
            s.memos = memos;
        }
        s
    }

    /// [`recheck_images`] of the searched images: the same boxes (crop coordinates). Only the
    /// components the crop or the black boxes change are labelled again; the steady mask and
    /// the minimum image are the first search's, cropped and blanked.
    pub fn recheck(&self, mask: &[CropRect], crop: &CropRect) -> Vec<TextBox> {
        let imgs = self.imgs;
        let plain = || recheck_images(imgs, mask, crop);
        let Some(first) = imgs.first() else {
            return Vec::new();
        };
        let (w, h) = (first.width, first.height);
        // the crop as `crop_image` clamps it
        let (x0, y0) = (crop.x0.min(w), crop.y0.min(h));
        let c = CropRect::new(x0, y0, crop.x1.min(w).max(x0), crop.y1.min(h).max(y0));
        if self.memos.is_empty()
            || c.x0 == c.x1
            || c.y0 == c.y1
            || imgs.iter().any(|i| (i.width, i.height) != (w, h))
        {
            return plain();
        }
        let (cw, ch) = (c.x1 - c.x0, c.y1 - c.y0);
        let blanks: Vec<CropRect> = to_crop_coords(mask, crop)
            .into_iter()
            .map(|r| CropRect::new(r.x0, r.y0, r.x1.min(cw), r.y1.min(ch)))
            .filter(|r| r.x0 < r.x1 && r.y0 < r.y1)
            .collect();
        // the steady mask of the cropped images: the crop of the first one's, blanked pixels
        // steady (black in every image), the gate counted again on the crop
        let steady = match &self.steady_all {
            Some(all) => {
                let mut m = crop_plane(all, w, &c);
                for r in &blanks {
                    for y in r.y0..r.y1 {
                        let at = (y * cw) as usize;
                        m[at + r.x0 as usize..at + r.x1 as usize].fill(true);
                    }
                }
                let g = gate(&m);
                if g != self.gated {
                    return plain();
                }
                g.then_some(m)
            }
            None => None,
        };
        use rayon::prelude::*;
        let prepared = |i: &Image8| {
            let mut o = crop_image(i, &c);
            blank_image(&mut o, &blanks);
            o
        };
        let searched: Vec<Image8> = self
            .min
            .iter()
            .chain(self.picks.iter().map(|&k| &imgs[k]))
            .collect::<Vec<_>>()
            .par_iter()
            .map(|i| prepared(i))
            .collect();
        let found: Vec<Vec<Found>> = searched
            .par_iter()
            .zip(&self.memos)
            .map(|(img, memo)| detect_again(memo, img, steady.as_deref(), &c, &blanks))
            .collect();
        let mid_at = self.min.is_some() as usize
            + self
                .picks
                .iter()
                .position(|&k| k == imgs.len() / 2)
                .unwrap_or(0);
        boxes_of(found, &searched[mid_at], steady.as_deref())
    }
}

/// The rows found in the searched images, united, as boxes; `mid`: the middle image.
fn boxes_of(found: Vec<Vec<Found>>, mid: &Image8, steady: Option<&[bool]>) -> Vec<TextBox> {
    let merged = detect::merge_found(found.into_iter().flatten().collect());
    merged
        .into_iter()
        .map(|f| {
            let pad = 1 + f.glyph_height / 8;
            TextBox {
                rect: f.rect,
                over_scan: detect::scan_share(mid, steady, &f.rect, pad) >= 0.4,
                glyphs: f.glyphs,
                glyph_height: f.glyph_height,
            }
        })
        .collect()
}

/// The part of a per-pixel plane (`w` per row) inside `r` (within the plane).
fn crop_plane<T: Copy>(plane: &[T], w: u32, r: &CropRect) -> Vec<T> {
    let cw = (r.x1 - r.x0) as usize;
    let mut out = Vec::with_capacity(cw * (r.y1 - r.y0) as usize);
    for y in r.y0..r.y1 {
        let at = (y * w + r.x0) as usize;
        out.extend_from_slice(&plane[at..at + cw]);
    }
    out
}

/// [`detect`] on `img`, the image `memo` was kept for cropped to `crop` (image coordinates,
/// within the image, not empty) with `blanks` (crop coordinates, within the crop) blanked, and
/// `steady` the mask of the images so cropped: the same rows, reusing every component that
/// keeps all its pixels (none outside the crop, none blanked: the crop and the blanking only
/// remove or darken pixels, so it meets no new one) and every ring that keeps all its pixels.
/// Only the runs of the other components are labelled again, clipped to the crop and cut by
/// the blanks. `steady` must be `Some` exactly when the memo's search had a mask.
fn detect_again(
    memo: &Memo,
    img: &Image8,
    steady: Option<&[bool]>,
    crop: &CropRect,
    blanks: &[CropRect],
) -> Vec<Found> {
    use rayon::prelude::*;
    let plane = colour_plane(img);
    // the cuts of each row of the crop
    let mut cuts: Vec<Vec<(u32, u32)>> = vec![Vec::new(); img.height as usize];
    for b in blanks {
        for c in &mut cuts[b.y0 as usize..b.y1 as usize] {
            c.push((b.x0, b.x1));
        }
    }
    for c in &mut cuts {
        c.sort_unstable();
    }
    let per_pass: Vec<Vec<Found>> = memo
        .passes
        .par_iter()
        .map(|m| {
            let (src, t) = match (m.threshold, &plane) {
                (Some(t), _) => (&img.luma[..], t),
                (None, Some(plane)) => (&plane[..], 128),
                // the plane kept too few overlay-colour pixels: no colour pass
                (None, None) => return Vec::new(),
            };
            let colour_pass = m.threshold.is_none();
            let (blobs, origin) = labelled_again(m, img, src, steady, crop, blanks, &cuts);
            let hits = |x0: u32, y0: u32, x1: u32, y1: u32| {
                blanks
                    .iter()
                    .any(|b| b.x0 < x1 && x0 < b.x1 && b.y0 < y1 && y0 < b.y1)
            };
            let p = pieces(&blobs, colour_pass, steady.is_some(), |i, b| {
                // a ring inside the crop away from every blank is the one read before
                if let Some(&kept) = origin.get(i).and_then(|&o| m.rings.get(o as usize)) {
                    if kept != NOT_READ
                        && b.x0 >= 2
                        && b.y0 >= 2
                        && b.x1 + 2 <= img.width
                        && b.y1 + 2 <= img.height
                        && !hits(b.x0 - 2, b.y0 - 2, b.x1 + 2, b.y1 + 2)
                    {
                        return kept;
                    }
                }
                match &plane {
                    Some(plane) if colour_pass => {
                        (ring_outside(img, plane, b.x0, b.y0, b.x1, b.y1), 1)
                    }
                    _ => ring(img, b.x0, b.y0, b.x1, b.y1, t),
                }
            });
            rows_of(p, steady.is_some())
        })
        .collect();
    merge_found(per_pass.into_iter().flatten().collect())
}

/// The components of `src` (the cropped, blanked image's luma or colour plane) at the pass's
/// threshold, in raster order of their first pixel, in crop coordinates; and for each, the
/// index of the same component in the memo (`u32::MAX`: labelled again).
fn labelled_again(
    m: &PassMemo,
    img: &Image8,
    src: &[u8],
    steady: Option<&[bool]>,
    crop: &CropRect,
    blanks: &[CropRect],
    cuts: &[Vec<(u32, u32)>],
) -> (Vec<Blob>, Vec<u32>) {
    let l = &m.labelled;
    let (cx0, cy0, cx1, cy1) = (crop.x0, crop.y0, crop.x1, crop.y1);
    // components wholly inside the crop whose box meets no blank are kept as they are
    let mut kept: Vec<bool> = Vec::with_capacity(l.blobs.len());
    for b in &l.blobs {
        let inside = b.x0 >= cx0 && b.y0 >= cy0 && b.x1 <= cx1 && b.y1 <= cy1;
        kept.push(
            inside
                && !blanks.iter().any(|r| {
                    r.x0 + cx0 < b.x1 && b.x0 < r.x1 + cx0 && r.y0 + cy0 < b.y1 && b.y0 < r.y1 + cy0
                }),
        );
    }
    // the runs of the others, clipped to the crop and cut by the blanks
    let w = img.width as usize;
    let mut pieces: Vec<Blob> = Vec::new();
    let mut piece = |y: u32, x0: u32, x1: u32| {
        let span = y as usize * w + x0 as usize..y as usize * w + x1 as usize;
        pieces.push(Blob {
            x0,
            y0: y,
            x1,
            y1: y + 1,
            area: x1 - x0,
            sum: src[span.clone()].iter().map(|&v| v as u32).sum::<u32>() as u64,
            colour: count(img.overlay_colour.get(span.clone())),
            still: count(steady.and_then(|s| s.get(span))),
        });
    };
    for r in &l.runs {
        if kept[r.comp as usize] || r.y < cy0 || r.y >= cy1 {
            continue;
        }
        let (a, b) = (r.x0.max(cx0), r.x1.min(cx1));
        if a >= b {
            continue;
        }
        let (y, a, b) = (r.y - cy0, a - cx0, b - cx0);
        let mut pos = a;
        for &(u, v) in &cuts[y as usize] {
            if v <= pos {
                continue;
            }
            if u >= b {
                break;
            }
            if u > pos {
                piece(y, pos, u);
            }
            pos = v;
        }
        if pos < b {
            piece(y, pos, b);
        }
    }
    let (fresh, fresh_first) = label_runs(pieces.into_iter());
    // both lists in raster order of first pixel: merged in that order
    let mut blobs = Vec::with_capacity(l.blobs.len() + fresh.len());
    let mut origin = Vec::with_capacity(blobs.capacity());
    let mut f = fresh.iter().zip(&fresh_first).peekable();
    for (i, b) in l.blobs.iter().enumerate() {
        if !kept[i] {
            continue;
        }
        let key = (l.first[i].0 - cy0, l.first[i].1 - cx0);
        while let Some((fb, _)) = f.next_if(|(_, &k)| k < key) {
            blobs.push(*fb);
            origin.push(u32::MAX);
        }
        blobs.push(Blob {
            x0: b.x0 - cx0,
            y0: b.y0 - cy0,
            x1: b.x1 - cx0,
            y1: b.y1 - cy0,
            ..*b
        });
        origin.push(i as u32);
    }
    for (fb, _) in f {
        blobs.push(*fb);
        origin.push(u32::MAX);
    }
    (blobs, origin)
}

#[cfg(test)]
mod tests {
    use super::super::draw::{draw_text, Canvas, Style};
    use super::*;
    use crate::core::pixels::Frame;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: u32) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            ((self.0 >> 11) % n as u64) as u32
        }
    }

    /// Frames of `w` x `h`: black, a bright speckle sector reaching the right and bottom edges
    /// (one large component at the low thresholds, moving between the frames of a cine), text
    /// rows on black, on the speckle and across its edge, in white and yellow (RGB) or grey.
    fn frames(seed: u64, spp: u8, n: usize) -> Vec<Frame> {
        let (w, h) = (160u32, 120u32);
        let mut r = Rng(seed * 0x9e37_79b9 + 1);
        (0..n)
            .map(|k| {
                let mut data = vec![0u8; (w * h) as usize * spp as usize];
                let mut rs = Rng(seed * 31 + k as u64 + 5);
                for y in 0..h {
                    for x in 0..w {
                        if x * 3 + y * 2 > 200 {
                            let v = 40 + rs.next(200) as u8;
                            for c in 0..spp as usize {
                                data[(y * w + x) as usize * spp as usize + c] = v;
                            }
                        }
                    }
                }
                let mut c = Canvas {
                    data: &mut data,
                    width: w,
                    height: h,
                    spp,
                };
                let colours = [[255, 255, 255], [250, 230, 40], [170, 170, 170]];
                let mut rt = Rng(seed + 77);
                for (i, (x, y)) in [(3, 2), (20, 40), (70, 60), (100, 100)].iter().enumerate() {
                    let style = [Style::Plain, Style::Bold, Style::Tall][i % 3];
                    let text =
                        ["ID 4711", "DOE^J", "12:04", "AB CD"][(i + rt.next(4) as usize) % 4];
                    draw_text(
                        &mut c,
                        *x,
                        *y,
                        text,
                        1,
                        style,
                        colours[(i + seed as usize) % 3],
                    );
                }
                let _ = r.next(2);
                Frame::eight_bit(w, h, spp, data)
            })
            .collect()
    }

    /// The kept search's recheck gives the boxes of the plain one (crop, blank, search again)
    /// for crops cutting the text rows and the speckle at every side, and black boxes over
    /// parts of text, of the speckle and across the crop's border: single frames and cines,
    /// grey and RGB.
    #[test]
    fn recheck_reusing_the_first_search_gives_the_plain_recheck() {
        let (mut compared, mut boxes) = (0, 0);
        for seed in 0..3u64 {
            for (spp, n) in [(1u8, 1usize), (3, 1), (1, 5), (3, 5)] {
                let f = frames(seed, spp, n);
                let imgs = images(&f);
                let search = Search::new(&imgs);
                let found = search.boxes().to_vec();
                assert!(!found.is_empty());
                let mut r = Rng(seed * 7 + n as u64 + spp as u64);
                let mut crops = vec![CropRect::new(0, 0, 160, 120), CropRect::new(5, 3, 170, 125)];
                for b in &found {
                    let (mx, my) = ((b.rect.x0 + b.rect.x1) / 2, (b.rect.y0 + b.rect.y1) / 2);
                    crops.push(CropRect::new(mx, 0, 160, 120));
                    crops.push(CropRect::new(0, my, 160, 120));
                    crops.push(CropRect::new(0, 0, mx + 1, 120));
                    crops.push(CropRect::new(0, 0, 160, my + 1));
                }
                for _ in 0..4 {
                    let (x0, y0) = (r.next(60), r.next(50));
                    crops.push(CropRect::new(
                        x0,
                        y0,
                        x0 + 40 + r.next(120 - x0),
                        y0 + 30 + r.next(70 - y0),
                    ));
                }
                for c in &crops {
                    let margins: Vec<CropRect> =
                        found.iter().map(|b| b.with_margin(160, 120)).collect();
                    let halves: Vec<CropRect> = found
                        .iter()
                        .map(|b| {
                            CropRect::new(
                                b.rect.x0,
                                b.rect.y0,
                                (b.rect.x0 + b.rect.x1) / 2,
                                b.rect.y1,
                            )
                        })
                        .collect();
                    let random: Vec<CropRect> = (0..3)
                        .map(|_| {
                            let (x, y) = (r.next(160), r.next(120));
                            CropRect::new(x, y, x + 1 + r.next(50), y + 1 + r.next(30))
                        })
                        .collect();
                    for m in [Vec::new(), margins, halves, random] {
                        let want = recheck_images(&imgs, &m, c);
                        let got = search.recheck(&m, c);
                        assert_eq!(
                            got, want,
                            "seed {seed} spp {spp} frames {n} crop {c:?} mask {m:?}"
                        );
                        compared += 1;
                        boxes += want.len();
                    }
                }
            }
        }
        // the cases hold boxes to compare, not only empty results
        assert!(
            compared > 300 && boxes > 300,
            "{compared} rechecks, {boxes} boxes"
        );
    }
}

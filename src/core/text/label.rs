//! Connected components (8-connectivity) of the pixels at or above a threshold, by runs: each
//! row is cut into runs of bright pixels, runs touching a run of the row above (diagonals
//! included) are united, and the statistics the detector needs are summed per run and then
//! per component. Every pixel is read once, in memory order, instead of being pushed on a stack
//! and probing its eight neighbours.
//!
//! The components and their statistics are those of a flood fill; they come in the order of
//! their first pixel in raster order, as a flood fill started from each unlabelled pixel in
//! turn gives them.

/// One connected set of pixels at or above the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blob {
    /// Bounding box, x1/y1 exclusive.
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    pub area: u32,
    /// Sum of the luma of its pixels.
    pub sum: u64,
    /// Pixels in an overlay colour.
    pub colour: u32,
    /// Pixels marked steady (0 without a steady mask).
    pub still: u32,
}

/// A run of the row above: its span and the root its component had when the run was made.
#[derive(Clone, Copy)]
struct Run {
    x0: u32,
    x1: u32,
    root: u32,
}

impl Blob {
    fn absorb(&mut self, o: &Blob) {
        self.x0 = self.x0.min(o.x0);
        self.y0 = self.y0.min(o.y0);
        self.x1 = self.x1.max(o.x1);
        self.y1 = self.y1.max(o.y1);
        self.area += o.area;
        self.sum += o.sum;
        self.colour += o.colour;
        self.still += o.still;
    }
}

/// Bit `x` of `bits` set when `row[x] >= t`, 64 pixels a word.
fn row_bits(row: &[u8], t: u8, bits: &mut [u64]) {
    for (word, chunk) in bits.iter_mut().zip(row.chunks(64)) {
        *word = match <&[u8; 64]>::try_from(chunk) {
            Ok(c) => word_bits(c, t),
            Err(_) => scalar_bits(chunk, t),
        };
    }
}

fn scalar_bits(chunk: &[u8], t: u8) -> u64 {
    let mut m = 0u64;
    for (i, &v) in chunk.iter().enumerate() {
        m |= ((v >= t) as u64) << i;
    }
    m
}

/// 64 comparisons as four 16-byte SSE2 compares (`max(v, t) == v` is `v >= t` unsigned).
#[cfg(target_arch = "x86_64")]
fn word_bits(c: &[u8; 64], t: u8) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of x86-64; the loads are unaligned loads of 16 bytes within `c`.
    unsafe {
        let tv = _mm_set1_epi8(t as i8);
        let mut m = 0u64;
        for k in 0..4 {
            let v = _mm_loadu_si128(c.as_ptr().add(16 * k) as *const __m128i);
            let ge = _mm_cmpeq_epi8(_mm_max_epu8(v, tv), v);
            m |= (_mm_movemask_epi8(ge) as u16 as u64) << (16 * k);
        }
        m
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn word_bits(c: &[u8; 64], t: u8) -> u64 {
    scalar_bits(c, t)
}

/// The first x >= `from` (below `w`) whose bit is `set`.
fn next_bit(bits: &[u64], from: usize, set: bool, w: usize) -> Option<usize> {
    let mut i = from / 64;
    let flip = if set { 0 } else { u64::MAX };
    let mut word = (bits.get(i)? ^ flip) & (u64::MAX << (from % 64));
    loop {
        if word != 0 {
            let x = i * 64 + word.trailing_zeros() as usize;
            return (x < w).then_some(x);
        }
        i += 1;
        word = bits.get(i)? ^ flip;
    }
}

/// Set entries of a slice that may be missing (`None`: none).
pub(super) fn count(s: Option<&[bool]>) -> u32 {
    s.map(|s| s.iter().filter(|&&b| b).count() as u32)
        .unwrap_or(0)
}

fn root(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let up = parent[parent[i as usize] as usize];
        parent[i as usize] = up;
        i = up;
    }
    i
}

/// The components of the pixels of `luma` (`width` per row) at or above `t`, in the raster
/// order of their first pixel. `overlay` and `steady` have one entry per pixel (`overlay` may
/// be shorter than the image: missing entries count as false).
#[cfg(test)]
pub fn blobs(
    luma: &[u8],
    width: u32,
    t: u8,
    overlay: &[bool],
    steady: Option<&[bool]>,
) -> Vec<Blob> {
    label(luma, width, t, overlay, steady, false).blobs
}

/// A run of bright pixels kept from a labelling: its row, span and the index of its component
/// in [`Labelled::blobs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAt {
    pub y: u32,
    pub x0: u32,
    pub x1: u32,
    pub comp: u32,
}

/// The components of a labelling, with (when asked) every run and each component's first
/// pixel: what a later labelling of the same pixels cropped and partly blanked reuses.
#[derive(Debug, Clone, Default)]
pub struct Labelled {
    pub blobs: Vec<Blob>,
    /// In raster order; empty unless kept.
    pub runs: Vec<RunAt>,
    /// (y, x) of each component's first pixel in raster order; empty unless runs are kept.
    pub first: Vec<(u32, u32)>,
}

/// [`blobs`], keeping the runs and first pixels too when `keep_runs`.
pub fn label(
    luma: &[u8],
    width: u32,
    t: u8,
    overlay: &[bool],
    steady: Option<&[bool]>,
    keep_runs: bool,
) -> Labelled {
    let w = width as usize;
    if w == 0 {
        return Labelled::default();
    }
    let mut l = Labeller::default();
    let mut runs: Vec<RunAt> = Vec::new();
    let mut first_of_slot: Vec<(u32, u32)> = Vec::new();
    let mut bits = vec![0u64; w.div_ceil(64)];
    for (y, row) in luma.chunks_exact(w).enumerate() {
        l.start_row(y as u32);
        row_bits(row, t, &mut bits);
        let mut x = 0usize;
        while let Some(x0) = next_bit(&bits, x, true, w) {
            x = next_bit(&bits, x0, false, w).unwrap_or(w);
            let span = y * w + x0..y * w + x;
            let new = l.add(Blob {
                x0: x0 as u32,
                y0: y as u32,
                x1: x as u32,
                y1: y as u32 + 1,
                area: (x - x0) as u32,
                sum: row[x0..x].iter().map(|&v| v as u32).sum::<u32>() as u64,
                colour: count(overlay.get(span.clone())),
                still: count(steady.and_then(|s| s.get(span))),
            });
            if keep_runs {
                // `comp`: the run's id until `finish`
                runs.push(RunAt {
                    y: y as u32,
                    x0: x0 as u32,
                    x1: x as u32,
                    comp: runs.len() as u32,
                });
                if new {
                    first_of_slot.push((y as u32, x0 as u32));
                }
            }
        }
    }
    if !keep_runs {
        return l.finish(None);
    }
    l.finish(Some((runs, first_of_slot)))
}

/// Labels runs given in raster order (rows ascending, runs of a row ascending and apart), each
/// with its statistics: the components of the pixels they cover, as [`blobs`] gives them.
/// Returns the components and each one's first pixel.
pub fn label_runs(runs: impl Iterator<Item = Blob>) -> (Vec<Blob>, Vec<(u32, u32)>) {
    let mut l = Labeller::default();
    let mut first_of_slot: Vec<(u32, u32)> = Vec::new();
    let mut row = u32::MAX;
    for r in runs {
        if r.y0 != row {
            row = r.y0;
            l.start_row(row);
        }
        if l.add(r) {
            first_of_slot.push((r.y0, r.x0));
        }
    }
    let first = l
        .acc
        .iter()
        .zip(&first_of_slot)
        .filter(|(b, _)| b.area > 0)
        .map(|(_, &f)| f)
        .collect();
    (l.finish(None).blobs, first)
}

/// The runs added (ids as `comp`) and the first pixel of each slot.
type Kept = (Vec<RunAt>, Vec<(u32, u32)>);

/// Union-find over runs, by size with path halving (trees stay shallow). The statistics of a
/// component are summed at its root as runs join (`slot[root]` indexes `acc`); when two
/// components meet, the sums move to the slot made first, so slots keep the raster order of
/// each component's first run.
#[derive(Default)]
struct Labeller {
    parent: Vec<u32>,
    slot: Vec<u32>,
    acc: Vec<Blob>, // area 0: absorbed into another
    prev: Vec<Run>,
    cur_row: Vec<Run>,
    /// The row being labelled (`None` before the first).
    y: Option<u32>,
    /// First run above that may still touch.
    k: usize,
}

impl Labeller {
    /// Starts row `y` (rows ascending); the runs of the row before stay to be touched only
    /// when it is `y - 1`.
    fn start_row(&mut self, y: u32) {
        std::mem::swap(&mut self.prev, &mut self.cur_row);
        self.cur_row.clear();
        if self.y.is_some_and(|p| p + 1 != y) {
            self.prev.clear();
        }
        self.y = Some(y);
        self.k = 0;
    }

    /// Adds the next run of the row (`run`: its statistics); whether it starts a component.
    #[inline]
    fn add(&mut self, run: Blob) -> bool {
        let (x0, x) = (run.x0, run.x1);
        let id = self.parent.len() as u32;
        let (parent, slot, acc, prev) =
            (&mut self.parent, &mut self.slot, &mut self.acc, &self.prev);
        let mut k = self.k;
        // runs above touching [x0 - 1, x] (8-connectivity)
        while k < prev.len() && prev[k].x1 < x0 {
            k += 1;
        }
        // the root of this run so far (its own id until it touches a run above)
        let mut cur = id;
        let mut j = k;
        while j < prev.len() && prev[j].x0 <= x {
            let rj = root(parent, prev[j].root);
            if cur == id {
                cur = rj;
            } else if rj != cur {
                let (sa, sb) = (slot[rj as usize], slot[cur as usize]);
                let (keep, gone) = (sa.min(sb), sa.max(sb));
                let g = std::mem::replace(&mut acc[gone as usize], Blob { area: 0, ..run });
                acc[keep as usize].absorb(&g);
                // the smaller tree goes under the larger
                let (big, small) = if g.area > acc[keep as usize].area - g.area {
                    if gone == sa {
                        (rj, cur)
                    } else {
                        (cur, rj)
                    }
                } else if keep == sa {
                    (rj, cur)
                } else {
                    (cur, rj)
                };
                parent[small as usize] = big;
                slot[big as usize] = keep;
                cur = big;
            }
            j += 1;
        }
        parent.push(cur);
        let new = cur == id;
        if new {
            slot.push(acc.len() as u32);
            acc.push(run);
        } else {
            slot.push(u32::MAX);
            acc[slot[cur as usize] as usize].absorb(&run);
        }
        self.cur_row.push(Run {
            x0,
            x1: x,
            root: cur,
        });
        // the last run above touching this one may touch the next one too
        self.k = j.saturating_sub(1).max(k);
        new
    }

    /// The components in the raster order of their first pixel; with the runs added (their
    /// ids as `comp`) and the first pixel of each slot, the runs with their components and the
    /// components' first pixels too.
    fn finish(mut self, kept: Option<Kept>) -> Labelled {
        // slots were made in raster order of each component's first run, and sums only move
        // to earlier slots: the slots left are the components in the order of a flood fill
        let Some((mut runs, first_of_slot)) = kept else {
            self.acc.retain(|b| b.area > 0);
            return Labelled {
                blobs: self.acc,
                ..Default::default()
            };
        };
        let mut index = vec![u32::MAX; self.acc.len()];
        let mut first = Vec::new();
        for (i, b) in self.acc.iter().enumerate() {
            if b.area > 0 {
                index[i] = first.len() as u32;
                first.push(first_of_slot[i]);
            }
        }
        for r in &mut runs {
            let root = root(&mut self.parent, r.comp);
            r.comp = index[self.slot[root as usize] as usize];
        }
        self.acc.retain(|b| b.area > 0);
        Labelled {
            blobs: self.acc,
            runs,
            first,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: a flood fill from each unlabelled bright pixel in raster order.
    fn flood(luma: &[u8], w: u32, t: u8, overlay: &[bool], steady: Option<&[bool]>) -> Vec<Blob> {
        let h = luma.len() as i64 / w as i64;
        let mut labels = vec![false; luma.len()];
        let mut out = Vec::new();
        for start in 0..luma.len() {
            if labels[start] || luma[start] < t {
                continue;
            }
            labels[start] = true;
            let mut stack = vec![start];
            let mut b = Blob {
                x0: u32::MAX,
                y0: u32::MAX,
                x1: 0,
                y1: 0,
                area: 0,
                sum: 0,
                colour: 0,
                still: 0,
            };
            while let Some(p) = stack.pop() {
                let (x, y) = ((p as u32) % w, (p as u32) / w);
                b.x0 = b.x0.min(x);
                b.y0 = b.y0.min(y);
                b.x1 = b.x1.max(x + 1);
                b.y1 = b.y1.max(y + 1);
                b.area += 1;
                b.sum += luma[p] as u64;
                b.colour += overlay.get(p).copied().unwrap_or(false) as u32;
                b.still += steady.map(|s| s[p] as u32).unwrap_or(0);
                for dy in -1i64..=1 {
                    for dx in -1i64..=1 {
                        let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                        if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h {
                            continue;
                        }
                        let q = (ny * w as i64 + nx) as usize;
                        if !labels[q] && luma[q] >= t {
                            labels[q] = true;
                            stack.push(q);
                        }
                    }
                }
            }
            out.push(b);
        }
        out
    }

    /// A small deterministic generator (no dependency): xorshift.
    fn noise(seed: u64, n: usize) -> Vec<u8> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn word_compare_is_the_scalar_compare() {
        let row = noise(9, 64 * 40);
        for chunk in row.chunks(64) {
            let c = <&[u8; 64]>::try_from(chunk).unwrap();
            for t in [0u8, 1, 70, 127, 128, 129, 200, 255] {
                assert_eq!(word_bits(c, t), scalar_bits(chunk, t), "threshold {t}");
            }
        }
    }

    #[test]
    fn runs_give_the_components_of_a_flood_fill() {
        // speckle at several densities, diagonal chains, shapes that join late (U, spirals of
        // noise), odd widths, one-pixel rows and columns
        let mut cases: Vec<(Vec<u8>, u32)> = Vec::new();
        for (seed, w, h) in [
            (1u64, 37u32, 23u32),
            (2, 64, 64),
            (3, 1, 50),
            (4, 50, 1),
            (5, 129, 77),
            (6, 63, 9),
            (7, 65, 9),
            (8, 200, 40),
        ] {
            cases.push((noise(seed, (w * h) as usize), w));
        }
        // rows bright from end to end (runs over whole 64-pixel words and the row's end)
        cases.push((vec![255u8; 130 * 5], 130));
        // a U whose arms only meet at the bottom, and a diagonal staircase
        let (w, h) = (20u32, 12u32);
        let mut u = vec![0u8; (w * h) as usize];
        for y in 0..h {
            u[(y * w + 2) as usize] = 200;
            u[(y * w + 15) as usize] = 200;
            u[(y * w + (y % w)) as usize] = 180;
        }
        for x in 2..16 {
            u[((h - 1) * w + x) as usize] = 200;
        }
        cases.push((u, w));
        for (luma, w) in cases {
            let overlay: Vec<bool> = luma.iter().map(|v| v % 3 == 0).collect();
            let steady: Vec<bool> = luma.iter().map(|v| v % 5 != 0).collect();
            for t in [1u8, 70, 128, 190, 250] {
                assert_eq!(
                    blobs(&luma, w, t, &overlay, Some(&steady)),
                    flood(&luma, w, t, &overlay, Some(&steady)),
                    "width {w}, threshold {t}"
                );
                assert_eq!(blobs(&luma, w, t, &[], None), flood(&luma, w, t, &[], None));
            }
        }
    }
}

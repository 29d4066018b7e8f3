//! Grouping glyph components into rows of text, completing the rows with the pieces that are
//! too small or too faint to be glyphs on their own, and uniting the rows found at several
//! thresholds and frames.

use super::detect::{Comp, Found};
use crate::core::crop::CropRect;

/// Groups components into rows and keeps the rows that look like text.
pub(super) fn group_rows(comps: &[Comp], cine: bool) -> Vec<Found> {
    let n = comps.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| comps[i].x0);
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for (k, &a) in order.iter().enumerate() {
        let ca = comps[a];
        for &b in &order[k + 1..] {
            let cb = comps[b];
            let hmax = ca.h().max(cb.h());
            if cb.x0 > ca.x1 + hmax * 8 / 5 + 1 {
                break;
            }
            let hmin = ca.h().min(cb.h());
            let overlap = ca.y1.min(cb.y1) as i64 - ca.y0.max(cb.y0) as i64;
            if overlap * 2 < hmin as i64 || hmax * 10 > hmin * 22 {
                continue;
            }
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra != rb {
                parent[ra] = rb;
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups
        .values()
        .filter_map(|g| {
            let members: Vec<Comp> = g.iter().map(|&i| comps[i]).collect();
            is_text(&members, cine).then(|| {
                let rect = CropRect::new(
                    members.iter().map(|c| c.x0).min().unwrap_or(0),
                    members.iter().map(|c| c.y0).min().unwrap_or(0),
                    members.iter().map(|c| c.x1).max().unwrap_or(0),
                    members.iter().map(|c| c.y1).max().unwrap_or(0),
                );
                Found {
                    rect,
                    glyphs: members.len() as u32,
                    glyph_height: members.iter().map(|c| c.h()).max().unwrap_or(0),
                }
            })
        })
        .collect()
}

/// `cine`: the scan moves between frames, so overlay text is steady: a row with neither black
/// ground, overlay colour nor steady pixels is anatomy.
fn is_text(m: &[Comp], cine: bool) -> bool {
    let n = m.len();
    if n < 2 {
        return false;
    }
    let evidence = m
        .iter()
        .filter(|c| c.on_black || c.colour || c.steady)
        .count();
    if evidence * 3 >= n * 2 {
        return true;
    }
    if n < 4 || cine {
        return false;
    }
    // no background evidence: a regular row of strongly contrasted, letter-shaped glyphs of
    // one height on a common line (pieces of a bright tissue layer are wider and dimmer)
    let letters = m
        .iter()
        .filter(|c| (c.x1 - c.x0) * 10 <= c.h() * 25 && c.contrast >= 100)
        .count();
    if letters * 4 < n * 3 {
        return false;
    }
    let mut hs: Vec<u32> = m.iter().map(|c| c.h()).collect();
    hs.sort_unstable();
    let med_h = hs[n / 2];
    let same_h = hs
        .iter()
        .filter(|&&h| h * 10 >= med_h * 7 && h * 10 <= med_h * 13)
        .count();
    let tol = (med_h / 4).max(1) as i64;
    let aligned = |key: &dyn Fn(&Comp) -> u32| {
        let mut v: Vec<u32> = m.iter().map(key).collect();
        v.sort_unstable();
        let med = v[n / 2] as i64;
        v.iter().filter(|&&x| (x as i64 - med).abs() <= tol).count()
    };
    let line = aligned(&|c| c.y1).max(aligned(&|c| c.y0));
    same_h * 4 >= n * 3 && line * 4 >= n * 3
}

/// Grows each row by the components on its line just beyond its ends: glyphs that failed the
/// row's test alone, punctuation and small letters (a row of "Mustermann, Erika" broken at
/// its comma, a faint last letter). A piece joins when it lies within the row's band (a third
/// of the glyph height above or below), is not taller than the row's glyphs by more than a
/// third, and is at most one glyph height away.
pub(super) fn complete(mut rows: Vec<Found>, glyphs: &[Comp], minor: &[Comp]) -> Vec<Found> {
    for r in rows.iter_mut() {
        let gh = r.glyph_height.max(1);
        let (band0, band1) = (r.rect.y0.saturating_sub(gh / 3), r.rect.y1 + gh / 3);
        let mut near: Vec<&Comp> = glyphs
            .iter()
            .chain(minor)
            .filter(|c| c.y0 >= band0 && c.y1 <= band1 && c.h() * 3 <= gh * 4 + 3)
            .collect();
        near.sort_by_key(|c| c.x0);
        let mut grown = true;
        while grown {
            grown = false;
            near.retain(|c| {
                let joins = c.x1 + gh >= r.rect.x0 && c.x0 <= r.rect.x1 + gh;
                if joins && (c.x0 < r.rect.x0 || c.x1 > r.rect.x1) {
                    r.rect = CropRect::new(
                        r.rect.x0.min(c.x0),
                        r.rect.y0.min(c.y0),
                        r.rect.x1.max(c.x1),
                        r.rect.y1.max(c.y1),
                    );
                    r.glyphs += 1;
                    grown = true;
                }
                !joins
            });
        }
    }
    rows
}

/// Unites rows found at several thresholds that touch, and parts of one line (words, pieces
/// of a row broken where glyphs were missed) less than two glyph heights apart.
pub fn merge_found(mut rows: Vec<Found>) -> Vec<Found> {
    let touches = |a: &Found, b: &Found| {
        let (a, gha, b, ghb) = (&a.rect, a.glyph_height, &b.rect, b.glyph_height);
        if a.x0 <= b.x1 + 1 && b.x0 <= a.x1 + 1 && a.y0 <= b.y1 + 1 && b.y0 <= a.y1 + 1 {
            return true;
        }
        // one line: they overlap by half the lower row, glyphs of like height, a short gap
        let (ha, hb) = (a.y1 - a.y0, b.y1 - b.y0);
        let overlap = a.y1.min(b.y1) as i64 - a.y0.max(b.y0) as i64;
        let gap = 2 * gha.max(ghb);
        // and the line stays one line high (no chain of rows down a speckled scan)
        let united = a.y1.max(b.y1) - a.y0.min(b.y0);
        united <= 2 * gha.max(ghb) + 2
            && overlap * 2 >= ha.min(hb) as i64
            && gha.max(ghb) * 10 <= gha.min(ghb) * 18
            && a.x0 <= b.x1 + gap
            && b.x0 <= a.x1 + gap
    };
    let mut changed = true;
    while changed {
        changed = false;
        let mut out: Vec<Found> = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(o) = out.iter_mut().find(|o| touches(o, &r)) {
                o.rect = CropRect::new(
                    o.rect.x0.min(r.rect.x0),
                    o.rect.y0.min(r.rect.y0),
                    o.rect.x1.max(r.rect.x1),
                    o.rect.y1.max(r.rect.y1),
                );
                o.glyphs = o.glyphs.max(r.glyphs);
                o.glyph_height = o.glyph_height.max(r.glyph_height);
                changed = true;
            } else {
                out.push(r);
            }
        }
        rows = out;
    }
    rows.sort_by_key(|r| (r.rect.y0, r.rect.x0));
    rows
}

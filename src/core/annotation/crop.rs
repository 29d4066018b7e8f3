//! Annotations into the coordinates of a cropped output: every point moved by the crop origin
//! (`x - x0`, `y - y0`) and every polygon clipped to the crop rectangle `[0, w] x [0, h]`
//! (Sutherland-Hodgman against the four edges). A polygon with nothing inside is dropped and
//! counted; grades and the status are kept as they are.

use serde::Serialize;

use super::{Annotations, Polygon, SAME_POINT};
use crate::core::crop::CropRect;

/// What the crop did to the polygons of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CropCounts {
    /// Polygons written (clipped ones included).
    pub kept: usize,
    /// Polygons cut by the crop edge (some vertices were outside).
    pub clipped: usize,
    /// Polygons with no area inside the crop (or fewer than 3 vertices, or on a frame the file
    /// does not have): not written.
    pub dropped: usize,
}

/// `a` in the coordinates of `crop` (original-image pixels -> crop pixels), polygons clipped to
/// the crop; polygons on frames `>= frames` are dropped too.
pub fn to_crop(a: &Annotations, crop: &CropRect, frames: u32) -> (Annotations, CropCounts) {
    let (w, h) = (crop.width() as f64, crop.height() as f64);
    let (dx, dy) = (crop.x0 as f64, crop.y0 as f64);
    let mut counts = CropCounts::default();
    let mut out = Annotations {
        status: a.status.clone(),
        grades: a.grades.clone(),
        polygons: Default::default(),
    };
    for (&frame, list) in &a.polygons {
        let mut kept = Vec::new();
        for p in list {
            if frame >= frames || p.points.len() < 3 {
                counts.dropped += 1;
                continue;
            }
            let moved: Vec<[f64; 2]> = p.points.iter().map(|q| [q[0] - dx, q[1] - dy]).collect();
            let inside = moved
                .iter()
                .all(|q| q[0] >= 0.0 && q[0] <= w && q[1] >= 0.0 && q[1] <= h);
            let points = if inside {
                moved
            } else {
                clip_to_rect(&moved, w, h)
            };
            if points.len() < 3 || area(&points).abs() <= SAME_POINT {
                counts.dropped += 1;
                continue;
            }
            if !inside {
                counts.clipped += 1;
            }
            counts.kept += 1;
            kept.push(Polygon {
                label: p.label.clone(),
                points,
            });
        }
        if !kept.is_empty() {
            out.polygons.insert(frame, kept);
        }
    }
    (out, counts)
}

/// Sutherland-Hodgman clipping of a closed polygon to `[0, w] x [0, h]`, consecutive repeated
/// vertices removed.
pub fn clip_to_rect(points: &[[f64; 2]], w: f64, h: f64) -> Vec<[f64; 2]> {
    // each edge: is a point inside, and where does a segment cross it
    type Inside = fn(&[f64; 2], f64) -> bool;
    let edges: [(Inside, usize, f64); 4] = [
        (|p, _| p[0] >= 0.0, 0, 0.0),
        (|p, lim| p[0] <= lim, 0, w),
        (|p, _| p[1] >= 0.0, 1, 0.0),
        (|p, lim| p[1] <= lim, 1, h),
    ];
    let mut poly: Vec<[f64; 2]> = points.to_vec();
    for (inside, axis, lim) in edges {
        if poly.is_empty() {
            break;
        }
        let input = std::mem::take(&mut poly);
        let n = input.len();
        for i in 0..n {
            let cur = input[i];
            let prev = input[(i + n - 1) % n];
            let (ci, pi) = (inside(&cur, lim), inside(&prev, lim));
            if ci {
                if !pi {
                    poly.push(cross(prev, cur, axis, lim));
                }
                poly.push(cur);
            } else if pi {
                poly.push(cross(prev, cur, axis, lim));
            }
        }
    }
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(poly.len());
    for p in poly {
        let same =
            |q: &[f64; 2]| (q[0] - p[0]).abs() <= SAME_POINT && (q[1] - p[1]).abs() <= SAME_POINT;
        if !out.last().is_some_and(same) {
            out.push(p);
        }
    }
    while out.len() > 1 {
        let (first, last) = (out[0], out[out.len() - 1]);
        if (first[0] - last[0]).abs() <= SAME_POINT && (first[1] - last[1]).abs() <= SAME_POINT {
            out.pop();
        } else {
            break;
        }
    }
    out
}

/// Where the segment `a`-`b` crosses the line `coordinate[axis] = lim`.
fn cross(a: [f64; 2], b: [f64; 2], axis: usize, lim: f64) -> [f64; 2] {
    let t = (lim - a[axis]) / (b[axis] - a[axis]);
    let mut p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    p[axis] = lim;
    p
}

/// Signed area (shoelace).
pub fn area(points: &[[f64; 2]]) -> f64 {
    let n = points.len();
    (0..n)
        .map(|i| {
            let (a, b) = (points[i], points[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum::<f64>()
        / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poly(label: &str, pts: &[[f64; 2]]) -> Polygon {
        Polygon {
            label: label.into(),
            points: pts.to_vec(),
        }
    }

    fn one(frame: u32, p: Polygon) -> Annotations {
        let mut a = Annotations::default();
        a.polygons.insert(frame, vec![p]);
        a
    }

    /// A small deterministic generator (no crate needed for a test).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Inside: translated exactly by the crop origin, nothing clipped or dropped.
    #[test]
    fn inside_polygons_are_translated_by_the_origin() {
        let mut g = Lcg(7);
        for _ in 0..200 {
            let crop = CropRect::new(
                (g.next() * 100.0) as u32,
                (g.next() * 80.0) as u32,
                200 + (g.next() * 100.0) as u32,
                180 + (g.next() * 100.0) as u32,
            );
            let pts: Vec<[f64; 2]> = (0..3 + (g.next() * 6.0) as usize)
                .map(|_| {
                    [
                        crop.x0 as f64 + 1.0 + g.next() * (crop.width() as f64 - 2.0),
                        crop.y0 as f64 + 1.0 + g.next() * (crop.height() as f64 - 2.0),
                    ]
                })
                .collect();
            let (out, c) = to_crop(&one(2, poly("Clot", &pts)), &crop, 5);
            if area(&pts).abs() <= SAME_POINT {
                continue;
            }
            assert_eq!(
                c,
                CropCounts {
                    kept: 1,
                    clipped: 0,
                    dropped: 0
                }
            );
            let got = &out.polygons[&2][0];
            assert_eq!(got.label, "Clot");
            for (a, b) in pts.iter().zip(&got.points) {
                assert!((a[0] - crop.x0 as f64 - b[0]).abs() < 1e-9);
                assert!((a[1] - crop.y0 as f64 - b[1]).abs() < 1e-9);
            }
        }
    }

    /// Crossing: the result lies inside the crop, its area equals the part of the square inside
    /// (computed independently as a rectangle intersection), and it is counted as clipped.
    #[test]
    fn crossing_squares_are_clipped_to_the_crop() {
        let mut g = Lcg(11);
        let crop = CropRect::new(40, 30, 240, 190);
        let (w, h) = (crop.width() as f64, crop.height() as f64);
        let mut crossing = 0;
        for _ in 0..300 {
            let (x, y) = (g.next() * 300.0 - 10.0, g.next() * 240.0 - 10.0);
            let s = 10.0 + g.next() * 90.0;
            let sq = [[x, y], [x + s, y], [x + s, y + s], [x, y + s]];
            let (out, c) = to_crop(&one(0, poly("CFV Scanning Location 1", &sq)), &crop, 1);
            // the part of the square inside, in crop coordinates
            let ix = (x + s - crop.x0 as f64).min(w) - (x - crop.x0 as f64).max(0.0);
            let iy = (y + s - crop.y0 as f64).min(h) - (y - crop.y0 as f64).max(0.0);
            let expected = ix.max(0.0) * iy.max(0.0);
            if expected <= 1e-3 {
                assert_eq!(c.kept, 0, "outside square must be dropped");
                assert_eq!(c.dropped, 1);
                continue;
            }
            assert_eq!(c.kept, 1);
            let got = &out.polygons[&0][0].points;
            assert!(
                (area(got).abs() - expected).abs() < 1e-6,
                "{got:?} {expected}"
            );
            for p in got {
                assert!(
                    p[0] >= 0.0 && p[0] <= w && p[1] >= 0.0 && p[1] <= h,
                    "{p:?}"
                );
            }
            let whole = (expected - s * s).abs() < 1e-9;
            assert_eq!(c.clipped, usize::from(!whole));
            crossing += usize::from(!whole);
        }
        assert!(
            crossing > 50,
            "the generator must produce crossing cases: {crossing}"
        );
    }

    /// Outside (left, right, above, below, and a concave shape around the crop's corner):
    /// dropped and counted; grades and status stay.
    #[test]
    fn outside_polygons_are_dropped_and_counted() {
        let crop = CropRect::new(100, 100, 200, 200);
        let cases: [&[[f64; 2]]; 5] = [
            &[[10.0, 120.0], [90.0, 120.0], [50.0, 180.0]],
            &[[210.0, 120.0], [290.0, 120.0], [250.0, 180.0]],
            &[[120.0, 10.0], [180.0, 10.0], [150.0, 99.0]],
            &[[120.0, 201.0], [180.0, 260.0], [150.0, 300.0]],
            &[[0.0, 0.0], [99.0, 0.0], [99.0, 99.0], [0.0, 99.0]],
        ];
        let mut a = Annotations {
            status: Some("DVT".into()),
            ..Default::default()
        };
        a.grades.insert(0, 4);
        a.polygons
            .insert(0, cases.iter().map(|p| poly("Other", p)).collect());
        a.polygons.get_mut(&0).unwrap().push(poly(
            "Clot",
            &[[150.0, 150.0], [160.0, 150.0], [155.0, 160.0]],
        ));
        // a frame the file does not have
        a.polygons.insert(
            3,
            vec![poly(
                "Clot",
                &[[150.0, 150.0], [160.0, 150.0], [155.0, 160.0]],
            )],
        );
        let (out, c) = to_crop(&a, &crop, 2);
        assert_eq!(
            c,
            CropCounts {
                kept: 1,
                clipped: 0,
                dropped: 6
            }
        );
        assert_eq!(out.polygons.len(), 1);
        assert_eq!(out.polygons[&0][0].label, "Clot");
        assert_eq!(out.polygons[&0][0].points[0], [50.0, 50.0]);
        assert_eq!(out.status.as_deref(), Some("DVT"));
        assert_eq!(out.grades.get(&0), Some(&4));
    }

    /// A concave polygon crossing the crop twice stays one ring inside the crop.
    #[test]
    fn concave_crossing_keeps_inside_area() {
        // a "U" whose two arms reach below the crop
        let u = [
            [10.0, 10.0],
            [30.0, 10.0],
            [30.0, 80.0],
            [60.0, 80.0],
            [60.0, 10.0],
            [80.0, 10.0],
            [80.0, 100.0],
            [10.0, 100.0],
        ];
        let crop = CropRect::new(0, 0, 100, 50);
        let (out, c) = to_crop(&one(0, poly("Other", &u)), &crop, 1);
        assert_eq!(c.clipped, 1);
        // inside the crop: two arms 20x40
        assert!((area(&out.polygons[&0][0].points).abs() - 1600.0).abs() < 1e-6);
    }
}

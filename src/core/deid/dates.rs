//! Whole-day shifting of DA and DT values (no calendar crate: proleptic Gregorian arithmetic).

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYYMMDD` (or the ACR-NEMA form `YYYY.MM.DD`) and returns the date shifted by
/// `days` as `YYYYMMDD`. `None` when the value is not a full, valid date.
pub fn shift_da(v: &str, days: i32) -> Option<String> {
    let v = v.trim_matches([' ', '\0']);
    let (y, m, d) = match v.len() {
        8 => (digits(&v[0..4])?, digits(&v[4..6])?, digits(&v[6..8])?),
        10 if v.as_bytes()[4] == b'.' && v.as_bytes()[7] == b'.' => {
            (digits(&v[0..4])?, digits(&v[5..7])?, digits(&v[8..10])?)
        }
        _ => return None,
    };
    let (m, d) = (m as u32, d as u32);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let (ny, nm, nd) = civil_from_days(days_from_civil(y, m, d) + days as i64);
    if !(0..=9999).contains(&ny) {
        return None;
    }
    Some(format!("{ny:04}{nm:02}{nd:02}"))
}

/// Shifts the date part of a DT value (`YYYYMMDD[HHMMSS[.F]][&ZZXX]`); the time and the offset
/// are kept. `None` when the value has no full date (`YYYY`, `YYYYMM`) or is malformed.
pub fn shift_dt(v: &str, days: i32) -> Option<String> {
    let v = v.trim_matches([' ', '\0']);
    if v.len() < 8 || !v.is_char_boundary(8) {
        return None;
    }
    let rest = &v[8..];
    if !rest
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'+' || b == b'-')
    {
        return None;
    }
    Some(format!("{}{}", shift_da(&v[..8], days)?, rest))
}

/// [`shift_dt`], then the UTC offset suffix (`&ZZXX`) removed: used when Timezone Offset From
/// UTC (0008,0201) is not kept, so that no offset survives anywhere.
pub fn shift_dt_without_offset(v: &str, days: i32) -> Option<String> {
    let mut s = shift_dt(v, days)?;
    if let Some(p) = s[8..].find(['+', '-']) {
        s.truncate(8 + p);
    }
    Some(s)
}

/// Applies `f` to every backslash-separated value; `None` if any value fails. Empty values
/// stay empty.
pub fn shift_multi(v: &str, days: i32, f: fn(&str, i32) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(v.len());
    for (i, part) in v.split('\\').enumerate() {
        if i > 0 {
            out.push('\\');
        }
        if part.trim_matches([' ', '\0']).is_empty() {
            continue;
        }
        out.push_str(&f(part, days)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts() {
        assert_eq!(shift_da("20250304", 1).as_deref(), Some("20250305"));
        assert_eq!(shift_da("20240228", 1).as_deref(), Some("20240229"));
        assert_eq!(shift_da("20241231", 1).as_deref(), Some("20250101"));
        assert_eq!(shift_da("20250101", -1).as_deref(), Some("20241231"));
        assert_eq!(shift_da("2025.03.04", 0).as_deref(), Some("20250304"));
        assert_eq!(shift_da("20990102", -365).as_deref(), Some("20980102"));
        assert_eq!(shift_da("20250230", 1), None);
        assert_eq!(shift_da("2025", 1), None);
        assert_eq!(shift_da("ZZPHI123", 1), None);
        assert_eq!(
            shift_dt("20250304101530.123+0100", 2).as_deref(),
            Some("20250306101530.123+0100")
        );
        assert_eq!(shift_dt("2025", 2), None);
        assert_eq!(
            shift_dt_without_offset("20250304101530.123+0100", 2).as_deref(),
            Some("20250306101530.123")
        );
        assert_eq!(
            shift_dt_without_offset("20250304-0500", 1).as_deref(),
            Some("20250305")
        );
        assert_eq!(
            shift_multi("20250304\\20250305", 1, shift_da).as_deref(),
            Some("20250305\\20250306")
        );
        for z in [-800_000i64, -1, 0, 1, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}

//! Path completion for prompts (tab): completes the last path component against the file
//! system; several matches complete to their common prefix and are listed.

use std::path::Path;

/// Returns the completed text and the candidates (file names, `/` after folders).
pub fn complete_path(text: &str) -> (String, Vec<String>) {
    let expanded = super::update::expand_home(text).display().to_string();
    let home_prefix = text.starts_with("~/");
    let (dir, prefix) = match expanded.rfind('/') {
        Some(i) => (&expanded[..=i], &expanded[i + 1..]),
        None => ("", expanded.as_str()),
    };
    let read_dir = if dir.is_empty() {
        Path::new(".")
    } else {
        Path::new(dir)
    };
    let Ok(rd) = std::fs::read_dir(read_dir) else {
        return (text.to_string(), Vec::new());
    };
    let mut matches: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = e.path().is_dir();
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    matches.sort();
    if matches.is_empty() {
        return (text.to_string(), Vec::new());
    }
    let common = common_prefix(&matches);
    let completed = format!("{dir}{common}");
    let completed = if home_prefix {
        match std::env::var("HOME") {
            Ok(h) if completed.starts_with(&h) => format!("~{}", &completed[h.len()..]),
            _ => completed,
        }
    } else {
        completed
    };
    let candidates = if matches.len() > 1 {
        matches
    } else {
        Vec::new()
    };
    (completed, candidates)
}

fn common_prefix(v: &[String]) -> String {
    let first = &v[0];
    let mut end = first.len();
    for s in &v[1..] {
        end = end.min(
            first
                .bytes()
                .zip(s.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    first[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_unique_and_common() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("exam_one")).unwrap();
        std::fs::write(d.path().join("exam_two.zip"), b"").unwrap();
        std::fs::write(d.path().join("other"), b"").unwrap();
        let base = d.path().display().to_string();
        let (t, c) = complete_path(&format!("{base}/ot"));
        assert_eq!(t, format!("{base}/other"));
        assert!(c.is_empty());
        let (t, c) = complete_path(&format!("{base}/ex"));
        assert_eq!(t, format!("{base}/exam_"));
        assert_eq!(c, vec!["exam_one/".to_string(), "exam_two.zip".to_string()]);
        let (t, _) = complete_path(&format!("{base}/exam_o"));
        assert_eq!(t, format!("{base}/exam_one/"));
    }
}

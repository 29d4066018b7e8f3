//! Finding the line of a key path (`a.b[2].c`) in a TOML text, for error messages.

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The line where the deepest existing part of `path` is written, if the text mentions it.
pub fn line_of_path(text: &str, path: &str) -> Option<usize> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut item: &toml_edit::Item = doc.as_item();
    let mut best: Option<usize> = None;
    for part in split_path(path) {
        match part {
            Part::Key(k) => {
                let table = item.as_table_like()?;
                let (key, next) = match table.get_key_value(&k) {
                    Some(kv) => kv,
                    None => break,
                };
                if let Some(span) = key.span() {
                    best = Some(line_of(text, span.start));
                }
                item = next;
            }
            Part::Index(i) => {
                if let Some(aot) = item.as_array_of_tables() {
                    let Some(t) = aot.get(i) else { break };
                    if let Some(span) = t.span() {
                        best = Some(line_of(text, span.start));
                    }
                    return descend_table(text, t, &path_rest(path, i), best);
                } else if let Some(arr) = item.as_array() {
                    if let Some(v) = arr.get(i) {
                        if let Some(span) = v.span() {
                            best = Some(line_of(text, span.start));
                        }
                    }
                    break;
                } else {
                    break;
                }
            }
        }
    }
    best
}

fn descend_table(
    text: &str,
    t: &toml_edit::Table,
    rest: &str,
    mut best: Option<usize>,
) -> Option<usize> {
    let mut current: &dyn toml_edit::TableLike = t;
    for part in split_path(rest) {
        match part {
            Part::Key(k) => match current.get_key_value(&k) {
                Some((key, next)) => {
                    if let Some(span) = key.span() {
                        best = Some(line_of(text, span.start));
                    }
                    match next.as_table_like() {
                        Some(tl) => current = tl,
                        None => break,
                    }
                }
                None => break,
            },
            Part::Index(_) => break,
        }
    }
    best
}

/// The part of the path after the first `[i]`.
fn path_rest(path: &str, i: usize) -> String {
    let needle = format!("[{i}]");
    match path.find(&needle) {
        Some(pos) => path[pos + needle.len()..]
            .trim_start_matches('.')
            .to_string(),
        None => String::new(),
    }
}

enum Part {
    Key(String),
    Index(usize),
}

fn split_path(path: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    for seg in path.split('.') {
        if seg.is_empty() || seg == "?" {
            continue;
        }
        let mut rest = seg;
        if let Some(b) = rest.find('[') {
            if b > 0 {
                parts.push(Part::Key(rest[..b].to_string()));
            }
            rest = &rest[b..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let end = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(i) = stripped[..end].parse() {
                    parts.push(Part::Index(i));
                }
                rest = stripped.get(end + 1..).unwrap_or("");
            }
        } else {
            parts.push(Part::Key(rest.to_string()));
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_array_tables() {
        let text = "[output]\n# c\nencoding = \"x\"\n\n[[crop.preset]]\nname = \"a\"\n\n[[crop.preset]]\nname = \"b\"\nsingle = [1,2,3]\n";
        assert_eq!(line_of_path(text, "output.encoding"), Some(3));
        assert_eq!(line_of_path(text, "crop.preset[1].single"), Some(10));
        assert_eq!(line_of_path(text, "crop.preset[0].name"), Some(6));
        assert_eq!(line_of_path(text, "nothing.here"), None);
    }
}

//! Finding where a key or table sits in a keymap file, for error messages that name the line.

pub(super) fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of `[name]`.
pub(super) fn find_table_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim();
            t.starts_with('[')
                && t.trim_start_matches('[')
                    .split(']')
                    .next()
                    .map(|n| unquote(n.trim()) == name)
                    .unwrap_or(false)
        })
        .map(|i| i + 1)
}

/// The line where `key` is assigned inside `[table]` (or at top level when `table` is None).
pub(super) fn find_key_line(text: &str, table: Option<&str>, key: &str) -> Option<usize> {
    let mut current: Option<String> = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            current = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .map(|n| unquote(n.trim()).to_string());
            continue;
        }
        if current.as_deref() != table {
            continue;
        }
        let Some((lhs, _)) = split_assignment(t) else {
            continue;
        };
        if unquote(lhs.trim()) == key {
            return Some(i + 1);
        }
    }
    None
}

/// Splits `key = value` at the first `=` outside quotes.
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=') => return Some((&line[..i], &line[i + 1..])),
            (None, '#') => return None,
            _ => {}
        }
    }
    None
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

//! Text for a terminal: file names and ZIP member names come from outside and may hold control
//! characters (ESC, OSC, BEL, newlines) that would retitle the window, clear the screen or forge
//! a line of output. Every human-readable output escapes them with this one function; JSON output
//! stays exact (JSON escapes them itself).

use std::borrow::Cow;

/// Whether a character must not reach a terminal raw: C0 and C1 controls, DEL, and the
/// invisible characters that reorder or separate lines (bidi controls, line/paragraph
/// separators, zero-width marks).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `s` with every unsafe character written as an escape (`\n`, `\r`, `\t`, `\x1b`, `\u{202e}`).
/// Text without them is returned as is.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 && unsafe_char(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_plain_text_kept() {
        assert!(matches!(escape("DOE^JOHN/é 1.dcm"), Cow::Borrowed(_)));
        let s = "a\x1b]0;owned\x07b\nexported: fine.dcm\r\x1b[2J\u{9b}c\u{202e}d\u{2028}\x7f";
        let e = escape(s);
        assert!(!e.chars().any(unsafe_char), "{e}");
        assert_eq!(
            e,
            "a\\x1b]0;owned\\x07b\\nexported: fine.dcm\\r\\x1b[2J\\x9bc\\u{202e}d\\u{2028}\\x7f"
        );
    }
}

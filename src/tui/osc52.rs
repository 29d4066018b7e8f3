//! Clipboard through OSC 52: the terminal (even across SSH) puts the text on the local
//! clipboard. Inside tmux the sequence is wrapped for passthrough.

use base64::Engine;

/// The escape sequence that sets the clipboard to `text`.
pub fn sequence(text: &str, tmux: bool) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let osc = format!("\x1b]52;c;{b64}\x07");
    if tmux {
        // DCS passthrough: ESC characters inside are doubled.
        format!("\x1bPtmux;{}\x1b\\", osc.replace('\x1b', "\x1b\x1b"))
    } else {
        osc
    }
}

/// Writes the sequence to the terminal.
pub fn copy(out: &mut impl std::io::Write, text: &str) -> std::io::Result<()> {
    let tmux = std::env::var_os("TMUX").is_some();
    out.write_all(sequence(text, tmux).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_and_tmux() {
        assert_eq!(super::sequence("hi", false), "\x1b]52;c;aGk=\x07");
        assert_eq!(
            super::sequence("hi", true),
            "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"
        );
    }
}

//! Clipboard through OSC 52: the terminal (even across SSH) puts the text on the local
//! clipboard. Inside tmux both the plain sequence (tmux's own `set-clipboard`) and the
//! passthrough-wrapped one (`allow-passthrough`) are sent: whichever the setup lets through
//! arrives. Nothing comes back to say so, so the UI words it as what was sent.

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

/// Everything written for `text`: the plain sequence, and inside tmux the wrapped one too.
pub fn sequences(text: &str, tmux: bool) -> String {
    let mut s = sequence(text, false);
    if tmux {
        s.push_str(&sequence(text, true));
    }
    s
}

/// Writes the sequences to the terminal.
pub fn copy(out: &mut impl std::io::Write, text: &str) -> std::io::Result<()> {
    let tmux = std::env::var_os("TMUX").is_some();
    out.write_all(sequences(text, tmux).as_bytes())?;
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

    #[test]
    fn inside_tmux_both_are_sent() {
        assert_eq!(super::sequences("hi", false), "\x1b]52;c;aGk=\x07");
        let both = super::sequences("hi", true);
        assert!(both.starts_with("\x1b]52;c;aGk=\x07"), "{both:?}");
        assert!(
            both.ends_with("\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"),
            "{both:?}"
        );
    }
}

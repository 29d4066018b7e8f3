//! Which image protocol really shows a picture here: a pure decision from what the environment
//! and the terminal said (recorded replies in the tests), falling back to halfblocks whenever
//! the answer is not certain. Halfblocks always show something.
//!
//! What goes wrong otherwise:
//! - tmux without `allow-passthrough` drops every graphics sequence sent through it, and sixel
//!   wrapped in passthrough is painted over by tmux's own redraw: inside tmux only the kitty
//!   protocol (unicode placeholders, which tmux keeps as text) survives, and only with
//!   passthrough on;
//! - kitty before 0.28 has no unicode placeholders: the kitty protocol as drawn here shows a
//!   grid of empty boxes (Debian's kitty 0.26);
//! - a terminal that claims sixel in its device attributes (xterm in VT340 mode, mlterm, foot)
//!   shows sixel outside tmux.

/// The names `--protocol`, `[preview] protocol` and the switch key use, in switch order.
pub const PROTOCOLS_CYCLE: [&str; 4] = ["halfblocks", "sixel", "kitty", "iterm2"];

/// The first kitty version with unicode placeholders.
const KITTY_PLACEHOLDERS: (u32, u32) = (0, 28);

/// What we know about the terminal. Replies are the raw bytes the terminal sent back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermFacts {
    /// `$TERM`.
    pub term: String,
    /// `$TERM_PROGRAM` and `$TERM_PROGRAM_VERSION`.
    pub term_program: String,
    pub term_program_version: String,
    /// `$TMUX` is set.
    pub tmux: bool,
    /// Output of `tmux show -gv allow-passthrough` (`on`, `all`, `off`), if it ran.
    pub tmux_passthrough: Option<String>,
    /// `$KITTY_WINDOW_ID` is set.
    pub kitty_window: bool,
    /// The XTVERSION reply (`ESC P > | kitty(0.26.5) ESC \`), if any.
    pub xtversion: Option<String>,
    /// The primary device attributes reply (`ESC [ ? 62 ; 4 ; 22 c`), if any.
    pub da1: Option<String>,
    /// The terminal answered the kitty graphics query with OK.
    pub kitty_graphics: bool,
}

/// The protocol to use and why (shown in the log and the preview title).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub protocol: &'static str,
    pub reason: String,
}

fn decision(protocol: &'static str, reason: impl Into<String>) -> Decision {
    Decision {
        protocol,
        reason: reason.into(),
    }
}

/// The terminal name and version from an XTVERSION reply: `kitty(0.26.5)`, `XTerm(390)`,
/// `tmux 3.3a`, `WezTerm 20240203-110809-5046fc22`.
pub fn parse_xtversion(reply: &str) -> Option<(String, String)> {
    let start = reply.find(">|")? + 2;
    let body = &reply[start..];
    let end = body.find(['\x1b', '\x07']).unwrap_or(body.len());
    let body = body[..end].trim();
    if let Some(open) = body.find('(') {
        let name = body[..open].trim().to_string();
        let ver = body[open + 1..].trim_end_matches(')').trim().to_string();
        return Some((name, ver));
    }
    let mut parts = body.splitn(2, ' ');
    let name = parts.next()?.trim().to_string();
    let ver = parts.next().unwrap_or("").trim().to_string();
    (!name.is_empty()).then_some((name, ver))
}

/// `0.26.5` -> (0, 26).
fn major_minor(v: &str) -> Option<(u32, u32)> {
    let mut it = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    let a = it.next()?.parse().ok()?;
    let b = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    Some((a, b))
}

/// The attributes of a DA1 reply `ESC [ ? 62 ; 4 ; 22 c`.
fn da1_attributes(reply: &str) -> Vec<u32> {
    let Some(start) = reply.find("[?") else {
        return Vec::new();
    };
    let body = &reply[start + 2..];
    let end = body.find('c').unwrap_or(body.len());
    body[..end]
        .split(';')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// The kitty version, from XTVERSION or (kitty sets no TERM_PROGRAM) the environment.
fn kitty_version(f: &TermFacts) -> Option<Option<(u32, u32)>> {
    if let Some((name, ver)) = f.xtversion.as_deref().and_then(parse_xtversion) {
        if name.eq_ignore_ascii_case("kitty") {
            return Some(major_minor(&ver));
        }
        if !name.eq_ignore_ascii_case("tmux") {
            return None;
        }
    }
    if f.term_program.eq_ignore_ascii_case("kitty") {
        return Some(major_minor(&f.term_program_version));
    }
    if f.term == "xterm-kitty" || f.kitty_window {
        return Some(None);
    }
    None
}

/// Decides the protocol. Certain answers only; everything else is halfblocks.
pub fn decide(f: &TermFacts) -> Decision {
    let passthrough = f
        .tmux_passthrough
        .as_deref()
        .map(|v| matches!(v.trim(), "on" | "all"))
        .unwrap_or(false);
    if f.tmux && !passthrough {
        let why = match f.tmux_passthrough.as_deref() {
            Some(v) => format!("tmux with allow-passthrough {}", v.trim()),
            None => "tmux (allow-passthrough unknown)".to_string(),
        };
        return decision(
            "halfblocks",
            format!("{why}: images sent through it would not arrive"),
        );
    }
    if let Some(version) = kitty_version(f) {
        return match version {
            Some(v) if v >= KITTY_PLACEHOLDERS => decision(
                "kitty",
                format!("kitty {}.{} (unicode placeholders)", v.0, v.1),
            ),
            Some(v) => decision(
                "halfblocks",
                format!(
                    "kitty {}.{} predates unicode placeholders (0.28): its images would be empty boxes",
                    v.0, v.1
                ),
            ),
            None => decision(
                "halfblocks",
                "kitty of unknown version (placeholders need 0.28; P switches)",
            ),
        };
    }
    if f.tmux {
        // Passthrough is on, but only kitty placeholders survive tmux's redraw.
        return decision(
            "halfblocks",
            "tmux: sixel and iTerm2 images are painted over by tmux (kitty 0.28+ only)",
        );
    }
    let attrs = f.da1.as_deref().map(da1_attributes).unwrap_or_default();
    if attrs.contains(&4) {
        return decision("sixel", "the terminal reports sixel graphics (DA1 4)");
    }
    let prog = f.term_program.as_str();
    if prog == "iTerm.app" || prog == "WezTerm" {
        return decision("iterm2", format!("{prog} (iTerm2 images)"));
    }
    if f.kitty_graphics {
        // Another terminal with kitty graphics: placeholders are not certain (WezTerm,
        // Konsole lack them).
        return decision(
            "halfblocks",
            "kitty graphics without known placeholder support (P switches)",
        );
    }
    decision("halfblocks", "no graphics protocol reported")
}

/// The facts from the environment (no terminal I/O); `tmux show` runs when inside tmux.
pub fn env_facts() -> TermFacts {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let tmux = std::env::var_os("TMUX").is_some();
    let tmux_passthrough = if tmux {
        std::process::Command::new("tmux")
            .args(["show", "-gv", "allow-passthrough"])
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    } else {
        None
    };
    TermFacts {
        term: var("TERM"),
        term_program: var("TERM_PROGRAM"),
        term_program_version: var("TERM_PROGRAM_VERSION"),
        tmux,
        tmux_passthrough,
        kitty_window: std::env::var_os("KITTY_WINDOW_ID").is_some(),
        ..Default::default()
    }
}

/// Asks the terminal for its version (XTVERSION) and device attributes (DA1), in raw mode,
/// before the input thread starts. Every terminal (and tmux) answers DA1, so this returns as
/// soon as that reply is in, or after `timeout`. Inside tmux with passthrough on, the version
/// query also goes to the outer terminal (that is where kitty answers).
#[cfg(unix)]
pub fn query_replies(facts: &mut TermFacts, timeout: std::time::Duration) -> std::io::Result<()> {
    use std::io::Write;
    use std::time::Instant;
    let passthrough = facts
        .tmux_passthrough
        .as_deref()
        .map(|v| matches!(v.trim(), "on" | "all"))
        .unwrap_or(false);
    let mut q = String::new();
    if facts.tmux && passthrough {
        q.push_str("\x1bPtmux;\x1b\x1b[>0q\x1b\\");
    } else {
        q.push_str("\x1b[>0q");
    }
    q.push_str("\x1b[c");
    let mut out = std::io::stdout();
    out.write_all(q.as_bytes())?;
    out.flush()?;
    let started = Instant::now();
    let mut buf: Vec<u8> = Vec::new();
    let mut da1_at: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let limit = match da1_at {
            // After DA1, a moment more for the outer terminal's reply through tmux.
            Some(t) if facts.tmux && passthrough && !has_xtversion(&buf) => {
                (t + std::time::Duration::from_millis(120)).min(started + timeout)
            }
            Some(_) => break,
            None => started + timeout,
        };
        if now >= limit {
            break;
        }
        let ms = (limit - now).as_millis().min(i32::MAX as u128) as i32;
        let mut fds = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, its count, a finite timeout.
        let r = unsafe { libc::poll(&mut fds, 1, ms) };
        if r <= 0 {
            if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        let mut chunk = [0u8; 256];
        // SAFETY: reading into a local buffer of the given size.
        let n = unsafe { libc::read(0, chunk.as_mut_ptr().cast(), chunk.len()) };
        if n <= 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n as usize]);
        let text = String::from_utf8_lossy(&buf);
        let da1_done = text
            .find("\x1b[?")
            .map(|i| text[i..].contains('c'))
            .unwrap_or(false);
        if da1_at.is_none() && da1_done {
            da1_at = Some(Instant::now());
        }
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    // Several XTVERSION replies (tmux's and the outer terminal's): prefer the non-tmux one.
    let mut versions: Vec<String> = text
        .split("\x1bP")
        .skip(1)
        .filter(|s| s.starts_with(">|"))
        .map(|s| format!("\x1bP{s}"))
        .collect();
    versions.sort_by_key(|v| {
        parse_xtversion(v)
            .map(|(n, _)| n.eq_ignore_ascii_case("tmux"))
            .unwrap_or(true)
    });
    facts.xtversion = versions.into_iter().next();
    if let Some(i) = text.find("\x1b[?") {
        let rest = &text[i..];
        if let Some(end) = rest.find('c') {
            facts.da1 = Some(rest[..=end].to_string());
        }
    }
    Ok(())
}

#[cfg(unix)]
fn has_xtversion(buf: &[u8]) -> bool {
    let t = String::from_utf8_lossy(buf);
    t.split("\x1bP>|").skip(1).any(|s| !s.starts_with("tmux"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Replies recorded from real terminals.
    const KITTY_026: &str = "\x1bP>|kitty(0.26.5)\x1b\\";
    const KITTY_035: &str = "\x1bP>|kitty(0.35.2)\x1b\\";
    const XTERM_VT340_DA1: &str = "\x1b[?63;1;2;4;6;9;15;16;22;28c";
    const XTERM_PLAIN_DA1: &str = "\x1b[?64;1;2;6;9;15;16;17;18;21;22;28c";
    const MLTERM_DA1: &str = "\x1b[?63;1;2;3;4;7;29c";
    const TMUX_XTVERSION: &str = "\x1bP>|tmux 3.3a\x1b\\";
    const TMUX_DA1: &str = "\x1b[?1;2;4c";

    fn facts() -> TermFacts {
        TermFacts {
            term: "xterm-256color".into(),
            ..Default::default()
        }
    }

    #[test]
    fn parses_version_replies() {
        assert_eq!(
            parse_xtversion(KITTY_026),
            Some(("kitty".into(), "0.26.5".into()))
        );
        assert_eq!(
            parse_xtversion(TMUX_XTVERSION),
            Some(("tmux".into(), "3.3a".into()))
        );
        assert_eq!(
            parse_xtversion("\x1bP>|XTerm(390)\x1b\\"),
            Some(("XTerm".into(), "390".into()))
        );
        assert_eq!(parse_xtversion("garbage"), None);
        assert_eq!(da1_attributes(MLTERM_DA1), vec![63, 1, 2, 3, 4, 7, 29]);
    }

    #[test]
    fn old_kitty_gets_halfblocks_new_kitty_gets_kitty() {
        let old = TermFacts {
            term: "xterm-kitty".into(),
            xtversion: Some(KITTY_026.into()),
            kitty_graphics: true,
            ..facts()
        };
        let d = decide(&old);
        assert_eq!(d.protocol, "halfblocks", "{d:?}");
        assert!(d.reason.contains("0.26"), "{d:?}");
        let new = TermFacts {
            xtversion: Some(KITTY_035.into()),
            ..old.clone()
        };
        assert_eq!(decide(&new).protocol, "kitty");
        // Known kitty, version unknown: unsure, so halfblocks.
        let unknown = TermFacts {
            xtversion: None,
            ..old
        };
        assert_eq!(decide(&unknown).protocol, "halfblocks");
    }

    #[test]
    fn sixel_outside_tmux_only() {
        let xterm = TermFacts {
            da1: Some(XTERM_VT340_DA1.into()),
            ..facts()
        };
        assert_eq!(decide(&xterm).protocol, "sixel");
        let mlterm = TermFacts {
            term: "mlterm".into(),
            da1: Some(MLTERM_DA1.into()),
            ..facts()
        };
        assert_eq!(decide(&mlterm).protocol, "sixel");
        let plain = TermFacts {
            da1: Some(XTERM_PLAIN_DA1.into()),
            ..facts()
        };
        assert_eq!(decide(&plain).protocol, "halfblocks");
        // Inside tmux, without passthrough, and with it: sixel never arrives.
        for pt in [None, Some("off"), Some("on")] {
            let t = TermFacts {
                tmux: true,
                tmux_passthrough: pt.map(String::from),
                xtversion: Some(TMUX_XTVERSION.into()),
                da1: Some(TMUX_DA1.into()),
                ..xterm.clone()
            };
            let d = decide(&t);
            assert_eq!(d.protocol, "halfblocks", "{pt:?}: {d:?}");
            assert!(d.reason.contains("tmux"), "{d:?}");
        }
    }

    #[test]
    fn kitty_inside_tmux_needs_passthrough() {
        let base = TermFacts {
            tmux: true,
            term_program: "tmux".into(),
            kitty_window: true,
            xtversion: Some(KITTY_035.into()),
            ..facts()
        };
        let off = TermFacts {
            tmux_passthrough: Some("off".into()),
            ..base.clone()
        };
        let d = decide(&off);
        assert_eq!(d.protocol, "halfblocks");
        assert!(d.reason.contains("allow-passthrough off"), "{d:?}");
        let on = TermFacts {
            tmux_passthrough: Some("on\n".into()),
            ..base.clone()
        };
        assert_eq!(decide(&on).protocol, "kitty");
        let all = TermFacts {
            tmux_passthrough: Some("all".into()),
            xtversion: Some(KITTY_026.into()),
            ..base
        };
        assert_eq!(decide(&all).protocol, "halfblocks", "old kitty behind tmux");
    }

    #[test]
    fn iterm2_and_unknown() {
        let iterm = TermFacts {
            term_program: "iTerm.app".into(),
            ..facts()
        };
        assert_eq!(decide(&iterm).protocol, "iterm2");
        assert_eq!(decide(&facts()).protocol, "halfblocks");
        let wez_kitty = TermFacts {
            kitty_graphics: true,
            ..facts()
        };
        assert_eq!(decide(&wez_kitty).protocol, "halfblocks");
    }
}

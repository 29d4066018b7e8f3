//! Key names: parsing `ctrl-x`, `"g g"` and the like, printing them, and reading crossterm's
//! key events.

use std::fmt;

use crossterm::event::{KeyCode as CtKeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A key without its press/release details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

/// A key with modifiers. Shift is only kept for non-character keys: `G` is written `G`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// A crossterm key press as a `Key` (None for releases and keys we do not name).
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let m = ev.modifiers;
        let (ctrl, alt, mut shift) = (
            m.contains(KeyModifiers::CONTROL),
            m.contains(KeyModifiers::ALT),
            m.contains(KeyModifiers::SHIFT),
        );
        let code = match ev.code {
            CtKeyCode::Char(c) => {
                shift = false;
                // Terminals send ctrl-D as 'd' or 'D'; treat letters with ctrl as lowercase.
                if ctrl && c.is_ascii_uppercase() {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            CtKeyCode::Enter => KeyCode::Enter,
            CtKeyCode::Esc => KeyCode::Esc,
            CtKeyCode::Tab if shift => {
                shift = false;
                KeyCode::BackTab
            }
            CtKeyCode::Tab => KeyCode::Tab,
            CtKeyCode::BackTab => {
                shift = false;
                KeyCode::BackTab
            }
            CtKeyCode::Backspace => KeyCode::Backspace,
            CtKeyCode::Delete => KeyCode::Delete,
            CtKeyCode::Insert => KeyCode::Insert,
            CtKeyCode::Up => KeyCode::Up,
            CtKeyCode::Down => KeyCode::Down,
            CtKeyCode::Left => KeyCode::Left,
            CtKeyCode::Right => KeyCode::Right,
            CtKeyCode::PageUp => KeyCode::PageUp,
            CtKeyCode::PageDown => KeyCode::PageDown,
            CtKeyCode::Home => KeyCode::Home,
            CtKeyCode::End => KeyCode::End,
            CtKeyCode::F(n) => KeyCode::F(n),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl,
            alt,
            shift,
        })
    }

    /// Parses one key name: `j`, `G`, `?`, `space`, `ctrl-d`, `alt-h`, `shift-up`, `f5`, ...
    pub fn parse(s: &str) -> Result<Key, String> {
        if s.is_empty() {
            return Err("empty key name".into());
        }
        let mut rest = s;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            // A single '-' (or "ctrl--") is the minus key, not a separator.
            if rest.len() > 1 {
                let lower = rest.to_ascii_lowercase();
                if let Some(r) = lower.strip_prefix("ctrl-") {
                    ctrl = true;
                    rest = &rest[rest.len() - r.len()..];
                    continue;
                }
                if let Some(r) = lower.strip_prefix("alt-") {
                    alt = true;
                    rest = &rest[rest.len() - r.len()..];
                    continue;
                }
                if let Some(r) = lower.strip_prefix("shift-") {
                    shift = true;
                    rest = &rest[rest.len() - r.len()..];
                    continue;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if shift && c.is_ascii_alphabetic() {
                    shift = false;
                    KeyCode::Char(c.to_ascii_uppercase())
                } else if ctrl && c.is_ascii_uppercase() {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "space" => KeyCode::Char(' '),
                "enter" | "return" | "ret" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if shift => {
                    shift = false;
                    KeyCode::BackTab
                }
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" | "bs" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "minus" => KeyCode::Char('-'),
                "hash" => KeyCode::Char('#'),
                other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) if (1..=24).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("unknown key name `{s}`")),
                },
            },
        };
        if shift && matches!(code, KeyCode::Char(_)) {
            return Err(format!(
                "`{s}`: write the shifted character itself (e.g. `G`, `?`)"
            ));
        }
        Ok(Key {
            code,
            ctrl,
            alt,
            shift,
        })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::F(n) => write!(f, "f{n}"),
        }
    }
}

/// A key sequence (one key, or a chord like `g g`).
pub type Seq = Vec<Key>;

/// Parses `"g g"` into keys.
pub fn parse_seq(s: &str) -> Result<Seq, String> {
    let keys: Result<Vec<Key>, String> = s.split_whitespace().map(Key::parse).collect();
    let keys = keys?;
    if keys.is_empty() {
        return Err("empty key".into());
    }
    Ok(keys)
}

/// Formats keys as written in keymap files.
pub fn seq_to_string(seq: &[Key]) -> String {
    seq.iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

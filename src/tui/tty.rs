//! Noticing that the terminal has gone (the SSH connection dropped, the window closed).
//!
//! crossterm's event source spins forever on a hung-up terminal: the descriptor stays readable,
//! `read` returns 0 or EIO, and its inner loop retries without ever returning, not even from
//! `event::poll` with a timeout (crossterm-rs/crossterm#793, fix proposed in #1067). The input
//! thread therefore waits on the descriptor itself and hands it to crossterm only while it is
//! alive; a hang-up ends the program like SIGHUP (the session is saved), also when no SIGHUP
//! arrives (a parent that ignores it, a terminal that is not our controlling one).

use std::os::fd::RawFd;

/// What the terminal's input descriptor says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtyState {
    /// Bytes (or nothing yet) to read: crossterm may look.
    Alive,
    /// Hung up, closed or invalid: nothing will ever come again.
    Gone,
}

/// The descriptor crossterm reads events from: standard input when it is a terminal,
/// otherwise `/dev/tty` (opened once and kept).
pub fn input_fd() -> Option<RawFd> {
    if unsafe { libc::isatty(0) } == 1 {
        return Some(0);
    }
    use std::os::fd::IntoRawFd;
    std::fs::File::open("/dev/tty")
        .ok()
        .map(|f| f.into_raw_fd())
}

/// Waits up to `ms` for the descriptor to become readable or to hang up.
pub fn wait(fd: RawFd, ms: i32) -> TtyState {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let r = unsafe { libc::poll(&mut p, 1, ms) };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        return if e.kind() == std::io::ErrorKind::Interrupted {
            TtyState::Alive
        } else {
            TtyState::Gone
        };
    }
    if p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return TtyState::Gone;
    }
    TtyState::Alive
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pseudo-terminal pair: (master, slave).
    fn pty() -> (RawFd, RawFd) {
        let (mut m, mut s) = (0, 0);
        let r = unsafe {
            libc::openpty(
                &mut m,
                &mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(r, 0, "openpty");
        (m, s)
    }

    #[test]
    fn a_live_terminal_is_alive_and_a_closed_one_is_gone() {
        let (m, s) = pty();
        assert_eq!(wait(s, 0), TtyState::Alive, "nothing typed yet");
        let typed = b"j";
        assert_eq!(unsafe { libc::write(m, typed.as_ptr().cast(), 1) }, 1);
        assert_eq!(wait(s, 1000), TtyState::Alive, "a key typed");
        unsafe { libc::close(m) };
        assert_eq!(wait(s, 1000), TtyState::Gone, "the terminal went away");
        unsafe { libc::close(s) };
        assert_eq!(wait(s, 0), TtyState::Gone, "a closed descriptor");
    }
}

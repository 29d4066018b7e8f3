//! The terminal goes away under a running UI (SSH dropped, window closed): the program must
//! save the session and end, not spin on the dead terminal. Runs the real binary on a
//! pseudo-terminal and closes the terminal side.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    // Only the terminal side (this test) may hold the master, or closing it hangs nothing up.
    for fd in [m, s] {
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    let ws = libc::winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    unsafe { libc::ioctl(s, libc::TIOCSWINSZ, &ws) };
    (m, s)
}

/// Starts `--demo` on the slave side; `controlling`: as a session leader with the terminal as
/// its controlling terminal (the kernel then sends SIGHUP when it hangs up).
fn start(home: &std::path::Path, slave: RawFd, controlling: bool) -> Child {
    let io = |fd: RawFd| unsafe { Stdio::from_raw_fd(libc::dup(fd)) };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_us-dicomizer"));
    cmd.arg("--demo")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("TERM", "xterm-256color")
        .env_remove("TMUX")
        .stdin(io(slave))
        .stdout(io(slave))
        .stderr(io(slave));
    if controlling {
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd.spawn().expect("the binary starts")
}

/// Plays the terminal on the master side: drains the output, answers cursor position reports,
/// and tells when the UI has drawn the demo exam. Dropping the returned sender closes the master
/// (the only descriptor of the terminal side): the terminal hangs up.
fn play_terminal(master: RawFd) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (shown_tx, shown_rx) = std::sync::mpsc::channel();
    let (hang_tx, hang_rx) = std::sync::mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        let mut f = unsafe { std::fs::File::from_raw_fd(master) };
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let mut told = false;
        loop {
            if let Err(std::sync::mpsc::TryRecvError::Disconnected) = hang_rx.try_recv() {
                return; // drops `f`: closes the master
            }
            let mut p = libc::pollfd {
                fd: master,
                events: libc::POLLIN,
                revents: 0,
            };
            if unsafe { libc::poll(&mut p, 1, 50) } <= 0 || p.revents & libc::POLLIN == 0 {
                continue;
            }
            let n = match f.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            // Answer cursor position reports as a terminal does.
            for _ in 0..buf[..n].windows(4).filter(|w| w == b"\x1b[6n").count() {
                let _ = f.write_all(b"\x1b[1;1R");
            }
            seen.extend_from_slice(&buf[..n]);
            if !told && String::from_utf8_lossy(&seen).contains("demo_05") {
                told = true;
                let _ = shown_tx.send(());
            }
        }
    });
    shown_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the UI shows the demo exam");
    (hang_tx, h)
}

fn ends_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Some(st) = child.try_wait().expect("wait") {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Held while a pseudo-terminal is made and a child started, so that no child of the other
/// test inherits this test's descriptors in between.
static SPAWN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn hang_up(controlling: bool) {
    let home = tempfile::tempdir().unwrap();
    let (master, mut child) = {
        let _one = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
        let (master, slave) = pty();
        let child = start(home.path(), slave, controlling);
        unsafe { libc::close(slave) };
        (master, child)
    };
    let (hang, terminal) = play_terminal(master);
    // Give the UI a moment in its event loop, then take the terminal away.
    std::thread::sleep(Duration::from_millis(500));
    drop(hang);
    let _ = terminal.join();
    let status = ends_within(&mut child, Duration::from_secs(20));
    let log = || {
        std::fs::read_dir(home.path().join("data/us-dicomizer/logs"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect::<String>()
    };
    let Some(status) = status else {
        panic!(
            "the program did not end when its terminal went away\n{}",
            log()
        );
    };
    assert_eq!(
        status.code(),
        Some(128 + libc::SIGHUP),
        "{status:?}\n{}",
        log()
    );
    let sessions = home.path().join("data/us-dicomizer/sessions");
    let saved = std::fs::read_dir(&sessions)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().ends_with(".json"))
        })
        .unwrap_or(false);
    assert!(saved, "the session was saved under {}", sessions.display());
}

#[test]
fn a_hangup_of_the_controlling_terminal_ends_the_program() {
    hang_up(true);
}

#[test]
fn a_dead_terminal_without_sighup_ends_the_program() {
    hang_up(false);
}

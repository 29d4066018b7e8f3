//! Running code that may panic on hostile input (dicom-rs parsers and decoders) without taking
//! the program down and without printing "thread '…' panicked" over the report or the screen.
//!
//! A process-wide panic hook is installed once; it stays silent while the current thread is
//! inside [`catch`] and hands every other panic to the hook that was there before (so real bugs
//! still print). The panic message becomes part of the reason.

use std::cell::{Cell, RefCell};
use std::sync::Once;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

fn install() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(|d| d.get()) > 0 {
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown cause".into());
                LAST.with(|l| *l.borrow_mut() = Some(msg));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic inside becomes `Err(message)` (first line, at most 120 characters) and
/// prints nothing.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install();
    DEPTH.with(|d| d.set(d.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    r.map_err(|_| {
        LAST.with(|l| l.borrow_mut().take())
            .map(|m| m.lines().next().unwrap_or("").chars().take(120).collect())
            .unwrap_or_else(|| "unknown cause".into())
    })
}

/// Stack size for worker threads (rayon pools and our own threads): parsing and walking are
/// bounded in depth, this leaves a wide margin for the codecs.
pub const WORKER_STACK: usize = 16 << 20;

/// The most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 256;

/// Checks a `--jobs` value.
pub fn check_jobs(jobs: usize) -> Result<usize, String> {
    if jobs == 0 || jobs > MAX_JOBS {
        return Err(format!(
            "--jobs {jobs}: give 1 to {MAX_JOBS} worker threads (this machine has {})",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        ));
    }
    Ok(jobs)
}

/// Sets up the global rayon pool once: `jobs` threads (default: one per core), each with a
/// known stack size.
pub fn init_pool(jobs: Option<usize>) {
    let mut b = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK);
    if let Some(j) = jobs {
        b = b.num_threads(j);
    }
    let _ = b.build_global();
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_caught_panic_gives_its_message() {
        let r: Result<(), String> = super::catch(|| panic!("index 9 out of range"));
        assert_eq!(r.unwrap_err(), "index 9 out of range");
        assert_eq!(super::catch(|| 5).unwrap(), 5);
    }
}

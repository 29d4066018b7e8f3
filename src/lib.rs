pub mod core;
pub mod tui;

/// Keeps large per-frame buffers on the heap instead of mmap/munmap per allocation (glibc):
/// the default thresholds cost several milliseconds per 1200x800 frame in page faults.
/// Called once by the binary and the benchmarks.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        // M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3 (malloc.h)
        libc::mallopt(-1, 512 << 20);
        libc::mallopt(-3, 256 << 20);
    }
}

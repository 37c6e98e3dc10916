//! `--features heap-stats`: the global allocator wrapped in counters of the bytes live in
//! the heap, printed on each `--timings` line. Resident memory above the live heap is the
//! allocator's (pages kept for reuse, or held by a few live bytes); live memory above what
//! a phase should hold is the program's. Off by default: every allocation pays two atomic
//! updates.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most live at once since the last [`take_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// An allocator that counts what `A` hands out.
pub struct Counting<A>(pub A);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed to `A` unchanged; only counters are updated beside it.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `A`'s.
        let p = unsafe { self.0.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { self.0.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as `alloc`.
        unsafe { self.0.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { self.0.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

/// Bytes live in the heap now, and the most live at once since the last call.
pub fn take_peak() -> (usize, usize) {
    let now = LIVE.load(Ordering::Relaxed);
    (now, PEAK.swap(now, Ordering::Relaxed))
}

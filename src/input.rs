//! Finding inputs (files, folders, stdin) and opening them (gzip sniffed by magic bytes).

pub mod discover;
pub mod map;
pub mod open;

pub use discover::{Input, discover};
pub use open::{Opened, open};

//! Reports: readers of [`RunResults`](crate::results::RunResults), each in its own module.

pub mod analysis;
pub mod html;
pub mod terminal;

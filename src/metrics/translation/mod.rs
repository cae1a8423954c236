//! Machine translation metrics, the same numbers as sacreBLEU 2.6.0.

pub mod ter;

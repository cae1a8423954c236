//! Metrics computed from case outcomes.

//! Analyze stage: classification, scoring and performance statistics.

pub mod classify;
pub mod rules;

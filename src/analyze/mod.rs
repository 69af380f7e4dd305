//! Analyze stage.

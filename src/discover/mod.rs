//! Discover stage.

//! The storage test suite every backend runs unchanged.

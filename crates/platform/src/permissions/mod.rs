//! Call permissions and limits (in progress).

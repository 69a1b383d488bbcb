//! Meta SDP rules (in progress).

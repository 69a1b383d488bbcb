//! Graph API HTTP client (in progress).

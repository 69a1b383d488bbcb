//! Validation of the platform URL an agent types at sign-in.

use crate::error::CommandError;
use tauri::Url;

/// Parses and normalizes a platform URL: http(s) only, a host, no credentials, query or
/// fragment; the result is the origin plus any path prefix, without a trailing slash.
pub fn normalize_platform_url(input: &str) -> Result<String, CommandError> {
    let invalid = |why: &str| CommandError::InvalidPlatformUrl(why.to_owned());
    let url = Url::parse(input.trim()).map_err(|_| invalid("it is not a URL"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid("it must start with https:// or http://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not contain credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_origin_and_path_prefix_without_trailing_slash() {
        assert_eq!(
            normalize_platform_url(" https://calls.example.com/ ").unwrap(),
            "https://calls.example.com"
        );
        assert_eq!(
            normalize_platform_url("http://127.0.0.1:8080/ringdesk/").unwrap(),
            "http://127.0.0.1:8080/ringdesk"
        );
    }

    #[test]
    fn refuses_what_is_not_a_platform_url() {
        for bad in [
            "",
            "calls.example.com",
            "ftp://calls.example.com",
            "https://agent:secret@calls.example.com",
            "https://calls.example.com/?token=x",
            "https://calls.example.com/#x",
        ] {
            let err = normalize_platform_url(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_platform_url", "{bad:?} was accepted");
        }
    }
}

//! Telling a certificate problem apart from other connection failures.

/// The TLS verification failure inside `error`'s source chain, in words, if that is what it is
/// (an unknown issuer, an expired certificate, a name mismatch…). Other TLS and network errors
/// are `None`: they are "cannot connect", not "do not trust".
pub fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = from_rustls(e) {
            return Some(found);
        }
        // tokio-rustls hands rustls errors over wrapped in an io::Error.
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(found) = io.get_ref().and_then(|inner| from_rustls(inner)) {
                return Some(found);
            }
        }
        current = e.source();
    }
    None
}

fn from_rustls(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    match e.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(why) => Some(format!("{why:?}")),
        rustls::Error::NoCertificatesPresented => {
            Some("the server presented no certificate".into())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_invalid_certificate_is_found() {
        let rustls_error =
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls_error);
        let found = certificate_problem(&io).expect("a certificate problem");
        assert!(found.contains("UnknownIssuer"), "{found}");
    }

    #[test]
    fn other_failures_are_not_certificate_problems() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(certificate_problem(&io), None);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(certificate_problem(&io), None);
    }
}

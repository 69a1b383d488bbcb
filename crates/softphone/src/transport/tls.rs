//! The rustls client configuration: the operating system's trust store plus an optional extra
//! CA file. One `ClientConfig` serves the WebSocket and REST alike.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::LinkError;

/// The extra CA file's certificates (PEM, one or more `CERTIFICATE` blocks).
fn extra_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>, LinkError> {
    let refuse = |reason: String| LinkError::ExtraCa {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| refuse(format!("is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(refuse("holds no CERTIFICATE block".into()));
    }
    Ok(certs)
}

pub(super) fn client_config(
    extra_ca: Option<&Path>,
) -> Result<Arc<rustls::ClientConfig>, LinkError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = match extra_ca {
        Some(path) => rustls_platform_verifier::Verifier::new_with_extra_roots(
            extra_roots(path)?,
            provider.clone(),
        )
        .map_err(|e| LinkError::ExtraCa {
            path: path.display().to_string(),
            reason: format!("was refused as a trust anchor: {e}"),
        })?,
        None => rustls_platform_verifier::Verifier::new(provider.clone())
            .map_err(|e| LinkError::Tls(format!("the system's trust store: {e}")))?,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LinkError::Tls(e.to_string()))?
        .dangerous() // not dangerous: a full verifier, only not the default one
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusable_extra_ca_file_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = client_config(Some(&missing)).unwrap_err().to_string();
        assert!(err.contains("cannot be read"), "{err}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "just text\n").unwrap();
        let err = client_config(Some(&empty)).unwrap_err().to_string();
        assert!(err.contains("no CERTIFICATE"), "{err}");

        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = client_config(Some(&broken)).unwrap_err().to_string();
        assert!(err.contains("broken.pem"), "{err}");
    }
}

//! A throwaway certificate authority for TLS tests: a CA, and a server certificate it signed
//! for `localhost` and 127.0.0.1, written as PEM files into a directory.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

/// The PEM files of one test CA and its server certificate.
pub struct TestCa {
    /// The CA certificate (what clients are told to trust).
    pub ca_file: PathBuf,
    /// The server's certificate chain (leaf only) and private key.
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

impl TestCa {
    /// A new CA named `name` in `dir`, with a server certificate for localhost/127.0.0.1.
    pub fn create(dir: &Path, name: &str) -> Result<Self, String> {
        Self::create_for(dir, name, &["localhost", "127.0.0.1"])
    }

    /// Like [`TestCa::create`], the server certificate for `hosts` (names or IP addresses).
    pub fn create_for(dir: &Path, name: &str, hosts: &[&str]) -> Result<Self, String> {
        let fail = |e: rcgen::Error| format!("test CA: {e}");
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca =
            CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(fail)?).map_err(fail)?;

        let sans: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        let mut server = CertificateParams::new(sans).map_err(fail)?;
        server.distinguished_name.push(
            DnType::CommonName,
            hosts.first().copied().unwrap_or("localhost"),
        );
        let server_key = KeyPair::generate().map_err(fail)?;
        let server_cert = server.signed_by(&server_key, &ca).map_err(fail)?;

        let write = |file: &str, pem: String| -> Result<PathBuf, String> {
            let path = dir.join(file);
            std::fs::write(&path, pem).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(path)
        };
        Ok(Self {
            ca_file: write(&format!("{name}-ca.pem"), ca.pem())?,
            cert_file: write(&format!("{name}-server.pem"), server_cert.pem())?,
            key_file: write(&format!("{name}-server.key"), server_key.serialize_pem())?,
        })
    }
}

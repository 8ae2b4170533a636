//! HTTPS for the reference transport (TR-069 3.4.4: the CPE authenticates the ACS by its
//! certificate; the ACS may require client certificates): rustls with the ring provider,
//! configured from PEM files.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read certificates from {path}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot read certificates from {path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{path} holds no PEM certificate"));
    }
    Ok(certs)
}

fn key(path: &str) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("cannot read a private key from {path}: {e}"))
}

fn roots(path: &str) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for c in certs(path)? {
        store
            .add(c)
            .map_err(|e| format!("{path}: not a usable CA certificate: {e}"))?;
    }
    Ok(store)
}

/// The HeMS side: its certificate chain and key, and optionally the CA whose client
/// certificates it requires.
pub fn acceptor(
    cert: &str,
    key_path: &str,
    client_ca: Option<&str>,
) -> Result<TlsAcceptor, String> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match client_ca {
        Some(ca) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider())
                    .build()
                    .map_err(|e| format!("{ca}: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(certs(cert)?, key(key_path)?)
        .map_err(|e| format!("{cert} / {key_path}: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The names a (verified) client certificate carries: its subject CN and its subject
/// alternative names, for the HeMS's device binding (TS 33.320). None if it cannot be read.
pub fn certificate_identity(der: &[u8]) -> Option<femtocwmp::session::CertificateIdentity> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    let mut subject_alt_names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                    subject_alt_names.push((*s).to_owned())
                }
                GeneralName::IPAddress(b) => match b.len() {
                    4 => subject_alt_names
                        .push(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).ok()?).to_string()),
                    16 => subject_alt_names
                        .push(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).ok()?).to_string()),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    Some(femtocwmp::session::CertificateIdentity {
        common_name,
        subject_alt_names,
    })
}

/// The HeNB side: the CA that signed the HeMS's certificate, and optionally the HeNB's own
/// certificate and key for client authentication.
pub fn connector(ca: &str, client: Option<(&str, &str)>) -> Result<TlsConnector, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots(ca)?);
    let config = match client {
        Some((cert, key_path)) => builder
            .with_client_auth_cert(certs(cert)?, key(key_path)?)
            .map_err(|e| format!("{cert} / {key_path}: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    Ok(TlsConnector::from(Arc::new(config)))
}

/// A byte stream to a peer: plain TCP or TLS over it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// How a HeNB reaches its HeMS (and the HeMS's file server): an address, and TLS with the
/// name the certificate must carry when the URL is `https://`.
#[derive(Clone)]
pub struct Dialer {
    /// Where to connect.
    pub addr: SocketAddr,
    /// TLS, for `https://` URLs.
    pub tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Dialer {
    /// Plain TCP to `addr`.
    pub fn plain(addr: SocketAddr) -> Self {
        Dialer { addr, tls: None }
    }

    /// Opens a connection (and does the TLS handshake); errors say what failed.
    pub async fn dial(&self) -> Result<Box<dyn Stream>, String> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("cannot reach the HeMS at {}: {e}", self.addr))?;
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some((connector, name)) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS handshake with {} failed: {e}", self.addr))?;
                Ok(Box::new(tls))
            }
        }
    }
}

/// The server name a certificate must match for the host of `url` (a DNS name or an IP).
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned()).map_err(|e| format!("{host}: not a TLS server name: {e}"))
}

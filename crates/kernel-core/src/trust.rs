//! Which certificate authorities a client trusts: the ones Node.js trusts by default, so a host
//! that `fetch` (and `@onkernel/sdk`) can reach, kernel-native can reach too.
//!
//! 1. Mozilla's root store, compiled in (`webpki-roots`), as Node bundles it. The system's
//!    store was read before: that cost about 3 ms of every cold start (Debian keeps ~150 files
//!    in `/etc/ssl/certs`), and slim images (`node:*-slim`, distroless) have no store at all, so
//!    there `new Kernel()` failed outright. `webpki-roots` holds the roots as ready trust
//!    anchors (subject and key only): nothing to parse at start-up, a third of the bytes of the
//!    whole certificates.
//! 2. `NODE_EXTRA_CA_CERTS`, a PEM file, as Node reads it. Node has already warned at start-up
//!    about a file it could not read, and goes on without it; so do we.
//! 3. `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (OpenSSL's variables, which earlier versions
//!    honoured): what they name is trusted too.
//! 4. The client's own `ca` option.

use std::path::Path;
use std::sync::OnceLock;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use rustls_native_certs::load_certs_from_paths;

use crate::error::Error;

/// The roots of one client: the process-wide ones (1-3) and the caller's `ca`.
pub(crate) fn root_store(extra_ca_pem: Option<&str>) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // Already checked when they were read: none is refused here.
    store.add_parsable_certificates(environment_roots().iter().cloned());
    if let Some(pem) = extra_ca_pem {
        for certificate in ca_option(pem)? {
            store.add(certificate).map_err(|_| {
                Error::Config(
                    "Invalid ca: a PEM block could not be read as an X.509 certificate".to_owned(),
                )
            })?;
        }
    }
    Ok(store)
}

/// Read once per process, as Node reads `NODE_EXTRA_CA_CERTS` once at start-up.
fn environment_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        node_extra_ca_certs()
            .into_iter()
            .chain(openssl_env_certs())
            .filter(usable)
            .collect()
    })
}

fn node_extra_ca_certs() -> Vec<CertificateDer<'static>> {
    let Some(path) = std::env::var_os("NODE_EXTRA_CA_CERTS").filter(|path| !path.is_empty()) else {
        return Vec::new();
    };
    CertificateDer::pem_file_iter(path)
        .map(|certificates| certificates.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

/// Only the paths the variables name: `load_native_certs` would read the platform's store when
/// they are unset, and on macOS its keychain code would be linked in for nothing.
fn openssl_env_certs() -> Vec<CertificateDer<'static>> {
    let file = std::env::var_os("SSL_CERT_FILE").filter(|value| !value.is_empty());
    let dirs = std::env::var_os("SSL_CERT_DIR").unwrap_or_default();
    let mut certificates = Vec::new();
    if let Some(file) = file {
        certificates.extend(load_certs_from_paths(Some(Path::new(&file)), None).certs);
    }
    // Several folders, separated as PATH is (`:` on Unix, `;` on Windows), as OpenSSL reads it.
    for dir in std::env::split_paths(&dirs).filter(|dir| !dir.as_os_str().is_empty()) {
        certificates.extend(load_certs_from_paths(None, Some(&dir)).certs);
    }
    certificates
}

/// A file from the environment may hold a certificate that is not a usable root (expired
/// formats, a key by mistake): skip it, as Node does, rather than fail every client.
fn usable(der: &CertificateDer<'static>) -> bool {
    RootCertStore::empty().add(der.clone()).is_ok()
}

/// Unlike the environment's files, a `ca` the caller passed must be usable: a typo there is a
/// bug to report, not a certificate to skip.
fn ca_option(pem: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let invalid = || {
        Error::Config(
            "Invalid ca: expected one or more PEM certificates (-----BEGIN CERTIFICATE-----)"
                .to_owned(),
        )
    };
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| invalid())?;
    if certificates.is_empty() {
        return Err(invalid());
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mozilla_roots_are_always_there_and_a_bad_ca_is_refused() {
        let mozilla = webpki_roots::TLS_SERVER_ROOTS.len();
        assert!(mozilla > 100, "{mozilla}");
        assert!(root_store(None).unwrap().len() >= mozilla);
        let message = root_store(Some("not a certificate"))
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("Invalid ca"), "{message}");
    }
}

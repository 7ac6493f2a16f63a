//! The PostgreSQL store over TLS against a real server that takes TCP
//! connections over TLS only (`hostssl`), its certificate signed by an
//! installation's own certificate authority (made here with `openssl`):
//! `sslmode=verify-full` / `verify-ca` with `sslrootcert` connect, in both
//! forms of the connection string; a connection without TLS is rejected by
//! the server; an unknown authority, the system's roots, a host name the
//! certificate does not name, and an unreadable `sslrootcert` file are
//! typed TLS faults that name no password.
#![cfg(all(unix, feature = "postgres"))]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use smartlink_core::{
    ErpLine, InstallationId, PgStateStore, PgStoreOptions, PgTarget, SealKey, StateError,
    StateStore, StoreFault,
};
use smartlink_testkit::pg_server::{PgServer, ServerTls};

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// A CA, a server certificate for `localhost` signed by it, and a
    /// second CA that signed nothing.
    fn make() -> Self {
        let pki = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let ec: &[&str] = &[
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for (name, subject) in [("ca", "/CN=smartlink test CA"), ("other", "/CN=another CA")] {
            let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
            let args = [
                "req", "-x509", "-days", "2", "-subj", subject, "-keyout", &key, "-out", &pem,
            ];
            pki.openssl(&[&args[..], ec].concat());
        }
        let args = [
            "req",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ];
        pki.openssl(&[&args[..], ec].concat());
        std::fs::write(
            pki.path("server.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        pki.openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        pki
    }

    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .expect("openssl runs (installed by scripts/install-test-deps.sh)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    fn server(&self) -> PgServer {
        PgServer::start_tls(ServerTls {
            cert_pem: &self.read("server.pem"),
            key_pem: &self.read("server.key"),
        })
    }
}

fn url_path(path: &Path) -> String {
    percent_encoding::utf8_percent_encode(
        path.to_str().unwrap(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string()
}

fn store(conninfo: &str, id: &str) -> Result<PgStateStore, StateError> {
    let dir = tempfile::tempdir().unwrap();
    let key = SealKey::create_file(&dir.path().join("k")).unwrap();
    PgStateStore::open(
        PgTarget::parse(conninfo).unwrap(),
        key,
        InstallationId::new(id).unwrap(),
        ErpLine::Protheus,
        PgStoreOptions::new().operation_timeout(Duration::from_secs(5)),
    )
}

/// The fault of a load that must fail, with the whole error shown for the
/// password check.
fn load_fault(conninfo: &str) -> (StoreFault, String) {
    let store = store(conninfo, "inst-tls-bad").unwrap();
    match store.load() {
        Err(e @ StateError::Unreachable { fault, .. }) => (fault, format!("{e} {e:?}")),
        other => panic!("{conninfo}: expected a typed fault, got {other:?}"),
    }
}

#[test]
fn verified_tls_with_the_installations_own_authority_in_both_forms() {
    let pki = Pki::make();
    let server = pki.server();
    let ca = pki.path("ca.pem");
    let forms = [
        format!(
            "postgres://postgres:pw-tls-1@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}",
            server.port(),
            url_path(&ca)
        ),
        format!(
            "host=localhost port={} user=postgres password='pw-tls-1' dbname=postgres \
             sslmode=verify-ca sslrootcert='{}'",
            server.port(),
            ca.display()
        ),
        format!(
            "postgres://postgres@localhost:{}/postgres?sslmode=require&sslrootcert={}",
            server.port(),
            url_path(&ca)
        ),
    ];
    for (i, conninfo) in forms.iter().enumerate() {
        let s = store(conninfo, &format!("inst-tls-{i}")).unwrap();
        let loaded = s.load();
        assert!(matches!(loaded, Ok(None)), "{conninfo}: {loaded:?}");
    }
    // The server takes no TCP connection without TLS: the store's loads
    // above went over TLS.
    let (fault, _) = load_fault(&format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=disable",
        server.port()
    ));
    assert_eq!(fault, StoreFault::Authentication);
}

#[test]
fn unknown_authorities_wrong_names_and_unreadable_root_files_are_tls_faults() {
    let pki = Pki::make();
    let server = pki.server();
    let port = server.port();
    let with_roots = |host: &str, roots: Option<&Path>| {
        let mut url =
            format!("postgres://postgres:pw-tls-2@{host}:{port}/postgres?sslmode=verify-full");
        if let Some(r) = roots {
            url.push_str(&format!("&sslrootcert={}", url_path(r)));
        }
        url
    };
    for conninfo in [
        // Signed by an authority the client was not told to trust.
        with_roots("localhost", Some(&pki.path("other.pem"))),
        // The system's roots do not hold the installation's authority.
        with_roots("localhost", None),
        // The certificate names localhost, not 127.0.0.1.
        with_roots("127.0.0.1", Some(&pki.path("ca.pem"))),
    ] {
        let (fault, shown) = load_fault(&conninfo);
        assert_eq!(fault, StoreFault::Tls, "{conninfo}: {shown}");
        assert!(!shown.contains("pw-tls-2"), "{shown}");
    }
    // A root file that is missing or holds no certificate: refused when
    // the store opens, naming the file, not the password.
    std::fs::write(pki.path("empty.pem"), "not a certificate\n").unwrap();
    for name in ["missing.pem", "empty.pem"] {
        let conninfo = with_roots("localhost", Some(&pki.path(name)));
        match store(&conninfo, "inst-tls-roots") {
            Err(e @ StateError::Unreachable { fault, .. }) => {
                assert_eq!(fault, StoreFault::Tls, "{e}");
                let shown = format!("{e} {e:?}");
                assert!(shown.contains(name), "{shown}");
                assert!(!shown.contains("pw-tls-2"), "{shown}");
            }
            Err(e) => panic!("{name}: {e:?}"),
            Ok(_) => panic!("{name}: the store opened"),
        }
    }
}

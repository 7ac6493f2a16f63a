//! The sealed secret: the stored credentials encrypted under a key that the
//! host supplies, for state that leaves one machine's private disk (a shared
//! folder, a backup, a database row).
//!
//! # Algorithm
//!
//! ChaCha20-Poly1305 (RFC 8439) from `ring`, the cryptography crate that
//! already serves the library's TLS (so sealing adds no cipher code to the
//! shipped library). Each seal draws a fresh random 96-bit nonce from the
//! operating system; a state is sealed once per save, far below the 2^32
//! seals per key that random nonces allow.
//!
//! # Associated data
//!
//! The installation id, the ERP line and the state format (tag and version)
//! are bound as associated data: a blob copied into another installation's
//! state, or into a state of another format version, does not open
//! ([`SealError::OtherInstallation`]).
//!
//! # The key file
//!
//! Exactly 32 random bytes, nothing else ([`SealKey::create_file`] makes
//! one). It must be a regular file owned by this process's user with no
//! group or other permission bit (on Windows: a DACL that does not open it to
//! Everyone, Authenticated Users, Users, Guests or Anonymous), the same
//! checks as the state file's; a looser one is refused
//! ([`SealError::KeyFileInsecure`]).
//!
//! # What the blob says about itself
//!
//! Besides the nonce and the ciphertext, a blob holds two 8-byte
//! fingerprints: of the key (SHA-256 of a label and the key) and of the
//! associated data. They let a refusal name its cause (wrong key, another
//! installation, altered data) and reveal nothing about the key: 64 bits of
//! a hash of 256 random bits.
//!
//! Errors and `Debug` output never show the key, the secret or the
//! ciphertext.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::credentials::Credentials;
use crate::installation::{ErpLine, InstallationId};

/// The length of a seal key, in bytes.
pub const KEY_LEN: usize = 32;

/// The algorithm name written in every blob.
pub const ALGORITHM: &str = "chacha20-poly1305";

/// Why a seal key could not be used or a sealed blob could not be opened.
/// Messages name files and causes, never the key, the secret or the data.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SealError {
    /// The key file does not exist.
    #[error("seal key file {path} does not exist")]
    KeyFileMissing {
        /// The key file.
        path: PathBuf,
    },
    /// The key file could not be read or written.
    #[error("seal key file {op} failed for {path}: {source}")]
    KeyFileIo {
        /// What was being done.
        op: &'static str,
        /// The key file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The key file is readable or writable by other accounts.
    #[cfg_attr(
        not(windows),
        error(
            "seal key file {path} has mode {mode:o}; it must be readable by its owner only (0600)"
        )
    )]
    #[cfg_attr(
        windows,
        error(
            "seal key file {path} is open to other accounts (like mode {mode:o}); its DACL must grant access to this account and SYSTEM only"
        )
    )]
    KeyFileInsecure {
        /// The key file.
        path: PathBuf,
        /// Its permission bits (on Windows, the Unix equivalent).
        mode: u32,
    },
    /// The key file belongs to another user.
    #[error(
        "seal key file {path} is owned by uid {owner}, not by this process's user (uid {expected})"
    )]
    KeyFileForeignOwner {
        /// The key file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's effective uid.
        expected: u32,
    },
    /// The key file is not a regular file of exactly 32 bytes.
    #[error(
        "seal key file {path} is not a key: it must be a regular file of exactly 32 bytes ({found})"
    )]
    KeyFileInvalid {
        /// The key file.
        path: PathBuf,
        /// What was found instead (a size or a kind, never contents).
        found: String,
    },
    /// A new key file was asked for where a file already exists.
    #[error("seal key file {path} already exists; it was left as it is")]
    KeyFileExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The stored secret is sealed and no key was given.
    #[error("the stored secret is sealed and no seal key was given")]
    KeyMissing,
    /// The key given is not the one the secret was sealed with.
    #[error("the seal key given is not the key the stored secret was sealed with")]
    WrongKey,
    /// The sealed blob was made for another installation, line or format.
    #[error(
        "the sealed secret was made for another installation, ERP line or state format; it is refused"
    )]
    OtherInstallation,
    /// The blob does not open under the right key and data: it was altered.
    #[error("the sealed secret does not open: it was altered or damaged")]
    Tampered,
    /// The blob's algorithm is not one this library knows.
    #[error("the sealed secret uses an algorithm this library does not know")]
    UnknownAlgorithm,
    /// The system's random source failed.
    #[error("the system's random number generator failed")]
    Random,
}

/// A 32-byte seal key, wiped from memory when dropped. `Debug` shows only
/// that it is a key.
pub struct SealKey {
    bytes: zeroize::Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey([redacted])")
    }
}

impl SealKey {
    /// A key from its bytes (for hosts that keep the key elsewhere than in a
    /// file, and for tests).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self {
            bytes: zeroize::Zeroizing::new(bytes),
        }
    }

    /// A new random key.
    pub fn generate() -> Result<Self, SealError> {
        let mut bytes = zeroize::Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(&mut bytes[..])
            .map_err(|_| SealError::Random)?;
        Ok(Self { bytes })
    }

    /// Reads a key file, refusing one that others can read or write, that
    /// belongs to another user, that is not a regular file (a symlink is
    /// refused on Unix) or that does not hold exactly 32 bytes.
    pub fn read_file(path: impl AsRef<Path>) -> Result<Self, SealError> {
        let path = path.as_ref();
        let io_err = |op, source| SealError::KeyFileIo {
            op,
            path: path.to_path_buf(),
            source,
        };
        let file = match open_for_read(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(SealError::KeyFileMissing {
                    path: path.to_path_buf(),
                });
            }
            Err(e) => return Err(io_err("open", e)),
        };
        let meta = file.metadata().map_err(|e| io_err("stat", e))?;
        if !meta.is_file() {
            return Err(SealError::KeyFileInvalid {
                path: path.to_path_buf(),
                found: "not a regular file".into(),
            });
        }
        check_private(path, &file, &meta)?;
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(KEY_LEN + 1));
        (&file)
            .take(KEY_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_err("read", e))?;
        if bytes.len() != KEY_LEN {
            let found = if bytes.len() > KEY_LEN {
                "more than 32 bytes".to_owned()
            } else {
                format!("{} bytes", bytes.len())
            };
            return Err(SealError::KeyFileInvalid {
                path: path.to_path_buf(),
                found,
            });
        }
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&bytes);
        let key = Self::from_bytes(key);
        Ok(key)
    }

    /// Makes a new key file of 32 random bytes at `path`, owner-only from
    /// its creation, and returns the key. Never replaces a file: an existing
    /// one gives [`SealError::KeyFileExists`] and is left as it is.
    ///
    /// On Unix the key is written to a temporary file (mode 0600) in the same
    /// directory, synced, then linked to `path` only if that name is free, so
    /// `path` never holds a partial key. On Windows the file is created with
    /// an owner-only DACL and `CREATE_NEW`; a crash while writing can leave a
    /// short file, which [`SealKey::read_file`] refuses.
    pub fn create_file(path: impl AsRef<Path>) -> Result<Self, SealError> {
        let path = path.as_ref();
        let key = Self::generate()?;
        let exists = |path: &Path| SealError::KeyFileExists {
            path: path.to_path_buf(),
        };
        let io_err = |op, source| SealError::KeyFileIo {
            op,
            path: path.to_path_buf(),
            source,
        };
        if path.symlink_metadata().is_ok() {
            return Err(exists(path));
        }
        #[cfg(not(windows))]
        {
            use std::io::Write;
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let mut builder = tempfile::Builder::new();
            builder.prefix(".seal-key.tmp-");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(std::fs::Permissions::from_mode(0o600));
            }
            let mut temp = builder
                .tempfile_in(dir)
                .map_err(|e| io_err("create temporary file", e))?;
            temp.write_all(&key.bytes[..])
                .map_err(|e| io_err("write", e))?;
            temp.as_file().sync_all().map_err(|e| io_err("fsync", e))?;
            match temp.persist_noclobber(path) {
                Ok(_) => {}
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(exists(path));
                }
                Err(e) => return Err(io_err("link into place", e.error)),
            }
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        #[cfg(windows)]
        {
            use std::io::Write;
            let mut file = match super::windows_acl::create_new_private(path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(exists(path)),
                Err(e) => return Err(io_err("create", e)),
            };
            file.write_all(&key.bytes[..])
                .and_then(|()| file.sync_all())
                .map_err(|e| io_err("write", e))?;
        }
        Ok(key)
    }

    /// The key's fingerprint as written in blobs.
    fn fingerprint(&self) -> [u8; 8] {
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        h.update(b"smartlink seal key id\0");
        h.update(&self.bytes[..]);
        first8(h.finish().as_ref())
    }

    fn aead(&self) -> LessSafeKey {
        // The length is right by construction; `ring` accepts any 32 bytes.
        LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, &self.bytes[..])
                .expect("a 32-byte ChaCha20-Poly1305 key"),
        )
    }
}

fn sha256(data: &[u8]) -> ring::digest::Digest {
    ring::digest::digest(&ring::digest::SHA256, data)
}

fn first8(digest: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// What a sealed blob is bound to: the installation, its line and the
/// state format.
#[derive(Debug, Clone, Copy)]
pub struct SealContext<'a> {
    /// The installation the state belongs to.
    pub installation_id: &'a InstallationId,
    /// Its ERP line.
    pub line: ErpLine,
    /// The state format's tag.
    pub format: &'a str,
    /// The state format's version.
    pub version: u64,
}

impl SealContext<'_> {
    fn associated_data(&self) -> Vec<u8> {
        let mut ad = Vec::with_capacity(96);
        for part in [
            "smartlink sealed secret 1",
            self.format,
            &self.version.to_string(),
            self.line.as_str(),
            self.installation_id.as_str(),
        ] {
            ad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            ad.extend_from_slice(part.as_bytes());
        }
        ad
    }
}

/// A sealed value as stored (Base64 fields in JSON). `Debug` shows only the
/// algorithm and the fingerprints.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedBlob {
    /// The algorithm ([`ALGORITHM`]).
    pub alg: String,
    /// Fingerprint of the key (hex, 16 characters).
    pub key_id: String,
    /// Fingerprint of the associated data (hex, 16 characters).
    pub ad_id: String,
    /// The nonce (Base64).
    pub nonce: String,
    /// The ciphertext and its tag (Base64).
    pub data: String,
}

impl fmt::Debug for SealedBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedBlob")
            .field("alg", &self.alg)
            .field("key_id", &self.key_id)
            .field("ad_id", &self.ad_id)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals `plaintext` under `key`, bound to `context`.
pub fn seal(
    key: &SealKey,
    context: &SealContext<'_>,
    plaintext: &[u8],
) -> Result<SealedBlob, SealError> {
    let ad = context.associated_data();
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| SealError::Random)?;
    let mut buffer = zeroize::Zeroizing::new(plaintext.to_vec());
    key.aead()
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&ad[..]),
            &mut *buffer,
        )
        .map_err(|_| SealError::Random)?;
    Ok(SealedBlob {
        alg: ALGORITHM.to_owned(),
        key_id: hex(&key.fingerprint()),
        ad_id: hex(&first8(sha256(&ad).as_ref())),
        nonce: B64.encode(nonce),
        data: B64.encode(&buffer[..]),
    })
}

/// The key's fingerprint as blobs carry it (hex, 16 characters).
pub(crate) fn key_id(key: &SealKey) -> String {
    hex(&key.fingerprint())
}

/// Whether `blob` was sealed with `key` (by its fingerprint).
pub(crate) fn key_matches(key: &SealKey, blob: &SealedBlob) -> bool {
    blob.key_id == hex(&key.fingerprint())
}

/// Opens a blob: the plaintext (wiped when dropped), or why not.
pub fn open(
    key: &SealKey,
    context: &SealContext<'_>,
    blob: &SealedBlob,
) -> Result<zeroize::Zeroizing<Vec<u8>>, SealError> {
    if blob.alg != ALGORITHM {
        return Err(SealError::UnknownAlgorithm);
    }
    if !key_matches(key, blob) {
        return Err(SealError::WrongKey);
    }
    let ad = context.associated_data();
    if blob.ad_id != hex(&first8(sha256(&ad).as_ref())) {
        return Err(SealError::OtherInstallation);
    }
    let nonce: [u8; NONCE_LEN] = B64
        .decode(&blob.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or(SealError::Tampered)?;
    let mut buffer =
        zeroize::Zeroizing::new(B64.decode(&blob.data).map_err(|_| SealError::Tampered)?);
    let len = key
        .aead()
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&ad[..]),
            &mut buffer[..],
        )
        .map_err(|_| SealError::Tampered)?
        .len();
    buffer.truncate(len);
    Ok(buffer)
}

/// Seals credentials (their JSON, secret included).
pub(crate) fn seal_credentials(
    key: &SealKey,
    context: &SealContext<'_>,
    credentials: &Credentials,
) -> Result<SealedBlob, SealError> {
    let json =
        zeroize::Zeroizing::new(serde_json::to_vec(credentials).map_err(|_| SealError::Tampered)?);
    seal(key, context, &json)
}

/// Opens sealed credentials.
pub(crate) fn open_credentials(
    key: &SealKey,
    context: &SealContext<'_>,
    blob: &SealedBlob,
) -> Result<Credentials, SealError> {
    let json = open(key, context, blob)?;
    // Authenticated but not understood: the writer was another format; the
    // same refusal as altered data (the contents are never quoted).
    serde_json::from_slice(&json).map_err(|_| SealError::Tampered)
}

#[cfg(unix)]
fn open_for_read(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_for_read(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Refuses a key file that others may read or write, or that belongs to
/// another user.
#[allow(unused_variables)]
fn check_private(path: &Path, file: &File, meta: &std::fs::Metadata) -> Result<(), SealError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let expected = rustix::process::geteuid().as_raw();
        if meta.uid() != expected {
            return Err(SealError::KeyFileForeignOwner {
                path: path.to_path_buf(),
                owner: meta.uid(),
                expected,
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SealError::KeyFileInsecure {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    #[cfg(windows)]
    {
        match super::windows_acl::file_exposure(file) {
            Ok(None) => {}
            Ok(Some(mode)) => {
                return Err(SealError::KeyFileInsecure {
                    path: path.to_path_buf(),
                    mode,
                });
            }
            Err(e) => {
                return Err(SealError::KeyFileIo {
                    op: "read the DACL",
                    path: path.to_path_buf(),
                    source: e,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(id: &InstallationId) -> SealContext<'_> {
        SealContext {
            installation_id: id,
            line: ErpLine::Protheus,
            format: "smartlink-state",
            version: 1,
        }
    }

    #[test]
    fn round_trip_and_refusals_by_cause() {
        let id = InstallationId::new("inst-a").unwrap();
        let other = InstallationId::new("inst-b").unwrap();
        let key = SealKey::from_bytes([7; 32]);
        let blob = seal(&key, &context(&id), b"s3cr3t").unwrap();
        assert_eq!(&open(&key, &context(&id), &blob).unwrap()[..], b"s3cr3t");
        assert!(!blob.data.contains("s3cr3t"));

        let wrong = SealKey::from_bytes([8; 32]);
        assert!(matches!(
            open(&wrong, &context(&id), &blob),
            Err(SealError::WrongKey)
        ));
        assert!(matches!(
            open(&key, &context(&other), &blob),
            Err(SealError::OtherInstallation)
        ));
        let mut line = context(&id);
        line.line = ErpLine::Rm;
        assert!(matches!(
            open(&key, &line, &blob),
            Err(SealError::OtherInstallation)
        ));
        let mut version = context(&id);
        version.version = 2;
        assert!(matches!(
            open(&key, &version, &blob),
            Err(SealError::OtherInstallation)
        ));

        // Every byte of the ciphertext and tag is covered.
        let raw = B64.decode(&blob.data).unwrap();
        for i in 0..raw.len() {
            let mut t = raw.clone();
            t[i] ^= 0x01;
            let tampered = SealedBlob {
                data: B64.encode(&t),
                ..blob.clone()
            };
            assert!(matches!(
                open(&key, &context(&id), &tampered),
                Err(SealError::Tampered)
            ));
        }
        let mut nonce = B64.decode(&blob.nonce).unwrap();
        nonce[0] ^= 1;
        let tampered = SealedBlob {
            nonce: B64.encode(&nonce),
            ..blob.clone()
        };
        assert!(matches!(
            open(&key, &context(&id), &tampered),
            Err(SealError::Tampered)
        ));
        let alg = SealedBlob {
            alg: "rot13".into(),
            ..blob.clone()
        };
        assert!(matches!(
            open(&key, &context(&id), &alg),
            Err(SealError::UnknownAlgorithm)
        ));
    }

    #[test]
    fn two_seals_differ() {
        let id = InstallationId::new("inst-a").unwrap();
        let key = SealKey::from_bytes([7; 32]);
        let a = seal(&key, &context(&id), b"x").unwrap();
        let b = seal(&key, &context(&id), b"x").unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.data, b.data);
    }

    #[test]
    fn debug_shows_no_key_nor_data() {
        let key = SealKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("ab, ") && !shown.contains("171"), "{shown}");
        let id = InstallationId::new("inst-a").unwrap();
        let blob = seal(&key, &context(&id), b"s3cr3t").unwrap();
        let shown = format!("{blob:?}");
        assert!(
            !shown.contains(&blob.data) && !shown.contains(&blob.nonce),
            "{shown}"
        );
    }
}

//! Secret encryption at rest: AES-256-GCM with a 32-byte master key, a random 96-bit nonce
//! per secret, and the owning key id as associated data (a ciphertext cannot be moved to
//! another row).

use crate::error::{Result, StoreError};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretBox};
use std::path::Path;

/// Environment variable holding the base64 master key.
pub const MASTER_KEY_ENV: &str = "MODELARTS_IAM_MASTER_KEY";
/// File name of the master key inside the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";

/// The 32-byte key that encrypts secret keys at rest. `Debug` never shows it.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

impl Clone for MasterKey {
    fn clone(&self) -> Self {
        MasterKey(SecretBox::new(Box::new(*self.0.expose_secret())))
    }
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self> {
        Ok(Self::from_bytes(crate::util::random_bytes::<32>()?))
    }

    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(SecretBox::new(Box::new(bytes)))
    }

    /// Parses a base64 (standard or URL-safe) encoded 32-byte key, e.g. from config.
    pub fn from_base64(s: &str) -> Result<Self> {
        let s = s.trim();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(s)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
            .map_err(|_| StoreError::MasterKey("the key is not valid base64".into()))?;
        let bytes: [u8; 32] = raw.try_into().map_err(|v: Vec<u8>| {
            StoreError::MasterKey(format!("the key must be 32 bytes, got {}", v.len()))
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// Base64 (standard) encoding, for writing into a config or env var. Handle with care.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.expose_secret())
    }

    /// Key from env `MODELARTS_IAM_MASTER_KEY`, if set.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(MASTER_KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::from_base64(&v).map(Some),
            _ => Ok(None),
        }
    }

    /// The server's first-start logic: env `MODELARTS_IAM_MASTER_KEY` if set, else
    /// `<data_dir>/master.key` if present, else a new key written there with mode 0600.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        if let Some(k) = Self::from_env()? {
            return Ok(k);
        }
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(MASTER_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(s) => Self::from_base64(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                write_private_file(&path, key.to_base64().as_bytes())?;
                Ok(key)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn cipher(&self) -> Result<Aes256Gcm> {
        Aes256Gcm::new_from_slice(self.0.expose_secret())
            .map_err(|_| StoreError::MasterKey("the key has the wrong length".into()))
    }

    /// Encrypts `plaintext` bound to `aad`; returns (nonce, ciphertext+tag).
    pub(crate) fn encrypt(&self, aad: &str, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        let nonce_bytes = crate::util::random_bytes::<12>()?;
        let nonce = Nonce::from(nonce_bytes);
        let ct = self
            .cipher()?
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Decrypt(aad.to_owned()))?;
        Ok((nonce_bytes.to_vec(), ct))
    }

    /// Decrypts what [`MasterKey::encrypt`] produced.
    pub(crate) fn decrypt(&self, aad: &str, nonce: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| StoreError::Decrypt(aad.to_owned()))?;
        self.cipher()?
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Decrypt(aad.to_owned()))
    }
}

#[cfg(unix)]
fn write_private_file(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()?;
    if let Some(dir) = path.parent() {
        // make the new directory entry durable too
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, data: &[u8]) -> Result<()> {
    std::fs::write(path, data)?;
    Ok(())
}

/// A string never printed (`Debug` shows `[redacted]`): a database URL with its password.
#[derive(Clone)]
pub(crate) struct Hidden(pub(crate) String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

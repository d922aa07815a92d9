//! Secrets at rest: platform push URLs and stream keys are sealed with ChaCha20-Poly1305 under
//! the node's secret key, so a copy of the database alone reveals none of them.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Seals and opens secrets with one 256-bit key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

const PREFIX: &str = "v1:";

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        }
    }

    /// A key from base64 text (`SELLSTREAM_SECRET_KEY`).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|e| format!("the secret key is not base64: {e}"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 32 bytes".to_owned())?;
        Ok(Self::new(key))
    }

    /// The key in `path`, made (32 random bytes, owner-only) when the file does not exist yet.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                writeln!(f, "{}", B64.encode(key))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(Self::new(key))
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("sealing in memory cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", B64.encode(out))
    }

    /// `None` when the text was sealed under another key or altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = B64.decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, body) = bytes.split_at(12);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), body).ok()?;
        String::from_utf8(plain).ok()
    }
}

/// What staff see of a secret: its kind and last four characters.
pub fn hint(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_under_their_key_and_never_show_the_plain_text() {
        let a = SecretBox::new([7; 32]);
        let b = SecretBox::new([8; 32]);
        let s = a.seal("douyin-stream-key-123");
        assert!(s.starts_with("v1:") && !s.contains("douyin"));
        assert_ne!(
            s,
            a.seal("douyin-stream-key-123"),
            "a fresh nonce every time"
        );
        assert_eq!(a.open(&s).as_deref(), Some("douyin-stream-key-123"));
        assert_eq!(b.open(&s), None);
        let mut tampered = s.clone();
        tampered.pop();
        tampered.push('A');
        assert_eq!(a.open(&tampered), None);
        assert_eq!(a.open("plain"), None);
        assert_eq!(format!("{a:?}"), "SecretBox(***)");
        assert_eq!(hint("abcdef123"), "…f123");
    }

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("ss-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.key");
        let _ = std::fs::remove_file(&path);
        let first = SecretBox::from_file(&path).unwrap();
        let sealed = first.seal("x");
        let again = SecretBox::from_file(&path).unwrap();
        assert_eq!(again.open(&sealed).as_deref(), Some("x"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

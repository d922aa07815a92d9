use rand::Rng;
use sha2::{Digest, Sha256};

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A stream key as the encoder sends it: `ss_` and 32 characters from an alphabet without
/// look-alikes (someone may have to type it into a phone app). Only its SHA-256 is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StreamKey(String);

impl StreamKey {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let body: String = (0..32)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        Self(format!("ss_{body}"))
    }

    /// What an encoder sent, if it has the shape of a key (anything else cannot be one).
    pub fn from_client(s: &str) -> Option<Self> {
        let body = s.strip_prefix("ss_")?;
        (body.len() == 32 && body.bytes().all(|b| ALPHABET.contains(&b))).then(|| Self(s.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hashed(&self) -> String {
        Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The last four characters, shown so staff can tell keys apart.
    pub fn hint(&self) -> String {
        format!("…{}", &self.0[self.0.len() - 4..])
    }
}

impl std::fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_well_formed_and_never_printed() {
        let a = StreamKey::generate();
        let b = StreamKey::generate();
        assert_ne!(a, b);
        assert_eq!(StreamKey::from_client(a.as_str()), Some(a.clone()));
        assert_eq!(a.hashed().len(), 64);
        assert_eq!(format!("{a:?}"), "StreamKey(***)");
        assert!(a.hint().starts_with('…') && a.as_str().ends_with(&a.hint()[3..]));
        for bad in [
            "",
            "ss_",
            "session-1",
            "ss_0000000000000000000000000000000O",
            &a.as_str()[..20],
        ] {
            assert_eq!(StreamKey::from_client(bad), None, "{bad}");
        }
    }
}

//! Pairing key files: made once per unit (`ecmo device --generate-key FILE`), given to the
//! unit (`--key FILE`) and to its console (`ecmo serve --device-key FILE`).
//!
//! The file holds the 32-byte key as 64 hexadecimal digits and a newline, so that it can be
//! copied between the two boxes by any means and checked by eye. It is a secret: it is written
//! with mode 0600 (owner only) and never over an existing file, and a key file that group or
//! others may read or write is refused, as ssh refuses such a private key. Reading goes
//! through `input::read` with a 1 KiB limit, so a wrong path (a device, a large file) is
//! refused with the file's name instead of being read without end.

use input::read::{PAIRING_KEY, read_bytes};
use protocol::PairingKey;
use protocol::auth::KEY_LEN;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// A fresh key from the operating system's random source (getrandom(2)).
pub fn random_key() -> std::io::Result<PairingKey> {
    let mut k = [0u8; KEY_LEN];
    getrandom::fill(&mut k).map_err(|e| std::io::Error::other(format!("random source: {e}")))?;
    Ok(PairingKey::from_bytes(k))
}

/// `len` fresh random bytes for a nonce.
pub fn random_bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(format!("random source: {e}")))?;
    Ok(b)
}

/// The text of a key file.
pub fn format_key(key: &PairingKey) -> String {
    let mut s: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    s.push('\n');
    s
}

/// Makes a new random key and writes it to `path` with mode 0600. Refuses to overwrite an
/// existing file (a unit's key replaced by mistake would lock its console out).
pub fn generate_key_file(path: &Path) -> Result<PairingKey, String> {
    let key = random_key().map_err(|e| format!("{}: {e}", path.display()))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => format!(
                "{}: already exists; refusing to overwrite a pairing key (remove it first if you \
                 mean to pair the unit and its console anew)",
                path.display()
            ),
            _ => format!("{}: cannot create: {e}", path.display()),
        })?;
    f.write_all(format_key(&key).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    Ok(key)
}

/// Reads a key file: owner-only permissions, at most 1 KiB, exactly 64 hexadecimal digits
/// (whitespace around them ignored), not all zero. Every refusal names the file and says why.
pub fn load_key_file(path: &Path) -> Result<PairingKey, String> {
    let p = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("pairing key {p}: cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(format!("pairing key {p}: not a regular file"));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "pairing key {p}: group or others may access it (mode {mode:03o}); a pairing key \
             must be readable by its owner only: chmod 600 {p}"
        ));
    }
    let bytes = read_bytes(path, PAIRING_KEY).map_err(|e| format!("pairing key {e}"))?;
    parse_key(&bytes).map_err(|why| format!("pairing key {p}: {why}"))
}

/// The key in a key file's bytes.
pub fn parse_key(bytes: &[u8]) -> Result<PairingKey, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "not text: expected 64 hexadecimal digits".to_string())?
        .trim();
    if text.len() != 2 * KEY_LEN {
        return Err(format!(
            "{} characters; a key is {} hexadecimal digits ({KEY_LEN} bytes)",
            text.len(),
            2 * KEY_LEN
        ));
    }
    let mut k = [0u8; KEY_LEN];
    for (i, b) in k.iter_mut().enumerate() {
        let digits = &text[2 * i..2 * i + 2];
        *b = u8::from_str_radix(digits, 16)
            .map_err(|_| format!("'{digits}' at character {} is not hexadecimal", 2 * i + 1))?;
    }
    let key = PairingKey::from_bytes(k);
    if key.is_unpaired() {
        return Err("all zero: that is the well-known unpaired key, not a secret".into());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "devlink-key-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn generated_key_is_private_loads_back_and_is_never_overwritten() {
        let d = dir();
        let p = d.join("unit.key");
        let k = generate_key_file(&p).unwrap();
        let meta = std::fs::metadata(&p).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 65);
        assert_eq!(load_key_file(&p).unwrap(), k);
        let e = generate_key_file(&p).unwrap_err();
        assert!(
            e.contains("already exists") && e.contains("unit.key"),
            "{e}"
        );
        assert_eq!(
            load_key_file(&p).unwrap(),
            k,
            "the first key is still there"
        );
        assert_ne!(generate_key_file(&d.join("other.key")).unwrap(), k);
    }

    #[test]
    fn bad_key_files_are_refused_with_the_file_and_the_reason() {
        let d = dir();
        let write = |name: &str, text: &[u8], mode: u32| {
            let p = d.join(name);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            p
        };
        let good = format_key(&PairingKey::from_bytes([0xA5; 32]));
        let cases: Vec<(std::path::PathBuf, &str)> = vec![
            (write("open.key", good.as_bytes(), 0o644), "chmod 600"),
            (write("group.key", good.as_bytes(), 0o640), "mode 640"),
            (
                write("short.key", &good.as_bytes()[..40], 0o600),
                "40 characters",
            ),
            (
                write("long.key", &vec![b'a'; 2000], 0o600),
                "larger than 1 KiB",
            ),
            (
                write("hex.key", good.replace('a', "g").as_bytes(), 0o600),
                "not hexadecimal",
            ),
            (
                write(
                    "zero.key",
                    format_key(&PairingKey::UNPAIRED).as_bytes(),
                    0o600,
                ),
                "all zero",
            ),
            (write("bin.key", &[0xFF; 64], 0o600), "not text"),
            (d.join("missing.key"), "cannot read"),
            (d.clone(), "not a regular file"),
        ];
        for (p, words) in cases {
            let e = load_key_file(&p).unwrap_err();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                e.contains(words) && e.contains(&name),
                "{}: {e}",
                p.display()
            );
        }
        assert_eq!(
            load_key_file(&write("ok.key", good.as_bytes(), 0o600)).unwrap(),
            PairingKey::from_bytes([0xA5; 32])
        );
    }
}

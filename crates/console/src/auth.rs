//! Users, passwords and sessions.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, 1 lane,
//! OWASP's recommended minimum) and stored as PHC strings. Sessions are random 256-bit tokens held
//! in memory only: a restart logs everyone out, which is the safe direction. The token travels in
//! an `HttpOnly; SameSite=Strict` cookie so that a page from another origin cannot act with it.
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use engine::model::Role;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A session lasts one long shift.
pub const SESSION_TTL: Duration = Duration::from_secs(14 * 3600);

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The OS RNG failing is not something the console can work around; it would mean no
    // secure tokens at all, so refuse to go on.
    getrandom::fill(&mut b).expect("operating system random number generator failed");
    b
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn hash_password(pw: &str) -> Result<String, String> {
    let salt_bytes: [u8; 16] = random_bytes();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| format!("salt: {e}"))?;
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing password: {e}"))
}

pub fn verify_password(pw: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A one-time password for the first administrator: 12 characters from an alphabet without
/// look-alikes (no 0/O, 1/l/I), about 70 bits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let b: [u8; 12] = random_bytes();
    b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect()
}

pub fn check_user_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err(format!(
            "user name must be 1..64 characters, got {}",
            name.len()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(format!(
            "user name '{name}' may hold only letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(())
}

pub fn check_password(pw: &str) -> Result<(), String> {
    if pw.chars().count() < 8 {
        return Err("password must have at least 8 characters".into());
    }
    if pw.len() > 256 {
        return Err("password must have at most 256 bytes".into());
    }
    Ok(())
}

#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub expires: Instant,
}

/// Live sessions, by token.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn create(&self, user: &str, role: Role) -> String {
        let token = hex(&random_bytes::<32>());
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        m.retain(|_, s| s.expires > now);
        m.insert(
            token.clone(),
            Session {
                user: user.to_string(),
                role,
                expires: now + SESSION_TTL,
            },
        );
        token
    }
    pub fn get(&self, token: &str) -> Option<Session> {
        let m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.get(token).filter(|s| s.expires > Instant::now()).cloned()
    }
    pub fn remove(&self, token: &str) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(token);
    }
    /// Drop every session of a user (deleted, or role changed).
    pub fn remove_user(&self, user: &str) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, s| s.user != user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip_and_wrong_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_user_name("dr.smith-2").is_ok());
        assert!(check_user_name("").is_err());
        assert!(check_user_name("a b").is_err());
        assert!(check_password("short").is_err());
        assert_eq!(generate_password().len(), 12);
        assert_ne!(generate_password(), generate_password());
    }

    #[test]
    fn sessions_expire_and_are_removed() {
        let s = Sessions::default();
        let t = s.create("ann", Role::Operator);
        assert_eq!(s.get(&t).unwrap().role, Role::Operator);
        s.remove_user("ann");
        assert!(s.get(&t).is_none());
        assert!(s.get("forged").is_none());
    }
}

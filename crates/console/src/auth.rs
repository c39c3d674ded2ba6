//! Users, passwords, sessions and login throttling.
//!
//! * Passwords are hashed with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, 1
//!   lane, OWASP's recommended minimum) and stored as PHC strings. A login does exactly one
//!   verification whether or not the name exists (a dummy hash stands in for unknown names), so
//!   timing does not tell names; [`argon2_verifications`] counts them for the tests.
//! * The password policy: at least [`MIN_PASSWORD_CHARS`] characters, not the user's name, not
//!   in the shipped list of common passwords (assets/common-passwords.txt, compiled for this
//!   project from well-known patterns).
//! * Sessions are random 256-bit tokens in an `HttpOnly; SameSite=Strict` cookie (`Secure`
//!   under TLS). They are stored in SQLite by the SHA-256 of the token (a copy of the database
//!   does not let anyone in), survive a restart, and end after [`SessionPolicy::idle`] without
//!   use or [`SessionPolicy::absolute`] after login, whichever comes first.
//! * [`Throttle`] refuses guesses before they cost anything: per account and per address, after
//!   a few free failures each further one doubles the wait (answered 429 with `Retry-After`),
//!   up to a ceiling. The state is bounded in entries whatever the names tried.
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use engine::model::{Role, wall_ms};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A password has at least this many characters (NIST SP 800-63B asks for 8 at least and
/// recommends longer; 12 keeps passphrases easy and brute force out of reach with Argon2id).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// And at most this many bytes (Argon2 time is linear in it; nobody types more).
pub const MAX_PASSWORD_BYTES: usize = 256;
/// User names: at most this many characters (also the bound on names recorded from failures).
pub const MAX_NAME_CHARS: usize = 64;

static COMMON_PASSWORDS: &str = include_str!("../assets/common-passwords.txt");

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

static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// Argon2 verifications done by this process: the tests' way to see that a login of an unknown
/// name costs the same work as a known one, and that a throttled one costs none.
pub fn argon2_verifications() -> u64 {
    VERIFICATIONS.load(Ordering::Relaxed)
}

pub fn verify_password(pw: &str, phc: &str) -> bool {
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// An Argon2id hash (same parameters as real ones) of a random password, verified against when
/// the user does not exist.
pub fn dummy_phc() -> &'static str {
    static PHC: OnceLock<String> = OnceLock::new();
    PHC.get_or_init(|| hash_password(&generate_password()).unwrap_or_default())
}

/// A one-time password for the first administrator: 16 characters from an alphabet without
/// look-alikes (no 0/O, 1/l/I), about 90 bits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let b: [u8; 16] = random_bytes();
    b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect()
}

pub fn check_user_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_CHARS {
        return Err(format!(
            "user name must be 1..{MAX_NAME_CHARS} characters, got {}",
            name.len()
        ));
    }
    if !name.chars().all(name_char) {
        return Err(format!(
            "user name '{name}' may hold only letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(())
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// What a name sent to the login form is recorded as: the allowed characters kept, any other
/// replaced by `?`, cut to [`MAX_NAME_CHARS`] characters (so that a failed login cannot put
/// megabytes or control characters into the event log).
pub fn sanitise_name(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| if name_char(c) { c } else { '?' })
        .collect();
    if out.is_empty() {
        out.push('?');
    }
    out
}

/// Whether `pw` is on the shipped list of common passwords (case-insensitive).
pub fn is_common_password(pw: &str) -> bool {
    static SET: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    let set = SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });
    set.contains(pw.to_lowercase().as_str())
}

/// The password policy.
pub fn check_password(user: &str, pw: &str) -> Result<(), String> {
    if pw.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password must have at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if pw.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "password must have at most {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    if pw.eq_ignore_ascii_case(user) {
        return Err("password must not be the user name".into());
    }
    if is_common_password(pw) {
        return Err("this password is on the list of common passwords; choose another".into());
    }
    Ok(())
}

// ---------------------------------------------------------------- sessions

/// How long sessions last.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// Ended after this long without a request or an open screen.
    pub idle: Duration,
    /// Ended this long after login whatever happens: one long shift.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::from_secs(3600),
            absolute: Duration::from_secs(14 * 3600),
        }
    }
}

/// How often a session's last use is written to the database (it is kept exactly in memory).
const TOUCH_EVERY_MS: i64 = 60_000;

#[derive(Clone, Debug)]
pub struct Session {
    /// The SHA-256 of the token (hex): how the session is stored and how sockets name it.
    pub id: String,
    pub user: String,
    pub role: Role,
    pub created_ms: i64,
    pub last_ms: i64,
    /// The password is a one-time one: nothing but changing it is allowed.
    pub must_change: bool,
    persisted_ms: i64,
}

/// The SHA-256 of a token, as sessions are stored.
pub fn token_id(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Live sessions: a cache in memory of the `sessions` table, which is the truth (a restart or
/// `ecmo user` from another process sees and changes the same rows).
pub struct Sessions {
    db: PathBuf,
    pub policy: SessionPolicy,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Load the stored sessions of `db` (dropping the expired ones).
    pub fn load(db: PathBuf, policy: SessionPolicy) -> Result<Sessions, String> {
        let s = Sessions {
            db,
            policy,
            map: Mutex::new(HashMap::new()),
        };
        s.reload()?;
        Ok(s)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn limits(&self, now: i64) -> (i64, i64) {
        (
            now - self.policy.idle.as_millis() as i64,
            now - self.policy.absolute.as_millis() as i64,
        )
    }

    /// Re-read the table: sessions deleted elsewhere (a user removed with `ecmo user`) end here
    /// too. Returns the ids that ended.
    pub fn reload(&self) -> Result<Vec<String>, String> {
        let now = wall_ms();
        let (idle, abs) = self.limits(now);
        let c = crate::store::open(&self.db).map_err(|e| e.0)?;
        let rows = crate::store::load_sessions(&c, idle, abs).map_err(|e| e.0)?;
        let must: std::collections::HashSet<String> = crate::store::list_must_change(&c)
            .map_err(|e| e.0)?
            .into_iter()
            .collect();
        let mut m = self.lock();
        let mut fresh = HashMap::new();
        for r in rows {
            let (last, persisted) = match m.get(&r.id) {
                Some(s) => (s.last_ms.max(r.last_ms), s.persisted_ms),
                None => (r.last_ms, r.last_ms),
            };
            fresh.insert(
                r.id.clone(),
                Session {
                    must_change: must.contains(&r.user),
                    id: r.id,
                    user: r.user,
                    role: r.role,
                    created_ms: r.created_ms,
                    last_ms: last,
                    persisted_ms: persisted,
                },
            );
        }
        let ended: Vec<String> = m
            .keys()
            .filter(|k| !fresh.contains_key(*k))
            .cloned()
            .collect();
        *m = fresh;
        Ok(ended)
    }

    /// Start a session; returns the token for the cookie.
    pub fn create(&self, user: &str, role: Role, must_change: bool) -> Result<String, String> {
        let token = hex(&random_bytes::<32>());
        let now = wall_ms();
        let s = Session {
            id: token_id(&token),
            user: user.to_string(),
            role,
            created_ms: now,
            last_ms: now,
            must_change,
            persisted_ms: now,
        };
        let c = crate::store::open(&self.db).map_err(|e| e.0)?;
        crate::store::insert_session(
            &c,
            &crate::store::SessionRow {
                id: s.id.clone(),
                user: s.user.clone(),
                role,
                created_ms: now,
                last_ms: now,
            },
        )
        .map_err(|e| e.0)?;
        self.lock().insert(s.id.clone(), s);
        Ok(token)
    }

    fn alive(&self, s: &Session, now: i64) -> bool {
        let (idle, abs) = self.limits(now);
        s.last_ms >= idle && s.created_ms >= abs
    }

    /// The session of a token, if it is alive; counts as a use. The second value is set when
    /// the last use should be written to the database (`persist_touch`), at most once a minute.
    pub fn get(&self, token: &str) -> Option<(Session, bool)> {
        self.get_id(&token_id(token))
    }

    pub fn get_id(&self, id: &str) -> Option<(Session, bool)> {
        let now = wall_ms();
        let mut m = self.lock();
        let s = m.get_mut(id)?;
        if !self.alive(s, now) {
            return None;
        }
        s.last_ms = now;
        let persist = now - s.persisted_ms >= TOUCH_EVERY_MS;
        if persist {
            s.persisted_ms = now;
        }
        Some((s.clone(), persist))
    }

    /// Write a session's last use (blocking: call off the async workers).
    pub fn persist_touch(&self, id: &str, last_ms: i64) {
        if let Ok(c) = crate::store::open(&self.db) {
            let _ = crate::store::touch_session(&c, id, last_ms);
        }
    }

    /// Whether a session is alive, without counting a use.
    pub fn is_alive(&self, id: &str) -> bool {
        let now = wall_ms();
        self.lock().get(id).is_some_and(|s| self.alive(s, now))
    }

    /// Mark sessions as used now (their screens are open).
    pub fn keep_alive<'a>(&self, ids: impl Iterator<Item = &'a str>) {
        let now = wall_ms();
        let mut m = self.lock();
        for id in ids {
            if let Some(s) = m.get_mut(id)
                && self.alive(s, now)
            {
                s.last_ms = now;
            }
        }
    }

    /// End one session (logout).
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
        if let Ok(c) = crate::store::open(&self.db) {
            let _ = crate::store::delete_session(&c, id);
        }
    }

    /// End every session of a user (removed, role or password changed).
    pub fn remove_user(&self, user: &str) {
        self.lock().retain(|_, s| s.user != user);
        if let Ok(c) = crate::store::open(&self.db) {
            let _ = crate::store::delete_user_sessions(&c, user);
        }
    }

    /// After a password change: the session goes on without the one-time mark.
    pub fn clear_must_change(&self, id: &str) {
        if let Some(s) = self.lock().get_mut(id) {
            s.must_change = false;
        }
    }

    /// Drop expired sessions from memory and the database; returns the ids that ended.
    pub fn expire(&self) -> Vec<String> {
        let now = wall_ms();
        let mut ended = Vec::new();
        self.lock().retain(|id, s| {
            let keep = self.alive(s, now);
            if !keep {
                ended.push(id.clone());
            }
            keep
        });
        if !ended.is_empty()
            && let Ok(c) = crate::store::open(&self.db)
        {
            for id in &ended {
                let _ = crate::store::delete_session(&c, id);
            }
        }
        ended
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// ---------------------------------------------------------------- throttling

/// How one kind of key (account or address) is throttled.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures allowed before any wait.
    pub free: u32,
    /// The first wait; each further failure doubles it.
    pub base: Duration,
    /// The longest wait (bounds how long an attacker can lock a name out).
    pub max: Duration,
    /// Failures are forgotten after this long without one.
    pub forget: Duration,
}

/// Per account: 5 free failures, then 1 s doubling to 5 min. The ceiling is short on purpose:
/// anyone can make a name's failures, so a long lockout would let a stranger lock the
/// instructor out of a running console.
pub const ACCOUNT_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    free: 5,
    base: Duration::from_secs(1),
    max: Duration::from_secs(300),
    forget: Duration::from_secs(900),
};

/// Per address: 20 free failures (a ward's shared machine), then 1 s doubling to 15 min.
pub const ADDRESS_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    free: 20,
    base: Duration::from_secs(1),
    max: Duration::from_secs(900),
    forget: Duration::from_secs(900),
};

/// Keys tracked at most (names and addresses tried); beyond it the stalest is forgotten.
const THROTTLE_ENTRIES: usize = 10_000;

struct Entry {
    failures: u32,
    last: Instant,
    until: Instant,
}

/// Failures by key, with exponential backoff.
pub struct Throttle {
    policy: ThrottlePolicy,
    map: Mutex<HashMap<String, Entry>>,
}

impl Throttle {
    pub fn new(policy: ThrottlePolicy) -> Throttle {
        Throttle {
            policy,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(wait)` while the key must wait: the attempt is refused without checking anything.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        match self.lock().get(key) {
            Some(e) if e.until > now => Err(e.until - now),
            _ => Ok(()),
        }
    }

    /// A failure of `key`; returns the wait now imposed (zero while failures are free).
    pub fn fail(&self, key: &str) -> Duration {
        let now = Instant::now();
        let p = self.policy;
        let mut m = self.lock();
        if m.len() >= THROTTLE_ENTRIES && !m.contains_key(key) {
            m.retain(|_, e| now.duration_since(e.last) < p.forget || e.until > now);
            if m.len() >= THROTTLE_ENTRIES
                && let Some(k) = m.iter().min_by_key(|(_, e)| e.last).map(|(k, _)| k.clone())
            {
                m.remove(&k);
            }
        }
        let e = m.entry(key.to_string()).or_insert(Entry {
            failures: 0,
            last: now,
            until: now,
        });
        if now.duration_since(e.last) >= p.forget {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last = now;
        let wait = if e.failures > p.free {
            let doublings = (e.failures - p.free - 1).min(30);
            p.base.saturating_mul(1u32 << doublings).min(p.max)
        } else {
            Duration::ZERO
        };
        e.until = now + wait;
        wait
    }

    /// A success: the key's failures are forgotten.
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        // The dummy hash has the real parameters: the same work.
        assert!(dummy_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(&h[..30], &dummy_phc()[..30]);
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_user_name("dr.smith-2").is_ok());
        assert!(check_user_name("").is_err());
        assert!(check_user_name("a b").is_err());
        assert!(check_password("ann", "short").is_err());
        assert!(check_password("ann", "password").is_err());
        // Long enough but common, in any case.
        assert!(check_password("ann", "password1234").is_err());
        assert!(check_password("ann", "Password1234").is_err());
        assert!(check_password("ann", "qwertyuiop123").is_err());
        assert!(check_password("annabelle-1234", "Annabelle-1234").is_err());
        assert!(check_password("ann", &"x".repeat(300)).is_err());
        assert!(check_password("ann", "tidal ferry at noon").is_ok());
        let list = COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count();
        assert!((1000..20_000).contains(&list), "{list} common passwords");
        let p = generate_password();
        assert_eq!(p.len(), 16);
        assert!(check_password("admin", &p).is_ok());
        assert_ne!(generate_password(), generate_password());
    }

    #[test]
    fn failed_names_are_bounded_and_sanitised() {
        assert_eq!(sanitise_name("dr.who"), "dr.who");
        assert_eq!(sanitise_name("a b\n<script>"), "a?b??script?");
        assert_eq!(sanitise_name(""), "?");
        assert_eq!(sanitise_name(&"é".repeat(60_000)).chars().count(), 64);
    }

    #[test]
    fn throttle_backs_off_exponentially_and_forgets_on_success() {
        let t = Throttle::new(ThrottlePolicy {
            free: 2,
            base: Duration::from_secs(1),
            max: Duration::from_secs(8),
            forget: Duration::from_secs(60),
        });
        assert_eq!(t.fail("a"), Duration::ZERO);
        assert_eq!(t.fail("a"), Duration::ZERO);
        assert!(t.check("a").is_ok());
        assert_eq!(t.fail("a"), Duration::from_secs(1));
        assert!(t.check("a").is_err());
        assert_eq!(t.fail("a"), Duration::from_secs(2));
        assert_eq!(t.fail("a"), Duration::from_secs(4));
        assert_eq!(t.fail("a"), Duration::from_secs(8));
        assert_eq!(t.fail("a"), Duration::from_secs(8));
        assert!(t.check("b").is_ok());
        t.clear("a");
        assert!(t.check("a").is_ok());
    }

    #[test]
    fn throttle_state_is_bounded() {
        let t = Throttle::new(ACCOUNT_THROTTLE);
        for i in 0..(THROTTLE_ENTRIES + 500) {
            t.fail(&format!("name{i}"));
        }
        assert!(t.len() <= THROTTLE_ENTRIES);
    }
}

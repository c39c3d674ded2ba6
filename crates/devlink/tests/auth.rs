//! The authenticated link (docs/protocol.md §7, §13; DEV-8): only a console that proves the
//! pairing key opens a session or changes a setpoint; a stranger's Hello and commands are
//! refused and counted and the pump keeps its speed; replayed, altered and foreign frames are
//! refused; the unit bounds what connections cost and refuses to listen beyond loopback
//! without a key.

mod common;

use common::*;
use devlink::{ConnLimits, ConsoleConfig, ConsoleLink, LinkError, Transport, UnitConfig};
use protocol::safety::ConsoleLink as SafetyLink;
use protocol::*;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

fn keyed(key: &PairingKey) -> UnitConfig {
    UnitConfig {
        key: Some(key.clone()),
        ..UnitConfig::default()
    }
}

fn console(addr: SocketAddr, key: Option<PairingKey>) -> Result<ConsoleLink, LinkError> {
    let t = Transport::connect_tcp(&addr.to_string(), Duration::from_secs(2)).expect("connect");
    ConsoleLink::connect(
        t,
        ConsoleConfig {
            key,
            ..ConsoleConfig::default()
        },
    )
}

fn raw(addr: SocketAddr) -> RawConsole<TcpStream> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    RawConsole::new(s)
}

fn speed(rpm: u16) -> Message {
    Message::Command(Command::SetPumpSpeed { rpm })
}

/// A running pump: the paired console opened the clamp and set 3000 rpm.
fn running(key: &PairingKey) -> (devlink::UnitEndpoint, SocketAddr, ConsoleLink) {
    let (unit, addr) = tcp_unit_with(keyed(key), Arc::new(AtomicBool::new(false)));
    let link = console(addr, Some(key.clone())).expect("the paired console connects");
    applied(&link, Command::SetClamp(ClampState::Open));
    applied(&link, Command::SetPumpSpeed { rpm: 3000 });
    (unit, addr, link)
}

/// Keys must match both ways: a console without the key, or with another, is refused by the
/// unit's proof before it sends anything that could count; a keyed console refuses a unit
/// that does not hold its key (an impostor).
#[test]
fn only_matching_keys_open_a_session() {
    let key = test_key(0x11);
    let (unit, addr) = tcp_unit_with(keyed(&key), Arc::new(AtomicBool::new(false)));
    for (who, k) in [("no key", None), ("another key", Some(test_key(0x22)))] {
        match console(addr, k) {
            Err(LinkError::Unauthenticated { reason, .. }) => {
                assert!(
                    reason.contains("did not prove the pairing key"),
                    "{who}: {reason}"
                )
            }
            other => panic!("{who}: {:?}", other.map(|_| ())),
        }
    }
    assert_eq!(unit.stats().sessions, 0);
    let link = console(addr, Some(key.clone())).expect("the paired console");
    assert_eq!(unit.stats().sessions, 1);
    drop(link);

    // An impostor unit (no key) for a keyed console.
    let (_impostor, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    assert!(matches!(
        console(addr, Some(key)),
        Err(LinkError::Unauthenticated { .. })
    ));
}

/// The finding, at the link level: with the paired console in session, strangers try
/// everything a stranger can — a 1.0 Hello and stop commands byte for byte as 1.0 sent them,
/// a 2.0 handshake without the key followed by stop and clamp, forged tags — repeatedly. None
/// of it changes a setpoint or takes the session; each is refused and counted.
#[test]
fn strangers_cannot_stop_the_pump_or_take_the_session() {
    let key = test_key(0x33);
    let (unit, addr, link) = running(&key);
    let before = unit.outputs();
    assert_eq!((before.pump_rpm, before.clamp), (3000, ClampState::Open));
    // protocol 1.0 Hello, SetPumpSpeed 0 and SetClamp closed, as its §9 encoded them.
    let v1 = common::v1::frame;
    for round in 0..5u16 {
        let mut s = raw(addr);
        s.write(&v1(0x01, 0, &[1, 0, 1, 2, 3, 4, 100, 0, 0xF4, 1]));
        s.write(&v1(0x10, 1, &[0, 0]));
        s.write(&v1(0x11, 2, &[1]));
        // 2.0 without the key: the unit's challenge is answered with the unpaired key's
        // proof and tags, then stop and clamp.
        let mut s2 = raw(addr);
        let r = s2.handshake(&PairingKey::UNPAIRED, 500);
        assert!(r.is_err(), "round {round}: {r:?}");
        s2.send(&speed(0));
        s2.send(&Message::Command(Command::SetClamp(ClampState::Closed)));
        let forged = s2.keys.clone();
        std::thread::sleep(Duration::from_millis(50));
        drop((s, s2));
        // Tagged frames with no handshake at all, once the waiting slots are free again.
        assert!(wait_until(Duration::from_secs(1), || unit.connections().1 == 0));
        let mut s3 = raw(addr);
        s3.keys = forged;
        s3.send(&speed(0));
        std::thread::sleep(Duration::from_millis(50));
        drop(s3);
        assert!(wait_until(Duration::from_secs(1), || unit.connections().1 == 0));
        assert_eq!(unit.outputs(), before, "round {round}");
    }
    let st = unit.stats();
    assert_eq!(
        st.sessions, 1,
        "the paired console keeps the session: {st:?}"
    );
    assert!(st.auth_failures >= 5, "{st:?}");
    assert!(st.decode.version >= 10, "1.0 frames refused: {st:?}");
    assert!(st.decode.bad_tag >= 15, "forged Auth, stop, clamp: {st:?}");
    assert!(
        st.decode.unauthenticated >= 5,
        "tags without a handshake: {st:?}"
    );
    // The paired console is still in command.
    applied(&link, Command::SetPumpSpeed { rpm: 3100 });
    assert!(matches!(unit.console_link(), SafetyLink::Alive { .. }));
}

/// A captured session replayed on a new connection: the recorded Auth does not verify under
/// the new challenge, so nothing of it is accepted. Replayed and altered frames inside a live
/// session are refused too (tcp.rs has the wire-level details).
#[test]
fn a_recorded_session_replayed_is_refused() {
    let key = test_key(0x44);
    let (unit, addr) = tcp_unit_with(keyed(&key), Arc::new(AtomicBool::new(false)));
    let mut c = raw(addr);
    c.handshake(&key, 2000).expect("paired raw console");
    // What this console sent, byte for byte: its Hello (frame 0), its Auth (frame 1), and the
    // command below (frame 2).
    let t = c.transcript.unwrap();
    let hello = Hello {
        major: PROTOCOL_MAJOR,
        minor: PROTOCOL_MINOR,
        nonce: t.nonce,
        heartbeat_ms: t.heartbeat_ms,
        timeout_ms: t.timeout_ms,
        console_nonce: t.console_nonce,
    };
    let mut recorded = c.frame_at(0, &Message::Hello(hello));
    let auth = c.frame_at(
        1,
        &Message::Auth(Auth {
            proof: t.console_proof(&key),
        }),
    );
    let set = c.frame(&speed(2000));
    c.write(&set);
    assert!(wait_until(Duration::from_secs(1), || unit
        .outputs()
        .pump_rpm
        == 2000));
    c.send(&speed(1000));
    assert!(wait_until(Duration::from_secs(1), || unit
        .outputs()
        .pump_rpm
        == 1000));
    // The same bytes again, in the same session: not newer, refused.
    c.write(&set);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(unit.outputs().pump_rpm, 1000, "replay in session");
    assert_eq!(unit.stats().seq.replayed, 1);
    // On a new connection: Hello (untagged, answered with a fresh challenge), then the old
    // frames. The session keys differ, so every tag fails.
    recorded.extend(auth);
    recorded.extend(&set);
    let mut r = raw(addr);
    r.write(&recorded);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(unit.outputs().pump_rpm, 1000, "replay on a new connection");
    assert!(unit.stats().decode.bad_tag >= 2, "{:?}", unit.stats());
    assert_eq!(unit.stats().sessions, 1);
}

/// Without a key the unit refuses to listen on anything but loopback.
#[test]
fn no_listening_beyond_loopback_without_a_key() {
    let unit = sim_unit(Arc::new(AtomicBool::new(false)));
    let l = TcpListener::bind("0.0.0.0:0").unwrap();
    let err = unit.listen(l).expect_err("0.0.0.0 without a key");
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("without a pairing key"), "{err}");
    // With a key it may.
    let unit = sim_unit_with(keyed(&test_key(0x55)), Arc::new(AtomicBool::new(false)));
    unit.listen(TcpListener::bind("0.0.0.0:0").unwrap())
        .expect("a keyed unit listens on any address");
    // Without a key, loopback is fine.
    let unit = sim_unit(Arc::new(AtomicBool::new(false)));
    unit.listen(TcpListener::bind("127.0.0.1:0").unwrap())
        .expect("loopback");
}

/// Whether the peer closed `s` within `limit` (a read returns end-of-file or a reset).
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let t0 = Instant::now();
    let mut buf = [0u8; 256];
    while t0.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}

/// Connection limits: two connections may wait for their handshake; a third is closed at
/// once; waiting ones are closed after the handshake timeout; then the paired console gets
/// in. A connection that sends too many unauthentic frames is closed; an authenticated one
/// that falls silent is closed after the idle timeout. The pump is never touched.
#[test]
fn connections_are_bounded_and_timed_out() {
    let key = test_key(0x66);
    let limits = ConnLimits {
        handshake_timeout: Duration::from_millis(600),
        idle_timeout: Duration::from_millis(1500),
        ..ConnLimits::default()
    };
    let (unit, addr) = tcp_unit_with(
        UnitConfig {
            conn: limits,
            ..keyed(&key)
        },
        Arc::new(AtomicBool::new(false)),
    );
    let before = unit.outputs();
    let mut a = TcpStream::connect(addr).unwrap();
    let mut b = TcpStream::connect(addr).unwrap();
    assert!(wait_until(Duration::from_secs(1), || unit.connections() == (2, 2)));
    let mut c = TcpStream::connect(addr).unwrap();
    assert!(
        closed_within(&mut c, Duration::from_millis(300)),
        "a third waiting connection is closed at once"
    );
    assert!(unit.stats().connections_refused >= 1);
    let t0 = Instant::now();
    assert!(closed_within(&mut a, Duration::from_secs(2)));
    assert!(closed_within(&mut b, Duration::from_secs(2)));
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(400),
        "closed by the handshake timeout, not at once: {waited:?}"
    );
    assert!(wait_until(Duration::from_secs(1), || unit.connections() == (0, 0)));
    assert!(unit.stats().connections_closed >= 2);

    // A flood of unauthentic frames: closed after max_unauthentic of them.
    let mut f = raw(addr);
    f.keys = Some(
        Transcript::of(
            &Hello {
                major: 2,
                minor: 0,
                nonce: 0,
                heartbeat_ms: 100,
                timeout_ms: 500,
                console_nonce: [0; 16],
            },
            [0; 16],
        )
        .session_keys(&key),
    );
    for _ in 0..(limits.max_unauthentic + 2) {
        f.send(&speed(0));
    }
    assert!(closed_within(&mut f.s, Duration::from_millis(500)));

    // The paired console connects, then goes silent without closing: closed when idle.
    let mut p = raw(addr);
    p.handshake(&key, 500).expect("the paired console gets in");
    assert_eq!(unit.connections(), (1, 0), "authenticated: not waiting");
    let t0 = Instant::now();
    assert!(closed_within(&mut p.s, Duration::from_secs(3)));
    assert!(
        t0.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(unit.outputs(), before, "no limit touches a setpoint");
}

/// A Hello flood on one connection is closed after a handful.
#[test]
fn hello_flood_is_closed() {
    let (unit, addr) = tcp_unit_with(keyed(&test_key(0x77)), Arc::new(AtomicBool::new(false)));
    let mut s = raw(addr);
    for i in 0..12u8 {
        let h = Message::Hello(Hello {
            major: 2,
            minor: 0,
            nonce: i as u32,
            heartbeat_ms: 100,
            timeout_ms: 500,
            console_nonce: [i; 16],
        });
        let f = s.frame_at(0, &h);
        if std::io::Write::write_all(&mut s.s, &f).is_err() {
            break;
        }
    }
    assert!(closed_within(&mut s.s, Duration::from_millis(500)));
    let st = unit.stats();
    assert_eq!(st.challenges, 8, "{st:?}");
    assert!(
        st.connections_closed >= 1 && st.auth_failures >= 1,
        "{st:?}"
    );
}

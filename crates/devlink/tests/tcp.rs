//! Both ends of the link over real TCP on 127.0.0.1.

mod common;

use common::*;
use devlink::{ConsoleConfig, ConsoleEvent, ConsoleLink, LinkError, Transport};
use protocol::msg::{fault, state};
use protocol::safety::{ConsoleLink as SafetyLink, POWER_UP};
use protocol::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn connect(addr: std::net::SocketAddr) -> ConsoleLink {
    let t = Transport::connect_tcp(&addr.to_string(), Duration::from_secs(2)).expect("connect");
    ConsoleLink::connect(t, ConsoleConfig::default()).expect("handshake")
}

#[test]
fn handshake_commands_and_100hz_sensor_stream() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let link = connect(addr);
    let info = *link.unit();
    assert_eq!(link.unit_version(), (2, 0));
    assert_eq!(info.setpoints, POWER_UP);
    assert_eq!(info.sensor_rate_hz, 100);
    applied(&link, Command::SetClamp(ClampState::Open));
    applied(&link, Command::SetPumpSpeed { rpm: 3500 });
    applied(
        &link,
        Command::SetGas {
            sweep_ml_min: 4000,
            fdo2_permille: 800,
        },
    );
    applied(
        &link,
        Command::SetHeater {
            target_centi_c: 3700,
        },
    );
    // DEV-3 over the wire.
    assert_eq!(
        link.command(Command::SetPumpSpeed { rpm: 9000 }).unwrap(),
        AckResult::OutOfLimits
    );
    let out = unit.outputs();
    assert_eq!(
        (
            out.pump_rpm,
            out.clamp,
            out.sweep_ml_min,
            out.heater_centi_c
        ),
        (3500, ClampState::Open, 4000, 3700)
    );

    while link.events().try_recv().is_ok() {}
    let events = collect_events(&link, Duration::from_millis(1000));
    let sensors = sensor_frames(&events);
    // 100 Hz nominal; the margin absorbs a loaded 2-core CI machine.
    assert!(
        sensors.len() >= 80,
        "{} sensor frames in 1 s",
        sensors.len()
    );
    for w in sensors.windows(2) {
        assert_eq!(w[1].sample, w[0].sample.wrapping_add(1), "samples lost");
    }
    let v = sensors.last().unwrap().values();
    assert_eq!(v.speed_rpm, Some(3500.0));
    assert!((v.flow_lpm.unwrap() - 3.5).abs() < 1e-3);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ConsoleEvent::UnitState(s) if s & state::SESSION != 0))
    );
    let st = link.stats();
    assert_eq!(st.decode.rejected() + st.seq.rejected(), 0, "{st:?}");
    assert_eq!(unit.stats().decode.rejected(), 0);
    assert!(!link.unit_lost());
}

/// DEV-1, DEV-7 and the proof in small: the console dies, the pump keeps turning, a new
/// console takes over what the unit is doing without a bump.
#[test]
fn console_loss_keeps_pump_running_and_reconnect_is_bumpless() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let link = connect(addr);
    link.command(Command::SetClamp(ClampState::Open)).unwrap();
    link.command(Command::SetPumpSpeed { rpm: 3200 }).unwrap();
    let before = unit.outputs();
    drop(link); // like kill -9: the socket closes, no goodbye
    assert!(wait_until(Duration::from_secs(2), || matches!(
        unit.console_link(),
        SafetyLink::Lost { .. }
    )));
    assert!(unit.state_flags() & state::CONSOLE_LOST != 0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        unit.outputs(),
        before,
        "DEV-1: nothing changes while the console is away"
    );

    let t0 = std::time::Instant::now();
    let link = connect(addr);
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!(
        link.unit().setpoints,
        before,
        "DEV-7: SessionOpen reports the running setpoints"
    );
    assert!(link.unit().state & state::CONSOLE_LOST == 0);
    assert_eq!(unit.outputs(), before);
    let ev = collect_events(&link, Duration::from_millis(300));
    assert!(
        ev.iter().any(
            |e| matches!(e, ConsoleEvent::Fault(f) if f.code == fault::CONSOLE_LOST && !f.active)
        ),
        "the console-lost fault is cleared on takeover"
    );
    applied(&link, Command::SetPumpSpeed { rpm: 3300 });
    assert_eq!(unit.stats().sessions, 2);
}

/// DEV-2 and DEV-4 over the wire.
#[test]
fn air_stops_pump_reports_fault_and_needs_explicit_clear() {
    let air = Arc::new(AtomicBool::new(false));
    let (unit, addr) = tcp_unit(Arc::clone(&air));
    let link = connect(addr);
    link.command(Command::SetClamp(ClampState::Open)).unwrap();
    link.command(Command::SetPumpSpeed { rpm: 3000 }).unwrap();
    while link.events().try_recv().is_ok() {}
    air.store(true, Ordering::Relaxed);
    assert!(wait_until(Duration::from_secs(1), || unit
        .outputs()
        .pump_rpm
        == 0));
    assert_eq!(unit.outputs().clamp, ClampState::Closed);
    let ev = collect_events(&link, Duration::from_millis(200));
    assert!(
        ev.iter().any(
            |e| matches!(e, ConsoleEvent::Fault(f) if f.code == fault::AIR_DETECTED && f.active)
        )
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, ConsoleEvent::Sensor(s) if s.state & state::AIR_STOP != 0))
    );
    assert_eq!(
        link.command(Command::SetPumpSpeed { rpm: 2000 }).unwrap(),
        AckResult::AirStopActive
    );
    assert_eq!(
        link.command(Command::ClearAirStop).unwrap(),
        AckResult::AirPresent
    );
    air.store(false, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(50));
    applied(&link, Command::ClearAirStop);
    assert_eq!(
        unit.outputs().pump_rpm,
        0,
        "clearing never restarts the pump by itself"
    );
    applied(&link, Command::SetClamp(ClampState::Open));
    applied(&link, Command::SetPumpSpeed { rpm: 2000 });
}

fn acks(frames: &[Frame]) -> Vec<Ack> {
    frames
        .iter()
        .filter_map(|f| match f.msg {
            Message::Ack(a) => Some(a),
            _ => None,
        })
        .collect()
}

fn raw_console(addr: std::net::SocketAddr) -> RawConsole<TcpStream> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    RawConsole::new(s)
}

/// Corrupted, replayed, out-of-order and altered frames reach the unit and are counted, never
/// acted on.
#[test]
fn bad_frames_on_the_wire_are_counted_never_acted_on() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let mut c = raw_console(addr);
    c.handshake(&PairingKey::UNPAIRED, 2000).expect("handshake");
    let speed = |rpm| Message::Command(Command::SetPumpSpeed { rpm });
    // Auth was frame 1; commands start at 2.
    let first = c.frame_at(2, &speed(1000));
    c.write(&first);
    c.write(&c.frame_at(3, &speed(2000)));
    c.write(&first); // replay
    c.write(&c.frame_at(6, &speed(2500)));
    c.write(&c.frame_at(5, &speed(1500))); // out of order
    let mut bad = c.frame_at(7, &speed(4000));
    bad[8] ^= 0x01; // corrupted
    c.write(&bad);
    let cut = c.frame_at(8, &speed(4100));
    c.write(&cut[..cut.len() - 4]); // truncated...
    c.write(&[0]); // ...then the line goes idle
    // Altered by an adversary: body changed, tag kept, CRC made good again.
    let mut raw = vec![2u8, 0x10, 9, 0, 2, 0xA0, 0x0F];
    let genuine = c.frame_at(9, &speed(3500));
    let mut dec = [0u8; 64];
    let n = protocol::cobs::decode(&genuine[1..genuine.len() - 1], &mut dec).unwrap();
    raw.extend_from_slice(&dec[7..n - 4]);
    c.write_with_crc(raw);
    let got = acks(&c.read(40, Duration::from_secs(1)));
    let acked: Vec<u16> = got.iter().map(|a| a.acked_seq).collect();
    assert_eq!(
        acked,
        vec![2, 3, 6],
        "only fresh, intact, authentic commands are answered"
    );
    assert_eq!(unit.outputs().pump_rpm, 2500);
    let st = unit.stats();
    assert_eq!((st.seq.replayed, st.seq.out_of_order), (1, 1), "{st:?}");
    assert_eq!(st.decode.crc, 1, "{st:?}");
    assert_eq!(st.decode.truncated + st.decode.cobs, 1, "{st:?}");
    assert_eq!(st.decode.bad_tag, 1, "the altered frame: {st:?}");
}

/// A command before the handshake is refused and counted, unanswered; a Hello of another major
/// version gets a mismatch and no session (DEV-5, DEV-6, DEV-8); an authentic frame of an
/// unknown type is answered with a ProtocolError.
#[test]
fn no_session_and_version_mismatch_are_refused() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let mut c = raw_console(addr);
    // A stranger's command: no key, so no tag at all.
    let mut stranger = RawConsole::new(std::io::Cursor::new(Vec::new()));
    stranger.keys = Some(
        Transcript::of(
            &Hello {
                major: 2,
                minor: 0,
                nonce: 1,
                heartbeat_ms: 100,
                timeout_ms: 500,
                console_nonce: [0; 16],
            },
            [0; 16],
        )
        .session_keys(&PairingKey::UNPAIRED),
    );
    let forged = stranger.frame(&Message::Command(Command::SetPumpSpeed { rpm: 1000 }));
    c.write(&forged);
    assert!(acks(&c.read(1, Duration::from_millis(300))).is_empty());
    // A 1.0 console, byte for byte as protocol 1.0 put it on the wire (its §9.1, §9.2):
    // Hello, then SetPumpSpeed 3500 rpm.
    let v1_hello = [
        0x00, 0x03, 0x01, 0x01, 0x01, 0x03, 0x0A, 0x01, 0x06, 0x01, 0xEE, 0xFF, 0xC0, 0x64, 0x07,
        0xF4, 0x01, 0xBB, 0x4A, 0x07, 0xFB, 0x00,
    ];
    let v1_speed = [
        0x00, 0x0C, 0x01, 0x10, 0x02, 0x01, 0x02, 0xAC, 0x0D, 0x3A, 0xA6, 0xC7, 0x19, 0x00,
    ];
    c.write(&v1_hello);
    let f = c.read(1, Duration::from_secs(1));
    let Message::HelloAck(ack) = f[0].msg else {
        panic!("{f:?}")
    };
    assert_eq!(
        (ack.status, ack.major, ack.nonce),
        (HelloStatus::VersionMismatch, 2, 0xC0FF_EE01)
    );
    c.write(&v1_speed);
    assert!(acks(&c.read(1, Duration::from_millis(300))).is_empty());
    assert_eq!(unit.outputs(), POWER_UP);
    let st = unit.stats();
    assert_eq!(st.version_mismatches, 1);
    assert_eq!(
        (st.decode.unauthenticated, st.decode.version),
        (1, 1),
        "{st:?}"
    );
    assert_eq!(st.sessions, 0);
    // In session, an intact and authentic frame of unknown type is answered.
    c.handshake(&PairingKey::UNPAIRED, 2000).expect("handshake");
    let mut raw = vec![2u8, 0x7E, 3, 0, 0];
    let tag = c.keys.as_ref().unwrap().console_to_unit.tag(3, &raw);
    raw.extend_from_slice(&tag);
    c.write_with_crc(raw);
    let f = c.read(20, Duration::from_millis(500));
    assert!(
        f.iter().any(|f| matches!(
            f.msg,
            Message::ProtocolError(ProtocolError {
                reason: ProtocolErrorReason::UnknownType,
                offending_seq: 3,
                offending_type: 0x7E
            })
        )),
        "{f:?}"
    );
}

/// The unit's side of the 2.0 handshake, by hand, for fake units: answers the Hello with
/// `key`'s proof, checks the console's Auth, sends SessionOpen as frame 1. Returns the
/// session's keys; the unit's next frame is number 2.
fn fake_unit_handshake(
    s: &mut TcpStream,
    dec: &mut Decoder,
    key: &PairingKey,
    open: SessionOpen,
) -> SessionKeys {
    let mut buf = [0u8; 512];
    let mut hello = None;
    let mut keys = None;
    let t0 = std::time::Instant::now();
    while t0.elapsed() < Duration::from_secs(2) {
        let Ok(n) = s.read(&mut buf) else { continue };
        for &b in &buf[..n] {
            match dec.push(b) {
                Some(Ok(Frame {
                    msg: Message::Hello(h),
                    ..
                })) => {
                    let un = [0x77; 16];
                    let t = Transcript::of(&h, un);
                    let ack = Message::HelloAck(HelloAck {
                        major: 2,
                        minor: 0,
                        nonce: h.nonce,
                        status: HelloStatus::Accepted,
                        unit_nonce: un,
                        proof: t.unit_proof(key),
                    });
                    let k = t.session_keys(key);
                    dec.open_session(k.console_to_unit.clone());
                    s.write_all(&sealed(0, &ack, None)).unwrap();
                    hello = Some(t);
                    keys = Some(k);
                }
                Some(Ok(Frame {
                    msg: Message::Auth(a),
                    ..
                })) => {
                    let t = hello.expect("Auth after Hello");
                    assert!(t.check_console_proof(key, &a.proof));
                    let k = keys.expect("keys");
                    let m = Message::SessionOpen(open);
                    s.write_all(&sealed(1, &m, Some(&k.unit_to_console)))
                        .unwrap();
                    return k;
                }
                _ => {}
            }
        }
    }
    panic!("no handshake");
}

fn sealed(n: u64, msg: &Message, key: Option<&SessionKey>) -> Vec<u8> {
    let mut b = [0u8; MAX_WIRE];
    let len = encode(n, msg, key, &mut b).unwrap();
    b[..len].to_vec()
}

fn open_info(timeout_ms: u16) -> SessionOpen {
    SessionOpen {
        heartbeat_ms: 100,
        timeout_ms,
        sensor_rate_hz: 100,
        unit_serial: 5,
        firmware: 1,
        state: state::SESSION,
        setpoints: POWER_UP,
    }
}

/// A peer on a free loopback port that accepts one connection and hands it (reads timing out
/// after 10 ms) and a fresh decoder to `talk`, on a thread of its own.
fn one_peer(talk: impl FnOnce(TcpStream, Decoder) + Send + 'static) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        talk(s, Decoder::new());
    });
    addr
}

/// A scripted fake unit for console-side tests: answers the handshake (or, with `ack_major`
/// other than 2, a version mismatch), then for each command frame calls `on_cmd(n)` to decide
/// whether to Ack; silent (no reply at all) during `quiet_ms` after the handshake.
fn fake_unit(
    ack_major: u8,
    on_cmd: impl Fn(usize) -> bool + Send + 'static,
    quiet_ms: std::ops::Range<u64>,
) -> std::net::SocketAddr {
    one_peer(move |mut s, mut dec| {
        if ack_major != 2 {
            let mut buf = [0u8; 512];
            let t0 = std::time::Instant::now();
            while t0.elapsed() < Duration::from_secs(2) {
                let Ok(n) = s.read(&mut buf) else { continue };
                for &b in &buf[..n] {
                    if let Some(Ok(Frame {
                        msg: Message::Hello(h),
                        ..
                    })) = dec.push(b)
                    {
                        let ack = Message::HelloAck(HelloAck {
                            major: ack_major,
                            minor: 0,
                            nonce: h.nonce,
                            status: HelloStatus::VersionMismatch,
                            unit_nonce: [0; 16],
                            proof: [0; 16],
                        });
                        let _ = s.write_all(&sealed(0, &ack, None));
                    }
                }
            }
            return;
        }
        let keys = fake_unit_handshake(&mut s, &mut dec, &PairingKey::UNPAIRED, open_info(300));
        let mut out = 2u64;
        let mut n_cmd = 0;
        let t0 = std::time::Instant::now();
        let mut buf = [0u8; 512];
        while t0.elapsed() < Duration::from_secs(5) {
            let mut frames = Vec::new();
            if let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                dec.feed(&buf[..n], |r| frames.push(r));
            }
            let talking = !quiet_ms.contains(&(t0.elapsed().as_millis() as u64));
            for f in frames.into_iter().flatten() {
                let reply = match f.msg {
                    Message::Command(c) if talking => {
                        n_cmd += 1;
                        on_cmd(n_cmd).then_some(Message::Ack(Ack {
                            acked_seq: f.seq,
                            acked_type: c.type_code(),
                            result: AckResult::Applied,
                        }))
                    }
                    Message::Heartbeat(_) if talking => Some(Message::Heartbeat(Heartbeat {
                        uptime_ms: 0,
                        state: state::SESSION,
                        rx_rejected: 0,
                    })),
                    _ => None,
                };
                if let Some(m) = reply {
                    if s.write_all(&sealed(out, &m, Some(&keys.unit_to_console)))
                        .is_err()
                    {
                        return;
                    }
                    out += 1;
                }
            }
        }
    })
}

#[test]
fn console_resends_until_acked_and_reports_no_ack() {
    // The first send of each command is "lost"; the resend is acknowledged.
    let addr = fake_unit(2, |n| n % 2 == 0, 10_000..u64::MAX);
    let link = connect(addr);
    applied(&link, Command::SetPumpSpeed { rpm: 1000 });
    assert_eq!(link.stats().resends, 1);
    // A unit that never acknowledges: NoAck after the configured attempts.
    let addr = fake_unit(2, |_| false, 10_000..u64::MAX);
    let link = connect(addr);
    match link.command(Command::SetPumpSpeed { rpm: 1000 }) {
        Err(LinkError::NoAck { attempts: 3, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(link.stats().resends, 2);
    assert_eq!(link.stats().no_ack, 1);
}

#[test]
fn console_detects_silent_unit_and_version_mismatch() {
    // Silent from 0.3 s to 2 s after the handshake, then talking again.
    let addr = fake_unit(2, |_| true, 300..2000);
    let link = connect(addr);
    assert_eq!(
        link.timing().1,
        Duration::from_millis(300),
        "the unit's granted timeout is used"
    );
    assert!(wait_until(Duration::from_secs(3), || link.unit_lost()));
    // It speaks again: the flag clears.
    assert!(wait_until(Duration::from_secs(4), || !link.unit_lost()));
    // The events say so, once each and in order (the flags alone were asserted above).
    let ev = collect_events(&link, Duration::from_millis(50));
    let marks: Vec<_> = ev
        .iter()
        .filter(|e| matches!(e, ConsoleEvent::UnitLost | ConsoleEvent::UnitBack))
        .collect();
    assert_eq!(
        marks,
        [&ConsoleEvent::UnitLost, &ConsoleEvent::UnitBack],
        "{ev:?}"
    );

    let addr = fake_unit(3, |_| true, 10_000..u64::MAX);
    let t = Transport::connect_tcp(&addr.to_string(), Duration::from_secs(2)).unwrap();
    match ConsoleLink::connect(t, ConsoleConfig::default()) {
        Err(LinkError::VersionMismatch { unit_major: 3, .. }) => {}
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn handshake_times_out_against_a_mute_peer() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let _keep = std::thread::spawn(move || {
        let (_s, _) = l.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
    });
    let t = Transport::connect_tcp(&addr.to_string(), Duration::from_secs(2)).unwrap();
    let cfg = ConsoleConfig {
        hello_timeout: Duration::from_millis(50),
        hello_attempts: 3,
        ..Default::default()
    };
    let err = ConsoleLink::connect(t, cfg).err().expect("must fail");
    assert!(
        matches!(err, LinkError::HandshakeTimeout { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no HelloAck after 3"));
}

#[test]
fn unit_refuses_a_sensor_rate_below_100_hz() {
    let cfg = devlink::UnitConfig {
        sensor_rate_hz: 50,
        ..Default::default()
    };
    let err =
        devlink::UnitEndpoint::start(cfg, |_: &Setpoints, _: u64| devlink::UnitSample::default())
            .err()
            .expect("50 Hz must be refused");
    assert!(err.to_string().contains("sensor_rate_hz 50"), "{err}");
}

/// The console end rejects and counts damaged, truncated, replayed and out-of-order frames
/// from the unit just as the unit does from the console: none of them reaches the control core
/// as a Sensor event.
#[test]
fn console_counts_bad_unit_frames_and_never_delivers_them() {
    let addr = one_peer(move |mut s, mut dec| {
        let keys = fake_unit_handshake(&mut s, &mut dec, &PairingKey::UNPAIRED, open_info(2000));
        let k = keys.unit_to_console;
        // Frames 2..99 were "sent" before (lost): the stream below starts at 101.
        let frame = |n: u64, m: &Message| sealed(n, m, Some(&k));
        let sensor = |sample| {
            Message::Sensor(SensorFrame::from_values(
                &SensorValues::default(),
                sample,
                0,
                state::SESSION,
            ))
        };
        let mut wire = Vec::new();
        wire.extend(frame(101, &sensor(1)));
        wire.extend(frame(102, &sensor(2)));
        wire.extend(frame(101, &sensor(99))); // replayed number
        wire.extend(frame(105, &sensor(5)));
        wire.extend(frame(104, &sensor(77))); // out of order
        let mut bad = frame(106, &sensor(66));
        let n = bad.len();
        // Corrupted: one bit, never into a 0x00 (that would split it into two fragments).
        bad[n / 2] ^= if bad[n / 2] == 0x80 { 0x40 } else { 0x80 };
        wire.extend(bad);
        let cut = frame(107, &sensor(55));
        wire.extend(&cut[..cut.len() - 5]); // truncated, then the next frame's delimiter
        wire.extend(frame(108, &sensor(8)));
        s.write_all(&wire).unwrap();
        std::thread::sleep(Duration::from_millis(1500));
    });
    let link = connect(addr);
    let mut samples = Vec::new();
    let t0 = std::time::Instant::now();
    while t0.elapsed() < Duration::from_millis(800) {
        if let Ok(ConsoleEvent::Sensor(f)) = link.events().recv_timeout(Duration::from_millis(20)) {
            samples.push(f.sample);
        }
    }
    assert_eq!(
        samples,
        vec![1, 2, 5, 8],
        "only fresh, intact frames are delivered"
    );
    let st = link.stats();
    assert_eq!((st.seq.replayed, st.seq.out_of_order), (1, 1), "{st:?}");
    // 2..100 skipped at 101; 103, 104 skipped at 105 (104 then came late), 106, 107 at 108.
    assert_eq!(st.seq.lost, 99 + 4, "{st:?}");
    let d = st.decode;
    let damaged = d.crc + d.cobs + d.truncated + d.length + d.oversize;
    assert_eq!(damaged, 2, "the corrupted and the truncated frame: {d:?}");
}

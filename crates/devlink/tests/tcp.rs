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
    assert_eq!((info.major, info.status), (1, HelloStatus::Accepted));
    assert_eq!(info.setpoints, POWER_UP);
    assert_eq!(info.sensor_rate_hz, 100);
    assert_eq!(
        link.command(Command::SetClamp(ClampState::Open)).unwrap(),
        AckResult::Applied
    );
    assert_eq!(
        link.command(Command::SetPumpSpeed { rpm: 3500 }).unwrap(),
        AckResult::Applied
    );
    assert_eq!(
        link.command(Command::SetGas {
            sweep_ml_min: 4000,
            fdo2_permille: 800
        })
        .unwrap(),
        AckResult::Applied
    );
    assert_eq!(
        link.command(Command::SetHeater {
            target_centi_c: 3700
        })
        .unwrap(),
        AckResult::Applied
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
    let sensors: Vec<SensorFrame> = events
        .iter()
        .filter_map(|e| {
            if let ConsoleEvent::Sensor(s) = e {
                Some(*s)
            } else {
                None
            }
        })
        .collect();
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
        "DEV-7: HelloAck reports the running setpoints"
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
    assert_eq!(
        link.command(Command::SetPumpSpeed { rpm: 3300 }).unwrap(),
        AckResult::Applied
    );
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
    assert_eq!(
        link.command(Command::ClearAirStop).unwrap(),
        AckResult::Applied
    );
    assert_eq!(
        unit.outputs().pump_rpm,
        0,
        "clearing never restarts the pump by itself"
    );
    assert_eq!(
        link.command(Command::SetClamp(ClampState::Open)).unwrap(),
        AckResult::Applied
    );
    assert_eq!(
        link.command(Command::SetPumpSpeed { rpm: 2000 }).unwrap(),
        AckResult::Applied
    );
}

fn frame(seq: u16, msg: &Message) -> Vec<u8> {
    let mut b = [0u8; MAX_WIRE];
    let n = encode(seq, msg, &mut b).unwrap();
    b[..n].to_vec()
}

/// Reads frames from a raw socket until `want` of them arrived or 1 s passed.
fn read_frames(s: &mut TcpStream, dec: &mut Decoder, want: usize) -> Vec<Frame> {
    s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let mut out = Vec::new();
    let t0 = std::time::Instant::now();
    let mut buf = [0u8; 512];
    while out.len() < want && t0.elapsed() < Duration::from_secs(1) {
        if let Ok(n) = s.read(&mut buf) {
            dec.feed(&buf[..n], |r| {
                if let Ok(f) = r {
                    out.push(f)
                }
            });
        }
    }
    out
}

fn acks(frames: &[Frame]) -> Vec<Ack> {
    frames
        .iter()
        .filter_map(|f| {
            if let Message::Ack(a) = f.msg {
                Some(a)
            } else {
                None
            }
        })
        .collect()
}

/// Corrupted, replayed and out-of-order frames reach the unit and are counted, never acted on.
#[test]
fn bad_frames_on_the_wire_are_counted_never_acted_on() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let mut s = TcpStream::connect(addr).unwrap();
    let mut dec = Decoder::new();
    let hello = Message::Hello(Hello {
        major: 1,
        minor: 0,
        nonce: 7,
        heartbeat_ms: 100,
        timeout_ms: 2000,
    });
    s.write_all(&frame(0, &hello)).unwrap();
    let f = read_frames(&mut s, &mut dec, 1);
    assert!(matches!(
        f[0].msg,
        Message::HelloAck(HelloAck {
            nonce: 7,
            status: HelloStatus::Accepted,
            ..
        })
    ));

    let speed = |rpm| Message::Command(Command::SetPumpSpeed { rpm });
    let first = frame(1, &speed(1000));
    s.write_all(&first).unwrap();
    s.write_all(&frame(2, &speed(2000))).unwrap();
    s.write_all(&first).unwrap(); // replay
    s.write_all(&frame(5, &speed(2500))).unwrap();
    s.write_all(&frame(4, &speed(1500))).unwrap(); // out of order
    let mut bad = frame(6, &speed(4000));
    bad[8] ^= 0x01; // corrupted
    s.write_all(&bad).unwrap();
    let cut = frame(7, &speed(4100));
    s.write_all(&cut[..cut.len() - 4]).unwrap(); // truncated...
    s.write_all(&[0]).unwrap(); // ...then the line goes idle
    let got = acks(&read_frames(&mut s, &mut dec, 40));
    let acked: Vec<u16> = got.iter().map(|a| a.acked_seq).collect();
    assert_eq!(
        acked,
        vec![1, 2, 5],
        "only fresh, intact commands are answered"
    );
    assert_eq!(unit.outputs().pump_rpm, 2500);
    let st = unit.stats();
    assert_eq!((st.seq.replayed, st.seq.out_of_order), (1, 1), "{st:?}");
    assert_eq!(st.decode.crc, 1, "{st:?}");
    assert_eq!(st.decode.truncated + st.decode.cobs, 1, "{st:?}");
}

/// A command before Hello is refused; a Hello of another major version gets a mismatch and no
/// session (DEV-5, DEV-6).
#[test]
fn no_session_and_version_mismatch_are_refused() {
    let (unit, addr) = tcp_unit(Arc::new(AtomicBool::new(false)));
    let mut s = TcpStream::connect(addr).unwrap();
    let mut dec = Decoder::new();
    s.write_all(&frame(
        0,
        &Message::Command(Command::SetPumpSpeed { rpm: 1000 }),
    ))
    .unwrap();
    let a = acks(&read_frames(&mut s, &mut dec, 1));
    assert_eq!(a[0].result, AckResult::NoSession);
    let hello2 = Message::Hello(Hello {
        major: 2,
        minor: 3,
        nonce: 9,
        heartbeat_ms: 100,
        timeout_ms: 500,
    });
    s.write_all(&frame(1, &hello2)).unwrap();
    let f = read_frames(&mut s, &mut dec, 1);
    let Message::HelloAck(ack) = f[0].msg else {
        panic!("{f:?}")
    };
    assert_eq!(
        (ack.status, ack.major, ack.nonce),
        (HelloStatus::VersionMismatch, 1, 9)
    );
    s.write_all(&frame(
        2,
        &Message::Command(Command::SetPumpSpeed { rpm: 1000 }),
    ))
    .unwrap();
    let a = acks(&read_frames(&mut s, &mut dec, 1));
    assert_eq!(a[0].result, AckResult::NoSession);
    assert_eq!(unit.outputs(), POWER_UP);
    assert_eq!(unit.stats().version_mismatches, 1);
    // An intact frame of unknown type is answered with a ProtocolError.
    let mut raw = vec![1u8, 0x7E, 3, 0, 0];
    raw.extend_from_slice(&protocol::crc::crc32c(&raw).to_le_bytes());
    let mut enc = [0u8; 32];
    let n = protocol::cobs::encode(&raw, &mut enc).unwrap();
    s.write_all(&[0]).unwrap();
    s.write_all(&enc[..n]).unwrap();
    s.write_all(&[0]).unwrap();
    let f = read_frames(&mut s, &mut dec, 1);
    assert!(matches!(
        f[0].msg,
        Message::ProtocolError(ProtocolError {
            reason: ProtocolErrorReason::UnknownType,
            offending_seq: 3,
            offending_type: 0x7E
        })
    ));
}

/// A scripted fake unit for console-side tests: answers Hello with `ack_major`, then for each
/// command frame calls `on_cmd(n, seq)` to decide whether to Ack; stops talking after `quiet`.
fn fake_unit(
    ack_major: u8,
    on_cmd: impl Fn(usize) -> bool + Send + 'static,
    quiet_after_ms: u64,
) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        let mut dec = Decoder::new();
        let mut out_seq = 100u16;
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
            let talking = t0.elapsed() < Duration::from_millis(quiet_after_ms);
            for f in frames.into_iter().flatten() {
                let reply = match f.msg {
                    Message::Hello(h) => Some(Message::HelloAck(HelloAck {
                        major: ack_major,
                        minor: 0,
                        nonce: h.nonce,
                        status: if ack_major == 1 {
                            HelloStatus::Accepted
                        } else {
                            HelloStatus::VersionMismatch
                        },
                        heartbeat_ms: 100,
                        timeout_ms: 300,
                        sensor_rate_hz: 100,
                        unit_serial: 5,
                        firmware: 1,
                        state: 0,
                        setpoints: POWER_UP,
                    })),
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
                    if s.write_all(&frame(out_seq, &m)).is_err() {
                        return;
                    }
                    out_seq = out_seq.wrapping_add(1);
                }
            }
        }
    });
    addr
}

#[test]
fn console_resends_until_acked_and_reports_no_ack() {
    // The first send of each command is "lost"; the resend is acknowledged.
    let addr = fake_unit(1, |n| n % 2 == 0, 10_000);
    let link = connect(addr);
    assert_eq!(
        link.command(Command::SetPumpSpeed { rpm: 1000 }).unwrap(),
        AckResult::Applied
    );
    assert_eq!(link.stats().resends, 1);
    // A unit that never acknowledges: NoAck after the configured attempts.
    let addr = fake_unit(1, |_| false, 10_000);
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
    let addr = fake_unit(1, |_| true, 300);
    let link = connect(addr);
    assert_eq!(
        link.timing().1,
        Duration::from_millis(300),
        "the unit's granted timeout is used"
    );
    assert!(wait_until(Duration::from_secs(2), || link.unit_lost()));
    let ev = collect_events(&link, Duration::from_millis(50));
    assert!(ev.contains(&ConsoleEvent::UnitLost) || link.unit_lost());

    let addr = fake_unit(2, |_| true, 10_000);
    let t = Transport::connect_tcp(&addr.to_string(), Duration::from_secs(2)).unwrap();
    match ConsoleLink::connect(t, ConsoleConfig::default()) {
        Err(LinkError::VersionMismatch { unit_major: 2, .. }) => {}
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
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut dec = Decoder::new();
        let hello = read_frames(&mut s, &mut dec, 1);
        let Message::Hello(h) = hello[0].msg else {
            panic!("{:?}", hello[0])
        };
        let ack = Message::HelloAck(HelloAck {
            major: 1,
            minor: 0,
            nonce: h.nonce,
            status: HelloStatus::Accepted,
            heartbeat_ms: 100,
            timeout_ms: 2000,
            sensor_rate_hz: 100,
            unit_serial: 9,
            firmware: 1,
            state: state::SESSION,
            setpoints: POWER_UP,
        });
        s.write_all(&frame(100, &ack)).unwrap();
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
    // 103, 104 skipped at 105 (104 then came late), 106, 107 skipped at 108.
    assert_eq!(st.seq.lost, 4, "{st:?}");
    let d = st.decode;
    let damaged = d.crc + d.cobs + d.truncated + d.length + d.oversize;
    assert_eq!(damaged, 2, "the corrupted and the truncated frame: {d:?}");
}

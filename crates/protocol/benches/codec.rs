//! Codec throughput: sensor frames encoded and decoded per second on one core.
//! Run: `cargo bench -p protocol --bench codec`. The protocol needs 100 frames/s per link; the
//! figure here says how much headroom a core has (a microcontroller is slower by its clock).

#[path = "../tests/common/mod.rs"]
mod common;

use protocol::{Decoder, MAX_WIRE, Message, SensorFrame, SensorValues, encode};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn sample(i: u32) -> Message {
    let v = SensorValues {
        p_drainage_mmhg: Some(-60.0 + (i % 7) as f32),
        p_pre_oxy_mmhg: Some(300.0),
        p_post_oxy_mmhg: Some(250.0),
        flow_lpm: Some(4.2),
        speed_rpm: Some(3500.0),
        so2_pre_pct: Some(65.0),
        so2_post_pct: Some(99.5),
        po2_post_mmhg: Some(400.0),
        pco2_post_mmhg: Some(30.0),
        hb_g_dl: Some(11.0),
        temp_pre_c: Some(36.6),
        temp_post_c: Some(37.0),
        bubble_ul: Some(0.0),
        sweep_lpm: Some(3.0),
        fdo2: Some(1.0),
        battery: Some(1.0),
        battery_min: Some(120.0),
    };
    Message::Sensor(SensorFrame::from_values(&v, i, i * 10, 0x41))
}

fn main() {
    let msgs: Vec<Message> = (0..1024).map(sample).collect();
    // Every frame is tagged with HMAC-SHA-256 under a session key, as on a real link.
    let keys = common::session();
    let key = &keys.unit_to_console;
    let budget = Duration::from_secs(2);

    // Encode.
    let mut buf = [0u8; MAX_WIRE];
    let mut n = 0u64;
    let mut bytes = 0u64;
    let t0 = Instant::now();
    while t0.elapsed() < budget {
        for (i, m) in msgs.iter().enumerate() {
            bytes +=
                encode(black_box(i as u64 + 1), black_box(m), Some(key), &mut buf).unwrap() as u64;
        }
        n += msgs.len() as u64;
    }
    let enc_s = t0.elapsed().as_secs_f64();
    let frame_len = bytes / n;

    // Decode: one contiguous stream, fed in 64-byte chunks as a UART/TCP reader would.
    // Each pass is a fresh session (the numbers restart), so every frame verifies anew.
    let mut stream = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let k = encode(i as u64 + 1, m, Some(key), &mut buf).unwrap();
        stream.extend_from_slice(&buf[..k]);
    }
    let mut dec = Decoder::new();
    let mut frames = 0u64;
    let t0 = Instant::now();
    while t0.elapsed() < budget {
        dec.open_session(key.clone());
        for chunk in stream.chunks(64) {
            dec.feed(black_box(chunk), |r| {
                if r.is_ok() {
                    frames += 1;
                }
            });
        }
    }
    let dec_s = t0.elapsed().as_secs_f64();
    assert_eq!(
        dec.stats().rejected(),
        0,
        "bench stream must decode cleanly"
    );

    println!("codec bench: sensor frame {frame_len} bytes on the wire");
    println!(
        "encode: {:>12.0} frames/s  ({:.1} MB/s)",
        n as f64 / enc_s,
        bytes as f64 / enc_s / 1e6
    );
    println!(
        "decode: {:>12.0} frames/s  ({:.1} MB/s)",
        frames as f64 / dec_s,
        (frames * frame_len) as f64 / dec_s / 1e6
    );
}

//! Command-to-acknowledgement latency over TCP on loopback: the time from
//! `ConsoleLink::command` to its return with `Applied`. The unit applies the setpoint before it
//! sends the Ack, so this is command-to-actuation latency at the protocol level (the motor's
//! own ramp comes after). Sensor frames stream at 100 Hz meanwhile, as in service.
//! Run: `cargo bench -p devlink --bench latency`.

use devlink::{ConsoleConfig, ConsoleLink, Transport, UnitConfig, UnitEndpoint, UnitSample};
use protocol::{AckResult, Command, SensorValues};
use std::net::TcpListener;
use std::time::{Duration, Instant};

fn sim_unit() -> UnitEndpoint {
    UnitEndpoint::start(
        UnitConfig::default(),
        |sp: &protocol::Setpoints, _now: u64| UnitSample {
            values: SensorValues {
                speed_rpm: Some(sp.pump_rpm as f32),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .expect("start unit")
}

fn main() {
    let unit = sim_unit();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    unit.listen(listener).expect("listen");
    let link = ConsoleLink::connect(
        Transport::connect_tcp(&addr.to_string(), Duration::from_secs(1)).expect("connect"),
        ConsoleConfig::default(),
    )
    .expect("handshake");
    measure("TCP loopback", &unit, &link);
    drop(link);
    drop(unit);

    // The same over a pseudo-terminal opened as a serial line (a pty has no baud rate: this is
    // the software path of the serial transport, not a UART's wire time).
    let unit = sim_unit();
    let (master, slave) = devlink::openpty().expect("openpty");
    unit.attach(Transport::fd(master, "pty".into()).expect("pty"))
        .expect("attach");
    let link = ConsoleLink::connect(
        Transport::serial(&slave, 115_200).expect("serial"),
        ConsoleConfig::default(),
    )
    .expect("handshake over pty");
    measure("pty serial line", &unit, &link);
}

fn measure(what: &str, unit: &UnitEndpoint, link: &ConsoleLink) {
    let n = 5000;
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let rpm = 2000 + (i % 1000) as u16;
        let t0 = Instant::now();
        let r = link
            .command(Command::SetPumpSpeed { rpm })
            .expect("command");
        lat.push(t0.elapsed());
        assert_eq!(r, AckResult::Applied);
        assert_eq!(unit.outputs().pump_rpm, rpm);
        // Drain sensor events so the queue never fills.
        while link.events().try_recv().is_ok() {}
    }
    lat.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let stats = link.stats();
    println!("command -> ack over {what}, {n} commands, 100 Hz sensor stream running");
    println!(
        "median {:.0} us   p99 {:.0} us   max {:.0} us",
        us(lat[n / 2]),
        us(lat[n * 99 / 100]),
        us(lat[n - 1])
    );
    println!(
        "resends {}  no-ack {}  rejected frames {}",
        stats.resends,
        stats.no_ack,
        stats.decode.rejected() + stats.seq.rejected()
    );
}

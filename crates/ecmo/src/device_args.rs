//! `ecmo device`'s command line (clap lives only in this crate).

/// Command line of `ecmo device`.
#[derive(clap::Args, Debug, Clone)]
pub struct DeviceArgs {
    /// Listen for consoles on TCP: tcp://HOST:PORT (port 0: any free port, printed at start).
    #[arg(
        long,
        conflicts_with = "serial",
        default_value = "tcp://127.0.0.1:7400"
    )]
    pub listen: String,
    /// Serve a serial line instead: a device path (/dev/ttyUSB0, 230400 baud) or
    /// serial:///dev/ttyUSB0?baud=115200.
    #[arg(long)]
    pub serial: Option<String>,
    /// Patient and circuit preset of the twin (see `ecmo presets`).
    #[arg(long, default_value = "ards-severe")]
    pub preset: String,
    /// Seed of the twin's and the sensors' random processes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Power up driving the preset's cannulation setpoints (pump turning, clamp open), as a unit
    /// that restored its setpoints after a restart would (docs/protocol.md §8). Without it the
    /// unit powers up stopped and clamped, and a console starts the pump.
    #[arg(long)]
    pub start: bool,
    /// Unit serial number reported in SessionOpen.
    #[arg(long, default_value_t = 1)]
    pub serial_number: u32,
    /// Sensor frames per second (at least 100).
    #[arg(long, default_value_t = 100)]
    pub sensor_rate: u16,
    /// Status line period, ms (0: no status lines).
    #[arg(long, default_value_t = 1000)]
    pub status_ms: u64,
    /// Full-stroke travel time of the return clamp, ms.
    #[arg(long, default_value_t = simunit::CLAMP_TRAVEL_MS)]
    pub clamp_travel_ms: f64,
    /// The unit's pairing key file (64 hex digits, owner-only permissions): only a console
    /// that proves it holds the same key can command the pump. Required for any listen
    /// address beyond loopback (docs/protocol.md §7, docs/security.md).
    #[arg(long, value_name = "FILE")]
    pub key: Option<std::path::PathBuf>,
    /// Write a new random pairing key to FILE (mode 0600, never over an existing file) and
    /// exit. Give the same file to the unit (--key) and its console (ecmo serve --device-key).
    #[arg(long, value_name = "FILE", exclusive = true)]
    pub generate_key: Option<std::path::PathBuf>,
}

impl DeviceArgs {
    /// The unit's options, as the simunit crate takes them.
    pub fn options(&self) -> simunit::DeviceOptions {
        simunit::DeviceOptions {
            listen: self.listen.clone(),
            serial: self.serial.clone(),
            preset: self.preset.clone(),
            seed: self.seed,
            start: self.start,
            serial_number: self.serial_number,
            sensor_rate: self.sensor_rate,
            status_ms: self.status_ms,
            clamp_travel_ms: self.clamp_travel_ms,
            key: self.key.clone(),
        }
    }
}

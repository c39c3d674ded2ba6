//! Where the unit is: `tcp://HOST:PORT`, or a serial device (`/dev/ttyUSB0`,
//! `serial:///dev/ttyUSB0?baud=230400`). This is the string `ecmo serve --device` takes.

use crate::transport::Transport;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Default serial rate (docs/protocol.md §2: 115200 minimum, 230400 recommended).
pub const DEFAULT_BAUD: u32 = 230_400;

/// A parsed device address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceAddr {
    Tcp { host: String, port: u16 },
    Serial { path: PathBuf, baud: u32 },
}

/// Why an address string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrError {
    pub input: String,
    pub reason: String,
}

impl std::fmt::Display for AddrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "device address {:?}: {} (expected tcp://HOST:PORT, a serial device path such as /dev/ttyUSB0, or serial:///dev/ttyUSB0?baud=230400)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for AddrError {}

impl DeviceAddr {
    pub fn parse(input: &str) -> Result<DeviceAddr, AddrError> {
        let err = |reason: &str| AddrError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if let Some(rest) = input.strip_prefix("tcp://") {
            let (host, port) = rest
                .rsplit_once(':')
                .ok_or_else(|| err("no port after the host"))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() {
                return Err(err("empty host"));
            }
            let port: u16 = port
                .parse()
                .map_err(|_| err(&format!("port {port:?} is not a number 1..=65535")))?;
            if port == 0 {
                return Err(err("port 0"));
            }
            return Ok(DeviceAddr::Tcp {
                host: host.to_string(),
                port,
            });
        }
        let (path, query) = match input.strip_prefix("serial://") {
            Some(rest) => match rest.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (rest, None),
            },
            None if input.starts_with('/') => (input, None),
            None => return Err(err("unknown scheme")),
        };
        if !path.starts_with('/') {
            return Err(err("serial device path must be absolute"));
        }
        let mut baud = DEFAULT_BAUD;
        if let Some(q) = query {
            for kv in q.split('&') {
                match kv.split_once('=') {
                    Some(("baud", v)) => {
                        baud = v
                            .parse()
                            .map_err(|_| err(&format!("baud {v:?} is not a number")))?;
                    }
                    _ => return Err(err(&format!("unknown option {kv:?} (only baud=N)"))),
                }
            }
        }
        Ok(DeviceAddr::Serial {
            path: PathBuf::from(path),
            baud,
        })
    }

    /// Opens a fresh transport to the unit.
    pub fn open(&self, timeout: Duration) -> io::Result<Transport> {
        match self {
            DeviceAddr::Tcp { host, port } => {
                Transport::connect_tcp(&format!("{host}:{port}"), timeout)
            }
            DeviceAddr::Serial { path, baud } => Transport::serial(path, *baud),
        }
    }
}

impl std::fmt::Display for DeviceAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceAddr::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            DeviceAddr::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            DeviceAddr::Serial { path, baud } => {
                write!(f, "serial://{}?baud={baud}", path.display())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tcp_and_serial_and_round_trips() {
        for (s, want) in [
            (
                "tcp://127.0.0.1:7400",
                DeviceAddr::Tcp {
                    host: "127.0.0.1".into(),
                    port: 7400,
                },
            ),
            (
                "tcp://unit.local:9",
                DeviceAddr::Tcp {
                    host: "unit.local".into(),
                    port: 9,
                },
            ),
            (
                "tcp://[::1]:7400",
                DeviceAddr::Tcp {
                    host: "::1".into(),
                    port: 7400,
                },
            ),
            (
                "/dev/ttyUSB0",
                DeviceAddr::Serial {
                    path: "/dev/ttyUSB0".into(),
                    baud: DEFAULT_BAUD,
                },
            ),
            (
                "serial:///dev/ttyS1?baud=115200",
                DeviceAddr::Serial {
                    path: "/dev/ttyS1".into(),
                    baud: 115_200,
                },
            ),
        ] {
            let a = DeviceAddr::parse(s).unwrap();
            assert_eq!(a, want, "{s}");
            assert_eq!(DeviceAddr::parse(&a.to_string()).unwrap(), a);
        }
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        for (s, says) in [
            ("tcp://127.0.0.1", "no port"),
            ("tcp://:7400", "empty host"),
            ("tcp://h:70000", "not a number"),
            ("tcp://h:0", "port 0"),
            ("udp://h:1", "unknown scheme"),
            ("ttyUSB0", "unknown scheme"),
            ("serial://dev/ttyUSB0", "absolute"),
            ("serial:///dev/ttyUSB0?baud=fast", "baud \"fast\""),
            ("serial:///dev/ttyUSB0?parity=even", "unknown option"),
        ] {
            let e = DeviceAddr::parse(s).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(says) && msg.contains(s), "{s}: {msg}");
        }
    }
}

//! Bounded reading: every file the binary reads has a size limit, checked while reading (a
//! device or a pipe has no size to look at first), and an error naming the file and the limit.
//!
//! The limits are far above any real file of each kind (the largest scenario is about 10 kB)
//! and far below what would hurt a machine that also runs consoles.
use crate::Error;
use std::io::{BufRead, Read};
use std::path::Path;

/// How much of one kind of file may be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Bytes at most.
    pub bytes: u64,
    /// The kind of file, for messages: `an experiment file`.
    pub what: &'static str,
}

impl Limit {
    /// At most `bytes` of `what`.
    pub const fn new(bytes: u64, what: &'static str) -> Limit {
        Limit { bytes, what }
    }
}

const MIB: u64 = 1 << 20;

/// Experiment files (`ecmo sim`, `ecmo validate`).
pub const EXPERIMENT: Limit = Limit::new(MIB, "an experiment file");
/// Training scenarios and scripts (`ecmo train`, `ecmo serve --scenario`).
pub const SCENARIO: Limit = Limit::new(MIB, "a scenario or script file");
/// Device catalogue files (`ecmo bench --catalogue`).
pub const CATALOGUE: Limit = Limit::new(MIB, "a catalogue file");
/// A training run's record (`ecmo debrief`): 24 h of 1-s trends of 30 signals as JSON is
/// about 30 MB.
pub const RECORD: Limit = Limit::new(256 * MIB, "a training record");
/// Research files: cohorts, sensitivity analyses and fits (`ecmo cohort`, `ecmo sensitivity`,
/// `ecmo fit`, and the Python package).
pub const RESEARCH: Limit = Limit::new(MIB, "a cohort, sensitivity or fit file");
/// Bedside measurements to fit the twin to (CSV): a day of 1-s rows of 20 signals is about
/// 20 MB.
pub const MEASUREMENTS: Limit = Limit::new(64 * MIB, "a measurement file");
/// Secrets: pairing keys, TLS certificates and keys.
pub const KEY: Limit = Limit::new(64 * 1024, "a key or certificate file");
/// A device pairing key (`ecmo device --key`, `ecmo serve --device-key`): 64 hexadecimal
/// digits and a newline; anything near the limit is not a key.
pub const PAIRING_KEY: Limit = Limit::new(1024, "a pairing key file");
/// One line of the simulated unit's standard input.
pub const STDIN_LINE: Limit = Limit::new(4096, "a line of standard input");

/// `1 MiB`, `64 KiB`, `4096 bytes`.
pub fn size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

fn too_big(path: &Path, limit: Limit) -> Error {
    Error::new(
        "",
        format!(
            "is larger than {}, the limit for {}; refused without reading further",
            size(limit.bytes),
            limit.what
        ),
    )
    .in_file(path.display())
}

/// Read at most `limit` bytes of `path`; a longer file (or a device that never ends, such as
/// /dev/zero) is refused once the limit is passed, without holding more than the limit.
pub fn read_bytes(path: &Path, limit: Limit) -> Result<Vec<u8>, Error> {
    let cannot =
        |e: std::io::Error| Error::new("", format!("cannot read: {e}")).in_file(path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    // A regular file says its size: refuse before reading a byte.
    if let Ok(m) = file.metadata()
        && m.is_file()
        && m.len() > limit.bytes
    {
        return Err(too_big(path, limit));
    }
    let mut buf = Vec::new();
    file.take(limit.bytes + 1)
        .read_to_end(&mut buf)
        .map_err(cannot)?;
    if buf.len() as u64 > limit.bytes {
        return Err(too_big(path, limit));
    }
    Ok(buf)
}

/// [`read_bytes`], as UTF-8 text.
pub fn read_to_string(path: &Path, limit: Limit) -> Result<String, Error> {
    let bytes = read_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        let text = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        Error::new("", "is not UTF-8 text")
            .in_file(path.display())
            .at_offset(std::str::from_utf8(text).unwrap_or(""), text.len())
    })
}

/// Lines of a stream, each at most `limit` bytes: a longer line is answered with an error (and
/// skipped to its end) rather than held whole.
pub struct BoundedLines<R> {
    reader: R,
    limit: Limit,
    /// A read failed: the stream is over.
    failed: bool,
}

impl<R: BufRead> BoundedLines<R> {
    pub fn new(reader: R, limit: Limit) -> Self {
        BoundedLines {
            reader,
            limit,
            failed: false,
        }
    }
}

impl<R: BufRead> Iterator for BoundedLines<R> {
    /// `Ok(line)` without its end; `Err` for a line too long or not UTF-8 (the stream goes on)
    /// and for a read error (the stream ends).
    type Item = Result<String, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(format!("cannot read: {e}")));
                }
            };
            if buf.is_empty() {
                // End of the stream: a last line without a newline still counts.
                if line.is_empty() && !too_long {
                    return None;
                }
                break;
            }
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], i + 1),
                None => (buf, buf.len()),
            };
            let newline = done > chunk.len();
            if !too_long {
                if (line.len() + chunk.len()) as u64 > self.limit.bytes {
                    too_long = true;
                    line.clear();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            self.reader.consume(done);
            if newline {
                break;
            }
        }
        if too_long {
            return Some(Err(format!(
                "line longer than {}, the limit for {}; skipped",
                size(self.limit.bytes),
                self.limit.what
            )));
        }
        Some(String::from_utf8(line).map_err(|_| "line is not UTF-8 text; skipped".to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_that_never_ends_is_refused_promptly() {
        let t = std::time::Instant::now();
        let e = read_to_string(Path::new("/dev/zero"), EXPERIMENT).unwrap_err();
        assert!(e.to_string().starts_with("/dev/zero: "), "{e}");
        assert!(
            e.message.contains("1 MiB") && e.message.contains("experiment"),
            "{e}"
        );
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn a_large_file_is_refused_by_its_size_and_a_small_one_read() {
        let dir = std::env::temp_dir().join(format!("input-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.toml");
        std::fs::write(&big, vec![b'#'; 5000]).unwrap();
        let small = Limit {
            bytes: 4096,
            what: "a test file",
        };
        let e = read_to_string(&big, small).unwrap_err();
        assert!(
            e.message.contains("4 KiB, the limit for a test file"),
            "{e}"
        );
        std::fs::write(&big, "a = 1\n").unwrap();
        assert_eq!(read_to_string(&big, small).unwrap(), "a = 1\n");
        std::fs::write(&big, b"a = \xff\n").unwrap();
        assert!(
            read_to_string(&big, small)
                .unwrap_err()
                .message
                .contains("UTF-8")
        );
        let e = read_to_string(&dir.join("absent.toml"), small).unwrap_err();
        assert!(e.message.contains("cannot read"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn long_lines_are_skipped_not_held() {
        let limit = Limit {
            bytes: 8,
            what: "a test line",
        };
        let text = format!("short\n{}\nlast", "x".repeat(100));
        let got: Vec<_> =
            BoundedLines::new(std::io::BufReader::with_capacity(4, text.as_bytes()), limit)
                .collect();
        assert_eq!(got[0], Ok("short".to_string()));
        assert!(got[1].as_ref().unwrap_err().contains("8 bytes"), "{got:?}");
        assert_eq!(got[2], Ok("last".to_string()));
        assert_eq!(got.len(), 3);
    }
}

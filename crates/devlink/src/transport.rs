//! Byte transports: a TCP stream, a serial line, or any file descriptor (a pseudo-terminal in
//! tests). A transport is a reader and a writer that can be used from two threads; reads time
//! out after [`READ_POLL`] so reader threads notice a shutdown.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one read waits for data before returning `TimedOut`.
pub const READ_POLL: Duration = Duration::from_millis(20);

/// How long a write may block (peer not reading, line stuck) before it fails and the session
/// ends. Keeps a hung peer from stalling the sender.
pub const WRITE_TIMEOUT: Duration = Duration::from_millis(250);

/// A connection to the peer.
pub struct Transport {
    pub(crate) reader: Box<dyn Read + Send>,
    pub(crate) writer: Box<dyn Write + Send>,
    /// Human-readable peer name for errors and logs ("tcp 127.0.0.1:7400", "serial /dev/ttyUSB0").
    pub name: String,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Wraps a connected TCP stream (Nagle off: frames are small and latency matters).
    pub fn tcp(stream: TcpStream) -> io::Result<Transport> {
        let name = match stream.peer_addr() {
            Ok(a) => format!("tcp {a}"),
            Err(_) => "tcp".to_string(),
        };
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(READ_POLL))?;
        stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
        let reader = stream.try_clone()?;
        Ok(Transport {
            reader: Box::new(reader),
            writer: Box::new(stream),
            name,
        })
    }

    /// Connects to `addr` ("host:port") within `timeout`.
    pub fn connect_tcp(addr: &str, timeout: Duration) -> io::Result<Transport> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: no address"));
        for a in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => return Transport::tcp(s),
                Err(e) => last = io::Error::new(e.kind(), format!("connect {a}: {e}")),
            }
        }
        Err(last)
    }

    /// Opens a serial device (e.g. `/dev/ttyUSB0`) in raw mode, 8N1, no flow control, at
    /// `baud` (one of the standard rates 9600..=921600).
    pub fn serial(path: &Path, baud: u32) -> io::Result<Transport> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags_noctty()
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", path.display())))?;
        set_raw(&file, baud)
            .map_err(|e| io::Error::new(e.kind(), format!("configure {}: {e}", path.display())))?;
        Transport::fd(file, format!("serial {}", path.display()))
    }

    /// Any readable/writable descriptor (a pty master in tests). Reads poll with a timeout.
    pub fn fd(file: File, name: String) -> io::Result<Transport> {
        let writer = file.try_clone()?;
        Ok(Transport {
            reader: Box::new(PollReader(file)),
            writer: Box::new(PollWriter(writer)),
            name,
        })
    }

    /// Records every byte this side writes into `tap` (used to make wire-session fixtures).
    pub fn tap_tx(self, tap: Arc<Mutex<Vec<u8>>>) -> Transport {
        Transport {
            writer: Box::new(TapWriter {
                inner: self.writer,
                tap,
            }),
            ..self
        }
    }
}

trait NoCtty {
    fn custom_flags_noctty(&mut self) -> &mut Self;
}

impl NoCtty for std::fs::OpenOptions {
    /// A serial line must not become our controlling terminal (a hang-up would signal us).
    fn custom_flags_noctty(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NOCTTY)
    }
}

/// A read that timed out, would block or was interrupted: nothing is wrong with the link,
/// read again.
pub(crate) fn read_again(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn baud_const(baud: u32) -> io::Result<libc::speed_t> {
    Ok(match baud {
        9600 => libc::B9600,
        19200 => libc::B19200,
        38400 => libc::B38400,
        57600 => libc::B57600,
        115200 => libc::B115200,
        230400 => libc::B230400,
        460800 => libc::B460800,
        921600 => libc::B921600,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unsupported baud rate {baud} (use 9600, 19200, 38400, 57600, 115200, 230400, 460800 or 921600)"
                ),
            ));
        }
    })
}

/// Raw mode: no echo, no line editing, no signals, no CR/LF translation, 8 data bits, no
/// parity, one stop bit, no flow control; reads return whatever has arrived.
pub fn set_raw(file: &File, baud: u32) -> io::Result<()> {
    let speed = baud_const(baud)?;
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is an open descriptor owned by `file` for the duration of these calls, and
    // `tio` is a plain C struct fully initialised by tcgetattr before use.
    unsafe {
        let mut tio: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut tio) != 0 {
            return Err(io::Error::last_os_error());
        }
        libc::cfmakeraw(&mut tio);
        tio.c_cflag &= !(libc::CSTOPB | libc::PARENB | libc::CRTSCTS | libc::CSIZE);
        tio.c_cflag |= libc::CS8 | libc::CLOCAL | libc::CREAD;
        tio.c_iflag &= !(libc::IXON | libc::IXOFF | libc::IXANY);
        tio.c_cc[libc::VMIN] = 0;
        tio.c_cc[libc::VTIME] = 0;
        if libc::cfsetispeed(&mut tio, speed) != 0 || libc::cfsetospeed(&mut tio, speed) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::tcsetattr(fd, libc::TCSANOW, &tio) != 0 {
            return Err(io::Error::last_os_error());
        }
        libc::tcflush(fd, libc::TCIOFLUSH);
    }
    Ok(())
}

/// Waits up to `timeout` for `events` on `file`; answers the events that came (`revents`), or
/// `TimedOut` with `idle` when none did.
fn poll(
    file: &File,
    events: libc::c_short,
    timeout: Duration,
    idle: &str,
) -> io::Result<libc::c_short> {
    let mut pfd = libc::pollfd {
        fd: file.as_raw_fd(),
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd for an open descriptor.
    let n = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::TimedOut, idle));
    }
    Ok(pfd.revents)
}

/// Reads from a descriptor with a [`READ_POLL`] timeout, so a reader thread can be stopped.
struct PollReader(File);

impl Read for PollReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let revents = poll(&self.0, libc::POLLIN, READ_POLL, "no data")?;
        if revents & libc::POLLIN == 0 && revents & (libc::POLLHUP | libc::POLLERR) != 0 {
            return Ok(0); // hung up: end of stream
        }
        match self.0.read(buf) {
            // A pty master reports the slave's close as EIO.
            Err(e) if e.raw_os_error() == Some(libc::EIO) => Ok(0),
            r => r,
        }
    }
}

/// Writes to a descriptor, failing with `TimedOut` when it accepts nothing for
/// [`WRITE_TIMEOUT`].
struct PollWriter(File);

impl Write for PollWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll(&self.0, libc::POLLOUT, WRITE_TIMEOUT, "peer not reading")?;
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

struct TapWriter {
    inner: Box<dyn Write + Send>,
    tap: Arc<Mutex<Vec<u8>>>,
}

impl Write for TapWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Ok(mut t) = self.tap.lock() {
            t.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A pseudo-terminal pair: the master end as a [`File`] and the path of the slave device,
/// which opens like a serial port. Used to test the serial transport without hardware.
pub fn openpty() -> io::Result<(File, std::path::PathBuf)> {
    use std::os::fd::FromRawFd;
    // SAFETY: posix_openpt returns a new descriptor or -1; on success we own it (wrapped in a
    // File at once so it is closed on every path). ptsname_r writes a NUL-terminated path into
    // our buffer of the stated length.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let master = File::from_raw_fd(fd);
        if libc::grantpt(fd) != 0 || libc::unlockpt(fd) != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut name = [0 as libc::c_char; 128];
        if libc::ptsname_r(fd, name.as_mut_ptr(), name.len()) != 0 {
            return Err(io::Error::last_os_error());
        }
        let path = std::ffi::CStr::from_ptr(name.as_ptr())
            .to_string_lossy()
            .into_owned();
        Ok((master, path.into()))
    }
}

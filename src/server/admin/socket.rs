//! The admin socket: a unix socket in `data_dir`, readable by its owner only.
//!
//! Protocol: the client sends one JSON [`Request`] line and closes its writing side; the server
//! answers one status byte (`0` success, `1` failure) followed by the output or the error text.

use std::fs::{self, Permissions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use admin_proto::{MAX_REQUEST, parse_request, request_line};

use super::{AdminContext, AdminError, Request, execute};

/// The listening admin socket; [`AdminSocket::stop`] removes it.
pub struct AdminSocket {
    path: PathBuf,
}

impl AdminSocket {
    /// Removes the socket file so clients fall back to opening the store.
    pub fn stop(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Listens on `config.admin_socket()` in a background thread.
pub fn serve(ctx: AdminContext) -> io::Result<AdminSocket> {
    let path = ctx.config.admin_socket();
    // We hold the store's lock, so a socket file left here belongs to a dead process.
    let _ = fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    fs::set_permissions(&path, Permissions::from_mode(0o600))?;
    std::thread::Builder::new().name("admin".into()).spawn(move || {
        for stream in listener.incoming().flatten() {
            let ctx = ctx.clone();
            let _ = std::thread::Builder::new().name("admin-request".into()).spawn(move || answer(&ctx, stream));
        }
    })?;
    Ok(AdminSocket { path })
}

fn answer(ctx: &AdminContext, mut stream: UnixStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut line = Vec::new();
    let read = BufReader::new((&stream).take(MAX_REQUEST)).read_until(b'\n', &mut line);
    let result = match read {
        Ok(_) => match parse_request(&line) {
            Ok(request) => execute(ctx, request),
            Err(e) => Err(AdminError(format!("bad admin request: {e}"))),
        },
        Err(e) => Err(AdminError(format!("reading admin request: {e}"))),
    };
    let (status, body) = match result {
        Ok(output) => (b'0', output),
        Err(e) => (b'1', e.0.into_bytes()),
    };
    let _ = stream.write_all(&[status]).and_then(|()| stream.write_all(&body));
}

/// Sends `request` to a running server. `Ok(None)` means no server listens at `path`.
pub fn call(path: &Path, request: &Request) -> io::Result<Option<Result<Vec<u8>, AdminError>>> {
    let mut stream = match UnixStream::connect(path) {
        Ok(stream) => stream,
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused) => return Ok(None),
        Err(e) => return Err(e),
    };
    stream.write_all(&request_line(request))?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    match reply.split_first() {
        Some((b'0', output)) => Ok(Some(Ok(output.to_vec()))),
        Some((_, error)) => Ok(Some(Err(AdminError(String::from_utf8_lossy(error).into_owned())))),
        None => {
            Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the admin socket without answering"))
        }
    }
}

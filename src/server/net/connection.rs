//! A buffered connection: command lines in, replies out, every read bounded by a timeout and
//! interrupted by shutdown.
//!
//! Input accumulates in one `BytesMut`; lines and message data are split off it without
//! copying. Output is gathered and written in one go when the session has answered everything
//! the client pipelined (RFC 2920), or when it grows past a bound so memory stays bounded.
//! Large content (a fetched message, a retrieved one) is streamed: [`Connection::send_large`]
//! writes it from the caller's buffer in bounded slices, each awaiting the socket (a slow
//! reader slows the writer instead of growing a buffer), and an output buffer that grew is
//! freed before the connection waits for input again.

use std::io;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use futures_lite::future::or;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Shutdown;

/// Bytes asked of the socket per read at first, and at least. The space is zeroed before each
/// read, so it stays small while the peer sends command lines...
const MIN_READ_CHUNK: usize = 4 * 1024;
/// ...and grows, doubling each time a read fills it, up to this while it streams a message.
const MAX_READ_CHUNK: usize = 64 * 1024;
/// Output buffered before it is written even if more input is pending.
pub const OUTPUT_HIGH_WATER: usize = 16 * 1024;
/// Output a streaming reply (FETCH, RETR) buffers before it waits for the socket to drain it.
pub const STREAM_HIGH_WATER: usize = 256 * 1024;
/// Largest slice of a large reply written in one go; each slice awaits the socket.
const WRITE_SLICE: usize = 256 * 1024;
/// Output capacity kept while a connection waits for input; a buffer that grew past this (a
/// large reply) is freed, so an idle connection does not hold on to it.
const OUTPUT_KEPT: usize = 64 * 1024;

/// The input buffer during a read: on drop it keeps only the octets actually received.
struct Filled<'a> {
    input: &'a mut BytesMut,
    len: usize,
}

impl Drop for Filled<'_> {
    fn drop(&mut self) {
        self.input.truncate(self.len);
    }
}

/// Why no more input arrived.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The peer closed the connection.
    #[error("connection closed by peer")]
    Closed,
    /// Nothing arrived within the timeout.
    #[error("timed out")]
    TimedOut,
    /// The server is shutting down.
    #[error("server shutting down")]
    Shutdown,
    /// The socket failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// A line taken from the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// One line without its CRLF (or bare LF).
    Complete(BytesMut),
    /// No full line buffered yet.
    Incomplete,
    /// The line exceeded the limit; it is discarded up to its end.
    TooLong,
}

/// A client connection with its input and output buffers.
pub struct Connection<S> {
    stream: S,
    /// Received bytes not consumed yet.
    pub input: BytesMut,
    output: BytesMut,
    shutdown: Shutdown,
    skipping_long_line: bool,
    /// Bytes the next read asks for.
    read_chunk: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Wraps a connected stream.
    pub fn new(stream: S, shutdown: Shutdown) -> Connection<S> {
        Connection {
            stream,
            input: BytesMut::new(),
            output: BytesMut::new(),
            shutdown,
            skipping_long_line: false,
            read_chunk: MIN_READ_CHUNK,
        }
    }

    /// Takes the next line of at most `max` octets (line ending included) from the input.
    pub fn take_line(&mut self, max: usize) -> Line {
        if self.skipping_long_line {
            match memchr::memchr(b'\n', &self.input) {
                Some(end) => {
                    self.input.advance(end + 1);
                    self.skipping_long_line = false;
                }
                None => {
                    self.input.clear();
                    return Line::Incomplete;
                }
            }
        }
        match memchr::memchr(b'\n', &self.input) {
            Some(end) if end < max => {
                let mut line = self.input.split_to(end + 1);
                line.truncate(end);
                if line.last() == Some(&b'\r') {
                    line.truncate(end - 1);
                }
                Line::Complete(line)
            }
            Some(end) => {
                self.input.advance(end + 1);
                Line::TooLong
            }
            None if self.input.len() >= max => {
                self.input.clear();
                self.skipping_long_line = true;
                Line::TooLong
            }
            None => Line::Incomplete,
        }
    }

    /// Reads more input, waiting at most `timeout`; shutdown interrupts the wait. Cancel-safe:
    /// dropped before it completes, it leaves the input as it was (IDLE races it with mailbox
    /// changes).
    pub async fn read_more(&mut self, timeout: Duration) -> Result<usize, ReadError> {
        if self.output.is_empty() && self.output.capacity() > OUTPUT_KEPT {
            self.output = BytesMut::new();
        }
        let start = self.input.len();
        let chunk = self.read_chunk;
        self.input.resize(start + chunk, 0);
        let Connection { stream, input, shutdown, .. } = self;
        // Cut the unfilled space off again however this ends, a dropped future included.
        let mut filled = Filled { input, len: start };
        let read = async { stream.read(&mut filled.input[start..]).await.map_err(ReadError::from) };
        let expire = async {
            glommio::timer::sleep(timeout).await;
            Err(ReadError::TimedOut)
        };
        let stop = async {
            shutdown.wait().await;
            Err(ReadError::Shutdown)
        };
        let result = or(read, or(stop, expire)).await;
        let received = *result.as_ref().unwrap_or(&0);
        filled.len = start + received;
        drop(filled);
        self.read_chunk = match received {
            n if n == chunk => (chunk * 2).min(MAX_READ_CHUNK),
            n if n < chunk / 4 => (chunk / 2).max(MIN_READ_CHUNK),
            _ => chunk,
        };
        match result {
            Ok(0) => Err(ReadError::Closed),
            other => other,
        }
    }

    /// Queues `bytes` for sending.
    pub fn send(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
    }

    /// The output buffer, for formatting replies straight into it.
    pub fn output(&mut self) -> &mut BytesMut {
        &mut self.output
    }

    /// Writes buffered output, waiting at most `timeout` for a slow reader.
    pub async fn flush(&mut self, timeout: Duration) -> io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        let Connection { stream, output, .. } = self;
        let write = async {
            stream.write_all(output).await?;
            stream.flush().await
        };
        let expire = async {
            glommio::timer::sleep(timeout).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "client is not reading"))
        };
        let result = or(write, expire).await;
        self.output.clear();
        result
    }

    /// Sends `bytes`, a large piece of a reply, without buffering all of it: appended to the
    /// output when both fit in [`STREAM_HIGH_WATER`], else the output is written first and
    /// `bytes` after it straight from the caller's buffer, in slices of at most 256 KiB, each
    /// waiting at most `timeout` for the socket to take it.
    pub async fn send_large(&mut self, bytes: &[u8], timeout: Duration) -> io::Result<()> {
        if self.output.len() + bytes.len() <= STREAM_HIGH_WATER {
            self.output.extend_from_slice(bytes);
            return Ok(());
        }
        self.flush(timeout).await?;
        for slice in bytes.chunks(WRITE_SLICE) {
            let stream = &mut self.stream;
            let write = async {
                stream.write_all(slice).await?;
                stream.flush().await
            };
            let expire = async {
                glommio::timer::sleep(timeout).await;
                Err(io::Error::new(io::ErrorKind::TimedOut, "client is not reading"))
            };
            or(write, expire).await?;
        }
        Ok(())
    }

    /// Writes the output once it holds more than [`STREAM_HIGH_WATER`]: the step a streaming
    /// reply takes between messages, so that a slow reader holds back the next one.
    pub async fn drain_above_high_water(&mut self, timeout: Duration) -> io::Result<()> {
        match self.output.len() > STREAM_HIGH_WATER {
            true => self.flush(timeout).await,
            false => Ok(()),
        }
    }

    /// True when the server has started shutting down.
    pub fn shutting_down(&self) -> bool {
        self.shutdown.is_fired()
    }

    /// Octets of output not written yet.
    pub fn pending_output(&self) -> usize {
        self.output.len()
    }

    /// The underlying stream.
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// The underlying stream, e.g. to start TLS on it.
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The underlying stream, for a protocol that does its own buffering (HTTP). Nothing has
    /// been read from it yet when an accept loop hands the connection over.
    pub fn into_stream(self) -> S {
        self.stream
    }

    /// Drops every received byte not consumed yet (what a client pipelined after STARTTLS).
    pub fn discard_input(&mut self) {
        self.input.clear();
        self.skipping_long_line = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::shutdown;
    use futures_lite::io::Cursor;
    use glommio::{LocalExecutorBuilder, Placement};

    #[test]
    fn reads_grow_while_a_message_streams_in_and_shrink_for_command_lines() {
        let sizes = LocalExecutorBuilder::new(Placement::Unbound)
            .io_memory(512 * 1024)
            .spawn(|| async {
                let data: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
                let (_trigger, stop) = shutdown::channel();
                let mut conn = Connection::new(Cursor::new(data.clone()), stop);
                let mut sizes = Vec::new();
                while let Ok(n) = conn.read_more(Duration::from_secs(1)).await {
                    sizes.push(n);
                }
                assert_eq!(&conn.input[..], &data[..], "every octet, in order");
                sizes
            })
            .expect("executor")
            .join()
            .expect("ran");
        let k = 1024;
        assert_eq!(sizes[..6], [4 * k, 8 * k, 16 * k, 32 * k, 64 * k, 64 * k]);
        assert!(sizes.iter().all(|&n| n <= MAX_READ_CHUNK));

        let lines = LocalExecutorBuilder::new(Placement::Unbound)
            .io_memory(512 * 1024)
            .spawn(|| async {
                let (_trigger, stop) = shutdown::channel();
                let mut conn = Connection::new(Cursor::new(vec![b'x'; 100_000]), stop);
                for _ in 0..4 {
                    conn.read_more(Duration::from_secs(1)).await.expect("data");
                }
                let big = conn.read_chunk;
                conn.stream = Cursor::new(b"NOOP\r\n".repeat(8));
                conn.read_more(Duration::from_secs(1)).await.expect("a line");
                (big, conn.read_chunk)
            })
            .expect("executor")
            .join()
            .expect("ran");
        assert_eq!(lines, (64 * k, 32 * k), "a short read halves the next one");
    }

    #[test]
    fn large_pieces_go_out_in_order_and_grown_output_is_freed_before_reading() {
        let (written, capacity) = LocalExecutorBuilder::new(Placement::Unbound)
            .io_memory(512 * 1024)
            .spawn(|| async {
                let (_trigger, stop) = shutdown::channel();
                let mut conn = Connection::new(Cursor::new(Vec::new()), stop);
                let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
                let timeout = Duration::from_secs(1);
                conn.send(b"head ");
                conn.send_large(b"small ", timeout).await.expect("buffered");
                assert_eq!(conn.pending_output(), 11, "a piece that fits is buffered");
                conn.send_large(&big, timeout).await.expect("written");
                assert_eq!(conn.pending_output(), 0, "a large piece is written, not buffered");
                conn.send(b" tail");
                conn.flush(timeout).await.expect("flushed");
                conn.output.reserve(STREAM_HIGH_WATER);
                let _ = conn.read_more(timeout).await;
                let mut expected = b"head small ".to_vec();
                expected.extend_from_slice(&big);
                expected.extend_from_slice(b" tail");
                assert_eq!(conn.stream.get_ref(), &expected);
                (conn.stream.get_ref().len(), conn.output.capacity())
            })
            .expect("executor")
            .join()
            .expect("ran");
        assert_eq!(written, 1_000_000 + 16);
        assert!(capacity <= OUTPUT_KEPT, "grown output freed before waiting for input");
    }
}

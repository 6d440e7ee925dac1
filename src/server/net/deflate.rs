//! A stream compressed both ways with raw DEFLATE (RFC 1951), as IMAP's COMPRESS=DEFLATE
//! (RFC 4978) asks: what is read is inflated, what is written is deflated and, on each flush,
//! sync-flushed so that the peer can read every reply at once. Memory per stream is bounded:
//! the two zlib states, one buffer of compressed input and the compressed output not yet
//! written (a writer waits once that passes [`OUTPUT_HIGH_WATER`]).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use futures_lite::{AsyncRead, AsyncWrite};

/// Compressed input read from the inner stream at a time.
const INPUT_CHUNK: usize = 16 * 1024;
/// Compressed output buffered before a write waits for the inner stream to take it.
const OUTPUT_HIGH_WATER: usize = 64 * 1024;

/// `S`, compressed both ways.
pub struct Deflated<S> {
    inner: S,
    inflate: Decompress,
    deflate: Compress,
    /// Compressed input not inflated yet: `input[start..]`.
    input: Vec<u8>,
    start: usize,
    /// The inner stream ended.
    eof: bool,
    /// Compressed output not written yet: `output[written..]`.
    output: Vec<u8>,
    written: usize,
    /// Something was deflated since the last sync flush.
    unsynced: bool,
}

impl<S> Deflated<S> {
    /// Compresses `inner` from now on; `pending` is compressed input already read from it.
    pub fn new(inner: S, pending: &[u8]) -> Deflated<S> {
        Deflated {
            inner,
            inflate: Decompress::new(false),
            deflate: Compress::new(Compression::new(6), false),
            input: pending.to_vec(),
            start: 0,
            eof: false,
            output: Vec::new(),
            written: 0,
            unsynced: false,
        }
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The stream underneath, to change.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

fn corrupt(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("compressed input: {e}"))
}

impl<S: AsyncRead + AsyncWrite + Unpin> Deflated<S> {
    /// Writes buffered compressed output until it is all written (or the inner stream waits).
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.output.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.output[self.written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.output.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Deflates `data` into the output buffer with `flush`.
    fn deflate_into_output(&mut self, mut data: &[u8], flush: FlushCompress) -> io::Result<()> {
        loop {
            self.output.reserve(data.len() / 2 + 64);
            let before = self.deflate.total_in();
            let status = self.deflate.compress_vec(data, &mut self.output, flush).map_err(io::Error::other)?;
            data = &data[(self.deflate.total_in() - before) as usize..];
            // Done once the input is taken and, for a flush, there was room to spare.
            let room = self.output.len() < self.output.capacity();
            if data.is_empty() && (room || matches!(status, Status::BufError)) {
                return Ok(());
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Deflated<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            let (before_in, before_out) = (this.inflate.total_in(), this.inflate.total_out());
            let status = this.inflate.decompress(&this.input[this.start..], buf, FlushDecompress::None);
            let status = status.map_err(corrupt)?;
            this.start += (this.inflate.total_in() - before_in) as usize;
            let produced = (this.inflate.total_out() - before_out) as usize;
            if produced > 0 {
                return Poll::Ready(Ok(produced));
            }
            if matches!(status, Status::StreamEnd) || this.eof {
                return Poll::Ready(Ok(0));
            }
            if this.start < this.input.len() && this.inflate.total_in() > before_in {
                continue;
            }
            // Everything buffered is inflated: read more.
            this.input.drain(..this.start);
            this.start = 0;
            let len = this.input.len();
            this.input.resize(len + INPUT_CHUNK, 0);
            let read = Pin::new(&mut this.inner).poll_read(cx, &mut this.input[len..]);
            let received = match &read {
                Poll::Ready(Ok(n)) => *n,
                _ => 0,
            };
            this.input.truncate(len + received);
            match read {
                Poll::Ready(Ok(0)) => this.eof = true,
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Deflated<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.output.len() - this.written >= OUTPUT_HIGH_WATER {
            match this.poll_drain(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending if this.output.len() - this.written >= OUTPUT_HIGH_WATER => return Poll::Pending,
                Poll::Pending => {}
            }
        }
        this.deflate_into_output(buf, FlushCompress::None)?;
        this.unsynced |= !buf.is_empty();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.unsynced {
            this.deflate_into_output(&[], FlushCompress::Sync)?;
            this.unsynced = false;
        }
        match this.poll_drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.as_mut().poll_flush(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.get_mut().inner).poll_close(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::io::Cursor;
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    /// An in-memory duplex: reads from `input`, writes to `output`.
    struct Pipe {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl AsyncRead for Pipe {
        fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
            // At most 7 octets a read, so that inflating meets every boundary.
            let n = buf.len().min(7);
            Pin::new(&mut self.input).poll_read(cx, &mut buf[..n])
        }
    }

    impl AsyncWrite for Pipe {
        fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            self.output.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::default(), false);
        let mut out = Vec::with_capacity(data.len() + 1024);
        c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
        out
    }

    fn inflate(data: &[u8]) -> Vec<u8> {
        let mut d = Decompress::new(false);
        let mut out = Vec::with_capacity(1 << 20);
        d.decompress_vec(data, &mut out, FlushDecompress::Sync).unwrap();
        out
    }

    #[test]
    fn reads_inflated_and_writes_deflated_with_a_sync_flush() {
        futures_lite::future::block_on(async {
            let commands: Vec<u8> = (0..500).flat_map(|i| format!("a{i} NOOP\r\n").into_bytes()).collect();
            let compressed = deflate(&commands);
            // The first octets arrived with the COMPRESS command.
            let (early, rest) = compressed.split_at(3);
            let pipe = Pipe { input: Cursor::new(rest.to_vec()), output: Vec::new() };
            let mut stream = Deflated::new(pipe, early);
            let mut read = Vec::new();
            stream.read_to_end(&mut read).await.unwrap();
            assert_eq!(read, commands);

            let reply = b"* OK [CAPABILITY IMAP4rev1] ready\r\n".repeat(2000);
            stream.write_all(&reply).await.unwrap();
            stream.flush().await.unwrap();
            let sent = stream.get_ref().output.clone();
            assert!(sent.len() < reply.len() / 10, "compressed: {} octets", sent.len());
            assert_eq!(inflate(&sent), reply, "the peer reads all of it after the flush");
            stream.write_all(b"a OK done\r\n").await.unwrap();
            stream.flush().await.unwrap();
            let sent = stream.get_ref().output.clone();
            assert!(inflate(&sent).ends_with(b"a OK done\r\n"));
        });
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        futures_lite::future::block_on(async {
            let pipe = Pipe { input: Cursor::new(vec![0xff; 64]), output: Vec::new() };
            let mut stream = Deflated::new(pipe, &[]);
            let mut read = Vec::new();
            assert!(stream.read_to_end(&mut read).await.is_err());
        });
    }
}

//! The socket of an established link, shared by its writer task (and the
//! JS threads that flush into it), its readers and a host polling it.
//!
//! On unix the socket leaves tokio's reactor once the handshake is done:
//! the writer waits on it with write interest only (a write-interest
//! registration is not woken by incoming data), and the runtime's reader
//! registers a duplicate descriptor with read interest only while it
//! reads. A host reading the link then costs no reactor wake-up per
//! packet on top of its own. Elsewhere both halves stay tokio's, as
//! before (and no host reads: bfly_net::reader).

#[cfg(unix)]
mod imp {
    use std::io::{self, ErrorKind, Read, Write};
    use std::net::Shutdown;
    use std::os::unix::io::{AsRawFd, RawFd};
    use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
    use tokio::io::Interest;

    /// A descriptor number; the socket itself owns and closes it.
    struct Fd(RawFd);

    impl AsRawFd for Fd {
        fn as_raw_fd(&self) -> RawFd {
            self.0
        }
    }

    /// The link's socket. `w` is declared first: it is deregistered
    /// before `s` closes the descriptor.
    pub(crate) struct Sock {
        w: AsyncFd<Fd>,
        s: std::net::TcpStream,
    }

    impl Sock {
        /// Takes `s` out of tokio's reactor (it stays non-blocking) and
        /// registers it for writability only. Within a tokio runtime.
        pub(crate) fn new(s: tokio::net::TcpStream) -> io::Result<Self> {
            let s = s.into_std()?;
            // SAFETY: `Fd` names `s`'s descriptor, which stays open while
            // `w` lives: `w` is dropped before `s` (field order).
            let w =
                unsafe { AsyncFd::register_with_interest(Fd(s.as_raw_fd()), Interest::WRITABLE) }
                    .map_err(|e| e.into_parts().1)?;
            Ok(Sock { w, s })
        }

        pub(crate) fn try_read(&self, b: &mut [u8]) -> io::Result<usize> {
            (&self.s).read(b)
        }

        pub(crate) fn try_write(&self, b: &[u8]) -> io::Result<usize> {
            (&self.s).write(b)
        }

        /// Writes all of `b`, waiting for room as needed.
        pub(crate) async fn write_all(&self, mut b: &[u8]) -> io::Result<()> {
            while !b.is_empty() {
                let mut g = self.w.writable().await?;
                match g.try_io(|_| self.try_write(b)) {
                    Ok(Ok(n)) => b = &b[n..],
                    Ok(Err(e)) if e.kind() == ErrorKind::Interrupted => {}
                    Ok(Err(e)) => return Err(e),
                    // WouldBlock: readiness cleared, wait again.
                    Err(_) => {}
                }
            }
            Ok(())
        }

        /// Sends the peer end-of-stream (what was written still arrives).
        pub(crate) fn shutdown_write(&self) {
            let _ = self.s.shutdown(Shutdown::Write);
        }

        pub(crate) fn fd(&self) -> RawFd {
            self.s.as_raw_fd()
        }

        /// A read registration for the runtime (a duplicate descriptor
        /// with read interest only). Within a tokio runtime.
        pub(crate) fn read_wait(&self) -> io::Result<ReadWait> {
            let dup = self.s.try_clone()?;
            // SAFETY: the AsyncFd owns `dup`, so its descriptor stays open
            // and the same for the AsyncFd's whole life.
            let r = unsafe { AsyncFd::register_with_interest(dup, Interest::READABLE) }
                .map_err(|e| e.into_parts().1)?;
            Ok(ReadWait(r))
        }
    }

    /// The runtime's registration for reading; dropping it deregisters.
    pub(crate) struct ReadWait(AsyncFd<std::net::TcpStream>);

    /// The socket may have bytes; `drained` once a read saw WouldBlock.
    pub(crate) struct Ready<'a>(AsyncFdReadyGuard<'a, std::net::TcpStream>);

    impl ReadWait {
        pub(crate) async fn ready<'a>(&'a self, _sock: &'a Sock) -> io::Result<Ready<'a>> {
            Ok(Ready(self.0.readable().await?))
        }
    }

    impl Ready<'_> {
        /// A read saw WouldBlock: wait for new bytes next time.
        pub(crate) fn drained(mut self) {
            self.0.clear_ready();
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::io::{self, ErrorKind};
    use std::sync::Mutex;
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

    /// The link's socket as tokio's two halves; `shutdown_write` drops the
    /// write half, which sends the peer end-of-stream.
    pub(crate) struct Sock {
        r: OwnedReadHalf,
        w: Mutex<Option<OwnedWriteHalf>>,
    }

    fn closed() -> io::Error {
        io::Error::new(ErrorKind::BrokenPipe, "write side shut down")
    }

    impl Sock {
        pub(crate) fn new(s: tokio::net::TcpStream) -> io::Result<Self> {
            let (r, w) = s.into_split();
            Ok(Sock {
                r,
                w: Mutex::new(Some(w)),
            })
        }

        pub(crate) fn try_read(&self, b: &mut [u8]) -> io::Result<usize> {
            self.r.try_read(b)
        }

        pub(crate) fn try_write(&self, b: &[u8]) -> io::Result<usize> {
            match &*self.w.lock().map_err(|_| closed())? {
                Some(w) => w.try_write(b),
                None => Err(closed()),
            }
        }

        pub(crate) async fn write_all(&self, mut b: &[u8]) -> io::Result<()> {
            while !b.is_empty() {
                // Readiness is awaited on the read half's socket too: the
                // halves share one registration in tokio.
                self.r.as_ref().writable().await?;
                match self.try_write(b) {
                    Ok(n) => b = &b[n..],
                    Err(e)
                        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        }

        pub(crate) fn shutdown_write(&self) {
            if let Ok(mut w) = self.w.lock() {
                w.take();
            }
        }

        pub(crate) fn read_wait(&self) -> io::Result<ReadWait> {
            Ok(ReadWait)
        }
    }

    pub(crate) struct ReadWait;

    pub(crate) struct Ready;

    impl ReadWait {
        pub(crate) async fn ready(&self, sock: &Sock) -> io::Result<Ready> {
            sock.r.readable().await?;
            Ok(Ready)
        }
    }

    impl Ready {
        /// tokio's `try_read` cleared the readiness itself.
        pub(crate) fn drained(self) {}
    }
}

pub(crate) use imp::{ReadWait, Sock};

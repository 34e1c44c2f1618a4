//! Decoding a frame from a peer: the trust boundary of the distribution
//! layer. Every length is checked before it is read, trailing bytes are
//! refused, and every tail passes `term::check`, so any byte string gives
//! a `Frame` or a `BadFrame`, never a panic.

use super::*;

impl Frame<'_> {
    /// `decode`'s message of `b` when `b` starts with `head`, the head
    /// (`encode_split`'s) of an accepted `Send` or `SendName`, without
    /// reading its fields again; None when it does not.
    pub fn message_after<'b>(b: &'b [u8], head: &[u8]) -> Option<Result<&'b [u8], BadFrame>> {
        let tail = b.strip_prefix(head)?;
        Some(R(tail).tail())
    }

    /// Parses one frame; refuses anything malformed.
    pub fn decode(b: &[u8]) -> Result<Frame<'_>, BadFrame> {
        let (&op, rest) = b.split_first().ok_or(BadFrame("empty frame"))?;
        let mut r = R(rest);
        let f = match op {
            SEND => Frame::Send {
                to: r.id()?,
                msg: r.tail()?,
            },
            SEND_NAME => Frame::SendName {
                name: r.str()?,
                msg: r.tail()?,
            },
            EXIT => Frame::Exit {
                from: r.id()?,
                to: r.id()?,
                via_exit: r.flag()?,
                reason: r.tail()?,
            },
            LINK => Frame::Link {
                from: r.id()?,
                to: r.id()?,
            },
            UNLINK => Frame::Unlink {
                from: r.id()?,
                to: r.id()?,
            },
            MONITOR => Frame::Monitor {
                origin: r.str()?,
                watcher: r.id()?,
                r: r.id()?,
                target: r.id()?,
                name: r.str()?,
            },
            DEMONITOR => Frame::Demonitor {
                origin: r.str()?,
                r: r.id()?,
                target: r.id()?,
                name: r.str()?,
            },
            DOWN => Frame::Down {
                watcher: r.id()?,
                r: r.id()?,
                target: r.id()?,
                reason: r.tail()?,
            },
            REPLY => Frame::Reply {
                to: r.id()?,
                msg: r.shaped(&[2], Some(term::REF), "a reply that is not [ref, value]")?,
            },
            ASK => Frame::Ask {
                what: match r.byte()? {
                    1 => Request::Spawn,
                    2 => Request::Code,
                    _ => return Err(BadFrame("unknown request")),
                },
                from: r.id()?,
                r: r.id()?,
                flags: r.byte()?,
                body: r.tail()?,
            },
            ANSWER => Frame::Answer {
                to: r.id()?,
                r: r.id()?,
                link: r.id()?,
                body: r.shaped(&[2, 3], None, "an answer that is not [ok, value]")?,
            },
            HELLO => Frame::Hello {
                name: r.str()?,
                addr: r.str()?,
                features: r.opt()?,
                identity: r.proof()?,
            },
            HELLO_ACK => Frame::HelloAck {
                ok: r.flag()?,
                name: r.str()?,
                addr: r.str()?,
                features: r.opt()?,
                identity: r.proof()?,
            },
            NODES => {
                let n = r.count()?;
                if n > MAX_NODES {
                    return Err(BadFrame("too many nodes"));
                }
                let mut list = Vec::with_capacity(n.min(MAX_GOSSIP));
                for _ in 0..n {
                    list.push((r.str()?, r.str()?));
                }
                Frame::Nodes { list }
            }
            REFUSED => Frame::Refused {
                what: r.str()?,
                detail: r.str()?,
            },
            GRANT => {
                let n = r.count()?;
                if n > MAX_GRANTS {
                    return Err(BadFrame("too many grants"));
                }
                let mut list = Vec::with_capacity(n.min(256));
                for _ in 0..n {
                    list.push((r.id()?, r.u32()?));
                }
                Frame::Grant { list }
            }
            _ => return Err(BadFrame("unknown op")),
        };
        if !r.0.is_empty() {
            return Err(BadFrame("trailing bytes"));
        }
        Ok(f)
    }
}

//! Frames on their way to one connection. The room writes a frame straight into the socket when
//! nothing is waiting before it and the socket takes it whole — at 10,000 viewers that saves a queue
//! hand-off and a task wake-up per viewer per tick. Whatever the socket does not take at once waits
//! here, in order, for the connection's own task to write. The queue is bounded: a viewer whose
//! queue is full is lagging, skips batches, and resumes with a fresh snapshot once half of it is
//! free, so a slow consumer never grows memory.
//!
//! Before a socket is attached (during the HTTP upgrade, or for in-process viewers such as the
//! demo's simulated audience) frames only queue, and [`Outbox::recv`] takes them out.

use bytes::Bytes;
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// What became of a frame offered to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Written to the socket, or queued behind frames it has not taken yet.
    Sent,
    /// The viewer is lagging: this batch is skipped (the first skip is `Lagged`).
    Lagged,
    Skipped,
    /// A lagging viewer had room again and got the snapshot instead of the batch.
    Resumed,
    /// The connection has ended.
    Gone,
}

pub struct Outbox {
    state: Mutex<State>,
    wake: Notify,
    cap: usize,
}

#[derive(Default)]
struct State {
    sock: Option<Arc<TcpStream>>,
    queue: VecDeque<Bytes>,
    /// Bytes of the first queued frame already written.
    written: usize,
    /// Nothing more is accepted: the room has said goodbye (the close frame is queued last) or
    /// the socket failed.
    ended: bool,
    lagging: bool,
}

impl Outbox {
    pub(crate) fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            cap: cap.max(2),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves nothing half-done that matters: carry on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Offers a frame that may be dropped when the viewer is behind (acks, pings, replies).
    pub(crate) fn push(&self, frame: &Bytes) -> bool {
        let mut s = self.lock();
        if s.ended || s.lagging || s.queue.len() >= self.cap {
            return false;
        }
        self.enqueue(&mut s, frame);
        true
    }

    /// Offers this tick's batch; a lagging viewer gets `snapshot` instead once it has room.
    pub(crate) fn deliver(&self, batch: &Bytes, snapshot: Option<&Bytes>) -> Delivery {
        let mut s = self.lock();
        if s.ended {
            return Delivery::Gone;
        }
        if s.lagging {
            return match snapshot {
                Some(snap) if s.queue.len() * 2 <= self.cap => {
                    s.lagging = false;
                    self.enqueue(&mut s, snap);
                    Delivery::Resumed
                }
                _ => Delivery::Skipped,
            };
        }
        if s.queue.len() >= self.cap {
            s.lagging = true;
            return Delivery::Lagged;
        }
        self.enqueue(&mut s, batch);
        Delivery::Sent
    }

    /// The room's last frame to this connection (a close frame); nothing is accepted after it.
    pub(crate) fn end(&self, frame: &Bytes) {
        let mut s = self.lock();
        if s.ended {
            return;
        }
        self.enqueue(&mut s, frame);
        s.ended = true;
        drop(s);
        self.wake.notify_one();
    }

    #[cfg(test)]
    fn is_lagging(&self) -> bool {
        self.lock().lagging
    }

    /// Writes `frame` now if nothing waits before it and the socket takes it whole; queues the
    /// rest for the connection's task.
    fn enqueue(&self, s: &mut State, frame: &Bytes) {
        if s.queue.is_empty() {
            if let Some(sock) = &s.sock {
                match sock.try_write(frame) {
                    Ok(n) if n == frame.len() => return,
                    Ok(n) => s.written = n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => {
                        // The connection's task sees the same error on its next read or write.
                        s.ended = true;
                        self.wake.notify_one();
                        return;
                    }
                }
            }
        }
        s.queue.push_back(frame.clone());
        self.wake.notify_one();
    }

    /// Hands the socket over: from now on frames go straight to it.
    pub(crate) fn attach(&self, sock: Arc<TcpStream>) {
        self.lock().sock = Some(sock);
        self.wake.notify_one();
    }

    /// Lets go of the socket: nothing more is written to it.
    pub(crate) fn detach(&self) {
        let mut s = self.lock();
        s.sock = None;
        s.ended = true;
    }

    /// Frames wait for the socket (the connection's task should wait for it to be writable).
    pub(crate) fn pending(&self) -> bool {
        !self.lock().queue.is_empty()
    }

    /// The room has said goodbye and everything before it has been written.
    pub(crate) fn finished(&self) -> bool {
        let s = self.lock();
        s.ended && s.queue.is_empty()
    }

    /// Resolves when something was queued or the connection ended.
    pub(crate) async fn changed(&self) {
        self.wake.notified().await
    }

    /// Writes queued frames until the socket stops taking them; the connection's task calls this
    /// when the socket is writable. Never holds the lock across a wait.
    pub(crate) fn write_queued(&self, sock: &TcpStream) -> io::Result<()> {
        let mut s = self.lock();
        while let Some(front) = s.queue.front() {
            let from = s.written;
            match sock.try_write(&front[from..]) {
                Ok(n) if from + n == front.len() => {
                    s.queue.pop_front();
                    s.written = 0;
                }
                Ok(n) => s.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => {
                    s.ended = true;
                    s.queue.clear();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Takes the next queued frame, for viewers without a socket; `None` once the room has ended
    /// this connection and every frame before the goodbye was taken.
    pub async fn recv(&self) -> Option<Bytes> {
        loop {
            {
                let mut s = self.lock();
                if let Some(f) = s.queue.pop_front() {
                    return Some(f);
                }
                if s.ended {
                    return None;
                }
            }
            self.wake.notified().await;
        }
    }

    /// Takes the next queued frame if there is one.
    pub fn try_recv(&self) -> Option<Bytes> {
        self.lock().queue.pop_front()
    }

    /// Frames waiting in this connection's queue.
    pub fn queued(&self) -> usize {
        self.lock().queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u8) -> Bytes {
        Bytes::from(vec![n; 4])
    }

    #[tokio::test]
    async fn a_full_queue_lags_skips_and_resumes_with_the_snapshot() {
        let o = Outbox::new(4);
        for i in 0..4 {
            assert_eq!(o.deliver(&frame(i), None), Delivery::Sent);
        }
        assert_eq!(o.deliver(&frame(9), None), Delivery::Lagged);
        assert!(o.is_lagging());
        assert_eq!(o.deliver(&frame(9), Some(&frame(7))), Delivery::Skipped);
        assert!(!o.push(&frame(8)), "acks are dropped while lagging");
        o.recv().await.unwrap();
        o.recv().await.unwrap();
        assert_eq!(o.deliver(&frame(9), Some(&frame(7))), Delivery::Resumed);
        assert_eq!(o.queued(), 3);
        let order: Vec<u8> = std::iter::from_fn(|| o.try_recv()).map(|f| f[0]).collect();
        assert_eq!(order, vec![2, 3, 7]);
    }

    #[tokio::test]
    async fn the_goodbye_is_last_and_ends_the_stream() {
        let o = Outbox::new(2);
        o.deliver(&frame(1), None);
        o.deliver(&frame(2), None);
        o.end(&frame(3));
        assert_eq!(o.deliver(&frame(4), None), Delivery::Gone);
        assert!(!o.finished());
        let mut got = Vec::new();
        while let Some(f) = o.recv().await {
            got.push(f[0]);
        }
        assert_eq!(got, vec![1, 2, 3]);
        assert!(o.finished());
    }

    #[tokio::test]
    async fn an_attached_socket_takes_frames_directly_and_the_rest_in_order() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let mut client = client.unwrap();
        let sock = Arc::new(accepted.unwrap().0);
        sock.writable().await.unwrap();
        let o = Outbox::new(8);
        o.deliver(&frame(1), None);
        o.attach(sock.clone());
        o.write_queued(&sock).unwrap();
        assert_eq!(o.deliver(&frame(2), None), Delivery::Sent);
        assert_eq!(o.queued(), 0, "an idle socket takes a small frame at once");
        o.end(&frame(3));
        while !o.finished() {
            sock.writable().await.unwrap();
            o.write_queued(&sock).unwrap();
        }
        let mut buf = [0u8; 12];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    }
}

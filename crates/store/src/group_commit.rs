//! Group commit: on SQLite, many small durable writes (event reports) share one transaction.
//!
//! SQLite has one writer. Giving each report its own transaction makes 64 concurrent reporters queue for
//! the writer one commit at a time; here a committer task takes every write waiting at that moment, runs them
//! in one transaction and answers each only after the shared commit (so a 201 still means "on disk"). When
//! one write of a batch fails, the batch is rolled back and its writes are run again one transaction each, so
//! a bad write fails alone and nothing is half-written. On PostgreSQL, which has no single writer, a write is
//! simply its own transaction.

use crate::StoreError;
use sqlx::{Any, AnyPool, Transaction};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

pub type Tx = Transaction<'static, Any>;
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The most writes one transaction takes: bounds the time the writer is held and the work redone when a
/// batch has to be split.
const MAX_BATCH: usize = 256;

/// A write the committer can run (and run again, alone, when its batch fails).
trait Job: Send {
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, bool>;
    /// Answers the caller: the write's result when `committed`, otherwise `err`.
    fn finish(self: Box<Self>, committed: std::result::Result<(), String>);
}

/// One write: its data, the function that writes it, and where its answer goes.
struct Pending<D, T, E> {
    data: D,
    write: for<'a> fn(&'a D, &'a mut Tx) -> BoxFuture<'a, std::result::Result<T, E>>,
    outcome: Option<std::result::Result<T, E>>,
    reply: oneshot::Sender<std::result::Result<T, E>>,
}

impl<D, T, E> Job for Pending<D, T, E>
where
    D: Send + Sync,
    T: Send,
    E: From<StoreError> + Send,
{
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let r = (self.write)(&self.data, tx).await;
            let ok = r.is_ok();
            self.outcome = Some(r);
            ok
        })
    }

    fn finish(self: Box<Self>, committed: std::result::Result<(), String>) {
        let answer = match (committed, self.outcome) {
            (Ok(()), Some(r)) => r,
            (Ok(()), None) => Err(StoreError::Other("write was not run".into()).into()),
            // The write's own error explains more than the rollback that followed it.
            (Err(_), Some(Err(own))) => Err(own),
            (Err(e), _) => Err(StoreError::Other(e).into()),
        };
        // The caller may have gone (client disconnected); the write stands either way.
        let _ = self.reply.send(answer);
    }
}

/// Hands writes to the committer task (SQLite) or runs them directly (PostgreSQL).
#[derive(Clone)]
pub struct GroupCommit {
    queue: Option<mpsc::UnboundedSender<Box<dyn Job>>>,
    writer: AnyPool,
    /// Transactions committed by the committer task (for metrics and tests: fewer than writes under load).
    batches: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl GroupCommit {
    /// `batched`: whether writes go through a committer task (SQLite's single writer) or run directly.
    pub fn new(writer: AnyPool, batched: bool) -> GroupCommit {
        let batches = std::sync::Arc::default();
        let queue = batched.then(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(committer(writer.clone(), rx, std::sync::Arc::clone(&batches)));
            tx
        });
        GroupCommit { queue, writer, batches }
    }

    /// How many shared transactions the committer has run so far (0 when writes run directly).
    pub fn batches(&self) -> u64 {
        self.batches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `write(&data, tx)` in a transaction and returns its result once that transaction has committed.
    pub async fn write<D, T, E>(
        &self,
        data: D,
        write: for<'a> fn(&'a D, &'a mut Tx) -> BoxFuture<'a, std::result::Result<T, E>>,
    ) -> std::result::Result<T, E>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let Some(queue) = &self.queue else {
            let mut tx = self.writer.begin().await.map_err(StoreError::from)?;
            let out = write(&data, &mut tx).await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(out);
        };
        let (reply, answer) = oneshot::channel();
        queue
            .send(Box::new(Pending { data, write, outcome: None, reply }))
            .map_err(|_| StoreError::Other("the database writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Other("the database writer has stopped".into()))?
    }
}

async fn committer(
    writer: AnyPool,
    mut rx: mpsc::UnboundedReceiver<Box<dyn Job>>,
    batches: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch: Vec<Box<dyn Job>> = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        // A task per batch, so that a write that panics loses its own batch (callers get an error), not the
        // committer.
        batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = tokio::spawn(commit_batch(writer.clone(), batch)).await {
            tracing::error!("a batch of writes panicked: {e}");
        }
    }
}

async fn commit_batch(writer: AnyPool, mut batch: Vec<Box<dyn Job>>) {
    match run_together(&writer, &mut batch).await {
        Ok(()) => batch.into_iter().for_each(|j| j.finish(Ok(()))),
        Err(_) if batch.len() > 1 => {
            for mut j in batch {
                let r = run_together(&writer, std::slice::from_mut(&mut j)).await;
                j.finish(r);
            }
        }
        Err(e) => batch.into_iter().for_each(|j| j.finish(Err(e.clone()))),
    }
}

/// Every write of the batch in one transaction; on any failure nothing of it stays.
async fn run_together(writer: &AnyPool, batch: &mut [Box<dyn Job>]) -> std::result::Result<(), String> {
    let mut tx = writer.begin().await.map_err(|e| e.to_string())?;
    for j in batch.iter_mut() {
        if !j.run(&mut tx).await {
            let _ = tx.rollback().await;
            return Err("rolled back".into());
        }
    }
    tx.commit().await.map_err(|e| e.to_string())
}

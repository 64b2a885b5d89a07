//! Group commit: on SQLite, many small durable writes of one kind (event reports) share one transaction and
//! one statement per table.
//!
//! SQLite has one writer. Giving each report its own transaction makes 64 concurrent reporters queue for
//! the writer one commit at a time; here a committer task takes every write waiting at that moment, writes them
//! together ([`BatchWrite::write_all`]: multi-row statements) in one transaction and answers each only after the
//! shared commit (so a 201 still means "on disk"). When the batch fails, it is rolled back and its writes are
//! run again one transaction each, so a bad write fails alone and nothing is half-written. On PostgreSQL, which
//! has no single writer, a write is simply its own transaction.

use crate::StoreError;
use sqlx::{Any, AnyPool, Transaction};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

pub type Tx = Transaction<'static, Any>;
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The most writes one transaction takes: bounds the time the writer is held and the work redone when a
/// batch has to be split.
const MAX_BATCH: usize = 256;

/// Writes of one kind that can be written many at a time.
pub trait BatchWrite: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Out: Send + 'static;
    type Error: From<StoreError> + Send + 'static;
    /// Writes every item (in this order) and returns one result per item, in the same order. Fails as a whole.
    fn write_all<'a>(
        &'a self,
        items: &'a [Self::Item],
        tx: &'a mut Tx,
    ) -> BoxFuture<'a, Result<Vec<Self::Out>, Self::Error>>;
}

type Reply<B> = oneshot::Sender<Result<<B as BatchWrite>::Out, <B as BatchWrite>::Error>>;

/// Hands writes to the committer task (SQLite) or runs them directly (PostgreSQL).
pub struct Batcher<B: BatchWrite> {
    queue: Option<mpsc::UnboundedSender<(B::Item, Reply<B>)>>,
    writer: AnyPool,
    kind: Arc<B>,
    /// Transactions committed by the committer task (for metrics and tests: fewer than writes under load).
    batches: Arc<AtomicU64>,
}

impl<B: BatchWrite> Batcher<B> {
    /// `batched`: whether writes go through a committer task (SQLite's single writer) or run directly.
    pub fn new(writer: AnyPool, kind: B, batched: bool) -> Batcher<B> {
        let kind = Arc::new(kind);
        let batches = Arc::default();
        let queue = batched.then(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(committer(writer.clone(), Arc::clone(&kind), rx, Arc::clone(&batches)));
            tx
        });
        Batcher { queue, writer, kind, batches }
    }

    /// Writes `item` in a transaction and returns its result once that transaction has committed.
    pub async fn write(&self, item: B::Item) -> Result<B::Out, B::Error> {
        let Some(queue) = &self.queue else {
            return write_alone(&self.writer, &*self.kind, std::slice::from_ref(&item)).await;
        };
        let (reply, answer) = oneshot::channel();
        queue.send((item, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// How many shared transactions the committer has run so far (0 when writes run directly).
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
}

fn stopped() -> StoreError {
    StoreError::Other("the database writer has stopped".into())
}

async fn committer<B: BatchWrite>(
    writer: AnyPool,
    kind: Arc<B>,
    mut rx: mpsc::UnboundedReceiver<(B::Item, Reply<B>)>,
    batches: Arc<AtomicU64>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        batches.fetch_add(1, Ordering::Relaxed);
        // A task per batch, so that a write that panics loses its own batch (callers get an error), not the
        // committer.
        if let Err(e) = tokio::spawn(commit_batch(writer.clone(), Arc::clone(&kind), batch)).await {
            tracing::error!("a batch of writes panicked: {e}");
        }
    }
}

async fn commit_batch<B: BatchWrite>(writer: AnyPool, kind: Arc<B>, batch: Vec<(B::Item, Reply<B>)>) {
    let (items, replies): (Vec<B::Item>, Vec<Reply<B>>) = batch.into_iter().unzip();
    match write_together(&writer, &*kind, &items).await {
        Ok(outs) => {
            for (reply, out) in replies.into_iter().zip(outs) {
                // The caller may have gone (client disconnected); the write stands either way.
                let _ = reply.send(Ok(out));
            }
        }
        Err(e) if items.len() == 1 => {
            let _ = replies.into_iter().next().map(|r| r.send(Err(e)));
        }
        Err(_) => {
            for (item, reply) in items.iter().zip(replies) {
                let _ = reply.send(write_alone(&writer, &*kind, std::slice::from_ref(item)).await);
            }
        }
    }
}

/// Every item in one transaction; on any failure nothing of it stays.
async fn write_together<B: BatchWrite>(writer: &AnyPool, kind: &B, items: &[B::Item]) -> Result<Vec<B::Out>, B::Error> {
    let mut tx = writer.begin().await.map_err(StoreError::from)?;
    let outs = kind.write_all(items, &mut tx).await?;
    if outs.len() != items.len() {
        return Err(StoreError::Other(format!("{} results for {} writes", outs.len(), items.len())).into());
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outs)
}

async fn write_alone<B: BatchWrite>(writer: &AnyPool, kind: &B, item: &[B::Item]) -> Result<B::Out, B::Error> {
    let mut outs = write_together(writer, kind, item).await?;
    outs.pop().ok_or_else(|| StoreError::Other("a write returned no result".into()).into())
}

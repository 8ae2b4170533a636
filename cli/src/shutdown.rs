//! Graceful shutdown of the HeMS (SIGTERM, SIGINT): the listener stops accepting, idle
//! connections are closed, a session in progress is let finish within a grace period (a new
//! one is turned away with 503 and Retry-After, so that its HeNB comes back later, to this
//! process's successor), then the store is flushed and the process exits 0.

use std::time::Duration;

use tokio::sync::watch;

/// Sets off the shutdown of everything that holds the paired [`Shutdown`].
pub(crate) struct ShutdownTrigger(watch::Sender<bool>);

impl ShutdownTrigger {
    /// Asks every holder of the paired [`Shutdown`] to stop.
    pub(crate) fn trigger(&self) {
        self.0.send_replace(true);
    }
}

/// Whether (and when) to stop; cheap to clone.
#[derive(Clone)]
pub(crate) struct Shutdown {
    requested: watch::Receiver<bool>,
    /// How long a session in progress may take to finish once shutdown is asked.
    pub(crate) grace: Duration,
}

impl Shutdown {
    /// A shutdown and its trigger.
    pub(crate) fn new(grace: Duration) -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (
            ShutdownTrigger(tx),
            Shutdown {
                requested: rx,
                grace,
            },
        )
    }

    /// A shutdown that never comes (the process ends some other way).
    pub(crate) fn never() -> Shutdown {
        Shutdown::new(Duration::ZERO).1
    }

    /// Resolves once shutdown is asked; never, if it cannot be any more.
    pub(crate) async fn requested(&mut self) {
        if self.requested.wait_for(|asked| *asked).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves on the first SIGTERM or SIGINT.
pub(crate) async fn signalled() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_holder_hears_the_trigger_and_never_stays_quiet() {
        let (trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
        let mut a = shutdown.clone();
        let mut b = shutdown;
        trigger.trigger();
        tokio::time::timeout(Duration::from_secs(1), a.requested())
            .await
            .expect("heard");
        tokio::time::timeout(Duration::from_secs(1), b.requested())
            .await
            .expect("heard");
        let mut never = Shutdown::never();
        assert!(
            tokio::time::timeout(Duration::from_millis(50), never.requested())
                .await
                .is_err()
        );
    }
}

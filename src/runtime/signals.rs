//! SIGTERM and SIGINT: the first starts a clean shutdown, a second exits at once.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::net::ShutdownTrigger;

/// Starts a thread that fires `trigger` on the first stop signal.
pub fn on_stop_signal(trigger: ShutdownTrigger) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGINT])?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        let mut received = signals.forever();
        if let Some(signal) = received.next() {
            tracing::info!(signal, "stopping: no new connections, sessions get 421");
            trigger.fire();
        }
        if received.next().is_some() {
            tracing::warn!("second stop signal: exiting now");
            std::process::exit(1);
        }
    })?;
    Ok(())
}

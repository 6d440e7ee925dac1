//! SIGTERM and SIGINT: the first starts a clean shutdown, a second exits at once.
//! SIGHUP: reload the TLS certificates (e.g. after a renewal).

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::net::ShutdownTrigger;
use crate::tls::Tls;

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

/// Starts a thread that reloads every certificate on SIGHUP; a failed reload keeps the old ones.
pub fn on_reload_signal(tls: Tls) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGHUP])?;
    std::thread::Builder::new().name("reload".into()).spawn(move || {
        for _ in signals.forever() {
            match tls.certificates().reload() {
                Ok(()) => tracing::info!("SIGHUP: TLS certificates reloaded"),
                Err(e) => tracing::error!("SIGHUP: keeping the old TLS certificates: {e:#}"),
            }
        }
    })?;
    Ok(())
}

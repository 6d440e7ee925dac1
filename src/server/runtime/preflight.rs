//! Start-up checks for what glommio needs from the kernel: io_uring, and enough locked memory.
//! Each failure names its cause and its fix instead of a bare errno.

use anyhow::bail;
use glommio::{LocalExecutorBuilder, Placement};
use rlimit::Resource;

use crate::config::Config;

/// Locked memory an executor needs beyond its io_memory (rings and bookkeeping).
const RING_OVERHEAD: u64 = 256 * 1024;

/// Checks io_uring and RLIMIT_MEMLOCK for `shards` executors, raising the limit when allowed.
pub fn check(config: &Config, shards: usize) -> anyhow::Result<()> {
    if let Ok(value) = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled") {
        match value.trim() {
            "2" => bail!(
                "io_uring is disabled on this host (sysctl kernel.io_uring_disabled = 2).\n\
                 Fix: sysctl -w kernel.io_uring_disabled=0 (see tuning/sysctl-ringmail.conf)"
            ),
            "1" => {
                tracing::warn!("kernel.io_uring_disabled = 1: only members of kernel.io_uring_group may use io_uring")
            }
            _ => {}
        }
    }
    let io_memory = config.io_memory_kib.get() as u64 * 1024;
    let needed = shards as u64 * (io_memory + RING_OVERHEAD);
    let (soft, hard) = Resource::MEMLOCK.get()?;
    if soft < needed {
        if hard >= needed {
            Resource::MEMLOCK.set(needed, hard)?;
        } else if Resource::MEMLOCK.set(needed, needed).is_err() {
            bail!(
                "{shards} shards need {} KiB of locked memory but RLIMIT_MEMLOCK allows {} KiB (hard limit {} KiB).\n\
                 Fix: lower `shards` or `io_memory_kib`, or raise the limit: LimitMEMLOCK=infinity in the systemd \
                 unit (tuning/ringmail.service), `ulimit -l unlimited`, or tuning/limits-ringmail.conf",
                needed / 1024,
                soft / 1024,
                hard / 1024
            );
        }
    }
    // Prove io_uring works by building one executor (on a scratch thread, so no executor state
    // is left on this one).
    let probe = std::thread::spawn(move || {
        LocalExecutorBuilder::new(Placement::Unbound)
            .io_memory(io_memory as usize)
            .make()
            .map(drop)
            .map_err(|e| e.to_string())
    });
    match probe.join() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => bail!(
            "io_uring is not usable here: {e}.\n\
             Fixes: a Linux kernel of 5.8 or later; sysctl kernel.io_uring_disabled=0; in a container, a seccomp \
             profile that allows io_uring_setup, io_uring_enter and io_uring_register (Docker's default blocks them)"
        ),
        Err(_) => bail!("the io_uring probe panicked"),
    }
}

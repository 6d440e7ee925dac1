//! Nothing but the benchmarks of this folder: each `*.rs` beside this file is one criterion
//! bench (see `Cargo.toml`). The library itself is empty; cargo needs a target to hang the
//! benchmarks' dependencies on.

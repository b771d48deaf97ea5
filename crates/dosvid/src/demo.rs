//! `dosvid demo`: builds the demo company once, then serves it.

use std::net::SocketAddr;

pub fn run(_db: &str, _scale: u32, _listen: SocketAddr, _no_serve: bool) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

//! A second host on this machine for tests of what crosses a network: a network namespace
//! joined to ours by a veth pair (a /30 of its own in 10.200.0.0/16), optionally behind a
//! firewall that drops every UDP packet in and out of it — what a corporate network that only
//! lets TCP out looks like to an agent's app. Needs root (`ip netns`, nftables); removed on
//! drop (the veth pair goes with the namespace).
//!
//! The firewall sits on the namespace's end of the veth as netdev ingress/egress filters, so
//! packets vanish silently as they would at a real firewall (a sender inside gets no error),
//! and loopback inside the namespace is untouched. [`Host::lose_udp`] drops a random share of
//! UDP packets the same way: a lossy network for call-quality tests (this kernel has no netem,
//! so loss is what can be injected; delay and jitter cannot).

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A namespace with one veth link to the test's own.
pub struct Host {
    pub name: String,
    /// Our end of the link (where the platform, wa-sim and the TURN server listen).
    pub outside: Ipv4Addr,
    /// The namespace's address.
    pub inside: Ipv4Addr,
    /// The namespace's end of the veth pair (where the filters hook).
    link: String,
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("{what}: could not run {:?}: {e}", command.get_program()))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    ))
}

fn ip(args: &[&str]) -> Result<(), String> {
    run(
        &format!("ip {}", args.join(" ")),
        Command::new("ip").args(args),
    )
}

impl Host {
    /// Create the namespace and link; with `block_udp`, the firewall too.
    pub fn create(block_udp: bool) -> Result<Self, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        // A /30 per host: 10.200.A.B, from the pid and a counter, so parallel test processes
        // do not collide.
        let slot = (pid.wrapping_mul(16) + n) % 16_384;
        let base = Ipv4Addr::new(10, 200, (slot / 64) as u8, ((slot % 64) * 4) as u8);
        let [a, b, c, d] = base.octets();
        let outside = Ipv4Addr::new(a, b, c, d + 1);
        let inside = Ipv4Addr::new(a, b, c, d + 2);
        let name = format!("rd{pid}x{n}");
        let (ours, theirs) = (format!("rdo{slot}"), format!("rdi{slot}"));
        let host = Self {
            name: name.clone(),
            outside,
            inside,
            link: theirs.clone(),
        };
        ip(&["netns", "add", &name])?;
        // From here on, dropping `host` cleans up whatever was made.
        ip(&[
            "link", "add", &ours, "type", "veth", "peer", "name", &theirs,
        ])?;
        ip(&["link", "set", &theirs, "netns", &name])?;
        ip(&["addr", "add", &format!("{outside}/30"), "dev", &ours])?;
        ip(&["link", "set", &ours, "up"])?;
        ip(&[
            "-n",
            &name,
            "addr",
            "add",
            &format!("{inside}/30"),
            "dev",
            &theirs,
        ])?;
        ip(&["-n", &name, "link", "set", &theirs, "up"])?;
        ip(&["-n", &name, "link", "set", "lo", "up"])?;
        if block_udp {
            let rules = format!(
                "table netdev ringdesk_firewall {{\n\
                 chain out {{ type filter hook egress device \"{theirs}\" priority 0; policy accept; meta l4proto udp drop; }}\n\
                 chain in {{ type filter hook ingress device \"{theirs}\" priority 0; policy accept; meta l4proto udp drop; }}\n\
                 }}\n"
            );
            host.nft("UDP firewall", &rules)?;
        }
        Ok(host)
    }

    /// Drop a random `inbound_pct` % of the UDP packets coming into the namespace and
    /// `outbound_pct` % of those leaving it (nftables `numgen random`, per packet); `(0, 0)`
    /// removes the loss. Replaces whatever loss was set before; the firewall is untouched.
    pub fn lose_udp(&self, inbound_pct: u8, outbound_pct: u8) -> Result<(), String> {
        let link = &self.link;
        let chain = |name: &str, hook: &str, pct: u8| {
            let rule = match pct {
                0 => String::new(),
                100.. => " meta l4proto udp drop;".to_owned(),
                pct => format!(" meta l4proto udp numgen random mod 100 < {pct} drop;"),
            };
            format!(
                "chain {name} {{ type filter hook {hook} device \"{link}\" priority 10; policy accept;{rule} }}\n"
            )
        };
        // Declaring the table first makes the delete valid when there is none yet.
        let rules = format!(
            "table netdev ringdesk_loss\ndelete table netdev ringdesk_loss\ntable netdev ringdesk_loss {{\n{}{}}}\n",
            chain("in", "ingress", inbound_pct),
            chain("out", "egress", outbound_pct),
        );
        self.nft("UDP loss", &rules)
    }

    /// Load nftables `rules` inside the namespace.
    fn nft(&self, what: &str, rules: &str) -> Result<(), String> {
        let path =
            std::env::temp_dir().join(format!("{}-{}.nft", self.name, what.replace(' ', "-")));
        std::fs::write(&path, rules).map_err(|e| format!("write {}: {e}", path.display()))?;
        let loaded = run(
            &format!("nft ({what})"),
            Command::new("ip")
                .args(["netns", "exec", &self.name, "nft", "-f"])
                .arg(&path),
        );
        let _ = std::fs::remove_file(&path);
        loaded
    }

    /// `program` run inside the namespace.
    pub fn command(&self, program: &std::path::Path) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Processes still inside keep the namespace alive until they exit; the test's
        // `Running` guards are dropped first (declared later).
        let _ = ip(&["netns", "del", &self.name]);
    }
}

//! Binding the simulator to a TCP listener.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::device::CustomerDevice;
use crate::http::router;
use crate::sim::{SimConfig, Simulator};

/// Which time the simulator runs on.
#[derive(Debug, Clone)]
pub enum ClockChoice {
    System,
    /// A virtual clock moved only by `POST /_sim/clock/advance` (or the returned handle).
    Manual(ManualClock),
}

/// A simulator serving HTTP.
pub struct RunningSim {
    pub sim: Simulator,
    pub addr: SocketAddr,
    pub server: JoinHandle<std::io::Result<()>>,
}

impl RunningSim {
    /// `http://ADDR`, the base of both the Graph and the control API.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts the simulator on `listener` (use port 0 in tests and read [`RunningSim::addr`]).
pub fn start(
    listener: TcpListener,
    config: SimConfig,
    clock: ClockChoice,
    device: Arc<dyn CustomerDevice>,
) -> std::io::Result<RunningSim> {
    let addr = listener.local_addr()?;
    let (clock, manual): (Arc<dyn Clock>, Option<ManualClock>) = match clock {
        ClockChoice::System => (Arc::new(SystemClock), None),
        ClockChoice::Manual(manual) => (Arc::new(manual.clone()), Some(manual)),
    };
    let sim = Simulator::start(config, clock, manual, device);
    let app = router(sim.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(RunningSim { sim, addr, server })
}

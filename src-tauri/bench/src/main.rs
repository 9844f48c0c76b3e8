//! `cargo run --release --bin caredesk-bench`: measures CareDesk's hot paths
//! on this machine, prints progress to stderr and, as the last line of
//! stdout, one JSON object with the figures.
//!
//! Figures so far: how many requests per second the gateway clients sustain
//! against the sandbox over loopback HTTP, and the latency of a send.

mod gateways;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let mut figures = serde_json::Map::new();
    eprintln!("caredesk-bench: gateway clients against the sandbox");
    for (k, v) in rt.block_on(gateways::measure()) {
        figures.insert(k.to_string(), v);
    }
    println!("{}", serde_json::Value::Object(figures));
}

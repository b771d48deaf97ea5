//! An acknowledged write survives `kill -9` of the server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::{Server, api_key};

fn batch(b: usize) -> String {
    let records: Vec<_> = (0..200)
        .map(|i| json!({"external_id": format!("b{b}-{i}"), "customer_external_id": format!("C{i}"), "touchpoint": "contact-centre.agent", "channel": "phone", "nps": (b + i) % 11, "occurred_at": "2025-04-01T12:00:00Z"}))
        .collect();
    json!({ "records": records }).to_string()
}

#[test]
fn kill_dash_nine_loses_no_acknowledged_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let key = api_key(&format!("sqlite://{}", path.display()));
    let mut server = Server::start(&path);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();

    // Send batches as fast as possible from two clients; remember which were acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let (agent, base, key, acknowledged, stop) = (
                agent.clone(),
                server.base.clone(),
                key.clone(),
                acknowledged.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let mut b = client;
                while !stop.load(Ordering::Relaxed) {
                    let response = agent
                        .post(&format!("{base}/api/v1/feedback:batch"))
                        .header("Authorization", &format!("Bearer {key}"))
                        .header("Idempotency-Key", &format!("batch-{b}"))
                        .content_type("application/json")
                        .send(batch(b));
                    match response {
                        Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push(b),
                        _ => break,
                    }
                    b += 2;
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 20 {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flushing.
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let server = Server::start(&path);
    for b in &acknowledged {
        // The stored answer comes back, so the batch was committed whole before it was acknowledged.
        let mut response = agent
            .post(&format!("{}/api/v1/feedback:batch", server.base))
            .header("Authorization", &format!("Bearer {key}"))
            .header("Idempotency-Key", &format!("batch-{b}"))
            .content_type("application/json")
            .send(batch(*b))
            .unwrap();
        let report: serde_json::Value = response.body_mut().read_json().unwrap();
        assert_eq!(
            (report["replayed"].as_bool(), report["created"].as_u64()),
            (Some(true), Some(200)),
            "batch {b}"
        );
    }
    let mut count = 0;
    let mut url = format!("{}/api/v1/feedback?limit=1000", server.base);
    loop {
        let mut response = agent
            .get(&url)
            .header("Authorization", &format!("Bearer {key}"))
            .call()
            .unwrap();
        let page: serde_json::Value = response.body_mut().read_json().unwrap();
        count += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                url = format!("{}/api/v1/feedback?limit=1000&cursor={cursor}", server.base)
            }
            None => break,
        }
    }
    // Batches commit whole: what is stored is a whole number of batches, at least the acknowledged.
    assert_eq!(count % 200, 0);
    assert!(
        count >= acknowledged.len() * 200,
        "{count} stored, {} acknowledged",
        acknowledged.len()
    );
}

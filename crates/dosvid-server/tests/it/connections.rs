//! The server over real sockets: clients that never finish their headers, or sit idle, cannot
//! keep it from answering others.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{self, TestApp};

/// Serves the app on a port of its own with small limits; returns its address.
async fn serve(app: &TestApp) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let limits = dosvid_server::Limits {
        per_address: 16,
        total: 32,
        header_timeout: Duration::from_secs(1),
    };
    let state = dosvid_server::AppState::new(app.store.clone());
    tokio::spawn(dosvid_server::serve_with(
        listener,
        state,
        limits,
        std::future::pending(),
    ));
    address
}

async fn health(address: std::net::SocketAddr) -> String {
    let mut tcp = TcpStream::connect(address).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    answer
}

/// Whether the server has closed `tcp` (whatever it sent before).
fn is_closed(tcp: &TcpStream) -> bool {
    let mut buffer = [0u8; 256];
    loop {
        match tcp.try_read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => return e.kind() != std::io::ErrorKind::WouldBlock,
        }
    }
}

#[test]
fn health_answers_at_once_while_many_connections_hold_their_headers_back() {
    helpers::run(Some(TestApp::sqlite()), |app| async move {
        let address = serve(&app).await;
        let mut held = Vec::new();
        for _ in 0..200 {
            let mut tcp = TcpStream::connect(address).await.unwrap();
            tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
            held.push(tcp);
        }
        let started = Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(1), health(address))
            .await
            .expect("an answer within a second");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(1));
        // Room was made by closing the oldest of the address's connections that held back.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let closed = held.iter().filter(|tcp| is_closed(tcp)).count();
        assert!(closed >= 200 - 16, "{closed} of 200 closed");
    });
}

#[test]
fn a_connection_that_sends_no_headers_or_sits_idle_is_closed() {
    helpers::run(Some(TestApp::sqlite()), |app| async move {
        let address = serve(&app).await;
        let mut half_open = TcpStream::connect(address).await.unwrap();
        half_open
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .unwrap();
        let mut idle = TcpStream::connect(address).await.unwrap();
        idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buffer = vec![0u8; 4096];
        let n = idle.read(&mut buffer).await.unwrap();
        assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
        for mut tcp in [half_open, idle] {
            let closed = tokio::time::timeout(Duration::from_secs(3), async {
                loop {
                    match tcp.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            })
            .await;
            assert!(closed.is_ok(), "closed after the header timeout");
        }
    });
}

//! The client against a one-connection-per-request HTTP server that records what it was sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use serde_json::json;

use super::*;

type Served = (String, std::thread::JoinHandle<Vec<String>>);

/// A one-connection-per-request HTTP server answering from `respond(method, path, body)`.
fn serve(
    requests: usize,
    respond: impl Fn(&str, &str, &str) -> (u16, String) + Send + 'static,
) -> std::io::Result<Served> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..requests {
            let Ok((stream, _)) = listener.accept() else {
                break;
            };
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => break,
            });
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut length = 0usize;
            let mut auth = String::new();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                let lower = header.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("authorization:") {
                    auth = header.trim().to_string();
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body).into_owned();
            let mut parts = request_line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let path = parts.next().unwrap_or_default().to_string();
            seen.push(format!("{method} {path} {auth} {body}"));
            let (status, reply) = respond(&method, &path, &body);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
        seen
    });
    Ok((base, handle))
}

fn lab_info(base: &str) -> LabInfo {
    LabInfo {
        graph_url: base.to_string(),
        login_url: format!("{base}/login"),
        tenant_id: "tenant".to_string(),
        client_id: "client".to_string(),
        client_secret: "s3cret".to_string(),
    }
}

fn client(base: &str) -> LabClient {
    LabClient::new(&lab_info(base), Duration::from_secs(10))
}

#[test]
fn parses_the_ready_line() -> Result<(), LabError> {
    let info = LabInfo::parse(
        r#"{"graph_url":"http://127.0.0.1:1/","login_url":"http://127.0.0.1:1/login/","tenant_id":"t","client_id":"c","client_secret":"s"}"#,
    )?;
    assert_eq!(info.graph_url, "http://127.0.0.1:1");
    assert_eq!(info.login_url, "http://127.0.0.1:1/login");
    assert!(LabInfo::parse(r#"{"graph_url":"x"}"#).is_err());
    assert!(LabInfo::parse("listening on 127.0.0.1:4000").is_err());
    Ok(())
}

#[test]
fn token_then_graph_patch_and_not_found() -> Result<(), Box<dyn std::error::Error>> {
    let (base, server) = serve(3, |method, path, _| match (method, path) {
        ("POST", "/login/tenant/oauth2/v2.0/token") => (
            200,
            r#"{"access_token":"tok","token_type":"Bearer"}"#.to_string(),
        ),
        ("PATCH", _) => (204, String::new()),
        _ => (404, r#"{"error":{"code":"ResourceNotFound"}}"#.to_string()),
    })?;
    let lab = client(&base);
    let url = lab.graph_url("/beta/deviceManagement/deviceConfigurations/abc");
    lab.graph_ok(Method::PATCH, &url, Some(&json!({"description": "x"})))?;
    let missing = lab.graph(Method::GET, &url, None)?;
    assert_eq!(missing.status, 404);
    let seen = server.join().map_err(|_| "server panicked")?;
    assert!(
        seen[0].contains("grant_type=client_credentials"),
        "{}",
        seen[0]
    );
    assert!(seen[0].contains("client_secret=s3cret"), "{}", seen[0]);
    assert!(seen[1].starts_with("PATCH /beta/deviceManagement/deviceConfigurations/abc"));
    assert!(seen[1].contains("Bearer tok"), "{}", seen[1]);
    assert!(
        seen[2].contains("Bearer tok"),
        "the token is kept: {}",
        seen[2]
    );
    Ok(())
}

#[test]
fn control_calls_need_no_token() -> Result<(), Box<dyn std::error::Error>> {
    let (base, server) = serve(2, |method, path, _| match (method, path) {
        ("PUT", "/_lab/faults") => (200, r#"{"rules":[]}"#.to_string()),
        ("GET", "/_lab/requests") => (
            200,
            r#"{"requests":[{"method":"GET","path":"/beta/x","status":200}]}"#.to_string(),
        ),
        _ => (500, String::new()),
    })?;
    let lab = client(&base);
    lab.set_faults(&json!({"rules": []}))?;
    let log = lab.requests()?;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["path"], "/beta/x");
    let seen = server.join().map_err(|_| "server panicked")?;
    assert!(seen.iter().all(|s| !s.contains("Bearer")), "{seen:?}");
    Ok(())
}

#[test]
fn errors_carry_status_and_body_but_not_the_secret() -> Result<(), Box<dyn std::error::Error>> {
    let (base, _server) = serve(1, |_, _, _| {
        (401, r#"{"error":"invalid_client"}"#.to_string())
    })?;
    let err = match client(&base).token() {
        Ok(_) => return Err("a 401 must fail".into()),
        Err(err) => err.to_string(),
    };
    assert!(err.contains("401"), "{err}");
    assert!(err.contains("invalid_client"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    Ok(())
}

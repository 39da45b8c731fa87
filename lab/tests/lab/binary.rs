//! The `autopilot-lab serve` binary: the ready line and a graceful exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[test]
fn first_stdout_line_is_the_ready_object_and_sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_autopilot-lab"))
        .args(["serve", "--listen", "127.0.0.1:0", "--state"])
        .arg(dir.path().join("state.json"))
        .args(["--client-secret", "s3cret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();

    let ready: Value = serde_json::from_str(line.trim_end()).unwrap();
    let object = ready.as_object().unwrap();
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "graph_url",
            "login_url",
            "tenant_id",
            "client_id",
            "client_secret"
        ]
    );
    let graph_url = ready["graph_url"].as_str().unwrap();
    assert!(graph_url.starts_with("http://127.0.0.1:"), "{graph_url}");
    assert!(!graph_url.ends_with('/'));
    assert_eq!(ready["login_url"], ready["graph_url"]);
    assert!(uuid::Uuid::parse_str(ready["tenant_id"].as_str().unwrap()).is_ok());
    assert!(uuid::Uuid::parse_str(ready["client_id"].as_str().unwrap()).is_ok());
    assert_eq!(ready["client_secret"], "s3cret");

    // It serves: the control API answers (plain HTTP/1.1, no client library needed).
    let port: u16 = graph_url.rsplit(':').next().unwrap().parse().unwrap();
    let response = http_get(port, "/_lab/requests");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("{\"requests\":[]}"), "{response}");

    // SIGTERM: graceful exit 0.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the lab did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit}");

    // Nothing else was written to stdout.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "");
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

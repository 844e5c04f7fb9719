//! Property tests for the JSON-RPC framing and the router.
//!
//! - Framing (`peer::read_lines`): any mix of messages, batches, blank lines, junk and
//!   over-long lines, cut into small chunks: every message before the first bad line comes out
//!   in order; junk is skipped (clients) or stops the stream with a reason (servers); a line over
//!   the limit always stops it.
//! - Router (`Gateway` + `Session` over two in-process fake servers): random sequences of
//!   requests (tools, lists, ping, unknown methods, bad params), notifications, stray responses,
//!   cancellations of unknown requests and malformed messages, in aggregated or scoped sessions:
//!   no panic, every request gets exactly one reply with its own id, echo results come from the
//!   server the tool belongs to.

use std::collections::HashMap;
use std::time::Duration;

use dockside_gateway::protocol::peer::{self, NonJson};
use dockside_gateway::testing::FakeLauncher;
use dockside_gateway::upstream::UpstreamSpec;
use dockside_gateway::{Gateway, GatewayConfig};
use proptest::prelude::*;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ------------------------------------------------------------------------------- framing

#[derive(Debug, Clone)]
enum Line {
    Msg(Value),
    Batch(Vec<Value>),
    Blank(String),
    Junk(String),
    TooLong(usize),
}

fn small_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn message() -> impl Strategy<Value = Value> {
    (any::<u32>(), "[a-z/]{1,16}", small_json()).prop_map(|(id, method, params)| {
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
    })
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        6 => message().prop_map(Line::Msg),
        1 => prop::collection::vec(message(), 1..4).prop_map(Line::Batch),
        1 => "[ \t\r]{0,3}".prop_map(Line::Blank),
        1 => "#[^\n]{0,30}".prop_map(Line::Junk),
        1 => (300usize..2000).prop_map(Line::TooLong),
    ]
}

const LIMIT: usize = 256;

fn render(lines: &[Line]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        match l {
            Line::Msg(v) => out.extend(v.to_string().into_bytes()),
            Line::Batch(b) => out.extend(Value::Array(b.clone()).to_string().into_bytes()),
            Line::Blank(s) | Line::Junk(s) => out.extend(s.as_bytes()),
            Line::TooLong(n) => out.extend(vec![b'x'; *n]),
        }
        out.push(b'\n');
    }
    out
}

/// What `read_lines` must yield: messages up to the first line that stops it, and whether one does.
fn expected(lines: &[Line], mode: NonJson) -> (Vec<Value>, bool) {
    let mut msgs = Vec::new();
    for l in lines {
        match l {
            Line::Msg(v) if v.to_string().len() <= LIMIT => msgs.push(v.clone()),
            Line::Batch(b) if Value::Array(b.clone()).to_string().len() <= LIMIT => {
                msgs.extend(b.iter().cloned())
            }
            Line::Msg(_) | Line::Batch(_) | Line::TooLong(_) => return (msgs, true),
            Line::Blank(_) => {}
            Line::Junk(_) if mode == NonJson::Fail => return (msgs, true),
            Line::Junk(_) => {}
        }
    }
    (msgs, false)
}

async fn read_all(bytes: Vec<u8>, chunk: usize, mode: NonJson) -> (Vec<Value>, Result<(), String>) {
    let (mut w, r) = tokio::io::duplex(chunk);
    let writer = tokio::spawn(async move {
        let _ = w.write_all(&bytes).await;
    });
    let mut got = Vec::new();
    let end = peer::read_lines(r, "fuzz", mode, LIMIT, |m| got.push(m)).await;
    writer.abort();
    (got, end)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn framing_yields_every_message_and_stops_only_at_a_bad_line(
        lines in prop::collection::vec(line(), 0..24),
        chunk in 1usize..97,
        strict in any::<bool>(),
    ) {
        let mode = if strict { NonJson::Fail } else { NonJson::Skip };
        let (want, stops) = expected(&lines, mode);
        let (got, end) = runtime().block_on(read_all(render(&lines), chunk, mode));
        prop_assert_eq!(got, want);
        prop_assert_eq!(end.is_err(), stops, "{:?}", end);
    }

    #[test]
    fn framing_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048), chunk in 1usize..64) {
        let (_, _) = runtime().block_on(read_all(bytes.clone(), chunk, NonJson::Skip));
        let (_, _) = runtime().block_on(read_all(bytes, chunk, NonJson::Fail));
    }
}

// ------------------------------------------------------------------------------- router

#[derive(Debug, Clone)]
enum ClientMsg {
    Initialize,
    Call(usize, Value),
    List(usize),
    Ping,
    Unknown(String),
    Notification(String),
    StrayResponse(i64),
    CancelUnknown,
    Malformed(Value),
}

const TOOLS: [&str; 6] = ["a__echo", "b__echo", "a__fail", "echo", "nope__x", ""];
const LISTS: [&str; 5] = [
    "tools/list",
    "resources/list",
    "prompts/list",
    "resources/templates/list",
    "completion/complete",
];

fn client_msg() -> impl Strategy<Value = ClientMsg> {
    prop_oneof![
        2 => Just(ClientMsg::Initialize),
        6 => (0..TOOLS.len(), small_json()).prop_map(|(t, a)| ClientMsg::Call(t, a)),
        2 => (0..LISTS.len()).prop_map(ClientMsg::List),
        1 => Just(ClientMsg::Ping),
        1 => "[a-z/]{1,20}".prop_map(ClientMsg::Unknown),
        1 => "notifications/[a-z_]{1,12}".prop_map(ClientMsg::Notification),
        1 => any::<i64>().prop_map(ClientMsg::StrayResponse),
        1 => Just(ClientMsg::CancelUnknown),
        1 => small_json().prop_map(ClientMsg::Malformed),
    ]
}

const INIT_PARAMS: &str = r#"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz","version":"0"}}"#;

/// Renders a sequence; returns the messages and, per request id key, the echo text expected
/// (`None` when any reply will do).
fn render_session(
    msgs: &[ClientMsg],
    string_ids: bool,
) -> (Vec<Value>, HashMap<String, Option<String>>) {
    let mut out = Vec::new();
    let mut requests = HashMap::new();
    for (i, m) in msgs.iter().enumerate() {
        let id = if string_ids {
            json!(format!("r{i}"))
        } else {
            json!(i)
        };
        let mut request = |method: &str, params: Value, expect: Option<String>| {
            requests.insert(id.to_string(), expect);
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        };
        out.push(match m {
            ClientMsg::Initialize => request(
                "initialize",
                serde_json::from_str(INIT_PARAMS).unwrap(),
                None,
            ),
            ClientMsg::Call(t, args) => {
                let tool = TOOLS[*t];
                let expect = match tool {
                    "a__echo" | "b__echo" if args.is_object() => {
                        Some(format!("{}:{args}", &tool[..1]))
                    }
                    _ => None,
                };
                request(
                    "tools/call",
                    json!({"name": tool, "arguments": args}),
                    expect,
                )
            }
            ClientMsg::List(k) => request(LISTS[*k], json!({}), None),
            ClientMsg::Ping => request("ping", json!({}), None),
            ClientMsg::Unknown(method) => request(method, json!({}), None),
            ClientMsg::Notification(method) => json!({"jsonrpc": "2.0", "method": method}),
            ClientMsg::StrayResponse(id) => json!({"jsonrpc": "2.0", "id": id, "result": {}}),
            ClientMsg::CancelUnknown => {
                json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                "params": {"requestId": "never-sent", "reason": "fuzz"}})
            }
            ClientMsg::Malformed(v) => v.clone(),
        });
    }
    (out, requests)
}

async fn run_session(
    msgs: Vec<Value>,
    requests: HashMap<String, Option<String>>,
    scoped: bool,
) -> Result<(), String> {
    let gw = Gateway::with_launcher(GatewayConfig::default(), Box::<FakeLauncher>::default());
    let specs = ["a", "b"]
        .iter()
        .map(|n| UpstreamSpec {
            name: n.to_string(),
            command: "fake".into(),
            ..Default::default()
        })
        .collect();
    let errors = gw.start_servers(specs).await;
    if !errors.is_empty() {
        return Err(format!("fake servers did not start: {errors:?}"));
    }
    let (session, mut rx) = gw.open_session(scoped.then(|| "a".to_string()));
    for m in msgs {
        session.handle(m);
    }
    let mut answered: HashMap<String, Value> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while answered.len() < requests.len() {
        let out = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(out)) => out.msg,
            Ok(None) => return Err("the session closed".into()),
            Err(_) => {
                let missing: Vec<_> = requests
                    .keys()
                    .filter(|k| !answered.contains_key(*k))
                    .collect();
                return Err(format!("no reply to {missing:?}"));
            }
        };
        if out.is_null() || out.get("method").is_some() {
            continue; // notifications, server→client requests, "ended without reply" markers
        }
        let Some(id) = out.get("id").filter(|id| !id.is_null()) else {
            continue; // an error about a message without a usable id
        };
        let key = id.to_string();
        if !requests.contains_key(&key) {
            return Err(format!("a reply to a request never sent: {out}"));
        }
        if answered.insert(key.clone(), out.clone()).is_some() {
            return Err(format!("two replies to {key}: {out}"));
        }
    }
    for (key, expect) in &requests {
        let reply = &answered[key];
        if reply.get("result").is_none() && reply.get("error").is_none() {
            return Err(format!("neither result nor error: {reply}"));
        }
        if let (Some(text), false) = (expect, scoped) {
            let got = reply["result"]["content"][0]["text"].as_str();
            if got.is_some() && got != Some(text.as_str()) {
                return Err(format!("{key}: wanted {text:?}, got {reply}"));
            }
        }
    }
    // Nothing more (e.g. a duplicate) shortly after.
    tokio::time::sleep(Duration::from_millis(20)).await;
    while let Ok(out) = rx.try_recv() {
        if let Some(id) = out.msg.get("id").filter(|id| !id.is_null()) {
            if out.msg.get("method").is_none() && requests.contains_key(&id.to_string()) {
                return Err(format!("a second reply: {}", out.msg));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_request_gets_exactly_one_reply_with_its_id(
        msgs in prop::collection::vec(client_msg(), 1..40),
        string_ids in any::<bool>(),
        scoped in any::<bool>(),
    ) {
        let (msgs, requests) = render_session(&msgs, string_ids);
        let result = runtime().block_on(run_session(msgs.clone(), requests, scoped));
        prop_assert!(result.is_ok(), "{}\nmessages: {}", result.unwrap_err(), Value::Array(msgs));
    }
}

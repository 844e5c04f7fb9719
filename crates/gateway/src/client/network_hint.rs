//! Telling a blocked network apart from other start failures: a server in a container with
//! network `none` (or only some hosts) that needs another host fails with name-resolution or
//! connection errors on stderr. The pre-flight then says so, with the exact fix.

use dockside_core::state::Network;

/// Words of the resolver and connection errors of Node, Python, Go, curl and libc.
const SIGNS: &[&str] = &[
    "eai_again",
    "enotfound",
    "getaddrinfo",
    "temporary failure in name resolution",
    "name or service not known",
    "nodename nor servname",
    "could not resolve host",
    "no such host",
    "econnrefused",
    "enetunreach",
    "network is unreachable",
    "failed to establish a new connection",
    "connecterror",
    "connectionerror",
    "connection refused",
];

/// A stderr line showing a blocked network, and the host it names when it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub line: String,
    pub host: Option<String>,
}

/// The last stderr line that shows a name-resolution or connection failure and names a host,
/// else the last one that shows such a failure.
pub fn blocked(stderr: &[String]) -> Option<Blocked> {
    let failures: Vec<Blocked> = (stderr.iter().rev())
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            SIGNS.iter().any(|s| lower.contains(s))
        })
        .map(|line| Blocked {
            host: host_in(line),
            line: line.trim().to_owned(),
        })
        .collect();
    let named = failures.iter().position(|b| b.host.is_some()).unwrap_or(0);
    failures.into_iter().nth(named)
}

/// The host an error line names: `getaddrinfo EAI_AGAIN registry.npmjs.org`,
/// `Could not resolve host: api.github.com`, `host='api.x.com'`, `lookup api.x.com on …`.
fn host_in(line: &str) -> Option<String> {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '"' | '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let after = |markers: &[&str]| {
        words.windows(2).find_map(|w| {
            markers
                .iter()
                .any(|m| w[0].eq_ignore_ascii_case(m))
                .then(|| w[1].to_owned())
        })
    };
    let named = after(&[
        "EAI_AGAIN",
        "ENOTFOUND",
        "ECONNREFUSED",
        "host:",
        "host=",
        "lookup",
    ])
    .or_else(|| {
        words
            .iter()
            .find_map(|w| w.strip_prefix("host=").map(str::to_owned))
    })?;
    let host = named.trim_end_matches([':', '.', ';']);
    let looks_like_host = host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    looks_like_host.then(|| host.to_owned())
}

/// What the pre-flight says about a server whose container failed with `blocked`.
pub fn advice(server: &str, network: Option<&Network>, blocked: &Blocked) -> String {
    let now = match network {
        Some(Network::AllowHosts(hosts)) => format!("may reach only {}", hosts.join(", ")),
        Some(Network::Open) => "has an open network".to_owned(),
        _ => "runs with network `none`".to_owned(),
    };
    let host = blocked.host.as_deref().unwrap_or("HOST");
    format!(
        "the network is blocked: in docker mode `{server}` {now}, and it failed reaching the \
         network (\"{line}\"). Allow the host it needs: `dockside switch production \
         --allow-host {server}={host}` (kept: `dockside server edit {server} --allow-host {host}`), \
         or keep it out of Docker with `--mode {server}=managed`",
        line = blocked.line,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn finds_the_failure_and_the_host_in_each_runtime() {
        for (stderr, host) in [
            ("npm error code EAI_AGAIN\nnpm error request to https://registry.npmjs.org/x failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org", Some("registry.npmjs.org")),
            ("Error: getaddrinfo ENOTFOUND api.example.com\n    at GetAddrInfoReqWrap.onlookup", Some("api.example.com")),
            ("urllib3.exceptions.NameResolutionError: Failed to resolve 'api.x.io' ([Errno -3] Temporary failure in name resolution)", None),
            ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.x.io', port=443): Max retries exceeded", Some("api.x.io")),
            ("curl: (6) Could not resolve host: api.github.com", Some("api.github.com")),
            ("dial tcp: lookup api.linear.app on 127.0.0.11:53: no such host", Some("api.linear.app")),
            ("Error: connect ECONNREFUSED 127.0.0.1:8080", Some("127.0.0.1:8080")),
            ("Error: connect ENETUNREACH 10.0.0.1:443 - Local (0.0.0.0:0)", None),
        ] {
            let b = blocked(&lines(&format!("starting\n{stderr}"))).unwrap_or_else(|| panic!("{stderr}"));
            assert_eq!(b.host.as_deref(), host, "{stderr}");
        }
        assert_eq!(blocked(&lines("TypeError: x is undefined\nexit 1")), None);
    }

    #[test]
    fn the_advice_names_the_network_and_the_fix() {
        let b = blocked(&lines("getaddrinfo EAI_AGAIN api.example.com")).unwrap();
        let text = advice("web", Some(&Network::None), &b);
        assert!(text.contains("network is blocked"), "{text}");
        assert!(text.contains("--allow-host web=api.example.com"), "{text}");
        assert!(text.contains("--mode web=managed"), "{text}");
        let only = Network::AllowHosts(vec!["a.com:443".into()]);
        assert!(advice("web", Some(&only), &b).contains("may reach only a.com:443"));
    }
}

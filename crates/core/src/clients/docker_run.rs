//! A client entry that runs a container itself — `docker run -i --rm -e TOKEN IMAGE ARGS…`, as
//! many servers' READMEs tell users to write — imported as an image server: the same image, its
//! arguments, environment, volumes and user, run by the gateway in `docker` mode.

use indexmap::IndexMap;

use crate::catalog::{EnvVar, Server, ServerType};

/// `docker run` options that take a value (the next word, or `--opt=value`).
const VALUED: &[&str] = &[
    "-e",
    "--env",
    "-v",
    "--volume",
    "-u",
    "--user",
    "--name",
    "--network",
    "--net",
    "-w",
    "--workdir",
    "--pull",
    "--platform",
    "--cpus",
    "-m",
    "--memory",
    "--pids-limit",
    "--entrypoint",
    "--env-file",
    "--mount",
    "-p",
    "--publish",
    "--add-host",
    "-l",
    "--label",
    "--tmpfs",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "-h",
    "--hostname",
    "--dns",
];

/// The image server a `docker run` / `podman run` command line describes; `env` is the entry's
/// own environment (where `-e NAME` without a value takes its value from).
pub fn image_server(
    program: &str,
    args: &[String],
    env: &IndexMap<String, String>,
) -> Option<Server> {
    let program = std::path::Path::new(program).file_name()?.to_str()?;
    let program = program.strip_suffix(".exe").unwrap_or(program);
    if !matches!(program, "docker" | "podman") {
        return None;
    }
    let rest = match args {
        [run, rest @ ..] if run == "run" => rest,
        [container, run, rest @ ..] if container == "container" && run == "run" => rest,
        _ => return None,
    };
    let mut server = Server {
        server_type: Some(ServerType::Server),
        ..Server::default()
    };
    let (mut vars, mut volumes) = (Vec::new(), Vec::new());
    let mut words = rest.iter();
    while let Some(word) = words.next() {
        if !word.starts_with('-') {
            server.image = Some(word.clone());
            server.command = Some(words.cloned().collect()).filter(|c: &Vec<String>| !c.is_empty());
            break;
        }
        let (option, inline) = match word.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o, Some(v.to_owned())),
            _ => (word.as_str(), None),
        };
        if !VALUED.contains(&option) {
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => words.next()?.clone(),
        };
        match option {
            "-e" | "--env" => {
                let (name, value) = match value.split_once('=') {
                    Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                    None => (value.clone(), env.get(&value).cloned()),
                };
                vars.push(EnvVar {
                    name,
                    value,
                    ..EnvVar::default()
                });
            }
            "-v" | "--volume" => volumes.push(value),
            "-u" | "--user" => server.user = Some(value),
            "--network" | "--net" if value == "none" => server.disable_network = Some(true),
            _ => {}
        }
    }
    server.image.as_ref()?;
    // Values set in the entry's `env` without `-e` never reach the container; those with are
    // carried above.
    server.env = (!vars.is_empty()).then_some(vars);
    server.volumes = (!volumes.is_empty()).then_some(volumes);
    Some(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_docker_run_entry_is_an_image_server() {
        let env: IndexMap<String, String> = [(
            "GITHUB_PERSONAL_ACCESS_TOKEN".to_owned(),
            "ghp_x".to_owned(),
        )]
        .into();
        let s = image_server(
            "/usr/bin/docker",
            &words("run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN -e MODE=ro --volume=/data:/data:ro -u 1000 --network none ghcr.io/github/github-mcp-server stdio --read-only"),
            &env,
        )
        .unwrap();
        assert_eq!(s.image.as_deref(), Some("ghcr.io/github/github-mcp-server"));
        assert_eq!(s.command, Some(words("stdio --read-only")));
        let vars: Vec<(&str, Option<&str>)> = (s.env.iter().flatten())
            .map(|v| (v.name.as_str(), v.value.as_deref()))
            .collect();
        assert_eq!(
            vars,
            [
                ("GITHUB_PERSONAL_ACCESS_TOKEN", Some("ghp_x")),
                ("MODE", Some("ro"))
            ]
        );
        assert_eq!(s.volumes, Some(vec!["/data:/data:ro".to_owned()]));
        assert_eq!(
            (s.user.as_deref(), s.disable_network),
            (Some("1000"), Some(true))
        );
        assert_eq!(s.kind(), Some(crate::catalog::ServerKind::Container));
        let p = image_server(
            "podman",
            &words("container run --rm -i mcp/time"),
            &IndexMap::new(),
        );
        assert_eq!(p.unwrap().command, None);
    }

    #[test]
    fn other_commands_are_not() {
        for (program, args) in [
            ("docker", "ps"),
            ("docker", "run -i"),
            ("npx", "run x"),
            ("docker", "mcp gateway run"),
        ] {
            assert!(
                image_server(program, &words(args), &IndexMap::new()).is_none(),
                "{program} {args}"
            );
        }
    }
}

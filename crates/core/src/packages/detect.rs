//! Recognising a package launcher in a host command: `npx -y @scope/pkg@1.2 ARGS…` is the npm
//! package `@scope/pkg`, version `1.2`, run with `ARGS…`.
//!
//! Known launchers: `npx`, `npm exec`/`npm x`, `bunx`, `pnpm dlx`/`pnpx`, `yarn dlx` (npm
//! registry); `uvx`, `uv tool run`, `pipx run` (PyPI); `deno run npm:…` (npm) and `deno run
//! jsr:…` (JSR). Options before the package are skipped; those that take a value are listed per
//! launcher so their value is never mistaken for the package.

use std::path::Path;

use super::Registry;

/// A package launcher's command, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub registry: Registry,
    /// The package's name (`@modelcontextprotocol/server-everything`, `mcp-server-time`).
    pub name: String,
    /// The version or range asked for (`1.2`, `^1`, `latest`), if any.
    pub requested: Option<String>,
    /// The command to run when the launcher names one besides the package (`npx -p PKG CMD`,
    /// `uvx --from PKG CMD`, `pipx run --spec PKG CMD`).
    pub command: Option<String>,
    /// The arguments after the package (or command).
    pub args: Vec<String>,
}

struct Launcher {
    registry: Registry,
    /// Words after the program that belong to the launcher (`exec` in `npm exec`).
    subcommand: &'static [&'static str],
    /// Options that take a value as the next word.
    valued: &'static [&'static str],
    /// Options whose value names the package; the first positional is then the command.
    package_option: &'static [&'static str],
}

const NPM_VALUED: &[&str] = &["-p", "--package", "-c", "--call", "--registry", "--cache"];
const NPM_PACKAGE: &[&str] = &["-p", "--package"];
const UV_VALUED: &[&str] = &[
    "--from",
    "--with",
    "--with-editable",
    "--with-requirements",
    "-p",
    "--python",
    "--index",
    "--index-url",
    "--default-index",
    "--extra-index-url",
    "-i",
    "--find-links",
    "-f",
    "--cache-dir",
    "--directory",
    "--project",
    "--config-file",
];

fn launcher(program: &str, rest: &[String]) -> Option<Launcher> {
    let npm = |subcommand| Launcher {
        registry: Registry::Npm,
        subcommand,
        valued: NPM_VALUED,
        package_option: NPM_PACKAGE,
    };
    let first = rest.first().map(String::as_str);
    Some(match (program, first) {
        ("npx" | "bunx" | "pnpx", _) => npm(&[]),
        ("npm", Some("exec")) => npm(&["exec"]),
        ("npm", Some("x")) => npm(&["x"]),
        ("pnpm" | "yarn", Some("dlx")) => npm(&["dlx"]),
        ("uvx", _) => Launcher {
            registry: Registry::Pypi,
            subcommand: &[],
            valued: UV_VALUED,
            package_option: &["--from"],
        },
        ("uv", Some("tool")) if rest.get(1).map(String::as_str) == Some("run") => Launcher {
            registry: Registry::Pypi,
            subcommand: &["tool", "run"],
            valued: UV_VALUED,
            package_option: &["--from"],
        },
        ("pipx", Some("run")) => Launcher {
            registry: Registry::Pypi,
            subcommand: &["run"],
            valued: &["--spec", "--python", "--index-url", "--pip-args"],
            package_option: &["--spec"],
        },
        _ => return None,
    })
}

/// The program's name without directory and Windows suffix (`/usr/bin/npx`, `npx.cmd` → `npx`).
fn program_name(program: &str) -> &str {
    let name = Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program);
    [".cmd", ".exe", ".ps1"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

/// The package a host command runs through a package launcher, if it does.
pub fn detect(command: &[String]) -> Option<Invocation> {
    let (program, rest) = command.split_first()?;
    let program = program_name(program);
    if program == "deno" {
        return deno(rest);
    }
    let launcher = launcher(program, rest)?;
    let mut words = rest[launcher.subcommand.len()..].iter();
    let mut package = None;
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        let (option, inline) = match word.split_once('=') {
            Some((o, v)) if o.starts_with('-') => (o, Some(v.to_owned())),
            _ => (word.as_str(), None),
        };
        if !option.starts_with('-') {
            // The first positional word.
            return Some(positional(
                &launcher,
                package,
                word,
                words.cloned().collect(),
            ));
        }
        if launcher.valued.contains(&option) {
            let value = match inline {
                Some(v) => v,
                None => words.next()?.clone(),
            };
            if launcher.package_option.contains(&option) && package.is_none() {
                package = Some(value);
            }
        }
    }
    let first = words.next()?;
    Some(positional(
        &launcher,
        package,
        first,
        words.cloned().collect(),
    ))
}

fn positional(
    launcher: &Launcher,
    package: Option<String>,
    word: &str,
    args: Vec<String>,
) -> Invocation {
    let (spec, command) = match package {
        Some(spec) => (spec, Some(word.to_owned())),
        None => (word.to_owned(), None),
    };
    let (name, requested) = split_spec(launcher.registry, &spec);
    Invocation {
        registry: launcher.registry,
        name,
        requested,
        command,
        args,
    }
}

/// `deno run [flags] npm:pkg@1/bin ARGS…` or `jsr:@scope/pkg@1 ARGS…`.
fn deno(rest: &[String]) -> Option<Invocation> {
    if rest.first().map(String::as_str) != Some("run") {
        return None;
    }
    let mut words = rest[1..].iter();
    let specifier = words.find(|w| !w.starts_with('-'))?;
    let (registry, spec) = if let Some(spec) = specifier.strip_prefix("npm:") {
        (Registry::Npm, spec)
    } else if let Some(spec) = specifier.strip_prefix("jsr:") {
        (Registry::Jsr, spec)
    } else {
        return None;
    };
    // `npm:pkg@1/sub/path`: a path inside the package after its name.
    let (package, command) = match spec.strip_prefix('@') {
        Some(scoped) => match scoped.splitn(3, '/').collect::<Vec<_>>()[..] {
            [scope, name, path] => (format!("@{scope}/{name}"), Some(path.to_owned())),
            _ => (spec.to_owned(), None),
        },
        None => match spec.split_once('/') {
            Some((name, path)) => (name.to_owned(), Some(path.to_owned())),
            None => (spec.to_owned(), None),
        },
    };
    let (name, requested) = split_spec(registry, &package);
    Some(Invocation {
        registry,
        name,
        requested,
        command,
        args: words.cloned().collect(),
    })
}

/// `@scope/name@1.2` → (`@scope/name`, `1.2`); `name==1.2`, `name@1.2`, `name[extra]>=1` for PyPI.
fn split_spec(registry: Registry, spec: &str) -> (String, Option<String>) {
    match registry {
        Registry::Npm | Registry::Jsr => {
            let at = spec
                .char_indices()
                .skip(1)
                .find(|&(_, c)| c == '@')
                .map(|(i, _)| i);
            match at {
                Some(i) => (spec[..i].to_owned(), Some(spec[i + 1..].to_owned())),
                None => (spec.to_owned(), None),
            }
        }
        Registry::Pypi => {
            let end = spec
                .find(|c: char| "[=<>!~@ ;".contains(c))
                .unwrap_or(spec.len());
            let name = spec[..end].to_owned();
            let rest = spec[end..].trim_start();
            let rest = rest
                .strip_prefix('[')
                .map(|r| r.split_once(']').map_or("", |(_, after)| after))
                .unwrap_or(rest)
                .trim();
            let requested = rest
                .strip_prefix("==")
                .or_else(|| rest.strip_prefix('@'))
                .map(str::trim)
                .map(str::to_owned)
                .or_else(|| (!rest.is_empty()).then(|| rest.to_owned()));
            (name, requested)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    fn found(
        line: &str,
    ) -> (
        Registry,
        String,
        Option<String>,
        Option<String>,
        Vec<String>,
    ) {
        let i = detect(&cmd(line)).unwrap_or_else(|| panic!("not a package: {line}"));
        (i.registry, i.name, i.requested, i.command, i.args)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn npm_launchers() {
        use Registry::Npm;
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            found("npx -y @modelcontextprotocol/server-everything"),
            (
                Npm,
                "@modelcontextprotocol/server-everything".into(),
                None,
                None,
                vec![]
            )
        );
        assert_eq!(
            found(
                "/usr/local/bin/npx --yes @modelcontextprotocol/server-filesystem@2025.8.21 /a /b"
            ),
            (
                Npm,
                "@modelcontextprotocol/server-filesystem".into(),
                s("2025.8.21"),
                None,
                args(&["/a", "/b"])
            )
        );
        assert_eq!(
            found("npx.cmd -p pkg@^1 tool --flag"),
            (Npm, "pkg".into(), s("^1"), s("tool"), args(&["--flag"]))
        );
        assert_eq!(
            found("npm exec --yes --package=mcp-remote@0.1.0 -- mcp-remote https://x"),
            (
                Npm,
                "mcp-remote".into(),
                s("0.1.0"),
                s("mcp-remote"),
                args(&["https://x"])
            )
        );
        assert_eq!(found("bunx context7-mcp").1, "context7-mcp");
        assert_eq!(
            found("pnpm dlx @upstash/context7-mcp@latest").2,
            s("latest")
        );
        assert_eq!(
            found("yarn dlx some-mcp --port 1").4,
            args(&["--port", "1"])
        );
        assert_eq!(
            found("deno run -A npm:@scope/pkg@1.2/bin/cli.js x"),
            (
                Npm,
                "@scope/pkg".into(),
                s("1.2"),
                s("bin/cli.js"),
                args(&["x"])
            )
        );
        assert_eq!(found("deno run jsr:@std/http@1").0, Registry::Jsr);
    }

    #[test]
    fn pypi_launchers() {
        use Registry::Pypi;
        assert_eq!(
            found("uvx mcp-server-time --local-timezone Europe/Paris"),
            (
                Pypi,
                "mcp-server-time".into(),
                None,
                None,
                vec!["--local-timezone".into(), "Europe/Paris".into()]
            )
        );
        assert_eq!(found("uvx mcp-server-fetch==2025.4.7").2, s("2025.4.7"));
        assert_eq!(found("uvx mcp-server-fetch@2025.4.7").2, s("2025.4.7"));
        assert_eq!(
            found("uvx --python 3.12 --from mcp-server-git>=1 mcp-server-git --repository /r"),
            (
                Pypi,
                "mcp-server-git".into(),
                s(">=1"),
                s("mcp-server-git"),
                vec!["--repository".into(), "/r".into()]
            )
        );
        assert_eq!(found("uv tool run mcp-proxy").1, "mcp-proxy");
        assert_eq!(
            found("pipx run --spec awslabs.core-mcp-server[all]==1.0 core-mcp"),
            (
                Pypi,
                "awslabs.core-mcp-server".into(),
                s("1.0"),
                s("core-mcp"),
                vec![]
            )
        );
    }

    #[test]
    fn other_commands_are_not_packages() {
        for line in [
            "node server.js",
            "npm run dev",
            "uv run server.py",
            "python -m x",
            "deno run main.ts",
            "npx",
            "pipx install x",
        ] {
            assert_eq!(detect(&cmd(line)), None, "{line}");
        }
    }
}

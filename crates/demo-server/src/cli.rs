//! Command-line parsing, by hand: three flags do not justify a parser dependency in a binary
//! that ships in a `FROM scratch` image.

use std::ffi::OsString;

pub const BIN_NAME: &str = "dockside-demo-server";

pub const HELP: &str = "\
dockside-demo-server: a small MCP server over stdio, for Dockside demos, tests and benchmarks

Usage: dockside-demo-server [--name NAME]

Speaks MCP (JSON-RPC, one message per line) on stdin/stdout; logs go to stderr only.

Tools:      echo, add, sleep, fail, crash, env, net_probe, read_file, write_file
Resources:  demo://info, template demo://echo/{text}
Prompts:    greet (argument: name), with completions for `name` and `{text}`

Options:
      --name NAME  server name reported in the initialize result [default: dockside-demo-server]
  -h, --help       print this help and exit
  -V, --version    print the version and exit
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    Help,
    Version,
}

/// Options for serving.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// Reported as `serverInfo.name` in the `initialize` result.
    pub name: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            name: BIN_NAME.to_owned(),
        }
    }
}

/// Parses the arguments after the program name. The error is a one-line message for stderr.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|arg| format!("argument {arg:?} is not valid UTF-8"))?;
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--name" => {
                let value = args
                    .next()
                    .ok_or("--name needs a value, e.g. `--name demo-a`")?
                    .into_string()
                    .map_err(|value| format!("--name value {value:?} is not valid UTF-8"))?;
                options.name = non_empty_name(value)?;
            }
            _ => match arg.strip_prefix("--name=") {
                Some(value) => options.name = non_empty_name(value.to_owned())?,
                None => return Err(format!("unexpected argument `{arg}`")),
            },
        }
    }
    Ok(Command::Run(options))
}

fn non_empty_name(name: String) -> Result<String, String> {
    if name.trim().is_empty() {
        Err("--name must not be empty".to_owned())
    } else {
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn no_arguments_serves_under_the_binary_name() {
        assert_eq!(parse_strs(&[]), Ok(Command::Run(Options::default())));
        assert_eq!(Options::default().name, "dockside-demo-server");
    }

    #[test]
    fn name_is_taken_in_both_spellings() {
        let expected = Ok(Command::Run(Options {
            name: "demo-a".into(),
        }));
        assert_eq!(parse_strs(&["--name", "demo-a"]), expected);
        assert_eq!(parse_strs(&["--name=demo-a"]), expected);
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(parse_strs(&["--name", "x", "--help"]), Ok(Command::Help));
        assert_eq!(parse_strs(&["-h"]), Ok(Command::Help));
        assert_eq!(parse_strs(&["--version"]), Ok(Command::Version));
        assert_eq!(parse_strs(&["-V"]), Ok(Command::Version));
    }

    #[test]
    fn bad_arguments_are_explained() {
        assert_eq!(
            parse_strs(&["--name"]),
            Err("--name needs a value, e.g. `--name demo-a`".into())
        );
        assert_eq!(
            parse_strs(&["--name="]),
            Err("--name must not be empty".into())
        );
        assert_eq!(
            parse_strs(&["--verbose"]),
            Err("unexpected argument `--verbose`".into())
        );
    }
}

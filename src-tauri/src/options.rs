//! Command-line options of the app binary.

/// How the app was launched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    /// Show the dashboard right away (otherwise the app starts in the tray only).
    pub show: bool,
    /// Start everything, wait for the UI to load, then exit 0 (or 1 after a timeout).
    pub smoke_test: bool,
}

pub const USAGE: &str = "\
Usage: dockside-app [--show] [--smoke-test]

Dockside tray app. Without options it starts in the system tray only.

Options:
  --show        open the dashboard window at start
  --smoke-test  start the tray, the window and the web UI, exit 0 once the UI has loaded
                (exit 1 if it does not within 20 s); ignores a running Dockside instance
  -h, --help    print this help";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(LaunchOptions),
    Help,
}

impl LaunchOptions {
    /// Parses the arguments after the program name.
    pub fn parse<I, S>(args: I) -> Result<Parsed, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut options = LaunchOptions::default();
        for arg in args {
            match arg.as_ref() {
                "--show" => options.show = true,
                "--smoke-test" => options.smoke_test = true,
                "-h" | "--help" => return Ok(Parsed::Help),
                // Added by older macOS versions when launched from Finder.
                other if other.starts_with("-psn_") => {}
                other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
            }
        }
        Ok(Parsed::Run(options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Parsed, String> {
        LaunchOptions::parse(args.iter().copied())
    }

    #[test]
    fn no_arguments_start_in_the_tray() {
        assert_eq!(parse(&[]), Ok(Parsed::Run(LaunchOptions::default())));
    }

    #[test]
    fn flags_are_recognized() {
        assert_eq!(
            parse(&["--show", "--smoke-test"]),
            Ok(Parsed::Run(LaunchOptions {
                show: true,
                smoke_test: true
            }))
        );
        assert_eq!(parse(&["--help"]), Ok(Parsed::Help));
        assert_eq!(
            parse(&["-psn_0_12345"]),
            Ok(Parsed::Run(LaunchOptions::default()))
        );
    }

    #[test]
    fn unknown_arguments_are_refused_with_usage() {
        let err = parse(&["--shwo"]).unwrap_err();
        assert!(err.starts_with("unknown argument `--shwo`"), "{err}");
        assert!(err.contains("Usage: dockside-app"), "{err}");
    }
}

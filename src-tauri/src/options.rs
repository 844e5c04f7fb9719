//! Command-line options of the app binary.

use dockside_desktop::updates::{CHECK, INSTALL};

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// Start Dockside: the tray (`dockside-tray`, which this process becomes), showing the
    /// dashboard too when `show`.
    Tray {
        show: bool,
    },
    /// The dashboard window, on `screen` when given; exits when it closes. `show_on_stdin`:
    /// each line read on stdin shows it on that screen (the tray opens it again this way).
    Dashboard {
        screen: Option<String>,
        show_on_stdin: bool,
    },
    /// Start the dashboard, wait for the UI to load, then exit 0 (or 1 after a timeout).
    SmokeTest,
    /// The updater, for the tray: install (`--update install`) or only check; prints one JSON
    /// report line.
    Update {
        install: bool,
    },
    Help,
}

/// The options the dashboard runs with (Tauri state).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    /// The screen to show first.
    pub screen: Option<String>,
    pub smoke_test: bool,
    /// Each line read on stdin shows the window on that screen (an empty line: as it is).
    pub show_on_stdin: bool,
}

pub const USAGE: &str = "\
Usage: dockside-app [--show]
       dockside-app --dashboard [--screen NAME] [--show-on-stdin]
       dockside-app --smoke-test | --update check|install

Dockside. Without options it starts in the system tray only (as `dockside-tray`); if Dockside
already runs, its dashboard opens.

Options:
  --show            also open the dashboard
  --dashboard       open only the dashboard window (the tray starts it; it exits when closed)
  --screen NAME     with --dashboard: the screen to show (servers, clients, production…)
  --show-on-stdin   with --dashboard: each line read on stdin shows the window on the screen it
                    names (an empty line: as it is); the tray opens the dashboard this way
  --smoke-test      start the dashboard and its web UI, exit 0 once the UI has loaded (exit 1
                    if it does not within 20 s); ignores a running Dockside instance
  --update ACTION   check: look for an update, download and verify it, install nothing;
                    install: install it. Prints one JSON line (used by the tray)
  -h, --help        print this help";

impl Launch {
    /// Parses the arguments after the program name.
    pub fn parse<I, S>(args: I) -> Result<Launch, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut args = args.into_iter();
        let (mut show, mut dashboard, mut smoke, mut show_on_stdin) = (false, false, false, false);
        let (mut screen, mut update) = (None, None);
        let unknown = |other: &str| format!("unknown argument `{other}`\n\n{USAGE}");
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| {
                args.next()
                    .map(|v| v.as_ref().to_owned())
                    .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))
            };
            match arg.as_ref() {
                "--show" => show = true,
                "--dashboard" => dashboard = true,
                "--screen" => screen = Some(value("--screen")?),
                "--show-on-stdin" => show_on_stdin = true,
                "--smoke-test" => smoke = true,
                "--update" => match value("--update")?.as_str() {
                    CHECK => update = Some(false),
                    INSTALL => update = Some(true),
                    other => return Err(format!("--update takes check or install, not `{other}`")),
                },
                "-h" | "--help" => return Ok(Launch::Help),
                // Added by older macOS versions when launched from Finder.
                other if other.starts_with("-psn_") => {}
                other => return Err(unknown(other)),
            }
        }
        for (given, flag) in [
            (screen.is_some(), "--screen"),
            (show_on_stdin, "--show-on-stdin"),
        ] {
            if given && !dashboard {
                return Err(format!("{flag} goes with --dashboard\n\n{USAGE}"));
            }
        }
        Ok(match (update, smoke, dashboard) {
            (Some(install), _, _) => Launch::Update { install },
            (None, true, _) => Launch::SmokeTest,
            (None, false, true) => Launch::Dashboard {
                screen,
                show_on_stdin,
            },
            (None, false, false) => Launch::Tray { show },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Launch, String> {
        Launch::parse(args.iter().copied())
    }

    #[test]
    fn no_arguments_start_the_tray() {
        assert_eq!(parse(&[]), Ok(Launch::Tray { show: false }));
        assert_eq!(parse(&["-psn_0_12345"]), Ok(Launch::Tray { show: false }));
        assert_eq!(parse(&["--show"]), Ok(Launch::Tray { show: true }));
    }

    #[test]
    fn flags_are_recognized() {
        assert_eq!(
            parse(&["--dashboard", "--screen", "production"]),
            Ok(Launch::Dashboard {
                screen: Some("production".into()),
                show_on_stdin: false,
            })
        );
        assert_eq!(
            parse(&["--show-on-stdin", "--dashboard"]),
            Ok(Launch::Dashboard {
                screen: None,
                show_on_stdin: true,
            })
        );
        assert_eq!(parse(&["--smoke-test"]), Ok(Launch::SmokeTest));
        assert_eq!(
            parse(&["--update", "install"]),
            Ok(Launch::Update { install: true })
        );
        assert_eq!(parse(&["--help"]), Ok(Launch::Help));
    }

    #[test]
    fn bad_arguments_are_refused_with_usage() {
        let err = parse(&["--shwo"]).unwrap_err();
        assert!(err.starts_with("unknown argument `--shwo`"), "{err}");
        assert!(err.contains("Usage: dockside-app"), "{err}");
        assert!(parse(&["--screen"])
            .unwrap_err()
            .starts_with("--screen needs a value"));
        assert!(parse(&["--screen", "x"])
            .unwrap_err()
            .starts_with("--screen goes with"));
        assert!(parse(&["--show-on-stdin"])
            .unwrap_err()
            .starts_with("--show-on-stdin goes with --dashboard"));
        assert_eq!(
            parse(&["--update", "now"]).unwrap_err(),
            "--update takes check or install, not `now`"
        );
    }
}

//! Host processes and remote servers behind the launcher seam: [`ProcessLauncher`] runs a host
//! command as a child process over stdio (the child dies with the gateway: own process group,
//! kill on drop, and `PR_SET_PDEATHSIG` on Linux), and a remote server through its HTTP relay
//! ([`crate::upstream::remote`]).

use std::time::Duration;

use futures::future::BoxFuture;

use super::launch::{Launched, Launcher, Process};
use super::remote;
use super::spec::UpstreamSpec;

/// Runs a host command as a child process speaking MCP over stdio, and a remote server
/// through its relay.
pub struct ProcessLauncher;

impl Launcher for ProcessLauncher {
    fn launch<'a>(
        &'a self,
        spec: &'a UpstreamSpec,
    ) -> BoxFuture<'a, Result<Launched, std::io::Error>> {
        let launched = match &spec.remote {
            Some(r) => remote::launch(&spec.name, r),
            None => ProcessLauncher::spawn(spec),
        };
        Box::pin(std::future::ready(launched))
    }
}

impl ProcessLauncher {
    fn spawn(spec: &UpstreamSpec) -> Result<Launched, std::io::Error> {
        let mut cmd = tokio::process::Command::new(&spec.command);
        cmd.args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(cwd) = &spec.cwd {
            cmd.current_dir(cwd);
        }
        #[cfg(unix)]
        {
            cmd.process_group(0);
        }
        #[cfg(target_os = "linux")]
        unsafe {
            // SAFETY: prctl and getppid are async-signal-safe; nothing else runs between fork
            // and exec.
            cmd.pre_exec(|| {
                if libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let pid = child.id();
        Ok(Launched {
            stdin: Box::pin(stdin),
            stdout: Box::pin(stdout),
            stderr: Some(Box::pin(stderr)),
            process: Box::new(ChildProcess {
                child,
                group: GroupGuard(pid),
            }),
        })
    }
}

/// Kills the child's whole process group when dropped (grandchildren included), unless the
/// group leader was already reaped.
struct GroupGuard(Option<u32>);

impl GroupGuard {
    fn signal(&self, sig: i32) {
        #[cfg(unix)]
        if let Some(pid) = self.0 {
            // SAFETY: plain syscall on a process group we created.
            unsafe {
                libc::killpg(pid as libc::pid_t, sig);
            }
        }
        #[cfg(not(unix))]
        let _ = sig;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        #[cfg(unix)]
        self.signal(libc::SIGKILL);
    }
}

struct ChildProcess {
    child: tokio::process::Child,
    group: GroupGuard,
}

fn describe(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(s) => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                if let Some(sig) = s.signal() {
                    return format!("killed by signal {sig}");
                }
            }
            match s.code() {
                Some(c) => format!("exited with code {c}"),
                None => "exited".into(),
            }
        }
        Err(e) => format!("wait failed: {e}"),
    }
}

impl Process for ChildProcess {
    fn pid(&self) -> Option<u32> {
        self.group.0
    }

    fn wait(&mut self) -> BoxFuture<'_, String> {
        Box::pin(async move {
            let s = self.child.wait().await;
            // Kill stragglers left in the group, then never signal that pid again.
            self.group.signal(9);
            self.group.0 = None;
            describe(s)
        })
    }

    fn stop(&mut self, grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.group.signal(9);
                self.group.0 = None;
                return;
            }
            #[cfg(unix)]
            self.group.signal(libc::SIGTERM);
            if tokio::time::timeout(grace, self.child.wait())
                .await
                .is_err()
            {
                self.group.signal(9);
                let _ = self.child.kill().await;
            }
            self.group.signal(9);
            self.group.0 = None;
        })
    }
}

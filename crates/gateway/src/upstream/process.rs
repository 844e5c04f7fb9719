//! Host processes and remote servers behind the launcher seam: [`ProcessLauncher`] runs a host
//! command as a child process over stdio (the child dies with the gateway: own process group,
//! kill on drop, `PR_SET_PDEATHSIG` on Linux, a kill-on-close Job Object on Windows), and a remote
//! server through its HTTP relay
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
        let group = GroupGuard::new(&child);
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        Ok(Launched {
            stdin: Box::pin(stdin),
            stdout: Box::pin(stdout),
            stderr: Some(Box::pin(stderr)),
            process: Box::new(ChildProcess { child, group }),
        })
    }
}

/// The child's whole process tree — its process group on Unix, its Job Object on Windows —
/// killed when dropped (grandchildren included), unless already finished.
struct GroupGuard {
    pid: Option<u32>,
    #[cfg(windows)]
    job: Option<super::job::Job>,
}

impl GroupGuard {
    fn new(child: &tokio::process::Child) -> GroupGuard {
        GroupGuard {
            pid: child.id(),
            #[cfg(windows)]
            job: child
                .raw_handle()
                .and_then(|h| match super::job::Job::for_process(h) {
                    Ok(job) => Some(job),
                    Err(e) => {
                        tracing::warn!("cannot put the server in a Job Object ({e}): its children may outlive it");
                        None
                    }
                }),
        }
    }

    /// Asks the group to stop (Unix `SIGTERM`; Windows has no polite signal for a console
    /// process tree, so [`Process::stop`] waits out the grace and kills).
    fn terminate(&self) {
        #[cfg(unix)]
        self.signal(libc::SIGTERM);
    }

    fn kill(&self) {
        #[cfg(unix)]
        self.signal(libc::SIGKILL);
        #[cfg(windows)]
        if let Some(job) = &self.job {
            job.terminate();
        }
    }

    #[cfg(unix)]
    fn signal(&self, sig: i32) {
        if let Some(pid) = self.pid {
            // SAFETY: plain syscall on a process group we created.
            unsafe {
                libc::killpg(pid as libc::pid_t, sig);
            }
        }
    }

    /// Kills stragglers left in the group, then never signals that pid again.
    fn finish(&mut self) {
        self.kill();
        self.pid = None;
        #[cfg(windows)]
        {
            self.job = None;
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
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
        self.group.pid
    }

    fn wait(&mut self) -> BoxFuture<'_, String> {
        Box::pin(async move {
            let s = self.child.wait().await;
            self.group.finish();
            describe(s)
        })
    }

    fn stop(&mut self, grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.group.finish();
                return;
            }
            self.group.terminate();
            if tokio::time::timeout(grace, self.child.wait())
                .await
                .is_err()
            {
                self.group.kill();
                let _ = self.child.kill().await;
            }
            self.group.finish();
        })
    }
}

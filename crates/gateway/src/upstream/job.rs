//! Windows: a server's process tree in a Job Object, the counterpart of the Unix process group
//! and `PR_SET_PDEATHSIG`. Each child gets its own job created with
//! `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`: its children join the job, [`Job::terminate`] kills the
//! whole tree, and when the gateway exits — however it exits — Windows closes the job's last
//! handle and kills every process in it. A grandchild started in the instant between the spawn
//! and the assignment escapes (std cannot start a child suspended); servers start their own
//! children later than that.

use std::os::windows::io::RawHandle;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
    SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};

/// A job holding one server's process tree; closing it kills the tree.
pub struct Job(HANDLE);

// SAFETY: a job handle may be used and closed from any thread.
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

impl Job {
    /// A new kill-on-close job with `process` (a child's handle) in it.
    pub fn for_process(process: RawHandle) -> std::io::Result<Job> {
        // SAFETY: Win32 calls on a job handle we own and a process handle the caller owns.
        unsafe {
            let handle = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if handle.is_null() {
                return Err(std::io::Error::last_os_error());
            }
            let job = Job(handle);
            let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
            limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
            let set = SetInformationJobObject(
                job.0,
                JobObjectExtendedLimitInformation,
                (&limits as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast(),
                std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            );
            if set == 0 || AssignProcessToJobObject(job.0, process as HANDLE) == 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(job)
        }
    }

    /// Kills every process in the job.
    pub fn terminate(&self) {
        // SAFETY: our own job handle.
        unsafe {
            TerminateJobObject(self.0, 1);
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: closing our own handle; kill-on-close ends the tree.
        unsafe {
            CloseHandle(self.0);
        }
    }
}

//! Runs nginx with the generated configuration and restarts it when it exits, backing off while
//! it keeps failing. nginx's master gets SIGTERM if sellstream dies (so no orphan keeps the RTMP
//! port), and a graceful stop asks it to finish.

use crate::nginx::{self, NginxSettings, INSTALL_HINT};
use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// nginx's binary: `$PATH` first, then where distributions put it.
pub fn find_nginx() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("nginx"));
    from_path
        .chain(["/usr/sbin/nginx", "/usr/local/nginx/sbin/nginx"].map(PathBuf::from))
        .find(|p| p.is_file())
}

/// Writes the configuration (readable by its owner only: it holds the callback secret) and the
/// folders nginx needs; returns the file's path.
pub fn write_config(s: &NginxSettings) -> std::io::Result<PathBuf> {
    s.prepare_dirs()?;
    let path = s.conf_path();
    std::fs::write(&path, nginx::config(s))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(path)
}

/// Checks that nginx and its RTMP module are here and that nginx accepts the configuration.
pub async fn check(s: &NginxSettings) -> Result<PathBuf, String> {
    let bin = find_nginx().ok_or_else(|| format!("nginx is not installed; {INSTALL_HINT}"))?;
    if s.module.is_none() && !builtin_rtmp(&bin).await {
        return Err(format!(
            "nginx has no RTMP module (looked in {}); {INSTALL_HINT}",
            nginx::MODULE_CANDIDATES.join(", ")
        ));
    }
    let conf = write_config(s).map_err(|e| format!("cannot write {}: {e}", s.dir.display()))?;
    let out = Command::new(&bin)
        .args(args(s, &conf))
        .arg("-t")
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "nginx refused the configuration {}: {}",
            conf.display(),
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .replace(&s.secret, "***")
        ));
    }
    Ok(bin)
}

async fn builtin_rtmp(bin: &PathBuf) -> bool {
    match Command::new(bin).arg("-V").output().await {
        Ok(o) => String::from_utf8_lossy(&o.stderr).contains("rtmp"),
        Err(_) => false,
    }
}

fn args(s: &NginxSettings, conf: &std::path::Path) -> Vec<String> {
    vec![
        "-p".into(),
        format!("{}/", s.dir.display()),
        "-e".into(),
        s.dir.join("logs/error.log").display().to_string(),
        "-c".into(),
        conf.display().to_string(),
    ]
}

fn spawn(bin: &PathBuf, s: &NginxSettings, conf: &std::path::Path) -> std::io::Result<Child> {
    let mut cmd = Command::new(bin);
    cmd.args(args(s, conf))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to signal the child when its
    // parent dies.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.spawn()
}

/// A leftover nginx from a sellstream that was killed before it could stop it holds the ports:
/// stop it (only if the pid file's process is nginx).
fn stop_leftover(s: &NginxSettings) {
    let pid_file = s.dir.join("nginx.pid");
    let Ok(text) = std::fs::read_to_string(&pid_file) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return;
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() == "nginx" {
        tracing::warn!(pid, "stopping an nginx left over from an earlier run");
        // SAFETY: plain kill(2) on a pid we just checked is nginx.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        for _ in 0..50 {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = std::fs::remove_file(pid_file);
}

/// Runs nginx until `shutdown` completes. `on_start` runs before each (re)start: publishes
/// recorded as open cannot have survived nginx's exit.
pub async fn run<F, Fut>(
    s: NginxSettings,
    bin: PathBuf,
    on_start: F,
    shutdown: impl Future<Output = ()>,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    tokio::pin!(shutdown);
    let mut backoff = Duration::from_secs(1);
    loop {
        stop_leftover(&s);
        on_start().await;
        let conf = match write_config(&s) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot write the media server's configuration");
                return;
            }
        };
        let mut child = match spawn(&bin, &s, &conf) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, nginx = %bin.display(), "cannot start nginx");
                return;
            }
        };
        tracing::info!(
            rtmp = %s.rtmp_listen,
            hls = %s.hls_dir().display(),
            pid = child.id(),
            "media server (nginx) started"
        );
        let started = Instant::now();
        tokio::select! {
            status = child.wait() => {
                let log = s.dir.join("logs/error.log");
                tracing::error!(?status, log = %log.display(), "media server (nginx) exited; restarting in {:?}", backoff);
            }
            _ = &mut shutdown => {
                stop(&mut child).await;
                return;
            }
        }
        // A run that lasted a while resets the back-off; quick crashes double it up to 30 s.
        if started.elapsed() > Duration::from_secs(60) {
            backoff = Duration::from_secs(1);
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = &mut shutdown => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// Asks nginx to stop (SIGTERM: fast shutdown, workers included) and waits a little.
async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_ok()
        {
            tracing::info!("media server (nginx) stopped");
            return;
        }
    }
    let _ = child.kill().await;
}

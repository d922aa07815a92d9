//! nginx's configuration for the media server: RTMP ingest on one port with the publish
//! callbacks to sellstream, HLS written to a folder and served over HTTP. A pure function of the
//! settings, so `sellstream media-config` and `sellstream media` write the same file.

use std::path::{Path, PathBuf};

/// Where Debian, Fedora and a source build put the RTMP module.
pub const MODULE_CANDIDATES: [&str; 3] = [
    "/usr/lib/nginx/modules/ngx_rtmp_module.so",
    "/usr/lib64/nginx/modules/ngx_rtmp_module.so",
    "/usr/local/nginx/modules/ngx_rtmp_module.so",
];

/// How to get nginx with the RTMP module, said whenever it is missing.
pub const INSTALL_HINT: &str =
    "install nginx with the RTMP module: `apt-get install nginx libnginx-mod-rtmp` (Debian/Ubuntu)";

#[derive(Debug, Clone)]
pub struct NginxSettings {
    /// The media folder: `nginx.conf`, `hls/`, `logs/`, `tmp/` live here.
    pub dir: PathBuf,
    /// RTMP listen address, e.g. `1935` or `0.0.0.0:1935`.
    pub rtmp_listen: String,
    /// HTTP listen address for the HLS files, e.g. `127.0.0.1:8935`.
    pub http_listen: String,
    /// sellstream's base URL as nginx reaches it, e.g. `http://127.0.0.1:8080`.
    pub callback_base: String,
    /// Shared secret nginx passes back on every callback.
    pub secret: String,
    /// The RTMP module to load, `None` when nginx has it built in or loads it itself.
    pub module: Option<PathBuf>,
    /// Seconds of video per HLS fragment and in the live playlist: shorter is lower latency and
    /// more requests.
    pub hls_fragment_secs: u32,
    pub hls_playlist_secs: u32,
}

impl NginxSettings {
    pub fn new(dir: PathBuf, callback_base: &str, secret: &str) -> Self {
        Self {
            dir,
            rtmp_listen: "1935".into(),
            http_listen: "127.0.0.1:8935".into(),
            callback_base: callback_base.trim_end_matches('/').into(),
            secret: secret.into(),
            module: find_module(),
            hls_fragment_secs: 1,
            hls_playlist_secs: 4,
        }
    }

    pub fn conf_path(&self) -> PathBuf {
        self.dir.join("nginx.conf")
    }

    pub fn hls_dir(&self) -> PathBuf {
        self.dir.join("hls")
    }

    pub fn recordings_dir(&self) -> PathBuf {
        self.dir.join("recordings")
    }

    /// Creates the folders nginx writes into.
    pub fn prepare_dirs(&self) -> std::io::Result<()> {
        for d in ["hls", "logs", "tmp", "recordings"] {
            std::fs::create_dir_all(self.dir.join(d))?;
        }
        Ok(())
    }
}

pub fn find_module() -> Option<PathBuf> {
    MODULE_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// The whole configuration file.
pub fn config(s: &NginxSettings) -> String {
    let dir = path(&s.dir);
    let hls = path(&s.hls_dir());
    let rec = path(&s.recordings_dir());
    let load = match &s.module {
        Some(m) => format!("load_module {};\n", path(m)),
        None => String::new(),
    };
    // nginx started by root would run its workers as `nobody`, who cannot write the HLS folder.
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root;\n"
    } else {
        ""
    };
    let hook = |path: &str| {
        format!(
            "{}/api/v1/media/hooks/{path}?secret={}",
            s.callback_base, s.secret
        )
    };
    format!(
        r#"# Written by sellstream (`sellstream media-config`); write it again rather than editing it.
{load}{user}daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;

events {{
    worker_connections 1024;
}}

rtmp {{
    server {{
        listen {rtmp};
        chunk_size 4096;
        # Its lines would carry the stream key (the encoder's stream name).
        access_log off;
        notify_method post;

        # Encoders publish here under their stream key. Every publish asks sellstream: a wrong
        # or revoked key is refused; a good one is relayed to `show` under the session's stream
        # name, so the key never appears in a playlist URL.
        application live {{
            live on;
            record off;
            deny play all;
            on_publish {on_publish};
            on_publish_done {on_publish_done};
            # Renames the incoming stream after the redirect, so nginx's own log line about the
            # relay names a hash, not the key.
            notify_relay_redirect on;
            drop_idle_publisher 10s;
        }}

        # What viewers watch (HLS) and relays pull: only this machine publishes or plays here.
        application show {{
            live on;
            # Every publish is recorded; sellstream keeps an MP4 of it when it is done.
            record all;
            record_path {rec};
            record_unique on;
            on_record_done {on_record_done};
            allow publish 127.0.0.1;
            deny publish all;
            allow play 127.0.0.1;
            deny play all;

            hls on;
            hls_path {hls};
            hls_fragment {frag}s;
            hls_playlist_length {playlist}s;
            hls_cleanup on;
        }}
    }}
}}

http {{
    access_log off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    types {{
        application/vnd.apple.mpegurl m3u8;
        video/mp2t ts;
    }}
    server {{
        listen {http};
        location /media/hls/ {{
            alias {hls}/;
            add_header Cache-Control no-cache;
            add_header Access-Control-Allow-Origin *;
        }}
        # sellstream drops an encoder whose key was revoked or whose session ended.
        location /control {{
            rtmp_control all;
            allow 127.0.0.1;
            deny all;
        }}
    }}
}}
"#,
        rtmp = s.rtmp_listen,
        http = s.http_listen,
        on_publish = hook("publish"),
        on_publish_done = hook("publish-done"),
        on_record_done = hook("record-done"),
        frag = s.hls_fragment_secs,
        playlist = s.hls_playlist_secs,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_asks_sellstream_about_every_publish_and_writes_hls_where_it_is_served() {
        let mut s = NginxSettings::new("/srv/media".into(), "http://10.0.0.5:8080/", "s3cret");
        s.module = Some("/usr/lib/nginx/modules/ngx_rtmp_module.so".into());
        s.rtmp_listen = "0.0.0.0:1935".into();
        let c = config(&s);
        assert!(c.starts_with("# Written by sellstream"));
        assert!(c.contains("load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;"));
        assert!(c.contains("listen 0.0.0.0:1935;"));
        assert!(
            c.contains("on_publish http://10.0.0.5:8080/api/v1/media/hooks/publish?secret=s3cret;")
        );
        assert!(c.contains(
            "on_publish_done http://10.0.0.5:8080/api/v1/media/hooks/publish-done?secret=s3cret;"
        ));
        assert!(c.contains("hls_path /srv/media/hls;"));
        assert!(c.contains("alias /srv/media/hls/;"));
        assert!(c.contains("hls_fragment 1s;"));
        assert!(c.contains("daemon off;"));
        // Braces balance: nginx would refuse the file otherwise.
        assert_eq!(c.matches('{').count(), c.matches('}').count());
    }
}

//! `sellstream media-config`, `sellstream media` and the media options of `serve`: nginx with the
//! RTMP module, configured and supervised by sellstream.

use anyhow::Context;
use clap::Args;
use sellstream_media::nginx::{NginxSettings, INSTALL_HINT};
use sellstream_media::{supervisor, MediaUrls};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the media server listens and how viewers and encoders reach it.
#[derive(Args, Clone, Debug)]
pub struct MediaArgs {
    /// The media folder (nginx.conf, HLS files, nginx's logs); default `<data-dir>/media`.
    #[arg(long, env = "SELLSTREAM_MEDIA_DIR")]
    pub media_dir: Option<PathBuf>,
    /// RTMP port encoders (OBS, phone apps) publish to.
    #[arg(long, env = "SELLSTREAM_RTMP_PORT", default_value_t = 1935)]
    pub rtmp_port: u16,
    /// Address nginx listens on for RTMP (all interfaces by default: encoders are elsewhere).
    #[arg(long, env = "SELLSTREAM_RTMP_HOST", default_value = "0.0.0.0")]
    pub rtmp_host: String,
    /// nginx's HTTP port for the HLS files and its control endpoint (loopback only).
    #[arg(long, env = "SELLSTREAM_HLS_PORT", default_value_t = 8935)]
    pub hls_port: u16,
    /// What the console shows as the OBS "Server"; default `rtmp://<this host>:<rtmp-port>/live`.
    #[arg(long, env = "SELLSTREAM_RTMP_PUBLIC_URL")]
    pub rtmp_public_url: Option<String>,
    /// Where viewers fetch HLS playlists; default `/media/hls` (served by sellstream itself).
    #[arg(long, env = "SELLSTREAM_HLS_BASE_URL")]
    pub hls_base_url: Option<String>,
    /// The secret nginx passes back on its callbacks; random per start of `serve --media` when
    /// not set. Set the same value on `serve` and `media` when media runs on its own host.
    #[arg(long, env = "SELLSTREAM_MEDIA_SECRET", hide_env_values = true)]
    pub media_secret: Option<String>,
}

impl MediaArgs {
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        self.media_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("media"))
    }

    /// What the room and the console tell people.
    pub fn urls(&self, bind: SocketAddr, demo: bool) -> MediaUrls {
        let host = if bind.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            bind.ip().to_string()
        };
        MediaUrls {
            rtmp: self
                .rtmp_public_url
                .clone()
                .unwrap_or_else(|| format!("rtmp://{host}:{}/live", self.rtmp_port)),
            hls_base: self
                .hls_base_url
                .clone()
                .unwrap_or_else(|| "/media/hls".into())
                .trim_end_matches('/')
                .to_owned(),
            demo_clip: demo.then(|| "/demo-clip/clip.m3u8".to_owned()),
        }
    }

    pub fn nginx(&self, dir: PathBuf, callback_base: &str, secret: &str) -> NginxSettings {
        let mut s = NginxSettings::new(dir, callback_base, secret);
        s.rtmp_listen = format!("{}:{}", self.rtmp_host, self.rtmp_port);
        s.http_listen = format!("127.0.0.1:{}", self.hls_port);
        s
    }

    pub fn control_url(&self) -> String {
        format!("http://127.0.0.1:{}/control", self.hls_port)
    }
}

pub fn random_secret() -> String {
    (0..32)
        .map(|_| char::from(b'a' + rand::random_range(0..26u8)))
        .collect()
}

/// sellstream's address as nginx on this machine reaches it.
pub fn callback_base(bind: SocketAddr) -> String {
    let host = if bind.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        bind.ip().to_string()
    };
    format!("http://{host}:{}", bind.port())
}

/// `sellstream media-config`: writes nginx's configuration for the current settings.
#[derive(Args)]
pub struct MediaConfigArgs {
    #[command(flatten)]
    pub media: MediaArgs,
    /// The data folder (the media folder defaults to `<data-dir>/media`).
    #[arg(long, env = "SELLSTREAM_DATA_DIR", default_value = "./sellstream-data")]
    pub data_dir: PathBuf,
    /// sellstream's URL as nginx reaches it.
    #[arg(
        long,
        env = "SELLSTREAM_SERVER_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server_url: String,
    /// Print the configuration instead of writing `<media-dir>/nginx.conf`.
    #[arg(long)]
    pub stdout: bool,
}

pub fn write_config(args: MediaConfigArgs) -> anyhow::Result<()> {
    let secret = args.media.media_secret.clone().context(
        "set --media-secret (or SELLSTREAM_MEDIA_SECRET) to the value sellstream serve uses",
    )?;
    let s = args
        .media
        .nginx(args.media.dir(&args.data_dir), &args.server_url, &secret);
    if s.module.is_none() {
        eprintln!("note: no RTMP module found where distributions put it; {INSTALL_HINT}");
    }
    if args.stdout {
        print!("{}", sellstream_media::nginx::config(&s));
    } else {
        let path = supervisor::write_config(&s)
            .with_context(|| format!("while writing into {}", s.dir.display()))?;
        println!("nginx configuration written to {}", path.display());
        println!(
            "run it with: nginx -p {}/ -e {}/logs/error.log -c {}",
            s.dir.display(),
            s.dir.display(),
            path.display()
        );
    }
    Ok(())
}

/// `sellstream media`: runs nginx on this host (sellstream itself may run elsewhere).
#[derive(Args)]
pub struct MediaRunArgs {
    #[command(flatten)]
    pub config: MediaConfigArgs,
}

pub async fn run(args: MediaRunArgs) -> anyhow::Result<()> {
    let a = args.config;
    let secret = a.media.media_secret.clone().context(
        "set --media-secret (or SELLSTREAM_MEDIA_SECRET) to the value sellstream serve uses",
    )?;
    let s = a
        .media
        .nginx(a.media.dir(&a.data_dir), &a.server_url, &secret);
    let bin = supervisor::check(&s).await.map_err(anyhow::Error::msg)?;
    println!(
        "media server: RTMP on {}, HLS at http://{}/media/hls/, callbacks to {}",
        s.rtmp_listen, s.http_listen, a.server_url
    );
    let server = a.server_url.trim_end_matches('/').to_owned();
    let http = reqwest::Client::new();
    let on_start = move || {
        let (http, url) = (
            http.clone(),
            format!("{server}/api/v1/media/hooks/restarted?secret={secret}"),
        );
        async move {
            // The URL carries the secret: the error is logged without it.
            if let Err(e) = http.post(&url).send().await.map_err(|e| e.without_url()) {
                tracing::warn!(error = %e, "could not tell sellstream the media server (re)started");
            }
        }
    };
    supervisor::run(s, bin, on_start, crate::shutdown_signal()).await;
    Ok(())
}

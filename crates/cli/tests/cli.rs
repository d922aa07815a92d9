//! The binary as a user runs it: subcommands, environment, demo data, graceful shutdown.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sellstream");

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("sellstream-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    /// What a server started in this directory wrote to stderr, for failure messages.
    fn server_log(&self) -> String {
        std::fs::read_to_string(self.0.join("serve.stderr.log")).unwrap_or_default()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str], data_dir: &TempDir) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("SELLSTREAM_DATA_DIR", &data_dir.0)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        vec![],
        vec!["serve"],
        vec!["migrate"],
        vec!["demo"],
        vec!["user"],
        vec!["user", "create"],
        vec!["user", "reset-password"],
    ] {
        let mut args = sub.clone();
        args.push("--help");
        let o = Command::new(BIN).args(&args).output().unwrap();
        assert!(o.status.success(), "{args:?}");
        let text = stdout(&o);
        assert!(text.contains("Usage"), "{args:?}: {text}");
    }
    let serve = stdout(
        &Command::new(BIN)
            .args(["serve", "--help"])
            .output()
            .unwrap(),
    );
    for opt in [
        "--bind",
        "--data-dir",
        "--database-url",
        "--demo",
        "SELLSTREAM_BIND",
        "SELLSTREAM_DATA_DIR",
        "DATABASE_URL",
        "SELLSTREAM_DEMO",
    ] {
        assert!(serve.contains(opt), "serve --help lacks {opt}");
    }
}

#[test]
fn migrate_is_safe_to_run_twice() {
    let dir = TempDir::new("migrate");
    let first = run(&["migrate"], &dir);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        dir.0.join("sellstream.db").exists(),
        "the SQLite file is made in the data folder"
    );
    let second = run(&["migrate"], &dir);
    assert!(second.status.success());
    assert!(stdout(&second).contains("up to date"));
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let dir = TempDir::new("badurl");
    let o = Command::new(BIN)
        .args(["migrate", "--database-url", "mysql://x/y"])
        .env("SELLSTREAM_DATA_DIR", &dir.0)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unsupported database URL"));
}

#[test]
fn users_are_created_listed_and_reset_from_the_command_line() {
    let dir = TempDir::new("user");
    let o = run(
        &[
            "user",
            "create",
            "--username",
            "boss",
            "--role",
            "admin,operator",
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("roles admin,operator"), "{out}");
    assert!(
        out.contains("password: "),
        "a generated password is printed once"
    );
    let dup = run(
        &[
            "user",
            "create",
            "--username",
            "boss",
            "--role",
            "host",
            "--password",
            "long-enough",
        ],
        &dir,
    );
    assert!(!dup.status.success());
    let bad_role = run(
        &["user", "create", "--username", "x1", "--role", "boss"],
        &dir,
    );
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("no role"));
    let list = stdout(&run(&["user", "list"], &dir));
    assert!(list.contains("boss"));
    let reset = run(
        &[
            "user",
            "reset-password",
            "--username",
            "boss",
            "--password",
            "new-password-1",
        ],
        &dir,
    );
    assert!(reset.status.success());
    let missing = run(&["user", "reset-password", "--username", "ghost"], &dir);
    assert!(!missing.status.success());
}

struct Server {
    child: Child,
    base: String,
    lines: Vec<String>,
}

/// Starts `serve` on a free port and reads stdout up to the printed address and sign-ins.
fn start(dir: &TempDir, extra: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(extra)
        .env_remove("DATABASE_URL")
        .env("SELLSTREAM_DATA_DIR", &dir.0)
        .env("SELLSTREAM_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.0.join("serve.stderr.log")).unwrap())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut base = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.trim().strip_prefix("sellstream is running at ") {
            base = rest.to_owned();
        }
        let done = line.contains("customer-demo")
            || (!extra.contains(&"--demo") && line.contains("API docs"));
        lines.push(line);
        if done {
            break;
        }
    }
    assert!(!base.is_empty(), "no address printed: {lines:?}");
    Server { child, base, lines }
}

fn terminate(mut s: Server) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn serve_demo_prints_sign_ins_that_work_and_stops_on_sigterm() {
    let dir = TempDir::new("serve");
    let server = start(&dir, &["--demo"]);
    let printed = server.lines.join("");
    assert!(printed.contains("operator    / operator-demo"), "{printed}");
    assert!(
        printed.contains("/live/1"),
        "the live demo room is printed: {printed}"
    );
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"login": "operator", "password": "operator-demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let live: serde_json::Value = client
        .get(format!("{}/api/v1/public/sessions", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["total"], 1, "one demo session is live: {live}");
    let status = terminate(server);
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");

    // A second start finds the data and does not seed again.
    let again = start(&dir, &["--demo"]);
    assert!(again.lines.join("").contains("already has data"));
    let upcoming: serde_json::Value = client
        .get(format!(
            "{}/api/v1/public/sessions?state=scheduled",
            again.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(upcoming["total"], 3, "{upcoming}");
    let status = terminate(again);
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[tokio::test]
async fn simulated_viewers_make_the_demo_room_move() {
    let dir = TempDir::new("simulate");
    let server = start(&dir, &["--demo", "--simulate"]);
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"login": "operator", "password": "operator-demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = serde_json::Value::Null;
    while Instant::now() < deadline {
        last = client
            .get(format!("{}/api/v1/sessions/1/room", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if last["online"].as_u64() > Some(2)
            && last["likes"].as_u64() > Some(0)
            && last["comments_per_minute"].as_u64() > Some(0)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(last["online"].as_u64() > Some(2), "viewers joined: {last}");
    assert!(last["likes"].as_u64() > Some(0), "they like: {last}");
    assert!(
        last["comments_per_minute"].as_u64() > Some(0),
        "they chat: {last}"
    );
    assert!(terminate(server).success());
}

/// A small analytics run (no DuckDB) completes, refuses none of its generated events, and ends with
/// the JSON line docs/performance.md describes.
#[test]
fn a_small_analytics_bench_completes_and_prints_its_json_line() {
    let o = Command::new(BIN)
        .args([
            "bench",
            "analytics",
            "--events",
            "20000",
            "--per-session",
            "5000",
            "--skip-duckdb",
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert!(v["events"].as_i64().unwrap() >= 20_000, "{v}");
    assert_eq!(v["sessions"], 4);
    for key in [
        "ingest_events_per_s",
        "report_ms",
        "trend_ms",
        "live_ms",
        "live_second_ms",
    ] {
        assert!(v[key].as_f64().unwrap() > 0.0, "{key}: {v}");
    }
    assert!(v.get("duckdb").is_some() && v.get("report_ratio_vs_duckdb").is_some());
}

/// A small RFM run: the history is generated, every customer is tiered, and the JSON line carries
/// the keys.
#[test]
fn a_small_rfm_bench_completes_and_prints_its_json_line() {
    let o = Command::new(BIN)
        .args([
            "bench",
            "rfm",
            "--customers",
            "2000",
            "--orders",
            "20000",
            "--runs",
            "1",
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(
        (&v["customers"], &v["orders"]),
        (&serde_json::json!(2000), &serde_json::json!(20000))
    );
    assert_eq!(
        v["tiered"], 2000,
        "every customer watched, so every one is tiered: {v}"
    );
    assert!(
        v["rfm_ms"].as_f64().unwrap() > 0.0 && v["baseline_ms"].as_f64().is_some(),
        "{v}"
    );
}

/// The bench is a benchmark, not a test: this only checks that a small run completes and ends with
/// its JSON line.
#[test]
fn a_small_room_bench_completes_and_prints_its_json_line() {
    let o = Command::new(BIN)
        .args([
            "bench",
            "room",
            "--viewers",
            "30",
            "--seconds",
            "2",
            "--chat-rate",
            "4",
            "--like-rate",
            "4",
            "--ingest",
            "6000",
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let last = out.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    // The events sent while the room ran were all taken and all counted on the dashboard.
    let ingest = &v["under_ingest"]["ingest"];
    assert_eq!(
        (ingest["accepted"].as_u64(), ingest["lost"].as_i64()),
        (Some(6000), Some(0)),
        "{last}"
    );
    assert_eq!(ingest["counted_as_sent"], true, "{last}");
    assert!(out.contains("room + ingestion"), "{out}");
    for key in [
        "viewers",
        "chat_rate",
        "like_rate",
        "seconds",
        "ours",
        "baseline",
        "cpu_ratio",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {last}");
    }
    for key in [
        "p50_ms",
        "p99_ms",
        "delivered_per_s",
        "frames_per_s",
        "dropped_viewers",
        "rss_kib_per_conn",
        "cpu_s_per_m_deliveries",
    ] {
        assert!(
            v["ours"].get(key).is_some() && v["baseline"].get(key).is_some(),
            "missing {key}: {last}"
        );
    }
    assert!(
        v["ours"]["delivered_per_s"].as_f64().unwrap() > 0.0,
        "messages reached the viewers: {last}"
    );
    assert_eq!(v["ours"]["dropped_viewers"], 0);
    assert!(
        out.contains("baseline (node ws)"),
        "the table names the baseline"
    );
}

/// The crash test: a flash sale killed with SIGKILL at five random moments loses no acknowledged
/// order and oversells nothing, on SQLite and (when it answers) PostgreSQL.
#[test]
fn a_flash_sale_killed_at_random_moments_loses_and_oversells_nothing() {
    let mut backends = vec![vec![]];
    let pg = std::env::var("SELLSTREAM_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    if std::env::var_os("SELLSTREAM_TEST_REQUIRE_PG").is_some()
        || std::net::TcpStream::connect("127.0.0.1:5432").is_ok()
    {
        backends.push(vec!["--postgres".to_owned(), pg]);
    }
    for extra in backends {
        let o = Command::new(BIN)
            .args(["bench", "crash", "--runs", "5"])
            .args(&extra)
            .env_remove("DATABASE_URL")
            .env("SELLSTREAM_LOG", "warn")
            .output()
            .unwrap();
        let out = stdout(&o);
        assert!(
            o.status.success(),
            "{extra:?}: {out}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        assert_eq!(v["runs"], 5, "{out}");
        assert_eq!(v["violations"], 0, "{out}");
        assert!(v["acknowledged"].as_u64().unwrap() > 0, "{out}");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Streams a test pattern to `url` (an encoder, as OBS would), quietly.
fn encoder(url: &str, seconds: u32) -> Child {
    Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"])
        .args(["-t", &seconds.to_string()])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
        ])
        .args(["-g", "25", "-pix_fmt", "yuv420p", "-f", "flv", url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits for an encoder to give up; `None` if it is still streaming after `secs`.
fn exits_within(child: &mut Child, secs: u64) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

fn media_tools_here() -> bool {
    let have = |bin: &str| {
        Command::new(bin)
            .arg(if bin == "nginx" { "-v" } else { "-version" })
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let module = std::path::Path::new("/usr/lib/nginx/modules/ngx_rtmp_module.so").exists();
    have("nginx") && have("ffmpeg") && module
}

/// `serve --demo --media` on free ports with the operator signed in, or `None` (the test skips)
/// when nginx with its RTMP module or ffmpeg is missing — a failure where
/// SELLSTREAM_TEST_REQUIRE_MEDIA is set (CI).
async fn media_demo(name: &str) -> Option<MediaDemo> {
    if !media_tools_here() {
        assert!(
            std::env::var_os("SELLSTREAM_TEST_REQUIRE_MEDIA").is_none(),
            "nginx with the RTMP module and ffmpeg are required here"
        );
        eprintln!("skipped: needs nginx, libnginx-mod-rtmp and ffmpeg");
        return None;
    }
    let dir = TempDir::new(name);
    let rtmp = free_port();
    let server = start(
        &dir,
        &[
            "--demo",
            "--media",
            "--rtmp-host",
            "127.0.0.1",
            "--rtmp-port",
            &rtmp.to_string(),
            "--hls-port",
            &free_port().to_string(),
        ],
    );
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"login": "operator", "password": "operator-demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Some(MediaDemo {
        base: server.base.clone(),
        token: login["token"].as_str().unwrap().to_owned(),
        server,
        dir,
        rtmp,
        http,
    })
}

struct MediaDemo {
    server: Server,
    dir: TempDir,
    base: String,
    rtmp: u16,
    http: reqwest::Client,
    token: String,
}

#[tokio::test]
async fn an_encoder_streams_through_nginx_into_the_room_and_bad_keys_are_refused() {
    let Some(MediaDemo {
        server,
        dir,
        base,
        rtmp,
        http,
        token,
    }) = media_demo("media").await
    else {
        return;
    };
    let get = |path: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let r = http.get(path).bearer_auth(token).send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    // A scheduled session: the first publish starts it.
    let (_, upcoming) = get(format!("{base}/api/v1/public/sessions?state=scheduled")).await;
    let session = upcoming["items"][0]["id"].as_i64().unwrap();
    let key_url = format!("{base}/api/v1/sessions/{session}/stream-key");
    let (s, none) = get(key_url.clone()).await;
    assert_eq!((s, none["exists"].clone()), (200, serde_json::json!(false)));
    let issued: serde_json::Value = http
        .post(&key_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = issued["key"].as_str().unwrap().to_owned();
    assert_eq!(
        issued["server_url"],
        format!("rtmp://127.0.0.1:{rtmp}/live")
    );
    let (_, status) = get(key_url.clone()).await;
    assert!(
        !status.to_string().contains(&key),
        "the key is shown once: {status}"
    );
    assert_eq!(status["hint"], issued["hint"]);

    let url = format!("rtmp://127.0.0.1:{rtmp}/live/{key}");
    let mut good = encoder(&url, 120);
    let mut publishing = serde_json::Value::Null;
    for _ in 0..100 {
        let (_, s) = get(key_url.clone()).await;
        if s["publishing"] == true {
            publishing = s;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(publishing["publishing"], true, "the encoder is let in");
    let (_, public) = get(format!("{base}/api/v1/public/sessions/{session}")).await;
    assert_eq!(
        public["state"], "live",
        "the first publish starts the session"
    );
    assert_eq!(public["video"]["state"], "live");
    let playlist_url = format!("{base}{}", public["video"]["hls_url"].as_str().unwrap());
    assert_eq!(
        playlist_url,
        format!("{base}/media/hls/session-{session}.m3u8")
    );
    let mut playlist = String::new();
    for _ in 0..100 {
        let r = http.get(&playlist_url).send().await.unwrap();
        if r.status() == 200 {
            playlist = r.text().await.unwrap();
            if playlist.contains(".ts") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(playlist.starts_with("#EXTM3U"), "{playlist}");
    let segment = playlist.lines().find(|l| l.ends_with(".ts")).unwrap();
    let r = http
        .get(format!("{base}/media/hls/{segment}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp2t");
    assert!(r.bytes().await.unwrap().len() > 1000);

    // A wrong key and a second encoder on the same key are refused; the first streams on.
    let mut wrong = encoder(
        &format!("rtmp://127.0.0.1:{rtmp}/live/ss_{}", "x".repeat(32)),
        30,
    );
    let mut twice = encoder(&url, 30);
    for (what, enc) in [
        ("a wrong key", &mut wrong),
        ("a second encoder", &mut twice),
    ] {
        let s = exits_within(enc, 20).unwrap_or_else(|| panic!("{what} was let in"));
        assert!(!s.success(), "{what} is refused");
    }
    assert!(
        good.try_wait().unwrap().is_none(),
        "the first encoder streams on"
    );

    // Rotating the key drops the encoder that used the old one; the old key is refused after.
    let rotated: serde_json::Value = http
        .post(&key_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(rotated["key"], issued["key"]);
    assert!(
        exits_within(&mut good, 20).is_some(),
        "the old key's encoder is dropped"
    );
    let (_, after) = get(key_url.clone()).await;
    assert_eq!(after["publishing"], false);
    assert!(after["last_publish_ended_at"].is_string());
    let (_, public) = get(format!("{base}/api/v1/public/sessions/{session}")).await;
    assert_eq!(public["video"]["state"], "offline");
    let mut old = encoder(&url, 30);
    assert!(!exits_within(&mut old, 20)
        .expect("the old key is refused")
        .success());

    // The stream was recorded: an MP4 that plays from any point (byte ranges).
    let mut replay = serde_json::Value::Null;
    for _ in 0..100 {
        (_, replay) = get(format!("{base}/api/v1/public/sessions/{session}/replay")).await;
        if replay["recordings"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rec = &replay["recordings"][0];
    assert!(rec["duration_ms"].as_i64().unwrap() > 1000, "{replay}");
    let expires = rec["expires_at"].as_str().unwrap();
    assert!(
        expires.starts_with("2029") || expires.starts_with("2030"),
        "kept three years: {rec}"
    );
    let file_url = format!("{base}{}", rec["url"].as_str().unwrap());
    let part = http
        .get(&file_url)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-type"], "video/mp4");
    assert_eq!(part.bytes().await.unwrap().len(), 100);
    let beyond = http
        .get(&file_url)
        .header("range", "bytes=999999999-")
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);

    // An ended session takes no stream and no new key.
    let ended = http
        .post(format!("{base}/api/v1/sessions/{session}/transition"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"to": "ended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    let new_key = http
        .post(&key_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(new_key.status(), 409);
    let new_url = format!(
        "rtmp://127.0.0.1:{rtmp}/live/{}",
        rotated["key"].as_str().unwrap()
    );
    let mut late = encoder(&new_url, 30);
    assert!(!exits_within(&mut late, 20)
        .expect("an ended session refuses")
        .success());

    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for outcome in ["accepted", "bad_key", "busy", "session_closed"] {
        assert!(
            metrics.contains(&format!(
                "sellstream_media_publishes_total{{kind=\"{outcome}\"}}"
            )),
            "{outcome} counted: {metrics}"
        );
    }
    // Keys never reach a log.
    for entry in std::fs::read_dir(dir.0.join("media/logs")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(&key) && !text.contains(&key[3..]), "{text}");
    }
    let conf = dir.0.join("media/nginx.conf").display().to_string();
    assert!(terminate(server).success());
    let left = Command::new("pgrep").args(["-f", &conf]).output().unwrap();
    assert!(left.stdout.is_empty(), "nginx stops with sellstream");
}

/// A platform's RTMP ingest, played by a second nginx.
struct Platform {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Platform {
    fn start() -> Platform {
        let dir = TempDir::new("platform");
        let port = free_port();
        let conf = dir.0.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\n{}daemon off;\npid {d}/nginx.pid;\n\
                 error_log {d}/error.log warn;\nevents {{}}\n\
                 rtmp {{ server {{ listen 127.0.0.1:{port}; application push {{ live on; }} }} }}\n",
                if unsafe_is_root() { "user root;\n" } else { "" },
                d = dir.0.display()
            ),
        )
        .unwrap();
        let child = Command::new("nginx")
            .args(["-p", &format!("{}/", dir.0.display())])
            .args(["-e", &format!("{}/error.log", dir.0.display())])
            .args(["-c", &conf.display().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        Platform {
            child,
            port,
            _dir: dir,
        }
    }

    /// Whether a stream is arriving under `key`.
    fn receives(&self, key: &str) -> bool {
        Command::new("timeout")
            .args(["8", "ffprobe", "-v", "error", "-show_streams"])
            .arg(format!("rtmp://127.0.0.1:{}/push/{key}", self.port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test]
async fn simulcast_pushes_to_a_platform_and_a_refusing_one_retries_without_harm() {
    let Some(MediaDemo {
        server,
        base,
        rtmp,
        http,
        token,
        dir,
    }) = media_demo("simulcast").await
    else {
        return;
    };
    let platform = Platform::start();
    let send = |method: reqwest::Method, path: String, body: serde_json::Value| {
        let (http, token, base) = (http.clone(), token.clone(), base.clone());
        async move {
            let r = http
                .request(method, format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    use reqwest::Method;
    let dead = free_port();
    for (code, platform_name, url, key) in [
        (
            "douyin-main",
            "douyin",
            format!("rtmp://127.0.0.1:{}/push", platform.port),
            "dy-secret-1",
        ),
        (
            "kuaishou-main",
            "kuaishou",
            format!("rtmp://127.0.0.1:{dead}/live"),
            "ks-secret-2",
        ),
    ] {
        let (s, c) = send(
            Method::POST,
            "/api/v1/channels".into(),
            serde_json::json!({"code": code, "platform": platform_name, "name": code}),
        )
        .await;
        assert_eq!(s, 201, "{c}");
        let (s, h) = send(
            Method::PUT,
            format!("/api/v1/channels/{code}/push"),
            serde_json::json!({"push_url": url, "stream_key": key}),
        )
        .await;
        assert_eq!(s, 200, "{h}");
        assert_eq!(h["push_hint"], format!("…{}", &key[key.len() - 4..]));
    }
    let (_, channels) = send(
        Method::GET,
        "/api/v1/channels".into(),
        serde_json::json!(null),
    )
    .await;
    assert!(!channels.to_string().contains("secret"), "{channels}");

    let session = 1;
    let (_, issued) = send(
        Method::POST,
        format!("/api/v1/sessions/{session}/stream-key"),
        serde_json::json!(null),
    )
    .await;
    let key = issued["key"].as_str().unwrap().to_owned();
    let mut host = encoder(&format!("rtmp://127.0.0.1:{rtmp}/live/{key}"), 120);
    for channel in ["douyin-main", "kuaishou-main"] {
        let (s, t) = send(
            Method::POST,
            format!("/api/v1/sessions/{session}/simulcast/{channel}/start"),
            serde_json::json!(null),
        )
        .await;
        assert_eq!(s, 200, "{t}\nserver log:\n{}", dir.server_log());
        assert_eq!(t["wanted"], true);
    }
    let state_of = |targets: &serde_json::Value, channel: &str| {
        targets["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["channel"] == channel)
            .cloned()
            .unwrap()
    };
    let mut targets = serde_json::Value::Null;
    for _ in 0..150 {
        (_, targets) = send(
            Method::GET,
            format!("/api/v1/sessions/{session}/simulcast"),
            serde_json::json!(null),
        )
        .await;
        let ks = state_of(&targets, "kuaishou-main");
        if state_of(&targets, "douyin-main")["state"] == "pushing"
            && ks["state"] != "waiting"
            && ks["attempts"].as_i64().unwrap_or(0) >= 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        state_of(&targets, "douyin-main")["state"],
        "pushing",
        "{targets}"
    );
    let ks = state_of(&targets, "kuaishou-main");
    assert!(
        ["retrying", "failed"].contains(&ks["state"].as_str().unwrap()),
        "{ks}"
    );
    assert!(!targets.to_string().contains("ks-secret-2"), "{targets}");
    assert!(
        platform.receives("dy-secret-1"),
        "the platform gets the stream"
    );
    assert!(host.try_wait().unwrap().is_none(), "the host streams on");
    let (_, public) = send(
        Method::GET,
        format!("/api/v1/public/sessions/{session}"),
        serde_json::json!(null),
    )
    .await;
    assert_eq!(public["video"]["state"], "live", "the room is untouched");

    // Stopped during the show: the platform's stream ends, the other target is unaffected.
    let (_, t) = send(
        Method::POST,
        format!("/api/v1/sessions/{session}/simulcast/douyin-main/stop"),
        serde_json::json!(null),
    )
    .await;
    assert_eq!(t["state"], "stopped");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!platform.receives("dy-secret-1"), "stopped means stopped");
    let (_, targets) = send(
        Method::GET,
        format!("/api/v1/sessions/{session}/simulcast"),
        serde_json::json!(null),
    )
    .await;
    assert_eq!(state_of(&targets, "kuaishou-main")["wanted"], true);
    let _ = host.kill();
    assert!(terminate(server).success());
}

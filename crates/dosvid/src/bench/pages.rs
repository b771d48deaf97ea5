//! `dosvid bench pages`: how long each web page takes and how much it weighs, on the demo
//! company at a given scale (scale 9 ≈ 1,070,000 feedback records), against the targets of
//! 150 ms and 300 KB. The server runs as its own process; pages are fetched over loopback by a
//! signed-in client, so the time is the server's plus a loopback round trip.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use dosvid_store::Filter;

use super::{Server, median, scratch_dir};

pub struct Options {
    pub scale: u32,
    /// The demo database; built when absent.
    pub db: Option<PathBuf>,
    pub repeat: usize,
}

const TARGET_MS: f64 = 150.0;
const TARGET_KB: f64 = 300.0;
const USER: &str = "bench@kvant.example";

pub fn run(options: Options) -> anyhow::Result<()> {
    let scratch = scratch_dir()?;
    let path = options
        .db
        .clone()
        .unwrap_or_else(|| scratch.join(format!("demo-{}.db", options.scale)));
    let db = format!("sqlite://{}", path.display());
    if !path.exists() {
        crate::demo::run(
            &db,
            options.scale,
            "127.0.0.1:0".parse()?,
            true,
            Default::default(),
        )
        .context("building the demo company")?;
    }
    let (password, queue) = {
        let store = crate::db::open(&db)?;
        let org = store.default_org()?;
        let password = dosvid_store::generate_password()?;
        match store.list_users(org)?.into_iter().find(|u| u.email == USER) {
            Some(user) => store.set_password(org, user.id, &password)?,
            None => {
                let user = dosvid_domain::user::NewUser {
                    email: USER.into(),
                    name: "Bench".into(),
                    role: dosvid_domain::user::Role::Admin,
                    language: "en".into(),
                    agent: None,
                    unit_id: None,
                };
                store.create_user(org, user, &password, chrono::Utc::now())?;
            }
        }
        let queue =
            dosvid_store::all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?
                .into_iter()
                .find(|t| t.key == "contact-centre")
                .map(|t| t.id)
                .context("the demo has a contact-centre touchpoint")?;
        (password, queue)
    };
    let server = Server::start(&db, &scratch.join("server.log"))?;
    println!("{}", server.build_line);
    let base = server.address.clone();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    // The sign-in form first: its token and the cookie that carries it.
    let mut form = agent.get(&format!("{base}/login")).call()?;
    let login_cookie = form
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .context("the sign-in form set no cookie")?;
    let html = form.body_mut().read_to_string()?;
    let token = html
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the sign-in form has no token")?
        .to_owned();
    let signed_in = agent
        .post(&format!("{base}/login"))
        .header("cookie", &login_cookie)
        .send_form([
            ("csrf", token.as_str()),
            ("email", USER),
            ("password", password.as_str()),
        ])?;
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .context("signing in gave no session cookie")?;
    let pages = [
        "/".to_owned(),
        "/?channel=app&segment=premium".to_owned(),
        "/journey".to_owned(),
        format!("/touchpoints/{queue}"),
        "/feedback".to_owned(),
        "/feedback?touchpoint=contact-centre.queue&sentiment=negative".to_owned(),
        "/feedback?q=%D1%87%D0%B5%D1%80%D0%B3%D0%B0".to_owned(),
        "/customers/1".to_owned(),
        "/surveys".to_owned(),
        "/s/1/after-call".to_owned(),
    ];
    let mut worst: f64 = 0.0;
    for page in &pages {
        let mut times = Vec::with_capacity(options.repeat);
        let mut bytes = 0usize;
        // One unmeasured visit: the first question after start derives columns once.
        for run in 0..=options.repeat {
            let started = Instant::now();
            let mut response = agent
                .get(&format!("{base}{page}"))
                .header("cookie", &cookie)
                .call()?;
            let body = response.body_mut().read_to_vec()?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if response.status() != 200 {
                bail!("{page} answered {}", response.status());
            }
            bytes = body.len();
            if run > 0 {
                times.push(ms);
            }
        }
        let max = times.iter().copied().fold(0.0, f64::max);
        let med = median(times);
        worst = worst.max(max);
        let kb = bytes as f64 / 1024.0;
        println!(
            "page {page:<64} median_ms={med:7.2} max_ms={max:7.2} ratio_to_target={:.3} kb={kb:6.1} ok={}",
            med / TARGET_MS,
            if max <= TARGET_MS && kb <= TARGET_KB {
                "yes"
            } else {
                "NO"
            }
        );
    }
    if let Some((rss, peak)) = server.memory_mb() {
        println!("server_rss_mb={rss} peak_rss_mb={peak} slowest_ms={worst:.2}");
    }
    Ok(())
}

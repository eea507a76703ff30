//! Logging the bench's users in, through the login form as a browser does, and the form
//! helpers that needs (cookies, the hidden CSRF field, urlencoded bodies).

use super::*;

/// Checks that a request is answered 2xx before it is used for load.
pub(super) async fn check_ok(request: reqwest::RequestBuilder, what: &str) -> Result<()> {
    let response = request
        .send()
        .await
        .with_context(|| format!("requesting {what}"))?;
    let status = response.status();
    if !status.is_success() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| format!(" (to {l})"))
            .unwrap_or_default();
        bail!("{what} answered {status}{location}");
    }
    Ok(())
}

pub(crate) async fn api_login(
    client: &reqwest::Client,
    base: &str,
    login: &str,
    second_factor: Option<&str>,
) -> Result<String> {
    let mut body = serde_json::json!({ "login": login, "password": PASSWORD });
    if let (Some(code), Some(fields)) = (second_factor, body.as_object_mut()) {
        fields.insert("totp".into(), code.into());
    }
    let response = client
        .post(format!("{base}/api/v1/login"))
        .json(&body)
        .send()
        .await
        .with_context(|| format!("POST /api/v1/login as {login}"))?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        bail!("POST /api/v1/login as {login} answered {status}: {text}");
    }
    let body: serde_json::Value = response
        .json()
        .await
        .context("the login answer is not JSON")?;
    body.get("token")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .context("the login answer has no token")
}

/// The value of cookie `name` set by a response.
pub(super) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

pub(super) fn form_encode(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the hidden `csrf` field: the one equal to `expected` if given, else the
/// first that is not empty.
pub(super) fn hidden_csrf(html: &str, expected: Option<&str>) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    html.match_indices(marker)
        .filter_map(|(at, _)| html[at + marker.len()..].split_once('"').map(|(v, _)| v))
        .find(|v| !v.is_empty() && expected.is_none_or(|e| e == *v))
        .map(str::to_owned)
}

pub(super) async fn post_form(
    client: &reqwest::Client,
    url: String,
    cookie: String,
    fields: &[(&str, &str)],
) -> Result<reqwest::Response> {
    client
        .post(&url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(reqwest::header::COOKIE, cookie)
        .body(form_encode(fields))
        .send()
        .await
        .with_context(|| format!("POST {url}"))
}

/// Logs in through the login form, as a browser does, with the second step when the account
/// has two-factor authentication; returns the session cookie's value.
pub(crate) async fn page_login(
    client: &reqwest::Client,
    base: &str,
    login: &str,
    second_factor: Option<&str>,
) -> Result<String> {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .context("GET /login")?;
    if !page.status().is_success() {
        bail!("GET /login answered {}", page.status());
    }
    let csrf_cookie =
        set_cookie(&page, "mamori_login_csrf").context("GET /login set no mamori_login_csrf")?;
    let html = page.text().await.context("reading the login page")?;
    let csrf = hidden_csrf(&html, Some(&csrf_cookie))
        .context("the login page has no csrf field matching its cookie")?;
    let response = post_form(
        client,
        format!("{base}/login"),
        format!("mamori_login_csrf={csrf_cookie}"),
        &[
            ("login", login),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/"),
        ],
    )
    .await?;
    let status = response.status();
    if let Some(session) = set_cookie(&response, "mamori_session") {
        return Ok(session);
    }
    let pending = set_cookie(&response, "mamori_pending").with_context(|| {
        format!("POST /login as {login} answered {status} without a session cookie")
    })?;
    let code = second_factor
        .with_context(|| format!("{login} needs a second factor and the bench has none"))?;
    let cookie = format!("mamori_pending={pending}");
    let step = client
        .get(format!("{base}/login/two-factor?next=/"))
        .header(reqwest::header::COOKIE, cookie.as_str())
        .send()
        .await
        .context("GET /login/two-factor")?;
    if !step.status().is_success() {
        bail!("GET /login/two-factor answered {}", step.status());
    }
    let html = step.text().await.context("reading the two-factor page")?;
    let csrf = hidden_csrf(&html, None).context("the two-factor page has no csrf field")?;
    let response = post_form(
        client,
        format!("{base}/login/two-factor"),
        cookie,
        &[("csrf", &csrf), ("code", code), ("next", "/")],
    )
    .await?;
    let status = response.status();
    set_cookie(&response, "mamori_session").with_context(|| {
        format!("POST /login/two-factor as {login} answered {status} without a session cookie")
    })
}

pub(super) struct Writer {
    pub(super) institution_id: i64,
    pub(super) user_id: i64,
    pub(super) bearer: String,
}

/// Logs in up to [`WRITERS`] institution admins whose form has the write item, spread over
/// the kinds of institution; two at a time, as each login verifies an argon2 hash.
pub(super) async fn log_in_writers(
    client: &reqwest::Client,
    base: &str,
    seeded: &Seeded,
) -> Result<Vec<Writer>> {
    let candidates: Vec<&SeededInstitution> =
        seeded.institutions.iter().filter(|i| i.writable).collect();
    if candidates.is_empty() {
        bail!("no seeded institution can answer item {WRITE_ITEM}");
    }
    let count = candidates.len().min(WRITERS);
    let step = candidates.len() / count;
    let chosen: Vec<&SeededInstitution> = candidates
        .iter()
        .step_by(step.max(1))
        .take(count)
        .copied()
        .collect();
    let mut writers = Vec::with_capacity(chosen.len());
    for pair in chosen.chunks(2) {
        let mut logins = JoinSet::new();
        for (slot, inst) in pair.iter().enumerate() {
            let client = client.clone();
            let base = base.to_owned();
            let login = inst.admin_login.clone();
            logins.spawn(async move { (slot, api_login(&client, &base, &login, None).await) });
        }
        let mut tokens: Vec<(usize, Result<String>)> = Vec::with_capacity(pair.len());
        while let Some(joined) = logins.join_next().await {
            tokens.push(joined.context("a login task failed")?);
        }
        tokens.sort_by_key(|(slot, _)| *slot);
        for (inst, (_, token)) in pair.iter().zip(tokens) {
            writers.push(Writer {
                institution_id: inst.id,
                user_id: inst.admin_id,
                bearer: format!("Bearer {}", token?),
            });
        }
    }
    let kinds: BTreeMap<&str, usize> = seeded
        .institutions
        .iter()
        .filter(|i| writers.iter().any(|w| w.institution_id == i.id))
        .fold(BTreeMap::new(), |mut m, i| {
            *m.entry(i.kind.as_str()).or_insert(0) += 1;
            m
        });
    println!("answer writers by kind: {kinds:?}");
    Ok(writers)
}

//! Every state-changing page route refuses a form that does not carry the CSRF token of the
//! session sending it. The authorization matrix sends valid tokens, so a handler that forgot
//! its check would pass there; here each route is sent, by a user who may otherwise do it,
//! without a token, with an empty one and with the valid token of another live session (of
//! another user, and of the same user): each must answer 403 and change nothing. The same
//! request with the right token is then accepted (not 401, 403, 404 or a 5xx), which shows
//! that the 403 came from the token alone. A page route missing from [`csrf_case`] fails.

use std::collections::BTreeMap;

use super::*;

on_both_engines!(every_page_form_needs_its_own_csrf_token,);

const PASSWORD: &str = "a quiet harbour at dawn";
const PASSWORD_FORM: &str = "a+quiet+harbour+at+dawn";
/// Changes its password (the other accounts keep theirs).
const PASSWORD_USER: &str = "csrf-password";
/// Has two sessions and ends one.
const SESSIONS_USER: &str = "csrf-sessions";
/// Has an enrolment in progress.
const ENROL_USER: &str = "csrf-enrol";
/// Has two-factor authentication (optional for a clinic's staff) and turns it off.
const TOTP_USER: &str = "csrf-totp";
/// Logs out.
const LOGOUT_USER: &str = "csrf-logout";

/// How a route's form is protected against a request forged by another site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// The token of the session sending it (`WebUser::check_csrf`), sent as this user.
    Session(&'static str),
    /// The login form: the token in the field must be the one in its cookie.
    LoginCookie,
    /// The second factor: the token of the pending login.
    PendingLogin,
    /// No session at all: the invitation's secret token in the path is the proof, and
    /// accepting signs nobody in, so a forged request can do nothing in a victim's name.
    NoSession,
}

enum FormBody {
    Urlencoded(String),
    /// Fields and files (`name`, `file name`, bytes).
    Multipart(
        Vec<(&'static str, String)>,
        Vec<(&'static str, &'static str, Vec<u8>)>,
    ),
}

/// Real ids of the demo data (and of what the test adds) for the paths' parameters.
struct Ids {
    year: i32,
    application: i64,
    device: i64,
    session: i64,
    registration: i64,
    course: i64,
    lecturer: i64,
    case: i64,
    notification: i64,
    mail: i64,
    evidence: i64,
    invitation: String,
    victim: i64,
    revoke: String,
    enrol_secret: String,
    totp_secret: String,
}

impl Ids {
    fn fill(&self, path: &str) -> String {
        path.replace("{id}", &HOSPITAL.to_string())
            .replace("{fy}", &self.year.to_string())
            .replace("{key}", "1-1")
            .replace("{user_id}", &self.victim.to_string())
            .replace("{action}", "disable")
            .replace("{pref}", "13")
            .replace("{case_id}", &self.case.to_string())
            .replace("{device_id}", &self.device.to_string())
            .replace("{course_id}", &self.course.to_string())
            .replace("{session_id}", &self.session.to_string())
            .replace("{lecturer_id}", &self.lecturer.to_string())
            .replace("{registration_id}", &self.registration.to_string())
            .replace("{contract_id}", &VENDOR_CONTRACT.to_string())
            .replace("{token}", &self.invitation)
            .replace("{report_id}", "1")
            .replace("{notification_id}", &self.notification.to_string())
            .replace("{mail_id}", &self.mail.to_string())
            .replace("{evidence_id}", &self.evidence.to_string())
    }
}

/// Who sends each state-changing page route, and what (without the token). `None` for a
/// route nobody has thought about yet: the test fails until it is added here.
fn csrf_case(path: &str, ids: &Ids) -> Option<(Guard, FormBody)> {
    use Guard::*;
    let form = |s: &str| FormBody::Urlencoded(s.to_owned());
    let year = ids.year;
    let csv = b"asset_number,kind\nCSRF-9,pc\n".to_vec();
    Some(match path {
        "/login" => (LoginCookie, form("")),
        "/login/two-factor" => (PendingLogin, form("")),
        "/invitations/{token}" => (
            NoSession,
            form(&format!("login=csrf-vendor&password={PASSWORD_FORM}")),
        ),
        "/logout" => (Session(LOGOUT_USER), form("")),
        "/account/password" => (
            Session(PASSWORD_USER),
            form(&format!(
                "current={PASSWORD_FORM}&new=another+quiet+harbour+at+noon&confirm=another+quiet+harbour+at+noon"
            )),
        ),
        "/account/sessions/revoke" => (Session(SESSIONS_USER), form(&format!("id={}", ids.revoke))),
        "/account/two-factor" => (
            Session(ENROL_USER),
            form(&format!("code={}", code_now(&ids.enrol_secret, ENROL_USER))),
        ),
        "/account/two-factor/disable" => (
            Session(TOTP_USER),
            form(&format!("code={}", code_now(&ids.totp_secret, TOTP_USER))),
        ),
        "/institutions/{id}/users/{user_id}/{action}"
        | "/institutions/{id}/unused-users/disable"
        | "/institutions/{id}/contact-chart/edit"
        | "/institutions/{id}/continuity/edit"
        | "/institutions/{id}/ledger/{device_id}/retire"
        | "/training/registrations/{registration_id}/cancel" => {
            (Session("demo-hospital"), form(""))
        }
        "/institutions/{id}/two-factor" => (Session("demo-hospital"), form("required=on")),
        "/admin/users/{user_id}/{action}" | "/admin/unused-users/disable" => {
            (Session("demo-national"), form(""))
        }
        "/assurance/new" => (
            Session("demo-national"),
            form(&format!(
                "fiscal_year={}&deadline={}-05-01",
                year + 5,
                year + 5
            )),
        ),
        "/institutions" => (
            Session("demo-national"),
            form("name=CSRF&kind=pharmacy&prefecture=13&has_medical_information_system=on"),
        ),
        "/assurance/{fy}/institutions/{id}" => (
            Session("demo-hospital"),
            form(
                "emr=yes&beds=250&participation=yes&gmis_reuse_consent=yes&renewal_planned=no&onsite_survey_by_january=yes&contact_name=CSRF&contact_phone=03-1234-5678&contact_email=csrf%40example.jp",
            ),
        ),
        "/assurance/{fy}/prefectures/{pref}/ranking" => (
            Session("demo-prefecture-13"),
            form(&format!("rank_{}=1", ids.application)),
        ),
        "/assurance/{fy}/prefectures/{pref}/ranking/upload" => (
            Session("demo-prefecture-13"),
            FormBody::Multipart(Vec::new(), vec![("file", "ranking.csv", csv)]),
        ),
        "/assurance/{fy}/prefectures/{pref}/withdraw" => (
            Session("demo-prefecture-13"),
            form(&format!(
                "application_id={}&reason=CSRF&date={year}-09-01",
                ids.application
            )),
        ),
        "/assurance/{fy}/prefectures/{pref}/submit" => (Session("demo-prefecture-13"), form("")),
        "/assurance/{fy}/prefectures/{pref}/reminders" => {
            (Session("demo-prefecture-13"), form("confirm=yes"))
        }
        "/incidents" => (
            Session("demo-hospital-staff"),
            form("symptoms=cannot_log_in&systems=emr&care_affected=unknown"),
        ),
        "/incidents/{case_id}/notes" => (Session("demo-hospital-staff"), form("text=CSRF")),
        "/notifications/read-all"
        | "/notifications/{notification_id}/read"
        | "/notifications/calendar-token" => (Session("demo-hospital"), form("")),
        "/notifications/settings" => (
            Session("demo-hospital"),
            form("email=csrf%40hospital.example.jp&language=ja"),
        ),
        "/notifications/failed-mail/{mail_id}/retry" => (Session("demo-national"), form("")),
        "/incidents/{case_id}/state" => (Session("demo-operator"), form("state=in_progress")),
        "/institutions/{id}/ledger" => (
            Session("demo-hospital"),
            form("asset_number=CSRF-1&kind=pc"),
        ),
        "/institutions/{id}/ledger/{device_id}" => (
            Session("demo-hospital"),
            form("asset_number=CSRF-2&kind=pc"),
        ),
        "/institutions/{id}/ledger/import" => (
            Session("demo-hospital"),
            FormBody::Multipart(Vec::new(), vec![("file", "ledger.csv", csv)]),
        ),
        "/institutions/{id}/ledger/import/confirm" => {
            (Session("demo-hospital"), form("token=no-such-upload"))
        }
        "/institutions/{id}/edit" => (
            Session("demo-hospital"),
            // As it stands (みなと中央病院), so that the survey's 別紙1 row stays whole.
            form(
                "name=%E3%81%BF%E3%81%AA%E3%81%A8%E4%B8%AD%E5%A4%AE%E7%97%85%E9%99%A2&kind=hospital&prefecture=13&beds=250&has_medical_information_system=on&has_vendor_contracts=on&medical_institution_code=1311234567",
            ),
        ),
        "/institutions/{id}/users" => (
            Session("demo-hospital"),
            form(&format!(
                "login=csrf-new&password={PASSWORD_FORM}&role=staff"
            )),
        ),
        "/institutions/{id}/vendors" => (
            Session("demo-hospital"),
            form("vendor_name=CSRF&systems=emr"),
        ),
        "/institutions/{id}/checklist/{fy}/items/{key}/evidence" => (
            Session("demo-hospital"),
            FormBody::Multipart(
                vec![
                    ("title", "CSRF 証跡".into()),
                    ("owner", "CSRF".into()),
                    ("produced_on", format!("{year}-06-01")),
                ],
                vec![("file", "csrf.txt", b"CSRF evidence\n".to_vec())],
            ),
        ),
        "/evidence/{evidence_id}/replace" => (
            Session("demo-hospital"),
            FormBody::Multipart(
                vec![
                    ("version", "1".into()),
                    ("title", "CSRF 証跡 2".into()),
                    ("owner", "CSRF".into()),
                    ("produced_on", format!("{year}-06-01")),
                ],
                Vec::new(),
            ),
        ),
        "/evidence/{evidence_id}/remove" => (Session("demo-hospital"), form("confirm=yes")),
        "/institutions/{id}/checklist/{fy}/evidence/carry" => (Session("demo-hospital"), form("")),
        "/institutions/{id}/checklist/{fy}/items/{key}" => (
            Session("demo-hospital-staff"),
            form(&format!("round=1&answer=yes&checked_on={year}-06-01")),
        ),
        "/institutions/{id}/inspection/{fy}/observations" => {
            (Session("demo-inspector-13"), form("contact_chart_seen=yes"))
        }
        "/institutions/{id}/inspection/{fy}/schedule" => (
            Session("demo-inspector-13"),
            form(&format!("date={year}-12-10&inspectors=CSRF")),
        ),
        "/institutions/{id}/inspection/{fy}/remarks" => (
            Session("demo-inspector-13"),
            form("item_key=1-1&level=guidance&note=CSRF"),
        ),
        "/institutions/{id}/inspection/{fy}/result" => {
            (Session("demo-inspector-13"), form("confirm=yes"))
        }
        "/institutions/{id}/inspection/{fy}/remarks/{key}/reports" => (
            Session("demo-hospital"),
            form(&format!(
                "action_taken=CSRF&done_on={}",
                mamori_app::today_in_japan()
            )),
        ),
        "/institutions/{id}/inspection/{fy}/remarks/{key}/reports/{report_id}/decision" => {
            (Session("demo-inspector-13"), form("decision=accepted"))
        }
        "/training/sessions/{session_id}/register" => {
            (Session("demo-hospital"), form("participant_name=CSRF"))
        }
        "/training/registrations/{registration_id}/attendance" => {
            (Session("demo-operator"), form("attended=on"))
        }
        "/training/lecturers" | "/training/lecturers/{lecturer_id}/edit" => (
            Session("demo-operator"),
            form("name=CSRF&kind=lecturer&fields=csrf"),
        ),
        "/training/courses" | "/training/courses/{course_id}/edit" => (
            Session("demo-operator"),
            form("version=1&title_ja=CSRF&title_en=CSRF&audience=staff&format=online"),
        ),
        "/training/sessions" | "/training/sessions/{session_id}/edit" => (
            Session("demo-operator"),
            form(&format!(
                "version=1&course_id={}&starts_at={y}-12-01T10:00&ends_at={y}-12-01T12:00&registration_deadline={y}-11-20&capacity=30&venue=CSRF",
                ids.course,
                y = year + 1
            )),
        ),
        "/training/courses/{course_id}/withdraw"
        | "/training/sessions/{session_id}/withdraw"
        | "/training/lecturers/{lecturer_id}/delete" => {
            (Session("demo-operator"), form("confirm=yes"))
        }
        "/vendor/contracts/{contract_id}/{fy}/items/{key}" => (
            Session("demo-vendor"),
            form(&format!("round=1&answer=yes&checked_on={year}-06-01")),
        ),
        "/vendor/contracts/{contract_id}/{fy}/copy" => (Session("demo-vendor"), form("")),
        "/vendor/contracts/{contract_id}/{fy}/deliveries" => (
            Session("demo-vendor"),
            FormBody::Multipart(
                vec![
                    ("kind", "mds".into()),
                    ("delivered_on", format!("{year}-06-01")),
                ],
                vec![("file", "mds.pdf", b"%PDF-1.4\n%CSRF\n".to_vec())],
            ),
        ),
        _ => return None,
    })
}

/// The number of rows of every table (the access log of reads aside): a refused request
/// adds, removes and audits nothing. Changes that are audited show in `audit_log`.
async fn row_counts(app: &TestApp) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let tables = if app.url.starts_with("sqlite:") {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'access_log'"
    } else {
        "SELECT tablename::TEXT FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'access_log'"
    };
    with_connection!(app, c => {
        let tables: Vec<(String,)> = sqlx::query_as(tables)
            .fetch_all(&mut c)
            .await
            .expect("tables");
        for (t,) in tables {
            let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\""));
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut c).await.expect("count");
            out.insert(t, n);
        }
    });
    out
}

fn refused_for_csrf(r: &Response) -> bool {
    r.status == StatusCode::FORBIDDEN
        && (r.body.contains("フォームの有効期限が切れました")
            || r.body.contains("The form has expired"))
}

/// Asserts that a login step's form sent with a wrong token (`what`) was refused for its
/// token, signed nobody in and changed nothing since `before`.
async fn assert_login_step_refused(
    app: &TestApp,
    r: &Response,
    path: &str,
    what: &str,
    before: &BTreeMap<String, i64>,
) {
    assert!(
        refused_for_csrf(r),
        "POST {path} with {what}: {} {}",
        r.status,
        r.body
    );
    assert!(
        r.cookie("mamori_session").is_none(),
        "POST {path} with {what} signed in"
    );
    assert_eq!(
        &row_counts(app).await,
        before,
        "POST {path} with {what} changed something"
    );
}

async fn send_form(
    app: &TestApp,
    cookie: &str,
    path: &str,
    body: &FormBody,
    csrf: Option<&str>,
) -> Response {
    match body {
        FormBody::Urlencoded(fields) => {
            let form = match csrf {
                Some(token) if fields.is_empty() => format!("csrf={token}"),
                Some(token) => format!("csrf={token}&{fields}"),
                None => fields.clone(),
            };
            app.post_form(cookie, path, &form, false).await
        }
        FormBody::Multipart(fields, files) => {
            let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let Some(token) = csrf {
                all.insert(0, ("csrf", token));
            }
            let files: Vec<(&str, &str, &[u8])> = files
                .iter()
                .map(|(n, f, d)| (*n, *f, d.as_slice()))
                .collect();
            app.post_multipart(cookie, path, &all, &files).await
        }
    }
}

/// Signs in through the login form with a password; the session cookie and its token.
async fn sign_in(app: &TestApp, login: &str, password: &str) -> WebSession {
    let r = login_attempt(app, login, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{login}: {}", r.body);
    let cookie = r.cookie_header("mamori_session");
    let page = app.get_page(&cookie, "/account").await;
    let csrf = page.hidden("csrf").expect("csrf on pages");
    WebSession { cookie, csrf }
}

async fn login_attempt(app: &TestApp, login: &str, password: &str) -> Response {
    let page = app.get("/login").await;
    let token = page.cookie("mamori_login_csrf").expect("login csrf cookie");
    app.post_login(
        &token,
        format!(
            "login={login}&password={}&csrf={token}&next=%2F",
            password.replace(' ', "+")
        ),
    )
    .await
}

/// The key shown on the enrolment page.
async fn start_enrolment(app: &TestApp, web: &WebSession) -> String {
    let setup = app.page(web, "/account/two-factor").await;
    setup.two_factor_secret()
}

async fn every_page_form_needs_its_own_csrf_token(app: &TestApp) {
    let year = app.year();
    let routes: Vec<&'static str> = mamori_web::page_routes()
        .into_iter()
        .filter(|(method, _)| method != axum::http::Method::GET)
        .map(|(_, path)| path)
        .collect();
    assert!(routes.len() >= 40, "{routes:?}");

    // Accounts of the test's own, so that changing them spoils nothing for the others.
    let mut ids_victim = 0;
    for login in [
        PASSWORD_USER,
        SESSIONS_USER,
        ENROL_USER,
        TOTP_USER,
        LOGOUT_USER,
        "csrf-victim",
    ] {
        let institution = if login == "csrf-victim" {
            HOSPITAL
        } else {
            CLINIC
        };
        let id = add_staff(app, login, PASSWORD, institution).await;
        if login == "csrf-victim" {
            ids_victim = id;
        }
    }
    // Two live sessions for every sender: the second one's token must not do either.
    let mut senders: Vec<&'static str> = routes
        .iter()
        .filter_map(|path| match csrf_case(path, &placeholder_ids(year)) {
            Some((Guard::Session(login), _)) => Some(login),
            _ => None,
        })
        .collect();
    senders.sort();
    senders.dedup();
    let mut sessions: BTreeMap<&str, (WebSession, WebSession)> = BTreeMap::new();
    for login in &senders {
        let password = if login.starts_with("demo-") {
            demo::DEMO_PASSWORD
        } else {
            PASSWORD
        };
        let first = sign_in(app, login, password).await;
        let second = sign_in(app, login, password).await;
        sessions.insert(login, (first, second));
    }
    // A stranger's session: the attacker's own, whose token they know.
    let stranger = app.web_login("demo-pharmacy").await;

    // Two-factor: one account has it (enrolled in its first session), another is midway.
    let totp_secret = start_enrolment(app, &sessions[TOTP_USER].0).await;
    let totp_session = &sessions[TOTP_USER].0;
    let r = confirm_two_factor(
        app,
        &totp_session.cookie,
        &totp_session.csrf,
        &totp_secret,
        TOTP_USER,
    )
    .await
    .assert_status(StatusCode::OK);
    let recovery: Vec<String> = r.recovery_codes();
    assert_eq!(recovery.len(), 10);
    let enrol_secret = start_enrolment(app, &sessions[ENROL_USER].0).await;
    // The session the other one ends, as listed on the account page.
    let account = app
        .get_page(&sessions[SESSIONS_USER].0.cookie, "/account")
        .await;
    let revoke = account.hidden("id").expect("the other session's id");

    let ids = seed(app, year, ids_victim, revoke, enrol_secret, totp_secret).await;

    let mut checked = 0;
    let mut order = routes.clone();
    // Logging out ends a session the others do not need; it goes last all the same.
    order.sort_by_key(|path| *path == "/logout");
    for path in order {
        let (guard, body) = csrf_case(path, &ids).unwrap_or_else(|| {
            panic!("POST {path} is not in the CSRF test: add it to csrf_case with a user who may send it")
        });
        let target = ids.fill(path);
        match guard {
            Guard::Session(login) => {
                let (own, other) = &sessions[login];
                let wrong = [
                    ("no token", None),
                    ("an empty token", Some("")),
                    ("another user's token", Some(stranger.csrf.as_str())),
                    (
                        "the token of the user's other session",
                        Some(other.csrf.as_str()),
                    ),
                ];
                for (what, token) in wrong {
                    let before = row_counts(app).await;
                    let r = send_form(app, &own.cookie, &target, &body, token).await;
                    assert!(
                        refused_for_csrf(&r),
                        "POST {target} as {login} with {what}: {} {}",
                        r.status,
                        r.body.chars().take(300).collect::<String>()
                    );
                    assert_eq!(
                        row_counts(app).await,
                        before,
                        "POST {target} with {what} changed something"
                    );
                    checked += 1;
                }
                let r = send_form(app, &own.cookie, &target, &body, Some(&own.csrf)).await;
                let to_login = r.location().starts_with("/login");
                assert!(
                    !matches!(
                        r.status,
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                    ) && r.status.as_u16() < 500
                        && (!to_login || path == "/logout"),
                    "POST {target} as {login} with its own token must be accepted: {} {}",
                    r.status,
                    r.body.chars().take(300).collect::<String>()
                );
            }
            Guard::LoginCookie => {
                let form = |token: &str| {
                    format!(
                        "login=demo-hospital&password={}&csrf={token}&next=%2F",
                        demo::DEMO_PASSWORD
                    )
                };
                let mine = app
                    .get("/login")
                    .await
                    .cookie("mamori_login_csrf")
                    .expect("cookie");
                let theirs = app
                    .get("/login")
                    .await
                    .cookie("mamori_login_csrf")
                    .expect("cookie");
                let cases = [
                    (
                        "no token",
                        Some(mine.as_str()),
                        format!(
                            "login=demo-hospital&password={}&next=%2F",
                            demo::DEMO_PASSWORD
                        ),
                    ),
                    ("an empty token", Some(mine.as_str()), form("")),
                    ("no cookie", None, form(&mine)),
                    (
                        "another browser's token",
                        Some(mine.as_str()),
                        form(&theirs),
                    ),
                ];
                for (what, cookie, body) in cases {
                    let before = row_counts(app).await;
                    let mut request = Request::post("/login")
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                    if let Some(c) = cookie {
                        request = request.header(header::COOKIE, format!("mamori_login_csrf={c}"));
                    }
                    let r = app
                        .send(request.body(Body::from(body)).expect("request"))
                        .await;
                    assert_login_step_refused(app, &r, "/login", what, &before).await;
                    checked += 1;
                }
                let r = app
                    .post_login(&mine, form(&mine))
                    .await
                    .assert_status(StatusCode::SEE_OTHER);
                assert!(r.cookie("mamori_session").is_some());
            }
            Guard::PendingLogin => {
                let pending = |r: &Response| r.cookie_header("mamori_pending");
                let first = pending(&login_attempt(app, TOTP_USER, PASSWORD).await);
                let second = pending(&login_attempt(app, TOTP_USER, PASSWORD).await);
                let token_of = |page: Response| page.hidden("csrf").expect("csrf");
                let own = token_of(app.get_page(&first, "/login/two-factor").await);
                let other = token_of(app.get_page(&second, "/login/two-factor").await);
                let code = &recovery[0];
                let wrong = [
                    ("no token", None),
                    ("an empty token", Some("")),
                    ("another pending login's token", Some(other.as_str())),
                    ("a signed-in session's token", Some(stranger.csrf.as_str())),
                ];
                for (what, token) in wrong {
                    let before = row_counts(app).await;
                    let form = match token {
                        Some(t) => format!("csrf={t}&code={code}&next=%2F"),
                        None => format!("code={code}&next=%2F"),
                    };
                    let r = app
                        .post_form(&first, "/login/two-factor", &form, false)
                        .await;
                    assert_login_step_refused(app, &r, "/login/two-factor", what, &before).await;
                    checked += 1;
                }
                let r = send_second_factor(app, &first, &own, code, "%2F")
                    .await
                    .assert_status(StatusCode::SEE_OTHER);
                assert!(
                    r.cookie("mamori_session").is_some(),
                    "the recovery code was not spent by the refused forms"
                );
            }
            Guard::NoSession => {
                // Sent as a forged cross-site form would be: no token; it signs nobody in.
                let FormBody::Urlencoded(fields) = &body else {
                    panic!("an urlencoded form")
                };
                let r = app.post_form("", &target, fields, false).await;
                assert!(r.status.as_u16() < 500, "{}", r.body);
                assert!(
                    r.cookie("mamori_session").is_none(),
                    "accepting an invitation signs nobody in"
                );
                checked += 1;
            }
        }
    }
    println!(
        "CSRF: {} state-changing page routes, {checked} forged requests refused",
        routes.len()
    );
}

/// Ids good enough to read each route's guard (the table is read again with real ones).
fn placeholder_ids(year: i32) -> Ids {
    Ids {
        year,
        application: 0,
        device: 0,
        session: 0,
        registration: 0,
        course: 0,
        lecturer: 0,
        case: 0,
        notification: 0,
        mail: 0,
        evidence: 0,
        invitation: String::new(),
        victim: 0,
        revoke: String::new(),
        enrol_secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
        totp_secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
    }
}

/// What the routes name: the hospital's survey answer, a device, a training session with
/// the hospital's place, a lecturer, the hospital's incident case, an invitation.
async fn seed(
    app: &TestApp,
    year: i32,
    victim: i64,
    revoke: String,
    enrol_secret: String,
    totp_secret: String,
) -> Ids {
    let national = app.token("demo-national").await;
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    let application = apply_for_assurance(app, &national, year, body).await;
    let device = app.devices(HOSPITAL).await.first().expect("a device").id;
    let session = open_training_session(app, 5).await;
    let hospital = app.token("demo-hospital").await;
    let registration = take_training_place(app, &hospital, session, "CSRF 検査").await;
    let course = app.training_session(session).await.course.id;
    let lecturer = app
        .state
        .store
        .add_training_lecturer(
            &mamori_store::NewLecturer {
                name: "CSRF 講師".into(),
                kind: "lecturer".into(),
                affiliation: String::new(),
                fields: "csrf".into(),
            },
            victim,
        )
        .await
        .expect("lecturer");
    let staff = app.token("demo-hospital-staff").await;
    let case = report_incident(
        app,
        &staff,
        incident_body(&["cannot_log_in"], &["emr"], "unknown"),
    )
    .await;
    let notification = notify_hospital_admin(app, &hospital).await;
    let mail = a_failed_mail(app).await;
    let evidence = attach_evidence(app, &hospital, year, "1-1", "CSRF 証跡").await;
    let body = json!({"vendor_name": "CSRF保守", "systems": ["emr"], "remote_maintenance": false, "invite_email": "csrf@example.jp"});
    let invitation = invitation_token(&add_vendor_contract(app, &hospital, body).await);
    Ids {
        year,
        application,
        device,
        session,
        registration,
        course,
        lecturer,
        case,
        notification,
        mail,
        evidence,
        invitation,
        victim,
        revoke,
        enrol_secret,
        totp_secret,
    }
}

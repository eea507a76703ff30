//! mamori's web tier: server-rendered pages (HTML + htmx), the JSON API with its OpenAPI
//! document, authentication and the security headers. Handlers parse, authorize, call the
//! use cases of [`mamori_app`] (named `service` where they are called), and render; they
//! never build SQL.

pub mod account;
pub mod assurance;
pub mod checklist;
pub mod contact_chart;
pub mod evidence;
pub mod http;
pub mod incidents;
pub mod inspection;
pub mod institutions;
pub mod ledger;
pub mod notifications;
pub mod oversight;
pub mod support;
pub mod training;
pub mod vendors;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use mamori_app::App;
use mamori_app::ledger::LedgerData;
use mamori_catalog::Catalog;
use mamori_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::Message;

/// Settings of the web tier.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` and send HSTS: set when mamori is served over TLS.
    pub secure_cookies: bool,
    pub session_ttl: chrono::Duration,
    pub api_token_ttl: chrono::Duration,
    /// Accounts not used for this many days are listed as unused (checklist item 2(5)).
    pub unused_account_days: i64,
    /// A device whose last patch is older than this many days is flagged `stale_patch`.
    pub stale_patch_days: u32,
    /// The address users reach mamori at (`https://mamori.example.jp`), for links sent by
    /// mail; without it, links are made from the request's `Host`.
    pub public_url: Option<String>,
    /// Imports of uploaded files (ledgers, 確保事業 spreadsheets) read at the same time, at
    /// most; more get 429 (see [`uploads`]).
    pub max_concurrent_imports: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl: chrono::Duration::hours(8),
            api_token_ttl: chrono::Duration::hours(12),
            unused_account_days: 90,
            stale_patch_days: 365,
            public_url: None,
            max_concurrent_imports: 2,
        }
    }
}

/// What every handler can reach: the use cases' [`App`] (store, catalog, access-log memo),
/// which it dereferences to, and what only the web tier needs. Cheap to clone; holds no
/// per-user state, so any number of servers can run behind a load balancer on one
/// PostgreSQL database.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
    /// The datasets behind the ledger's risk flags, loaded once at start.
    pub ledger: Arc<LedgerData>,
    /// Sends invitations when an SMTP server is configured.
    pub mailer: Option<Arc<mamori_app::mail::Mailer>>,
    /// The places of the imports running now ([`WebConfig::max_concurrent_imports`]).
    pub imports: Arc<tokio::sync::Semaphore>,
}

/// Handlers hand `&state` to the use cases and read `state.store` and `state.catalog` as
/// they are.
impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    /// The state with the datasets bundled with mamori (see [`LedgerData::bundled`]).
    pub fn new(store: Store, catalog: Catalog, config: WebConfig) -> Self {
        Self::with_ledger_data(store, catalog, config, LedgerData::bundled())
    }

    pub fn with_ledger_data(
        store: Store,
        catalog: Catalog,
        config: WebConfig,
        ledger: Arc<LedgerData>,
    ) -> Self {
        Self {
            app: App::new(store, Box::leak(Box::new(catalog))),
            imports: http::uploads::import_slots(config.max_concurrent_imports),
            config: Arc::new(config),
            ledger,
            mailer: None,
        }
    }

    /// The state that sends mail through `mailer`.
    pub fn with_mailer(mut self, mailer: mamori_app::mail::Mailer) -> Self {
        self.mailer = Some(Arc::new(mailer));
        self
    }
}

/// A public URL as given at start: `http(s)://host[:port][/prefix]`, without the trailing
/// slash.
pub fn parse_public_url(text: &str) -> Result<String, String> {
    let t = text.trim().trim_end_matches('/');
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .ok_or_else(|| format!("'{text}' must start with http:// or https://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    let fine = |c: char| c.is_ascii_alphanumeric() || ".-:[]/_~%".contains(c);
    if host.is_empty() || !rest.chars().all(fine) || t.contains('?') || t.contains('#') {
        return Err(format!(
            "'{text}' is not a plain address like https://mamori.example.jp"
        ));
    }
    Ok(t.to_owned())
}

/// Security headers on every answer, errors included: no inline scripts, no framing, no
/// sniffing; and no copy kept by a browser or proxy of anything but the static files (a
/// page or an API answer may carry an institution's weaknesses).
async fn security_headers(secure: bool, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Bodies up to 2 MB, ledger files up to [`ledger::IMPORT_LIMIT`], MDS/SDS uploads up to
/// [`vendors::deliveries::UPLOAD_READ_LIMIT`]; a larger declared length
/// is refused before anything is read, with the bilingual error.
async fn body_limit(request: Request, next: Next) -> Response {
    const DEFAULT_LIMIT: usize = 2 * 1024 * 1024;
    let path = request.uri().path();
    let import = path.ends_with("/devices/import") || path.ends_with("/ledger/import");
    let delivery = path.ends_with("/deliveries");
    let evidence = evidence::is_upload_path(path);
    let limit = if import {
        ledger::api::IMPORT_LIMIT
    } else if delivery {
        vendors::deliveries::UPLOAD_READ_LIMIT
    } else if evidence {
        evidence::UPLOAD_READ_LIMIT
    } else {
        DEFAULT_LIMIT
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let error = if import {
            ledger::api::too_large_error()
        } else if delivery {
            vendors::deliveries::too_large()
        } else if evidence {
            evidence::too_large()
        } else {
            AppError::rejected(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BodyTooLarge,
                Message::new("errors-body-too-large-limit"),
            )
        };
        return http::page::refuse(path, request.headers(), error);
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    http::error::ApiError(AppError::internal("panic")).into_response()
}

/// Page routes recorded as they are added, so that a test can enumerate every one of them
/// (the API's are in its OpenAPI document).
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    list: Vec<(axum::http::Method, &'static str)>,
}

impl Routes {
    pub fn get<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add(axum::http::Method::GET, path, axum::routing::get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add(axum::http::Method::POST, path, axum::routing::post(handler))
    }

    fn add(
        mut self,
        method: axum::http::Method,
        path: &'static str,
        route: axum::routing::MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.list.push((method, path));
        self
    }

    fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.list.extend(other.list);
        self
    }
}

fn all_page_routes() -> Routes {
    http::page::routes()
        .merge(account::session::routes())
        .merge(account::pages::routes())
        .merge(institutions::pages::routes())
        .merge(checklist::pages::routes())
        .merge(evidence::pages::routes())
        .merge(inspection::pages::routes())
        .merge(inspection::follow_up_pages::routes())
        .merge(vendors::pages::routes())
        .merge(contact_chart::continuity::routes())
        .merge(contact_chart::editor::routes())
        .merge(contact_chart::pages::routes())
        .merge(ledger::pages::routes())
        .merge(assurance::pages::routes())
        .merge(assurance::program_page::routes())
        .merge(support::pages::routes())
        .merge(training::pages::routes())
        .merge(training::edit_pages::routes())
        .merge(incidents::pages::routes())
        .merge(oversight::pages::routes())
        .merge(notifications::pages::routes())
        .merge(notifications::calendar::routes())
        .merge(notifications::settings::routes())
        .merge(notifications::failed_mail::routes())
}

/// Every API route with its OpenAPI description: the root and each feature's routes.
fn api_router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    let router = http::api::router()
        .merge(account::api::router())
        .merge(institutions::api::router())
        .merge(checklist::api::router())
        .merge(evidence::api::router())
        .merge(inspection::api::router())
        .merge(inspection::follow_up_api::router())
        .merge(vendors::api::router())
        .merge(contact_chart::api::router())
        .merge(incidents::api::router())
        .merge(assurance::api::api_router())
        .merge(support::api::api_router())
        .merge(training::api::api_router())
        .merge(oversight::api::router())
        .merge(notifications::api::router())
        .merge(notifications::calendar::router())
        .merge(notifications::settings::router())
        .merge(notifications::failed_mail::router());
    ledger::api::api_routes(router)
}

/// Every page route with its method.
pub fn page_routes() -> Vec<(axum::http::Method, &'static str)> {
    all_page_routes().list
}

/// The whole application: API, OpenAPI document, pages and static files.
/// Starts what the server keeps counting while it runs: each institution's flagged devices
/// for oversight ([`ledger::flag_counts`]). Not part of [`router`], so that tests count
/// when they choose.
pub fn spawn_counters(state: AppState) {
    ledger::flag_counts::spawn(state);
}

pub fn router(state: AppState) -> Router {
    let (api_router, openapi) = api_router().split_for_parts();
    let openapi = Arc::new(openapi);
    let secure = state.config.secure_cookies;
    Router::new()
        .merge(api_router)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = Arc::clone(&openapi);
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(
            all_page_routes()
                .router
                .route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    http::csrf::require_token,
                )),
        )
        .fallback(http::page::not_found)
        .with_state(state)
        .layer(middleware::from_fn(http::input_guard::check_request_text))
        .layer(middleware::from_fn(http::rejections::bilingual_rejections))
        // Whole in-memory bodies are compressed inside; the streaming layer outside takes
        // the rest (static files, large downloads) and skips what is compressed already.
        .layer(middleware::from_fn(http::compress::gzip_whole_bodies))
        .layer(
            CompressionLayer::new()
                .quality(tower_http::compression::CompressionLevel::Fastest)
                .compress_when(
                    SizeAbove::new(http::compress::MIN_SIZE)
                        .and(NotForContentType::GRPC)
                        .and(NotForContentType::IMAGES)
                        .and(NotForContentType::SSE),
                ),
        )
        .layer(middleware::from_fn(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        // Outside every layer that may answer by itself (413, 408, a panic's 500).
        .layer(middleware::from_fn(move |req, next| {
            security_headers(secure, req, next)
        }))
        .layer(TraceLayer::new_for_http())
}

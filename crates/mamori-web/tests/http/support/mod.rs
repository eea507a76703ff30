//! What every scenario module uses: the application under test on both engines
//! ([`TestApp`]), its requests and answers ([`Response`], [`WebSession`]), the
//! [`on_both_engines!`] macro, the named demo records ([`HOSPITAL`], [`CLINIC`],
//! [`VENDOR_CONTRACT`] …), multipart bodies, a real SMTP server (aiosmtpd), and the steps several modules
//! share. A module starts with `use super::*;`, which brings all of it (and the common
//! imports below) through the crate root.

mod app;
mod fixtures;
mod mail_server;
mod multipart;
mod requests;
mod steps;

pub(crate) use app::*;
pub(crate) use fixtures::*;
pub(crate) use mail_server::*;
pub(crate) use multipart::*;
pub(crate) use requests::*;
pub(crate) use steps::*;

// The imports the scenarios share.
pub(crate) use axum::body::{Body, to_bytes};
pub(crate) use axum::http::{Request, StatusCode, header};
pub(crate) use mamori_app::demo;
pub(crate) use mamori_catalog::Catalog;
pub(crate) use mamori_domain::FiscalYear;
pub(crate) use mamori_store::Store;
pub(crate) use mamori_web::{AppState, WebConfig};
pub(crate) use serde_json::{Value, json};
pub(crate) use sqlx::Connection;
pub(crate) use tower::ServiceExt;

/// Declares each named scenario (an `async fn(&TestApp)` of the calling module) as two tests,
/// `<name>::sqlite` and `<name>::postgres`, each on a fresh database of the demo data.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let app = $crate::support::TestApp::sqlite().await;
                    super::$name(&app).await;
                    app.cleanup().await;
                }

                #[tokio::test]
                async fn postgres() {
                    let app = $crate::support::TestApp::postgres().await;
                    super::$name(&app).await;
                    app.cleanup().await;
                }
            }
        )*
    };
}
pub(crate) use on_both_engines;

//! HTTP integration tests: the whole router, in process, against a real database. Every
//! test runs twice, on SQLite and on PostgreSQL (`MAMORI_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; each test gets a fresh database).
//!
//! One test binary, one module per feature of `src/`: `account`, `institutions`,
//! `checklist`, `inspection`, `vendors`, `contact_chart`, `ledger`, `assurance`, `training`,
//! `support_menu` (the file `support.rs`, for `src/support/`), `incidents`, `oversight`,
//! `follow_up`, `notifications` and `mail` (notifications by mail, through a real SMTP
//! server), and `http` for the shared HTTP parts. Beside them, the modules that cut across features:
//! `authorization` (every route against every kind of caller), `csrf` (every page form),
//! `logins` (logins compared by their folded form), `security` (attacks as found and
//! reproduced) and `uploads` (files made to cost the server). Each module lists its
//! scenarios in its own `on_both_engines!(…)`.
//!
//! `support/` holds what they share: the test app on both engines, requests and answers,
//! the macro, the named demo records, multipart bodies, a real SMTP server (aiosmtpd) and shared steps.
//! This file imports all of it, and every module starts with `use super::*;`. As
//! `support/` and `support.rs` would both be the module `support`, both are declared with
//! their path.

#[path = "support/mod.rs"]
mod support;
use support::*;

mod account;
mod assurance;
mod authorization;
mod checklist;
mod contact_chart;
mod csrf;
mod evidence;
mod follow_up;
mod http;
mod incidents;
mod inspection;
mod institutions;
mod ledger;
mod logins;
mod mail;
mod notifications;
mod openapi_snapshot;
mod oversight;
mod round_trips;
mod security;
#[path = "support.rs"]
mod support_menu;
mod training;
mod upkeep_notices;
mod uploads;
mod vendors;

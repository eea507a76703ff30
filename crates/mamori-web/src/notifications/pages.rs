//! The notifications page (お知らせ): the signed-in user's list, newest first, with what is
//! unread marked and a way to open each where it asks to act.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use crate::http::i18n::Message;
use crate::http::ids::{Ids, NotificationId};
use crate::http::page::{Chrome, PageError, PageResult, SignedIn, instant_label, redirect, render};
use crate::notifications::calendar::feed_url;
use crate::{AppState, Routes};
use mamori_app as service;

pub fn routes() -> Routes {
    Routes::default()
        .get("/notifications", notifications_page)
        .post("/notifications/read-all", read_all)
        .post("/notifications/{notification_id}/read", read_one)
        .get("/notifications/{notification_id}/open", open_one)
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub about: String,
    pub received: String,
    pub read: Option<String>,
    /// The words of the link to where to act: the item, where it is about one.
    pub open_label: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    unread_only: bool,
    rows: Vec<Row>,
    calendar_url: String,
    /// For the national office: the mails that failed, when there are.
    failed_mail: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    unread: Option<bool>,
}

async fn notifications_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let unread_only = q.unread.unwrap_or(false);
    let list = service::notifications::notifications(&state, user.user().id, unread_only)
        .await
        .map_err(PageError::from)?;
    let rows = list
        .into_iter()
        .map(|n| Row {
            id: n.id,
            title: n.title.render(lang),
            about: n.about.map(|a| a.render(lang)).unwrap_or_default(),
            received: Message::new("notifications-received")
                .with("at", instant_label(lang, &n.created_at))
                .render(lang),
            read: n.read_at.map(|at| {
                Message::new("notifications-read-at")
                    .with("at", instant_label(lang, &at))
                    .render(lang)
            }),
            open_label: n.link.as_deref().map(|link| {
                let key = if link.contains("#item-") {
                    "notifications-open"
                } else {
                    "notifications-open-page"
                };
                lang.text(key).to_owned()
            }),
        })
        .collect();
    let token = service::calendar::feed_token(&state, user.user().id)
        .await
        .map_err(PageError::from)?;
    let failed = service::mail_delivery::failed_mail_count(&state, user.user().role)
        .await
        .map_err(PageError::from)?;
    let failed_mail = (failed > 0).then(|| {
        Message::new("notifications-failed-link")
            .with("count", failed)
            .render(lang)
    });
    let page = NotificationsPage {
        failed_mail,
        chrome: Chrome::new(
            &ctx,
            Some(&user),
            lang.text("notifications-title").to_owned(),
        ),
        unread_only,
        rows,
        calendar_url: feed_url(&state, &headers, &token, lang),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn read_one(
    State(state): State<AppState>,
    SignedIn(_, user): SignedIn,
    Ids(id): Ids<NotificationId>,
) -> PageResult {
    service::notifications::mark_read(&state, user.user().id, id.get())
        .await
        .map_err(PageError::from)?;
    Ok(redirect("/notifications"))
}

async fn read_all(State(state): State<AppState>, SignedIn(_, user): SignedIn) -> PageResult {
    service::notifications::mark_all_read(&state, user.user().id)
        .await
        .map_err(PageError::from)?;
    Ok(redirect("/notifications"))
}

/// Opens where a notification asks to act, marking it read on the way.
async fn open_one(
    State(state): State<AppState>,
    SignedIn(_, user): SignedIn,
    Ids(id): Ids<NotificationId>,
) -> PageResult {
    let link = service::notifications::open(&state, user.user().id, id.get())
        .await
        .map_err(PageError::from)?;
    Ok(redirect(link.as_deref().unwrap_or("/notifications")))
}

//! Notifications (お知らせ): each user's list, what is unread, marking read, their settings
//! (mail, digest or the app only), the calendar feed of their dates, and the mails that
//! could not be sent (for the national office).

pub mod api;
pub mod calendar;
pub mod failed_mail;
pub mod pages;
pub mod settings;

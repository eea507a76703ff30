//! Notifications (お知らせ): each user's list, what is unread, marking read, and the
//! calendar feed of their dates.

pub mod api;
pub mod calendar;
pub mod pages;

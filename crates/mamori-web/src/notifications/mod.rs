//! Notifications (お知らせ): each user's list, what is unread, and marking read.

pub mod api;
pub mod pages;

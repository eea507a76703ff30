//! Accounts: signing in and out (pages and API), the second factor, the user's own
//! sessions and password, and an administrator's account lifecycle and logs.

pub mod api;
pub mod pages;
pub mod session;

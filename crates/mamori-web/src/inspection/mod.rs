//! The on-site inspection (立入検査): verdict, findings and observations, and what follows
//! it: the schedule, the remarks per item, the result notice and the improvement reports.

pub mod api;
pub mod follow_up_api;
pub mod follow_up_pages;
pub mod pages;

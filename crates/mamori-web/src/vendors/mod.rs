//! Vendors (事業者): contracts and invitations, the vendor's checklist (事業者確認用), and
//! MDS/SDS deliveries. The API also serves the contact chart and the continuity records
//! (see [`crate::contact_chart`] for their editors).

pub mod api;
pub mod deliveries;
pub mod pages;

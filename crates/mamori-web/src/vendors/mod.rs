//! Vendors (事業者): contracts and invitations, the vendor's checklist (事業者確認用), the
//! coverage of an institution's systems, and MDS/SDS deliveries.

pub mod api;
pub mod deliveries;
pub mod pages;

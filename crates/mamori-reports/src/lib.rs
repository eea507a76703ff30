//! Files in and out of mamori. Each module turns domain values into a file a person
//! opens (or back): the device ledger (機器台帳) as .xlsx and CSV, the contact chart
//! (連絡体制図) as SVG, the 別紙1 list of the security-assurance project as .xlsx.
//! No database, no HTTP: bytes in, values out, and the other way round.

pub mod assurance_list;
pub mod calendar;
pub mod contact_chart_svg;
pub mod document;
pub mod ledger;
pub mod oversight_list;
pub mod training_attendance;
pub mod workbook;

//! The backup and BCP records of an institution as they are stored (one JSON document).

use mamori_domain::continuity::{BackupRecord, BcpRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The backup and BCP records of an institution.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ContinuityRecords {
    #[schema(value_type = Vec<Object>)]
    #[serde(default)]
    pub backups: Vec<BackupRecord>,
    #[schema(value_type = Option<Object>)]
    #[serde(default)]
    pub bcp: Option<BcpRecord>,
}

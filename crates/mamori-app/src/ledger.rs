//! The public datasets behind the device ledger's risk flags (CISA KEV, endoflife.date,
//! the curated tables), loaded and indexed once at start, and the flags of each
//! institution's ledger remembered until the day, the settings or a device changes.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::NaiveDate;
use mamori_catalog::datasets::{DatasetLicense, Datasets};
use mamori_domain::device_risk::{Flag, RiskData, RiskDataParts};
use mamori_store::StoredDevice;

/// What the datasets page shows about the loaded datasets.
#[derive(Debug, Clone)]
pub struct DatasetsInfo {
    pub dir: String,
    pub kev_version: String,
    pub kev_released: Option<String>,
    pub kev_count: usize,
    pub endoflife_products_count: usize,
    pub endoflife_snapshot: String,
    pub aliases_count: usize,
    pub fixed_versions_count: usize,
    pub lifecycles_count: usize,
    pub curated_compiled: String,
    pub curated_license: String,
    pub licenses: Vec<DatasetLicense>,
}

/// The datasets behind the flags, indexed once.
pub struct LedgerData {
    pub info: DatasetsInfo,
    pub risk: RiskData,
    /// The flags of each institution's ledger as last computed, with the fingerprint of
    /// what they were computed from (see [`LedgerData::ledger_flags`]).
    flag_cache: Mutex<std::collections::HashMap<i64, (u64, LedgerFlags)>>,
}

/// Every device's flags, in the order of the ledger. Devices of the same configuration
/// share one list (see [`mamori_domain::device_risk::assess_ledger`]).
pub type LedgerFlags = Arc<Vec<Arc<[Flag]>>>;

/// At most this many institutions' flags are remembered.
const FLAG_CACHE_INSTITUTIONS: usize = 256;

impl LedgerData {
    pub fn from_datasets(datasets: &Datasets) -> Self {
        Self {
            info: DatasetsInfo {
                dir: datasets.dir.display().to_string(),
                kev_version: datasets.kev_version.clone(),
                kev_released: datasets.kev_released.clone(),
                kev_count: datasets.kev_count,
                endoflife_products_count: datasets.endoflife_products_count,
                endoflife_snapshot: datasets.endoflife_snapshot.clone(),
                aliases_count: datasets.aliases.len(),
                fixed_versions_count: datasets.fixed_versions.len(),
                lifecycles_count: datasets.lifecycles.len(),
                curated_compiled: datasets.manifest.curated.compiled.clone(),
                curated_license: datasets.manifest.curated.license.clone(),
                licenses: datasets.licenses.clone(),
            },
            risk: datasets.risk_data(),
            flag_cache: Default::default(),
        }
    }

    /// Loads and indexes the datasets of `dir`.
    pub fn load(dir: &Path) -> Result<Arc<Self>, mamori_catalog::datasets::DatasetErrors> {
        Ok(Arc::new(Self::from_datasets(&Datasets::load(dir)?)))
    }

    /// The datasets shipped with mamori, loaded once per process. Should they fail to load,
    /// the ledger works without flags from them and the datasets page says so.
    pub fn bundled() -> Arc<Self> {
        static BUNDLED: OnceLock<Arc<LedgerData>> = OnceLock::new();
        Arc::clone(BUNDLED.get_or_init(|| {
            let dir = mamori_catalog::datasets::bundled_datasets_dir();
            Self::load(&dir).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the bundled datasets did not load");
                Arc::new(Self::empty(&dir))
            })
        }))
    }

    fn empty(dir: &Path) -> Self {
        Self {
            info: DatasetsInfo {
                dir: dir.display().to_string(),
                kev_version: String::new(),
                kev_released: None,
                kev_count: 0,
                endoflife_products_count: 0,
                endoflife_snapshot: String::new(),
                aliases_count: 0,
                fixed_versions_count: 0,
                lifecycles_count: 0,
                curated_compiled: String::new(),
                curated_license: String::new(),
                licenses: Vec::new(),
            },
            risk: RiskData::new(RiskDataParts::default()),
            flag_cache: Default::default(),
        }
    }

    /// The flags of every device of an institution's ledger, in the order of `devices`.
    /// Flagging a large ledger is the costly part of its page, so the result is remembered
    /// per institution with a fingerprint of the day, the settings and every device's id
    /// and last change: any edit, retirement or import changes it, and the flags are
    /// computed again.
    pub fn ledger_flags(
        &self,
        institution_id: i64,
        devices: &[StoredDevice],
        today: NaiveDate,
        stale_patch_days: u32,
    ) -> LedgerFlags {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        today.hash(&mut h);
        stale_patch_days.hash(&mut h);
        for d in devices {
            d.id.hash(&mut h);
            d.updated_at.hash(&mut h);
        }
        let fingerprint = h.finish();
        let cache = &self.flag_cache;
        if let Ok(map) = cache.lock()
            && let Some((f, flags)) = map.get(&institution_id)
            && *f == fingerprint
        {
            return Arc::clone(flags);
        }
        let flags: LedgerFlags = Arc::new(mamori_domain::device_risk::assess_ledger(
            devices.iter().map(|s| &s.device),
            &self.risk,
            today,
            stale_patch_days,
        ));
        if let Ok(mut map) = cache.lock() {
            if map.len() >= FLAG_CACHE_INSTITUTIONS && !map.contains_key(&institution_id) {
                map.clear();
            }
            map.insert(institution_id, (fingerprint, Arc::clone(&flags)));
        }
        flags
    }
}

//! A short-lived, in-process cache of live sessions.
//!
//! Every request names its session, and looking it up is a database round trip that costs
//! more than the rest of a small request. A session found live is kept here for
//! [`SESSION_CACHE_TTL`]. Every change this process makes to sessions, users or the
//! two-factor rule empties the cache at once, after its commit; a generation counter keeps a
//! lookup that read the old state from putting it back. A change made by another process
//! (a second server on the same PostgreSQL, or the CLI) takes effect here within the TTL.
//! Expiry is checked on every hit, so a cached session never outlives its `expires_at`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::{Session, SessionKind};

/// How long a session read from the database is trusted without reading it again.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(2);

/// Bounds memory if many distinct sessions are used within one TTL.
const MAX_ENTRIES: usize = 10_000;

type Key = (String, SessionKind);

#[derive(Debug, Default)]
pub(crate) struct SessionCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    generation: u64,
    entries: HashMap<Key, (Instant, Session)>,
}

impl SessionCache {
    /// A fresh cached session, and the generation to hand back to [`Self::put`] on a miss.
    pub(crate) fn get(&self, token_hash: &str, kind: SessionKind) -> (Option<Session>, u64) {
        let Ok(inner) = self.inner.lock() else {
            return (None, u64::MAX);
        };
        let hit = inner
            .entries
            .get(&(token_hash.to_owned(), kind))
            .filter(|(at, s)| at.elapsed() < SESSION_CACHE_TTL && s.expires_at > Utc::now())
            .map(|(_, s)| s.clone());
        (hit, inner.generation)
    }

    /// Keeps a session read from the database, unless the cache was emptied since the read
    /// began (`generation` from [`Self::get`]).
    pub(crate) fn put(
        &self,
        token_hash: &str,
        kind: SessionKind,
        session: &Session,
        generation: u64,
    ) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(
            (token_hash.to_owned(), kind),
            (Instant::now(), session.clone()),
        );
    }

    /// Forgets every session: called after any committed change to sessions or users.
    pub(crate) fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.generation = inner.generation.wrapping_add(1);
            inner.entries.clear();
        }
    }
}

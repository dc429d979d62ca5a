//! The invocations and their lifecycle. One mutex guards all state, so every create and update
//! is atomic and concurrent requests can neither lose nor double-apply a change.
//!
//! Lifecycle: `POST /invocations` makes a `running` invocation (`queued` with `async: true`).
//! An update moves `queued` or `running` to `succeeded` or `failed`, stamps `finished_at` and
//! `status_reason` and stores `output`. Repeating the terminal status changes nothing (200);
//! asking for the other terminal status is a conflict (409). Nothing else moves an invocation.

use std::collections::HashMap;
use std::sync::Mutex;

use kernel_core::{InvocationStatus, UpdateStatus};

use crate::invocation::Invocation;
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::time_format;

/// What `POST /invocations` asks for.
#[derive(Clone, Debug, Default)]
pub struct CreateRequest {
    pub app_name: String,
    pub action_name: String,
    pub version: String,
    pub payload: Option<String>,
    pub is_async: bool,
}

/// Why an update was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("invocation {0} not found")]
    NotFound(String),
    #[error("invocation is already {current}; it cannot become {requested}")]
    Conflict {
        current: InvocationStatus,
        requested: InvocationStatus,
    },
}

/// Filters of `GET /invocations`; `None` matches everything.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub app_name: Option<String>,
    pub action_name: Option<String>,
    pub status: Option<InvocationStatus>,
    pub version: Option<String>,
    pub deployment_id: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub query: Option<String>,
}

struct Record {
    invocation: Invocation,
    started: OffsetDateTime,
    changes: watch::Sender<Invocation>,
}

#[derive(Default)]
struct Inner {
    records: HashMap<String, Record>,
    /// Ids in creation order.
    order: Vec<String>,
}

/// All invocations of one emulator.
#[derive(Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

fn is_terminal(status: &InvocationStatus) -> bool {
    matches!(
        status,
        InvocationStatus::Succeeded | InvocationStatus::Failed
    )
}

/// 24 characters of lowercase letters and digits, like the API's ids.
fn new_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..24)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the data consistent (every change is one
        // assignment), so a poisoned lock is still safe to use.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn create(&self, request: CreateRequest) -> Invocation {
        let mut inner = self.lock();
        // Stamped under the lock, so creation order and started_at agree.
        let started = time_format::now();
        let id = loop {
            let id = new_id();
            if !inner.records.contains_key(&id) {
                break id;
            }
        };
        let invocation = Invocation {
            id: id.clone(),
            app_name: request.app_name,
            action_name: request.action_name,
            payload: request.payload,
            output: None,
            started_at: time_format::format(started),
            finished_at: None,
            status: if request.is_async {
                InvocationStatus::Queued
            } else {
                InvocationStatus::Running
            },
            status_reason: None,
            version: request.version,
        };
        let (changes, _) = watch::channel(invocation.clone());
        inner.records.insert(
            id.clone(),
            Record {
                invocation: invocation.clone(),
                started,
                changes,
            },
        );
        inner.order.push(id);
        invocation
    }

    pub fn get(&self, id: &str) -> Option<Invocation> {
        self.lock().records.get(id).map(|r| r.invocation.clone())
    }

    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn update(
        &self,
        id: &str,
        status: UpdateStatus,
        output: Option<String>,
    ) -> Result<Invocation, UpdateError> {
        let requested = match status {
            UpdateStatus::Succeeded => InvocationStatus::Succeeded,
            UpdateStatus::Failed => InvocationStatus::Failed,
        };
        let mut inner = self.lock();
        let record = inner
            .records
            .get_mut(id)
            .ok_or_else(|| UpdateError::NotFound(id.to_owned()))?;
        if is_terminal(&record.invocation.status) {
            return if record.invocation.status == requested {
                Ok(record.invocation.clone())
            } else {
                let current = record.invocation.status.clone();
                Err(UpdateError::Conflict { current, requested })
            };
        }
        let invocation = &mut record.invocation;
        invocation.status_reason = Some(format!("Marked {requested} by an update"));
        invocation.status = requested;
        invocation.finished_at = Some(time_format::format(time_format::now()));
        if output.is_some() {
            invocation.output = output;
        }
        let updated = invocation.clone();
        record.changes.send_replace(updated.clone());
        Ok(updated)
    }

    /// Newest first; returns the page and whether more match after it.
    pub fn list(
        &self,
        filter: &ListFilter,
        offset: usize,
        limit: usize,
    ) -> (Vec<Invocation>, bool) {
        let inner = self.lock();
        let mut matching = inner
            .order
            .iter()
            .rev()
            .filter_map(|id| inner.records.get(id))
            .filter(|record| matches(filter, record));
        let page: Vec<Invocation> = matching
            .by_ref()
            .skip(offset)
            .take(limit)
            .map(|record| record.invocation.clone())
            .collect();
        let has_more = matching.next().is_some();
        (page, has_more)
    }

    /// The invocation now, and every change after it.
    pub fn subscribe(&self, id: &str) -> Option<watch::Receiver<Invocation>> {
        self.lock().records.get(id).map(|r| r.changes.subscribe())
    }
}

fn matches(filter: &ListFilter, record: &Record) -> bool {
    let invocation = &record.invocation;
    let equal =
        |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|w| w == actual);
    equal(&filter.app_name, &invocation.app_name)
        && equal(&filter.action_name, &invocation.action_name)
        && equal(&filter.version, &invocation.version)
        && filter.status.as_ref().is_none_or(|s| *s == invocation.status)
        // Emulated invocations belong to no deployment.
        && filter.deployment_id.is_none()
        && filter.since.is_none_or(|since| record.started >= since)
        && filter.query.as_deref().is_none_or(|q| {
            invocation.id.contains(q) || invocation.app_name.contains(q) || invocation.action_name.contains(q)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(app: &str, is_async: bool) -> CreateRequest {
        CreateRequest {
            app_name: app.into(),
            action_name: "act".into(),
            version: "1".into(),
            payload: None,
            is_async,
        }
    }

    #[test]
    fn new_invocations_are_running_or_queued_with_api_ids() {
        let store = Store::default();
        let running = store.create(request("a", false));
        let queued = store.create(request("a", true));
        assert_eq!(running.status, InvocationStatus::Running);
        assert_eq!(queued.status, InvocationStatus::Queued);
        assert_eq!(running.finished_at, None);
        assert_eq!(running.id.len(), 24);
        assert!(running
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(running.id, queued.id);
    }

    #[test]
    fn every_legal_and_illegal_update() {
        let store = Store::default();
        for is_async in [false, true] {
            for status in [UpdateStatus::Succeeded, UpdateStatus::Failed] {
                let id = store.create(request("a", is_async)).id;
                let done = store.update(&id, status, Some("1".into())).unwrap();
                assert!(is_terminal(&done.status));
                assert_eq!(done.output.as_deref(), Some("1"));
                let finished = done.finished_at.clone().unwrap();
                assert!(done.status_reason.is_some());
                // Same status again: idempotent, finished_at unchanged.
                let again = store.update(&id, status, Some("2".into())).unwrap();
                assert_eq!(again, done);
                assert_eq!(again.finished_at.unwrap(), finished);
                // The other terminal status: conflict.
                let other = match status {
                    UpdateStatus::Succeeded => UpdateStatus::Failed,
                    UpdateStatus::Failed => UpdateStatus::Succeeded,
                };
                assert!(matches!(
                    store.update(&id, other, None),
                    Err(UpdateError::Conflict { .. })
                ));
            }
        }
        assert_eq!(
            store.update("missing", UpdateStatus::Failed, None),
            Err(UpdateError::NotFound("missing".into()))
        );
    }

    #[test]
    fn list_is_newest_first_filtered_and_paged() {
        let store = Store::default();
        let ids: Vec<String> = (0..5)
            .map(|i| {
                store
                    .create(request(if i % 2 == 0 { "even" } else { "odd" }, false))
                    .id
            })
            .collect();
        let (page, more) = store.list(&ListFilter::default(), 0, 2);
        assert_eq!(
            page.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
            vec![ids[4].clone(), ids[3].clone()]
        );
        assert!(more);
        let (last, more) = store.list(&ListFilter::default(), 4, 2);
        assert_eq!(last.len(), 1);
        assert!(!more);
        let even = ListFilter {
            app_name: Some("even".into()),
            ..ListFilter::default()
        };
        assert_eq!(store.list(&even, 0, 10).0.len(), 3);
        let query = ListFilter {
            query: Some(ids[1].clone()),
            ..ListFilter::default()
        };
        assert_eq!(store.list(&query, 0, 10).0.len(), 1);
        store.update(&ids[0], UpdateStatus::Failed, None).unwrap();
        let failed = ListFilter {
            status: Some(InvocationStatus::Failed),
            ..ListFilter::default()
        };
        assert_eq!(store.list(&failed, 0, 10).0[0].id, ids[0]);
    }

    #[test]
    fn concurrent_updates_apply_once() {
        let store = std::sync::Arc::new(Store::default());
        let id = store.create(request("a", false)).id;
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (store, id) = (store.clone(), id.clone());
                std::thread::spawn(move || {
                    let status = if i % 2 == 0 {
                        UpdateStatus::Succeeded
                    } else {
                        UpdateStatus::Failed
                    };
                    store.update(&id, status, None)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let final_status = store.get(&id).unwrap().status;
        for result in results {
            match result {
                Ok(inv) => assert_eq!(inv.status, final_status),
                Err(UpdateError::Conflict { current, .. }) => assert_eq!(current, final_status),
                Err(other) => panic!("{other}"),
            }
        }
    }
}

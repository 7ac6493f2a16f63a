//! What the store leaves next to the state file and how it goes away:
//! temporary files of interrupted saves (they hold a whole state, secret
//! included) and files kept aside because they could not be understood.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::{FileStateStore, STALE_TEMP_AGE};
use crate::state::{StateError, StateStore};

impl FileStateStore {
    /// Removes the temporary files that saves interrupted by a crash left
    /// next to the state file: they hold a whole state, secret included.
    /// When the store's lock is free no save of the configurator is under
    /// way (it saves only while holding the lock), so every one goes; when
    /// it is held, only those older than a minute. Best effort: a failure
    /// here never fails the open.
    pub(super) fn remove_leftover_temps(&self) {
        if !self.has_temps() {
            return;
        }
        match self.try_lock() {
            Ok(Some(guard)) => {
                self.remove_temps(Duration::ZERO);
                drop(guard);
            }
            _ => self.remove_temps(STALE_TEMP_AGE),
        }
    }

    fn has_temps(&self) -> bool {
        fs::read_dir(self.dir()).is_ok_and(|entries| {
            entries.flatten().any(|entry| {
                entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&self.temp_prefix))
            })
        })
    }

    /// Removes temporary files of interrupted saves older than a minute.
    /// Best effort: failures are ignored.
    pub(super) fn clean_stale_temps(&self) {
        self.remove_temps(STALE_TEMP_AGE);
    }

    /// Removes temporary files of saves older than `min_age`.
    fn remove_temps(&self, min_age: Duration) {
        let Ok(entries) = fs::read_dir(self.dir()) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.starts_with(&self.temp_prefix) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let stale = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|age| age >= min_age);
            if stale {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Renames the file aside to `<name>.corrupt-<UTC timestamp>-<random>`
    /// and returns where it went. `opened` is the metadata of the file that
    /// was read: when the path names another file by now (a concurrent save
    /// replaced it) nothing is moved and an error is returned instead.
    pub(super) fn keep_aside(&self, opened: &fs::Metadata) -> Result<PathBuf, StateError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match fs::symlink_metadata(&self.path) {
                Ok(now) if now.dev() == opened.dev() && now.ino() == opened.ino() => {}
                Ok(_) => {
                    return Err(self.io_err(
                        "keep corrupt file aside (it was replaced meanwhile; retry the load)",
                        &self.path,
                        std::io::Error::from(std::io::ErrorKind::Interrupted),
                    ));
                }
                Err(e) => return Err(self.io_err("keep corrupt file aside", &self.path, e)),
            }
        }
        #[cfg(not(unix))]
        let _ = opened;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let random = uuid::Uuid::new_v4().simple().to_string();
        let kept = self.path.with_file_name(format!(
            "{}.corrupt-{stamp}-{}",
            self.file_name,
            &random[..12]
        ));
        fs::rename(&self.path, &kept)
            .map_err(|e| self.io_err("keep corrupt file aside", &self.path, e))?;
        self.sync_dir()?;
        Ok(kept)
    }
}

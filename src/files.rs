//! Writing files so that a reader, or a run killed at any moment, never sees half of one; and
//! locking a folder so that processes writing the same file take turns.

use std::path::Path;

/// Writes a file through a temporary sibling and a rename, creating the folder if needed: the
/// file holds its old content or its new content, never a mix, even after a SIGKILL.
///
/// A symbolic link is followed: its target is replaced, and the link stays. A path that is not
/// a regular file (a device such as `/dev/stdout`, a pipe) is written in place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        return std::fs::write(path, bytes);
    }
    let resolved;
    let path = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        resolved.as_path()
    } else {
        path
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written =
        std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// A path as a person reads it: relative to the current folder when it lies under it.
pub fn shown(path: &Path) -> String {
    let here = std::env::current_dir().ok();
    let relative = here
        .as_deref()
        .and_then(|here| path.strip_prefix(here).ok());
    relative.unwrap_or(path).display().to_string()
}

/// How long [`FolderLock::acquire`] waits for another process.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// An exclusive lock on a folder, held until dropped. Processes that write files in the same
/// folder (parallel test processes recording into one cassette) take turns through it.
pub struct FolderLock {
    #[cfg(unix)]
    _folder: std::fs::File,
}

impl FolderLock {
    /// Waits for the lock on `folder`, creating the folder if needed; gives up after
    /// [`LOCK_WAIT`] (a process that holds it that long is stuck).
    pub fn acquire(folder: &Path) -> std::io::Result<FolderLock> {
        std::fs::create_dir_all(folder)?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            let file = std::fs::File::open(folder)?;
            let deadline = std::time::Instant::now() + LOCK_WAIT;
            let mut pause = std::time::Duration::from_millis(1);
            loop {
                // SAFETY: flock on a descriptor this function owns; the lock is released when
                // the descriptor closes (FolderLock is dropped).
                if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                    return Ok(FolderLock { _folder: file });
                }
                let error = std::io::Error::last_os_error();
                if error.kind() != std::io::ErrorKind::WouldBlock {
                    return Err(error);
                }
                if std::time::Instant::now() >= deadline {
                    return Err(std::io::Error::other(format!(
                        "another process has held the lock on {} for {} s",
                        folder.display(),
                        LOCK_WAIT.as_secs()
                    )));
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(50));
            }
        }
        #[cfg(not(unix))]
        Ok(FolderLock {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/results.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_followed_and_a_device_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let (target, link) = (dir.path().join("real.md"), dir.path().join("link.md"));
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // /dev/null stays a device (a rename over it would need root and break the machine).
        write_atomically(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    }

    #[test]
    fn folder_locks_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (dir, counter) = (dir.path().to_path_buf(), counter.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _lock = FolderLock::acquire(&dir).unwrap();
                        let inside = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        assert_eq!(inside, 0, "two holders at once");
                        std::thread::yield_now();
                        counter.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    }
}

//! ZIP archives (zipped shapefiles, KMZ), opened with zip-bomb limits:
//! a bounded number of entries and of uncompressed bytes, and entries are
//! extracted under names of ODG's choosing, never the archive's.

use super::{Blame, ImportError, ImportLimits};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

pub struct Archive {
    zip: zip::ZipArchive<BufReader<File>>,
    blame: Blame,
    budget: u64,
}

impl Archive {
    pub fn open(path: &Path, blame: Blame, limits: &ImportLimits) -> Result<Archive, ImportError> {
        let file = File::open(path).map_err(|e| blame.file(format!("cannot read: {e}")))?;
        let zip = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| blame.file(format!("not a readable ZIP archive (truncated or damaged?): {e}")))?;
        if zip.len() > limits.max_archive_entries {
            return Err(blame.file(format!(
                "the archive has {} entries; at most {} are accepted (ODG_IMPORT_MAX_ARCHIVE_ENTRIES)",
                zip.len(),
                limits.max_archive_entries
            )));
        }
        for name in zip.file_names() {
            let unsafe_name = name.starts_with('/')
                || name.starts_with('\\')
                || name.split(['/', '\\']).any(|part| part == "..")
                || name.contains(':');
            if unsafe_name {
                return Err(blame.file(format!("the archive entry `{name}` has an unsafe path")));
            }
        }
        Ok(Archive { zip, blame, budget: limits.max_uncompressed_bytes })
    }

    /// Entry names, skipping directories and macOS resource forks.
    pub fn names(&self) -> Vec<String> {
        self.zip.file_names().filter(|n| !n.ends_with('/') && !n.starts_with("__MACOSX/")).map(str::to_owned).collect()
    }

    /// Copies entry `name` to `target`, counting its bytes against the
    /// archive's uncompressed budget (the declared sizes are not trusted).
    pub fn extract(&mut self, name: &str, target: &Path) -> Result<PathBuf, ImportError> {
        let mut entry = self
            .zip
            .by_name(name)
            .map_err(|e| self.blame.at(format!("entry {name}"), format!("cannot be read: {e}")))?;
        let mut out =
            File::create(target).map_err(|e| self.blame.file(format!("cannot write a temporary file: {e}")))?;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = entry
                .read(&mut buffer)
                .map_err(|e| self.blame.at(format!("entry {name}"), format!("damaged or truncated: {e}")))?;
            if n == 0 {
                break;
            }
            if n as u64 > self.budget {
                return Err(self
                    .blame
                    .file("the archive expands beyond the uncompressed size limit (ODG_IMPORT_MAX_UNCOMPRESSED_MB)"));
            }
            self.budget -= n as u64;
            out.write_all(&buffer[..n]).map_err(|e| self.blame.file(format!("cannot write a temporary file: {e}")))?;
        }
        Ok(target.to_path_buf())
    }
}

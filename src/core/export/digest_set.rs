//! A set of 128-bit digests (each with a `u32` value) whose memory does not grow with its size:
//! the first few hundred entries are held in memory, then the whole set moves into an unnamed
//! temporary file (an open-addressing hash table, read and written a few slots at a time), so
//! an export over a million files keeps its duplicate checks (SOP Instance UIDs, entry names)
//! exact at a few KB of memory. The file has no name on disk (it is gone when the set is
//! dropped, on success or failure) and holds only digests.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A digest: the first 128 bits of SHA-256 (a collision between two of 10^9 keys has odds
/// below 10^-20).
pub type Key = [u8; 16];

/// The first 128 bits of SHA-256 of `s`.
pub fn key_of(s: &str) -> Key {
    use sha2::Digest;
    let d = sha2::Sha256::digest(s.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// Entries held in memory before the set moves to its file.
const IN_MEMORY: usize = 256;
/// Slots of the table when it first moves to its file (a power of two).
const FIRST_SLOTS: u64 = 4096;
/// Bytes of one slot: key (16), value (4, little endian), state (1), padding (3).
const SLOT: usize = 24;
/// Slots read at once while probing.
const PROBE: usize = 16;

const EMPTY: u8 = 0;
const USED: u8 = 1;
/// A removed entry: probing goes on past it.
const GONE: u8 = 2;

#[derive(Debug)]
enum Store {
    Memory(HashMap<Key, u32>),
    Disk(Table),
}

/// The set; `dir` is where its file goes (the export's folder, else `$TMPDIR`).
#[derive(Debug)]
pub struct DigestSet {
    store: Store,
    dir: Option<PathBuf>,
    len: usize,
}

impl Default for DigestSet {
    fn default() -> Self {
        DigestSet {
            store: Store::Memory(HashMap::new()),
            dir: None,
            len: 0,
        }
    }
}

impl DigestSet {
    /// An empty set whose file (when it needs one) goes in `dir`.
    pub fn new_in(dir: &Path) -> Self {
        DigestSet {
            dir: Some(dir.to_path_buf()),
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &Key) -> io::Result<Option<u32>> {
        match &self.store {
            Store::Memory(m) => Ok(m.get(key).copied()),
            Store::Disk(t) => Ok(t.find(key)?.found),
        }
    }

    /// Adds `key` with `value`; false (and the old value kept) when it was already present.
    pub fn insert(&mut self, key: Key, value: u32) -> io::Result<bool> {
        let added = match &mut self.store {
            Store::Memory(m) if m.contains_key(&key) => false,
            Store::Memory(m) if m.len() < IN_MEMORY => {
                m.insert(key, value);
                true
            }
            Store::Memory(m) => {
                let mut t = Table::create(self.dir.as_deref(), FIRST_SLOTS)?;
                for (k, v) in m.drain() {
                    t.put_new(&k, v)?;
                }
                let added = t.insert(&key, value)?;
                self.store = Store::Disk(t);
                added
            }
            Store::Disk(t) => t.insert(&key, value)?,
        };
        if added {
            self.len += 1;
        }
        Ok(added)
    }

    /// Sets the value of `key`, adding it when absent or replacing its value.
    pub fn set(&mut self, key: Key, value: u32) -> io::Result<()> {
        match &mut self.store {
            Store::Memory(m) if m.contains_key(&key) => {
                m.insert(key, value);
                Ok(())
            }
            Store::Disk(t) => {
                let p = t.find(&key)?;
                if p.found.is_some() {
                    t.write_slot(p.at, &key, value, USED)
                } else {
                    t.put_at(&p, &key, value)?;
                    self.len += 1;
                    Ok(())
                }
            }
            Store::Memory(_) => self.insert(key, value).map(|_| ()),
        }
    }

    /// Removes `key`; false when it was not present.
    pub fn remove(&mut self, key: &Key) -> io::Result<bool> {
        let removed = match &mut self.store {
            Store::Memory(m) => m.remove(key).is_some(),
            Store::Disk(t) => t.remove(key)?,
        };
        if removed {
            self.len -= 1;
        }
        Ok(removed)
    }

    /// Whether the set lives in its file (for tests).
    pub fn on_disk(&self) -> bool {
        matches!(self.store, Store::Disk(_))
    }
}

/// The hash table in its file: `slots` slots (a power of two), linear probing, at most half
/// full (used and removed slots together) before it doubles.
#[derive(Debug)]
struct Table {
    file: File,
    dir: Option<PathBuf>,
    slots: u64,
    /// Slots not empty (used or removed).
    taken: u64,
}

/// What a probe found: the key's value and slot, and the first slot a new entry may take.
struct Probe {
    found: Option<u32>,
    at: u64,
    free: u64,
}

impl Table {
    fn create(dir: Option<&Path>, slots: u64) -> io::Result<Table> {
        let file = match dir {
            Some(d) => tempfile::tempfile_in(d)?,
            None => tempfile::tempfile()?,
        };
        // a sparse file of zeros: every slot empty
        file.set_len(slots * SLOT as u64)?;
        Ok(Table {
            file,
            dir: dir.map(Path::to_path_buf),
            slots,
            taken: 0,
        })
    }

    fn home(&self, key: &Key) -> u64 {
        u64::from_le_bytes(key[..8].try_into().expect("8 bytes")) & (self.slots - 1)
    }

    fn find(&self, key: &Key) -> io::Result<Probe> {
        let mut block = [0u8; SLOT * PROBE];
        let mut at = self.home(key);
        let mut free = None;
        let mut seen = 0u64;
        loop {
            // a block of slots, not past the end of the table
            let n = (PROBE as u64).min(self.slots - at) as usize;
            let buf = &mut block[..n * SLOT];
            self.file.read_exact_at(buf, at * SLOT as u64)?;
            for s in buf.chunks_exact(SLOT) {
                match s[20] {
                    EMPTY => {
                        return Ok(Probe {
                            found: None,
                            at,
                            free: free.unwrap_or(at),
                        })
                    }
                    USED if s[..16] == key[..] => {
                        return Ok(Probe {
                            found: Some(u32::from_le_bytes(s[16..20].try_into().expect("4"))),
                            at,
                            free: at,
                        })
                    }
                    GONE if free.is_none() => free = Some(at),
                    _ => {}
                }
                at = (at + 1) & (self.slots - 1);
                seen += 1;
                if seen >= self.slots {
                    // never reached: the table is at most half full
                    return Err(io::Error::other("digest table full"));
                }
            }
        }
    }

    fn write_slot(&self, at: u64, key: &Key, value: u32, state: u8) -> io::Result<()> {
        let mut s = [0u8; SLOT];
        s[..16].copy_from_slice(key);
        s[16..20].copy_from_slice(&value.to_le_bytes());
        s[20] = state;
        self.file.write_all_at(&s, at * SLOT as u64)
    }

    fn insert(&mut self, key: &Key, value: u32) -> io::Result<bool> {
        let p = self.find(key)?;
        if p.found.is_some() {
            return Ok(false);
        }
        self.put_at(&p, key, value)?;
        Ok(true)
    }

    /// Adds a key known to be absent.
    fn put_new(&mut self, key: &Key, value: u32) -> io::Result<()> {
        let p = self.find(key)?;
        self.put_at(&p, key, value)
    }

    fn put_at(&mut self, p: &Probe, key: &Key, value: u32) -> io::Result<()> {
        let reuses_removed = p.free != p.at;
        self.write_slot(p.free, key, value, USED)?;
        if !reuses_removed {
            self.taken += 1;
        }
        if self.taken * 2 > self.slots {
            self.grow()?;
        }
        Ok(())
    }

    fn remove(&mut self, key: &Key) -> io::Result<bool> {
        let p = self.find(key)?;
        if p.found.is_none() {
            return Ok(false);
        }
        self.write_slot(p.at, key, 0, GONE)?;
        Ok(true)
    }

    /// Moves every used slot into a table of twice the slots (removed ones are dropped),
    /// reading the old file a block at a time.
    fn grow(&mut self) -> io::Result<()> {
        let mut next = Table::create(self.dir.as_deref(), self.slots * 2)?;
        let mut block = vec![0u8; SLOT * 4096];
        let mut at = 0u64;
        while at < self.slots {
            let n = 4096u64.min(self.slots - at) as usize;
            let buf = &mut block[..n * SLOT];
            self.file.read_exact_at(buf, at * SLOT as u64)?;
            for s in buf.chunks_exact(SLOT) {
                if s[20] == USED {
                    let key: Key = s[..16].try_into().expect("16 bytes");
                    let value = u32::from_le_bytes(s[16..20].try_into().expect("4 bytes"));
                    next.put_new(&key, value)?;
                }
            }
            at += n as u64;
        }
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The set against a HashMap over inserts, repeats and removals, well past the move to
    /// its file and several doublings; keys that share their home slot (the first 8 bytes)
    /// exercise long probe runs and the wrap at the table's end.
    #[test]
    fn agrees_with_a_hash_map_in_memory_and_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = DigestSet::new_in(dir.path());
        let mut model: HashMap<Key, u32> = HashMap::new();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for i in 0..20_000u32 {
            let r = next();
            let key = if r % 5 == 0 {
                // a shared home: the same first 8 bytes, a different rest
                let mut k = [0xFFu8; 16];
                k[8..].copy_from_slice(&(r % 64).to_le_bytes());
                k
            } else {
                key_of(&format!("k{}", r % 12_000))
            };
            if r % 11 == 0 {
                model.insert(key, i);
                set.set(key, i).unwrap();
            } else if r % 7 == 0 {
                let was = model.remove(&key).is_some();
                assert_eq!(set.remove(&key).unwrap(), was, "remove {i}");
            } else {
                // the first value is kept
                let fresh = !model.contains_key(&key);
                model.entry(key).or_insert(i);
                assert_eq!(set.insert(key, i).unwrap(), fresh, "insert {i}");
            }
            assert_eq!(set.get(&key).unwrap(), model.get(&key).copied(), "get {i}");
            assert_eq!(set.len(), model.len(), "len after {i}");
        }
        assert!(set.on_disk());
        for (k, v) in &model {
            assert_eq!(set.get(k).unwrap(), Some(*v));
        }
        for j in 0..2000 {
            let k = key_of(&format!("absent {j}"));
            assert_eq!(set.get(&k).unwrap(), None);
        }
        // the file has no name: nothing is left in its folder
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

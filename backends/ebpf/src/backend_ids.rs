//! Backend ids: one per distinct endpoint (address, port, protocol), shared by every Service that
//! lists it and reference-counted, as Cilium's backend id allocator does. Pure.

use crate::abi::Lb4Backend;
use rustc_hash::FxHashMap as HashMap;

#[derive(Debug, Default, Clone)]
pub struct BackendIds {
    /// Endpoint → (id, number of Service slots that reference it).
    by_backend: HashMap<Lb4Backend, (u32, u32)>,
    free: Vec<u32>,
    /// Next never-used id; 0 is reserved (Cilium: "no backend").
    next: u32,
}

impl BackendIds {
    pub fn new() -> Self {
        Self {
            next: 1,
            ..Self::default()
        }
    }

    /// Distinct backends in use.
    pub fn count(&self) -> usize {
        self.by_backend.len()
    }

    pub fn contains(&self, backend: &Lb4Backend) -> bool {
        self.by_backend.contains_key(backend)
    }

    /// The id of a backend in use.
    pub fn id(&self, backend: &Lb4Backend) -> Option<u32> {
        self.by_backend.get(backend).map(|(id, _)| *id)
    }

    /// Every backend in use with its id.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Lb4Backend)> + '_ {
        self.by_backend.iter().map(|(b, (id, _))| (*id, *b))
    }

    /// Take a reference; returns the id and whether it was just created (so it must be written).
    pub fn acquire(&mut self, backend: Lb4Backend) -> (u32, bool) {
        if let Some((id, refs)) = self.by_backend.get_mut(&backend) {
            *refs += 1;
            return (*id, false);
        }
        let id = self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        });
        self.by_backend.insert(backend, (id, 1));
        (id, true)
    }

    /// Drop a reference; returns the id when it was the last one. The id is not reused until
    /// [`BackendIds::recycle`], so one plan never writes and deletes the same id.
    pub fn release(&mut self, backend: &Lb4Backend) -> Option<u32> {
        let (id, refs) = self.by_backend.get_mut(backend)?;
        *refs -= 1;
        if *refs > 0 {
            return None;
        }
        let id = *id;
        self.by_backend.remove(backend);
        Some(id)
    }

    /// Make ids freed by [`BackendIds::release`] available again, once their deletes are planned.
    pub fn recycle(&mut self, ids: &[u32]) {
        self.free.extend_from_slice(ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(n: u8) -> Lb4Backend {
        Lb4Backend {
            address: u32::from_ne_bytes([10, 244, 0, n]),
            port: 8080u16.to_be(),
            proto: 6,
            flags: 0,
        }
    }

    #[test]
    fn shared_endpoints_share_an_id_until_the_last_release() {
        let mut ids = BackendIds::new();
        assert_eq!(ids.acquire(b(1)), (1, true));
        assert_eq!(ids.acquire(b(2)), (2, true));
        assert_eq!(ids.acquire(b(1)), (1, false));
        assert_eq!(ids.count(), 2);
        assert_eq!(ids.release(&b(1)), None);
        assert_eq!(ids.release(&b(1)), Some(1));
        assert_eq!(ids.count(), 1);
        // Not reused before recycle: a plan that frees 1 and creates a backend gets 3.
        assert_eq!(ids.acquire(b(3)), (3, true));
        ids.recycle(&[1]);
        assert_eq!(ids.acquire(b(4)), (1, true));
        assert_eq!(ids.release(&b(9)), None);
    }
}

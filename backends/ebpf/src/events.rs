//! The connect4 program's own count of the races it met (`LB4_EVENTS`), read back from the
//! kernel: how often a concurrent update made it start a lookup over, and how often it gave up.

use crate::abi::{
    LB4_EV_BACKEND_MISSING, LB4_EV_INCONSISTENT, LB4_EV_REJECTED, LB4_EV_SLOT_MISSING,
};
use crate::sys;
use crate::EbpfError;
use std::os::fd::BorrowedFd;

/// Totals since the program was loaded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReaderEvents {
    /// A slot below the count it read was gone (deleted after a shrink): retried.
    pub slot_missing: u64,
    /// A slot's backend was gone (deleted once unreferenced): retried.
    pub backend_missing: u64,
    /// An entry held a value its key cannot have (an element recycled for another key while
    /// the program held it): retried.
    pub inconsistent: u64,
    /// Connections refused after the last attempt still met a race.
    pub rejected: u64,
}

impl ReaderEvents {
    /// Lookups started over, of any kind.
    pub fn retries(&self) -> u64 {
        self.slot_missing + self.backend_missing + self.inconsistent
    }
}

pub fn read(fd: BorrowedFd<'_>) -> Result<ReaderEvents, EbpfError> {
    let at = |index: u32| -> Result<u64, EbpfError> {
        sys::lookup_elem::<u32, u64>(fd, &index)
            .map(|v| v.unwrap_or(0))
            .map_err(|source| EbpfError::Syscall {
                command: "BPF_MAP_LOOKUP_ELEM",
                map: "LB4_EVENTS",
                source,
            })
    };
    Ok(ReaderEvents {
        slot_missing: at(LB4_EV_SLOT_MISSING)?,
        backend_missing: at(LB4_EV_BACKEND_MISSING)?,
        inconsistent: at(LB4_EV_INCONSISTENT)?,
        rejected: at(LB4_EV_REJECTED)?,
    })
}

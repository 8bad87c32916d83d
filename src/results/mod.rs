//! `results.jsonl`: the contract between a run and everything that reads it later.

mod first_packet;
mod kernel_memory;
pub mod located;
mod lock_wait;
mod read;
mod schema;
mod writer;

pub use first_packet::{FirstPacket, FirstPacketMeasure, LookupPosition};
pub use kernel_memory::KernelMemoryUse;
pub use located::Located;
pub use lock_wait::LockWait;
pub use read::{read_located, read_records, ReadError};
pub use schema::*;
pub use writer::{ResultsWriter, MIRROR_ENV};

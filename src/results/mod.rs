//! `results.jsonl`: the contract between a run and everything that reads it later.

pub mod located;
mod read;
mod schema;
mod writer;

pub use located::Located;
pub use read::{read_located, read_records, ReadError};
pub use schema::*;
pub use writer::{ResultsWriter, MIRROR_ENV};

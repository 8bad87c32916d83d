//! `results.jsonl`: the contract between a run and everything that reads it later.

mod read;
mod schema;
mod writer;

pub use read::{read_records, ReadError};
pub use schema::*;
pub use writer::{ResultsWriter, MIRROR_ENV};

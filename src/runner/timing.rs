//! Timing one backend call: the backend's own split plus the lab's wall time around the call.

use crate::results::Sample;
use std::time::Instant;
use svclab_backend::{BackendError, OpReport};

pub(crate) fn timed(
    op: impl FnOnce() -> Result<OpReport, BackendError>,
) -> Result<Sample, BackendError> {
    let started = Instant::now();
    let report = op()?;
    let total = started.elapsed();
    Ok(Sample {
        commit_ns: report.commit.as_nanos() as u64,
        prepare_ns: report.prepare.as_nanos() as u64,
        total_ns: total.as_nanos() as u64,
        kernel_calls: report.kernel_calls,
        objects_written: report.objects_written,
        write: report.write,
    })
}

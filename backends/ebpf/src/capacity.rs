//! How large the maps are: `max_entries` is fixed when a map is created, so the lab sizes them
//! from the scenario, and a set that does not fit is refused before anything is written.

/// `max_entries` of the three maps. Writes happen before deletes, so a sync that replaces a set
/// needs room for the old and new entries together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapCapacity {
    pub service_entries: u32,
    pub backends: u32,
    pub rev_nat: u32,
}

impl MapCapacity {
    /// Room for `services` Services of up to `endpoints` endpoints each, all endpoints distinct.
    pub fn for_services(services: u32, endpoints: u32) -> Self {
        Self {
            service_entries: services.saturating_mul(endpoints.saturating_add(1)).max(1),
            backends: services.saturating_mul(endpoints).max(1),
            rev_nat: services.max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sized_for_services_with_distinct_endpoints() {
        let cap = MapCapacity::for_services(20_000, 2);
        assert_eq!(
            (cap.service_entries, cap.backends, cap.rev_nat),
            (60_000, 40_000, 20_000)
        );
        // A map of 0 entries cannot be created; an empty scenario still gets one slot.
        assert_eq!(MapCapacity::for_services(0, 0).service_entries, 1);
    }
}

//! Adaptive repetitions, criterion's idea: repeat an operation until it has `repetitions` timed
//! samples or its time budget (`op_budget`) is spent, whichever comes first, but never stop
//! below a floor of samples (`min_samples`, 3 by default), so a median always has a few values
//! under it. Fast operations get every repetition; an operation whose one call takes seconds
//! stops at the floor.

use crate::scenario::Plan;
use std::time::{Duration, Instant};

/// How many timed samples an operation may take, and how long.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub repetitions: usize,
    /// The fewest it stops at for lack of time (fewer only when `repetitions` is fewer).
    pub floor: usize,
    pub budget: Duration,
}

impl Limits {
    pub fn of(plan: &Plan) -> Self {
        Self {
            repetitions: plan.repetitions,
            floor: plan.min_samples,
            budget: plan.op_budget,
        }
    }
}

/// Whether another timed sample is due: `taken` so far, `spent` since the operation began
/// (its warm-up included).
pub fn more_samples(taken: usize, spent: Duration, limits: Limits) -> bool {
    taken < limits.repetitions
        && (taken < limits.floor.min(limits.repetitions) || spent < limits.budget)
}

/// Rounds of the disruption stream (each one full sync, plus an endpoint update and its undo on
/// another Service when there is one): at least two, so at least one full sync and three endpoint
/// updates, however long they take; then on while the scenario's rounds and duration ask for
/// more and the operation budget is not spent. Counted in rounds, not updates, so a one-Service
/// point (no other Service to update) still ends.
pub fn more_disruption_rounds(rounds: usize, spent: Duration, plan: &Plan) -> bool {
    const MIN_ROUNDS: usize = 2;
    let asked = rounds < plan.disruption.rounds || spent < plan.disruption.duration;
    rounds < MIN_ROUNDS || (asked && spent < plan.op_budget)
}

/// Warm-up calls for a scale point's operations, given how long its initial sync took: the
/// scenario's `warmup`, but none when one sync already outlasted the operation budget. A warm-up
/// is there to fill caches and fault pages in before timing; a sync that takes longer than the
/// whole budget has done that, and a second untimed one would only double the point's time.
pub fn warmup_after(initial_sync: Duration, plan: &Plan) -> usize {
    if initial_sync > plan.op_budget {
        0
    } else {
        plan.warmup
    }
}

/// Whether disruption round `round` starts with a full sync. The first round always does; later
/// ones only while the operation budget lasts, so a backend whose full sync outlasts the budget
/// pays it once and spends its second round on endpoint updates alone.
pub fn disruption_round_syncs(round: usize, spent: Duration, plan: &Plan) -> bool {
    round == 0 || spent < plan.op_budget
}

/// One operation's clock, started before its warm-up.
pub struct Repeat {
    started: Instant,
    limits: Limits,
}

impl Repeat {
    pub fn start(plan: &Plan) -> Self {
        Self {
            started: Instant::now(),
            limits: Limits::of(plan),
        }
    }

    /// Another timed sample after `taken`?
    pub fn more(&self, taken: usize) -> bool {
        more_samples(taken, self.started.elapsed(), self.limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn limits(repetitions: usize, floor: usize, budget: u64) -> Limits {
        Limits {
            repetitions,
            floor,
            budget: S(budget),
        }
    }

    #[test]
    fn fast_operations_get_every_repetition() {
        let l = limits(20, 3, 30);
        assert!(more_samples(0, S(0), l));
        assert!(more_samples(19, S(29), l));
        assert!(!more_samples(20, S(1), l));
    }

    #[test]
    fn a_spent_budget_stops_at_the_floor_never_below() {
        let l = limits(20, 3, 30);
        assert!(more_samples(0, S(100), l));
        assert!(more_samples(2, S(100), l));
        assert!(!more_samples(3, S(100), l));
        assert!(!more_samples(3, S(31), l));
        // A scenario asking for fewer than the floor gets what it asked.
        assert!(!more_samples(2, S(0), limits(2, 3, 30)));
    }

    #[test]
    fn a_floor_of_one_times_a_slow_operation_once_and_repeats_a_fast_one() {
        let l = limits(5, 1, 30);
        assert!(more_samples(0, S(900), l));
        assert!(!more_samples(1, S(900), l));
        assert!(more_samples(4, S(20), l));
        assert!(!more_samples(5, S(20), l));
    }

    #[test]
    fn the_scenario_sets_the_floor() {
        let default = crate::scenario::parse("scale = [1]\n", "t.toml", &["iptables-nft"])
            .expect("valid scenario");
        assert_eq!(Limits::of(&default).floor, 3);
        let one = crate::scenario::parse(
            "scale = [1]\nmin_samples = 1\n",
            "t.toml",
            &["iptables-nft"],
        )
        .expect("valid scenario");
        assert_eq!(Limits::of(&one).floor, 1);
        let bad = crate::scenario::parse(
            "scale = [1]\nmin_samples = 0\n",
            "t.toml",
            &["iptables-nft"],
        );
        assert!(bad.is_err(), "min_samples = 0 must be refused");
    }

    fn plan(rounds: usize, duration: u64, budget: u64) -> Plan {
        let text = format!(
            "scale = [1]\nop_budget = \"{budget}s\"\n[disruption]\nrounds = {rounds}\nduration = \"{duration}s\"\n"
        );
        crate::scenario::parse(&text, "t.toml", &["iptables-nft"]).expect("valid scenario")
    }

    #[test]
    fn disruption_runs_its_minimum_then_follows_rounds_duration_and_budget() {
        let p = plan(5, 2, 30);
        // Two rounds (a full sync and three updates) at least, however long they take.
        assert!(more_disruption_rounds(0, S(100), &p));
        assert!(more_disruption_rounds(1, S(100), &p));
        assert!(!more_disruption_rounds(2, S(100), &p));
        // Within the budget: the scenario's rounds, then its duration.
        assert!(more_disruption_rounds(4, S(10), &p));
        assert!(!more_disruption_rounds(5, S(10), &p));
        assert!(more_disruption_rounds(9, S(1), &p));
        // The budget cuts the scenario's rounds short.
        assert!(!more_disruption_rounds(3, S(31), &p));
    }

    #[test]
    fn no_warmup_once_a_sync_outlasted_the_budget() {
        let p = plan(3, 2, 30);
        assert_eq!(warmup_after(S(1), &p), p.warmup);
        assert_eq!(warmup_after(S(30), &p), p.warmup);
        assert_eq!(warmup_after(S(31), &p), 0);
    }

    #[test]
    fn a_slow_backend_full_syncs_once_in_the_disruption_stream() {
        let p = plan(3, 2, 30);
        assert!(disruption_round_syncs(0, S(500), &p));
        assert!(disruption_round_syncs(1, S(10), &p));
        assert!(!disruption_round_syncs(1, S(31), &p));
        assert!(!disruption_round_syncs(2, S(100), &p));
    }
}

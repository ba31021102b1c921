//! The refresh lease under a fake clock: tabs racing for one key in a simulated
//! `localStorage` whose writes reach the other tabs late and out of order.

use proptest::prelude::*;

use wasm_session::core::lease::*;
use wasm_session::core::Id128;

const T0: u64 = 1_700_000_000_000;
const SEC: u64 = 1_000;

fn owner(n: u8) -> Id128 {
    Id128([n; 16])
}

fn lease_of(n: u8, expires: u64) -> String {
    let mut value = owner(n).to_hex();
    value.push('|');
    value.push_str(&expires.to_string());
    value
}

/// One `localStorage` key shared by the tabs of one origin. A write reaches
/// the shared value `delay` ms after it was made; until then only the writing
/// tab sees it (a tab reads its own writes at once). Writes of different tabs
/// land in any order; writes of one tab land in the order it made them.
#[derive(Debug, Default)]
struct SharedKey {
    landed: Option<String>,
    in_flight: Vec<InFlight>,
    writes: u64,
}

#[derive(Debug)]
struct InFlight {
    tab: usize,
    value: Option<String>,
    lands_at: u64,
    order: u64,
}

impl SharedKey {
    /// `value` (`None`: a removal) written by `tab` at `now`.
    fn write(&mut self, tab: usize, value: Option<String>, now: u64, delay: u64) {
        let after_own = self.in_flight.iter().filter(|w| w.tab == tab).map(|w| w.lands_at).max().unwrap_or(0);
        self.writes += 1;
        self.in_flight.push(InFlight { tab, value, lands_at: (now + delay).max(after_own), order: self.writes });
    }

    fn land(&mut self, now: u64) {
        self.in_flight.sort_by_key(|w| (w.lands_at, w.order));
        while self.in_flight.first().is_some_and(|w| w.lands_at <= now) {
            self.landed = self.in_flight.remove(0).value;
        }
    }

    /// What `tab` reads at `now`.
    fn read(&mut self, tab: usize, now: u64) -> Option<String> {
        self.land(now);
        match self.in_flight.iter().filter(|w| w.tab == tab).max_by_key(|w| w.order) {
            Some(own) => own.value.clone(),
            None => self.landed.clone(),
        }
    }
}

/// One stream of test choices (write delays, random numbers or tie-breaks),
/// repeated as needed.
#[derive(Debug)]
struct Draws {
    values: Vec<u64>,
    next: usize,
}

impl Draws {
    fn new(values: Vec<u64>) -> Draws {
        Draws { values: if values.is_empty() { vec![0] } else { values }, next: 0 }
    }

    fn below(&mut self, bound: u64) -> u64 {
        let value = self.values[self.next % self.values.len()];
        self.next += 1;
        if bound == 0 {
            0
        } else {
            value % bound
        }
    }
}

#[derive(Debug)]
struct Tab {
    claim: LeaseClaim,
    /// When the tab next reads the key for its claim or renewal.
    next_read: Option<u64>,
    /// When a holder releases (or closes, if `closes`).
    release_at: Option<u64>,
    hold_ms: u64,
    closes: bool,
    rounds_left: u32,
    lost: bool,
    /// How late a holder's renewal reads come (a throttled background tab).
    late_by: u64,
}

/// A hold: tab, granted at, ended at.
type Hold = (usize, u64, u64);

#[derive(Debug)]
struct Race {
    now: u64,
    key: SharedKey,
    tabs: Vec<Tab>,
    delays: Draws,
    randoms: Draws,
    ties: Draws,
    max_delay: u64,
    holds: Vec<Hold>,
    /// Holds still running: tab, granted at.
    holding: Vec<(usize, u64)>,
    /// Every lease written: tab, at, its expiry.
    written: Vec<(usize, u64, u64)>,
    next_owner: u8,
}

impl Race {
    /// Tabs that start claiming at the given times, each wanting the lease
    /// `rounds` times for `hold_ms`; every write lands within `max_delay`.
    fn new(starts: &[(u64, u64)], rounds: u32, max_delay: u64, draws: [Vec<u64>; 3]) -> Race {
        let [delays, randoms, ties] = draws;
        let mut race = Race {
            now: T0,
            key: SharedKey::default(),
            tabs: Vec::new(),
            delays: Draws::new(delays),
            randoms: Draws::new(randoms),
            ties: Draws::new(ties),
            max_delay,
            holds: Vec::new(),
            holding: Vec::new(),
            written: Vec::new(),
            next_owner: 1,
        };
        for &(start, hold_ms) in starts {
            let claim = race.fresh_claim();
            race.tabs.push(Tab {
                claim,
                next_read: Some(T0 + start),
                release_at: None,
                hold_ms,
                closes: false,
                rounds_left: rounds,
                lost: false,
                late_by: 0,
            });
        }
        race
    }

    fn fresh_claim(&mut self) -> LeaseClaim {
        self.next_owner = self.next_owner.wrapping_add(1);
        LeaseClaim::new(owner(self.next_owner))
    }

    /// How late a tab's next read comes.
    fn lateness(&self, i: usize) -> u64 {
        if self.tabs[i].claim.is_held() {
            self.tabs[i].late_by
        } else {
            0
        }
    }

    /// Whether every overlap began only after the earlier holder's lease had
    /// expired: it failed to renew in time, and nothing else let a tab in.
    fn overlaps_only_after_expiry(&self) -> bool {
        self.overlaps().iter().all(|&(a, b)| {
            let (first, second) = if a.1 <= b.1 { (a, b) } else { (b, a) };
            let expires = self.written.iter().filter(|w| w.0 == first.0 && w.1 <= second.1).map(|w| w.2).max();
            expires.is_some_and(|expires| second.1 >= expires)
        })
    }

    fn delay(&mut self) -> u64 {
        self.delays.below(self.max_delay + 1)
    }

    /// The next event: the earliest read or release, ties in drawn order.
    fn next_event(&mut self) -> Option<(u64, usize, bool)> {
        let mut events: Vec<(u64, usize, bool)> = Vec::new();
        for (i, tab) in self.tabs.iter().enumerate() {
            if let Some(at) = tab.release_at {
                events.push((at, i, true));
            }
            if let Some(at) = tab.next_read {
                events.push((at, i, false));
            }
        }
        let first = events.iter().map(|e| e.0).min()?;
        events.retain(|e| e.0 == first);
        let pick = self.ties.below(events.len() as u64) as usize;
        Some(events[pick])
    }

    /// Runs until no tab wants anything, or `limit` of simulated time.
    fn run(&mut self, limit: u64) {
        while let Some((at, i, is_release)) = self.next_event() {
            if at > T0 + limit {
                return;
            }
            self.now = self.now.max(at);
            if is_release {
                self.release(i);
            } else {
                self.read(i);
            }
        }
    }

    fn read(&mut self, i: usize) {
        let now = self.now;
        let stored = self.key.read(i, now);
        let random = self.randoms.below(u64::from(u32::MAX)) as u32;
        let step = self.tabs[i].claim.handle_read(now, stored.as_deref(), random);
        self.tabs[i].next_read = None;
        match step {
            LeaseStep::Write { value, read_at } => {
                assert!(read_at > now, "reads are scheduled ahead");
                let expires = value.split_once('|').and_then(|(_, e)| e.parse().ok()).expect("a well-formed lease");
                self.written.push((i, now, expires));
                let delay = self.delay();
                self.key.write(i, Some(value), now, delay);
                self.tabs[i].next_read = Some(read_at + self.lateness(i));
            }
            LeaseStep::ReadAt(at) => {
                assert!(at > now, "reads are scheduled ahead");
                self.tabs[i].next_read = Some(at);
            }
            LeaseStep::Granted { renew_at } => {
                self.holding.push((i, now));
                self.tabs[i].release_at = Some(now + self.tabs[i].hold_ms);
                self.tabs[i].next_read = Some(renew_at + self.lateness(i));
            }
            LeaseStep::Lost => self.tabs[i].lost = true,
            other => panic!("unexpected {other:?}"),
        }
    }

    fn release(&mut self, i: usize) {
        let now = self.now;
        self.tabs[i].release_at = None;
        self.tabs[i].next_read = None;
        if let Some(index) = self.holding.iter().position(|h| h.0 == i) {
            let (_, granted) = self.holding.remove(index);
            self.holds.push((i, granted, now));
        }
        if self.tabs[i].closes {
            return; // gone: its lease stays until it expires
        }
        let stored = self.key.read(i, now);
        if self.tabs[i].claim.should_remove(stored.as_deref()) {
            let delay = self.delay();
            self.key.write(i, None, now, delay);
        }
        self.tabs[i].rounds_left = self.tabs[i].rounds_left.saturating_sub(1);
        if self.tabs[i].rounds_left > 0 {
            // Wants it again a little later, with a fresh claim (as the shell does).
            self.tabs[i].claim = self.fresh_claim();
            let pause = self.randoms.below(200);
            self.tabs[i].next_read = Some(now + 1 + pause);
        }
    }

    /// Every pair of holds that overlapped in time.
    fn overlaps(&self) -> Vec<(Hold, Hold)> {
        let mut all = self.holds.clone();
        all.extend(self.holding.iter().map(|&(tab, granted)| (tab, granted, u64::MAX)));
        let mut found = Vec::new();
        for (n, a) in all.iter().enumerate() {
            for b in all.iter().skip(n + 1) {
                if a.0 != b.0 && a.1 < b.2 && b.1 < a.2 {
                    found.push((*a, *b));
                }
            }
        }
        found
    }

    fn grants_of(&self, tab: usize) -> usize {
        self.holds.iter().filter(|h| h.0 == tab).count() + self.holding.iter().filter(|h| h.0 == tab).count()
    }
}

#[test]
fn two_tabs_racing_for_a_free_lease_never_hold_it_together() {
    // Every start offset around the settle time, every write delay up to it.
    for offset in [0, 1, 20, 39, 40, 41, 79, 80, 81] {
        for (delay_a, delay_b) in [(0, 0), (40, 0), (0, 40), (40, 40), (35, 15), (15, 35)] {
            let mut race = Race::new(
                &[(0, 5 * SEC), (offset, 5 * SEC)],
                1,
                SETTLE_MS,
                [vec![delay_a, delay_b, 0], vec![0], vec![0]],
            );
            race.run(10 * 60 * SEC);
            assert_eq!(race.overlaps(), vec![], "offset {offset}, delays {delay_a}/{delay_b}");
            assert_eq!((race.grants_of(0), race.grants_of(1)), (1, 1), "both get it in turn");
        }
    }
}

#[test]
fn the_last_write_to_land_wins_a_simultaneous_race() {
    // Both read the key free at once; A's write lands after B's.
    let mut race = Race::new(&[(0, 5 * SEC), (0, 5 * SEC)], 1, SETTLE_MS, [vec![30, 10], vec![0], vec![0]]);
    race.run(SEC);
    let first = race.holding.first().map(|h| h.0);
    assert_eq!(race.holding.len(), 1);
    assert_eq!(first, Some(0), "A's write landed last");
}

#[test]
fn a_write_delayed_past_the_settle_time_can_let_two_tabs_in() {
    // The window the docs name: A's write takes longer than two settle times to
    // reach B, so B finds the key free, writes, and both read back their own.
    let mut key = SharedKey::default();
    let (mut a, mut b) = (LeaseClaim::new(owner(1)), LeaseClaim::new(owner(2)));
    let LeaseStep::Write { value, read_at: a_reads } = a.handle_read(T0, None, 0) else { panic!() };
    key.write(0, Some(value), T0, 3 * SETTLE_MS);
    let seen = key.read(1, T0 + 1);
    assert_eq!(seen, None, "B does not see A's write yet");
    let LeaseStep::Write { value, read_at: b_reads } = b.handle_read(T0 + 1, seen.as_deref(), 0) else { panic!() };
    key.write(1, Some(value), T0 + 1, 0);
    let a_step = a.handle_read(a_reads, key.read(0, a_reads).as_deref(), 0);
    let b_step = b.handle_read(b_reads, key.read(1, b_reads).as_deref(), 0);
    assert!(matches!(a_step, LeaseStep::Granted { .. }), "{a_step:?}");
    assert!(matches!(b_step, LeaseStep::Granted { .. }), "{b_step:?}");

    // A's late write then overwrites B's lease: B finds out at its renewal and
    // stops claiming exclusion; B's release leaves A's lease alone.
    let renew = b_reads + RENEW_EVERY_MS;
    assert_eq!(b.handle_read(renew, key.read(1, renew).as_deref(), 0), LeaseStep::Lost);
    assert!(!b.is_held());
    assert!(!b.should_remove(key.read(1, renew).as_deref()));
    assert!(a.should_remove(key.read(0, renew).as_deref()));
}

#[test]
fn a_closed_tabs_lease_blocks_the_others_until_it_expires() {
    let mut race = Race::new(&[(0, 2 * SEC), (500, 2 * SEC)], 1, SETTLE_MS, [vec![7, 3, 12], vec![5], vec![0]]);
    race.tabs[0].closes = true; // closes after 2 s, holding
    race.run(5 * 60 * SEC);
    assert_eq!(race.overlaps(), vec![]);
    let (_, _, closed_at) = race.holds[0];
    let taken_over = race.holds.get(1).map(|h| h.1).expect("B gets the lease");
    let expired = T0 + LEASE_MS; // A wrote its lease at T0
    assert!(taken_over >= expired, "B waited for the expiry");
    assert!(taken_over <= expired + RETRY_MIN_MS + RETRY_SPREAD_MS + CONFIRM_AFTER_MS, "B took over promptly");
    assert!(closed_at < taken_over);
}

#[test]
fn a_hold_longer_than_the_lease_is_renewed_and_stays_exclusive() {
    let mut race = Race::new(&[(0, 95 * SEC), (10, SEC)], 1, SETTLE_MS, [vec![40, 0, 13, 29], vec![77], vec![0]]);
    race.run(10 * 60 * SEC);
    assert_eq!(race.overlaps(), vec![]);
    assert!(race.tabs.iter().all(|t| !t.lost));
    assert_eq!(race.holds.first().map(|h| (h.0, h.2 - h.1)), Some((0, 95 * SEC)));
    assert_eq!(race.grants_of(1), 1);
}

#[test]
fn a_holder_that_wakes_too_late_to_renew_gives_up_exclusion() {
    let mut claim = LeaseClaim::new(owner(1));
    let LeaseStep::Write { value, read_at } = claim.handle_read(T0, None, 0) else { panic!() };
    assert!(matches!(claim.handle_read(read_at, Some(&value), 0), LeaseStep::Granted { .. }));
    // A throttled tab wakes with its lease about to expire: another tab may
    // already be claiming it, so renewing could land after that tab's write.
    let late = T0 + LEASE_MS - CONFIRM_AFTER_MS;
    assert_eq!(claim.clone().handle_read(late, Some(&value), 0), LeaseStep::Lost);
    // Still in time: renewed.
    let on_time = T0 + RENEW_EVERY_MS;
    let renewed = claim.handle_read(on_time, Some(&value), 0);
    assert_eq!(renewed, LeaseStep::Write { value: lease_of(1, on_time + LEASE_MS), read_at: on_time + RENEW_EVERY_MS });
    assert!(claim.is_held());
}

#[test]
fn a_lease_overwritten_while_held_is_lost_and_left_alone() {
    let mut claim = LeaseClaim::new(owner(1));
    let LeaseStep::Write { value, read_at } = claim.handle_read(T0, None, 0) else { panic!() };
    assert!(matches!(claim.handle_read(read_at, Some(&value), 0), LeaseStep::Granted { .. }));
    let other = lease_of(2, T0 + 20 * SEC);
    assert_eq!(claim.handle_read(T0 + RENEW_EVERY_MS, Some(&other), 0), LeaseStep::Lost);
    assert_eq!(claim.handle_read(T0 + 2 * RENEW_EVERY_MS, Some(&value), 0), LeaseStep::Lost, "lost stays lost");
    assert!(!claim.should_remove(Some(&other)));
    assert!(!claim.should_remove(None));
}

#[test]
fn a_live_lease_of_another_tab_means_waiting_a_random_pause() {
    let taken = lease_of(9, T0 + 10 * SEC);
    for (random, pause) in [
        (0, RETRY_MIN_MS),
        (100, RETRY_MIN_MS + 100),
        (101, RETRY_MIN_MS),
        (u32::MAX, RETRY_MIN_MS + u64::from(u32::MAX) % 101),
    ] {
        let mut claim = LeaseClaim::new(owner(1));
        assert_eq!(claim.handle_read(T0, Some(&taken), random), LeaseStep::ReadAt(T0 + pause), "random {random}");
    }
}

#[test]
fn expired_implausible_and_unreadable_leases_are_taken_over() {
    let now = T0;
    let ours = lease_of(1, now + LEASE_MS);
    let dead = [
        lease_of(9, now),                // expired just now
        lease_of(9, now - 1),            // expired
        lease_of(9, now + LEASE_MS + 1), // beyond one lease period: a skewed or hostile writer
        lease_of(9, u64::MAX),
        String::new(),
        "garbage".into(),
        "tab|".into(),
        "tab|-5".into(),
        "tab|+1700000010000".into(),
        "tab|1e12".into(),
        "tab|1700000010000.5".into(),
        "tab|99999999999999999999999".into(),
        "tab| 1700000010000".into(),
        "|x".into(),
        "\u{0}|\u{10FFFF}".into(),
    ];
    for stored in dead {
        let mut claim = LeaseClaim::new(owner(1));
        let step = claim.handle_read(now, Some(&stored), 0);
        assert_eq!(step, LeaseStep::Write { value: ours.clone(), read_at: now + CONFIRM_AFTER_MS }, "{stored:?}");
        assert!(!claim.should_remove(Some(&stored)), "{stored:?} is not ours");
    }
    assert_eq!(live_owner(&lease_of(9, now + LEASE_MS), now), Some(owner(9).to_hex().as_str()));
    assert_eq!(live_owner("a|b|1700000010000", now), None, "the expiry is everything after the first `|`");
    assert_eq!(live_owner("|1700000010000", now), Some(""), "an anonymous live lease still blocks");
}

#[test]
fn a_claim_that_reads_back_anything_but_its_own_write_loses() {
    let now = T0;
    let mut claim = LeaseClaim::new(owner(1));
    let LeaseStep::Write { value, read_at } = claim.handle_read(now, None, 0) else { panic!() };
    let older_own = lease_of(1, now + LEASE_MS - 5);
    for seen in [None, Some(lease_of(2, now + LEASE_MS)), Some(older_own), Some(format!("{value} "))] {
        let mut attempt = claim.clone();
        let step = attempt.handle_read(read_at, seen.as_deref(), 0);
        assert_eq!(step, LeaseStep::ReadAt(read_at + RETRY_MIN_MS), "{seen:?}");
        assert!(!attempt.is_held());
    }
    // A read-back so late that our own lease expired meanwhile also loses.
    let expired = now + LEASE_MS;
    assert_eq!(claim.clone().handle_read(expired, Some(&value), 0), LeaseStep::ReadAt(expired + RETRY_MIN_MS));
    assert!(matches!(claim.handle_read(read_at, Some(&value), 0), LeaseStep::Granted { .. }));
}

#[test]
fn an_early_or_backwards_read_back_waits_for_the_confirmation_time() {
    let mut claim = LeaseClaim::new(owner(1));
    let LeaseStep::Write { value, read_at } = claim.handle_read(T0, None, 0) else { panic!() };
    assert_eq!(claim.handle_read(read_at - 1, Some(&value), 0), LeaseStep::ReadAt(read_at));
    // The clock jumped back an hour: wait one confirmation from the new now, not an hour.
    let back = T0 - 3_600 * SEC;
    assert_eq!(claim.handle_read(back, Some(&value), 0), LeaseStep::ReadAt(back + CONFIRM_AFTER_MS));
}

#[test]
fn storage_failing_degrades_before_the_grant_and_loses_after_it() {
    let mut claim = LeaseClaim::new(owner(1));
    assert_eq!(claim.handle_storage_failure(), LeaseStep::InPageOnly);
    let mut held = LeaseClaim::new(owner(1));
    let LeaseStep::Write { value, read_at } = held.handle_read(T0, None, 0) else { panic!() };
    assert!(matches!(held.handle_read(read_at, Some(&value), 0), LeaseStep::Granted { .. }));
    assert_eq!(held.handle_storage_failure(), LeaseStep::Lost);
}

#[test]
fn release_removes_only_our_own_lease() {
    let claim = LeaseClaim::new(owner(1));
    assert!(claim.should_remove(Some(&lease_of(1, T0 + LEASE_MS))));
    assert!(claim.should_remove(Some(&lease_of(1, T0 - 1))), "ours, even expired: nobody else's");
    assert!(!claim.should_remove(Some(&lease_of(2, T0 + LEASE_MS))));
    assert!(!claim.should_remove(None));
    assert!(!claim.should_remove(Some("junk")));
}

fn race_inputs() -> impl Strategy<Value = (Vec<(u64, u64)>, u32, [Vec<u64>; 3])> {
    let draws = || prop::collection::vec(any::<u64>(), 1..32);
    (
        prop::collection::vec((0..300u64, prop_oneof![3 => 0..2 * SEC, 1 => 0..70 * SEC]), 2..6),
        1..4u32,
        [draws(), draws(), draws()],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// N tabs, each wanting the lease a few times, their writes delayed and
    /// reordered by up to the settle time: never two holders, and every tab gets
    /// its turns.
    #[test]
    fn writes_landing_within_the_settle_time_keep_the_lease_exclusive((starts, rounds, draws) in race_inputs()) {
        let mut race = Race::new(&starts, rounds, SETTLE_MS, draws);
        race.run(60 * 60 * SEC);
        prop_assert_eq!(race.overlaps(), vec![]);
        prop_assert!(race.tabs.iter().all(|t| !t.lost), "a timely holder never loses its lease");
        for tab in 0..starts.len() {
            prop_assert_eq!(race.grants_of(tab), rounds as usize, "tab {} got every turn", tab);
        }
    }

    /// Some tabs close while holding: the others wait out the expiry, never
    /// overlap a live holder, and get their turns.
    #[test]
    fn closed_holders_delay_but_never_break_exclusion((starts, rounds, draws) in race_inputs(), closing in any::<u8>()) {
        let mut race = Race::new(&starts, rounds, SETTLE_MS, draws);
        for (i, tab) in race.tabs.iter_mut().enumerate() {
            tab.closes = closing & (1 << i) != 0;
        }
        race.run(60 * 60 * SEC);
        prop_assert_eq!(race.overlaps(), vec![]);
        for (i, tab) in race.tabs.iter().enumerate() {
            let wanted = if tab.closes { 1 } else { rounds as usize };
            prop_assert_eq!(race.grants_of(i), wanted, "tab {} got its turns", i);
        }
    }

    /// Throttled holders renew late, some too late: two tabs may then hold the
    /// lease, but only once the late holder's lease has expired: never because
    /// a late renewal landed over a newer claim.
    #[test]
    fn a_late_renewal_never_overwrites_a_newer_claim(
        (starts, rounds, draws) in race_inputs(),
        late_by in prop::collection::vec(prop_oneof![
            0..SEC,
            // Waking within a few confirmation times of the lease's expiry.
            (LEASE_MS - RENEW_EVERY_MS - 3 * CONFIRM_AFTER_MS)..(LEASE_MS - RENEW_EVERY_MS + CONFIRM_AFTER_MS),
            15 * SEC..40 * SEC,
        ], 6),
    ) {
        let mut race = Race::new(&starts, rounds, SETTLE_MS, draws);
        for (tab, late_by) in race.tabs.iter_mut().zip(late_by) {
            tab.late_by = late_by;
        }
        race.run(60 * 60 * SEC);
        prop_assert!(race.overlaps_only_after_expiry(), "{:?}", race.overlaps());
    }

    /// Hostile values never panic, and a claim facing one either waits or writes
    /// its own well-formed lease.
    #[test]
    fn any_stored_value_is_read_safely(stored in ".{0,80}", now in any::<u64>(), random in any::<u32>()) {
        let mut claim = LeaseClaim::new(owner(1));
        match claim.handle_read(now, Some(&stored), random) {
            LeaseStep::ReadAt(at) => prop_assert!(at > now || now > u64::MAX - 200),
            LeaseStep::Write { value, .. } => prop_assert!(value.starts_with(&owner(1).to_hex())),
            other => prop_assert!(false, "unexpected {:?}", other),
        }
        let _ = live_owner(&stored, now);
        let _ = claim.should_remove(Some(&stored));
        let _ = claim.handle_read(now.wrapping_add(1), Some(&stored), random);
    }
}

//! The node's one source of time. The system clock in production; tests can hold a manual
//! clock and move it, so deadlines, check-in windows and report periods can be tested without
//! waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: Unix milliseconds set by hand.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that stands at `at_ms` until moved with [`Clock::set_ms`] or [`Clock::advance_ms`].
    pub fn manual(at_ms: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(at_ms))),
        }
    }

    /// Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::Relaxed),
            None => system_ms(),
        }
    }

    /// Unix seconds (JWT `iat`, `exp`).
    pub fn now_s(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves a manual clock; a system clock cannot be moved and ignores this.
    pub fn set_ms(&self, at_ms: i64) {
        if let Some(t) = &self.manual {
            t.store(at_ms, Ordering::Relaxed);
        }
    }

    pub fn advance_ms(&self, by_ms: i64) {
        if let Some(t) = &self.manual {
            t.fetch_add(by_ms, Ordering::Relaxed);
        }
    }
}

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The alliance's local time (China Standard Time): the dates, times and weekly slots people
/// see and enter.
pub const BEIJING: time::UtcOffset = time::macros::offset!(+8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_follow() {
        let c = Clock::manual(1_000_500);
        let seen_by_another_part = c.clone();
        assert_eq!(c.now_s(), 1000);
        c.advance_ms(60_000);
        assert_eq!(seen_by_another_part.now_ms(), 1_060_500);
        c.set_ms(5);
        assert_eq!(seen_by_another_part.now_ms(), 5);
    }

    #[test]
    fn the_system_clock_is_now_and_cannot_be_moved() {
        let c = Clock::system();
        let before = system_ms();
        c.set_ms(0);
        assert!(c.now_ms() >= before);
    }
}

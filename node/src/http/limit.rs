//! A rate limit on the sign-in routes (`POST /login`, `POST /api/v1/auth/token`), per peer
//! address, so that passwords cannot be guessed at the speed of argon2. Check-in routes will
//! use the same limiter.
//!
//! Limits: a burst of [`SIGN_IN_BURST`] attempts, then one more every [`SIGN_IN_EVERY`].
//! Generous for people (a whole office behind one NAT signing in at 9 o'clock) and for the
//! test suite (which signs in a few dozen times from 127.0.0.1), and still slows a guesser to
//! about 1,200 tries an hour. Behind a reverse proxy every client has the proxy's address:
//! deploy/README.md says so.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub const SIGN_IN_BURST: u32 = 50;
pub const SIGN_IN_EVERY: Duration = Duration::from_secs(3);

/// One per server, shared by its workers.
pub struct SignInLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for SignInLimit {
    fn default() -> Self {
        SignInLimit::new(SIGN_IN_BURST, SIGN_IN_EVERY)
    }
}

impl SignInLimit {
    pub fn new(burst: u32, every: Duration) -> SignInLimit {
        let quota = Quota::with_period(every)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        SignInLimit {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Counts one attempt from `req`'s peer; `Err(wait)` when it is over the limit.
    pub fn attempt(&self, req: &HttpRequest) -> Result<(), Duration> {
        let ip = req
            .peer_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        // Forget addresses that are back under the limit, so the map stays small.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_a_wait_per_address() {
        let limit = SignInLimit::new(3, Duration::from_secs(60));
        let req = actix_web::test::TestRequest::default()
            .peer_addr("127.0.0.1:1000".parse().unwrap_or_else(|_| unreachable!()))
            .to_http_request();
        let other = actix_web::test::TestRequest::default()
            .peer_addr("127.0.0.2:1000".parse().unwrap_or_else(|_| unreachable!()))
            .to_http_request();
        for _ in 0..3 {
            assert!(limit.attempt(&req).is_ok());
        }
        let wait = limit.attempt(&req).err();
        assert!(
            wait.is_some_and(|w| w > Duration::from_secs(50)),
            "{wait:?}"
        );
        assert!(
            limit.attempt(&other).is_ok(),
            "another address has its own budget"
        );
    }
}

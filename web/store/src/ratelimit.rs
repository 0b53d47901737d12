//! An in-memory rate limiter for the auth routes (login, setup, TOTP), keyed by client address
//! and account name, with a looser per-address limit on top.
//!
//! The account lockout ([`crate::auth`]) stops guessing one password; this stops hammering:
//! many attempts from one address against one account, or against many accounts (password
//! spraying). It is in memory (GCRA, the `governor` crate) because it only needs to hold for
//! minutes and must cost nothing per request; a restart forgets it, the lockout does not.
//! IPv6 addresses are keyed by their /64, the block a single client usually controls.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Cheap to clone; put one in the axum state and call [`AuthRateLimiter::check`] first thing in
/// each auth handler (answer 429 with `Retry-After` on `Err`).
#[derive(Clone)]
pub struct AuthRateLimiter {
    per_account: Arc<Keyed<(IpAddr, String)>>,
    per_address: Arc<Keyed<IpAddr>>,
    clock: DefaultClock,
}

/// The address a limit is keyed on: IPv4 as is, IPv6 by its /64 prefix.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

impl AuthRateLimiter {
    /// `per_account` attempts a minute for one address and account, `per_address` a minute for
    /// one address over all accounts; each may be spent at once (burst).
    pub fn new(per_account: NonZeroU32, per_address: NonZeroU32) -> AuthRateLimiter {
        AuthRateLimiter {
            per_account: Arc::new(RateLimiter::keyed(Quota::per_minute(per_account))),
            per_address: Arc::new(RateLimiter::keyed(Quota::per_minute(per_address))),
            clock: DefaultClock::default(),
        }
    }

    /// Whether an attempt may proceed; `Err(wait)` says how long until it may.
    pub fn check(&self, ip: IpAddr, username: &str) -> Result<(), Duration> {
        let ip = client_key(ip);
        let now = self.clock.now();
        self.per_account
            .check_key(&(ip, username.trim().to_lowercase()))
            .map_err(|not_until| not_until.wait_time_from(now))?;
        self.per_address.check_key(&ip).map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Forgets keys that are back to full allowance (call every few minutes to bound memory).
    pub fn retain_recent(&self) {
        self.per_account.retain_recent();
        self.per_address.retain_recent();
    }
}

impl Default for AuthRateLimiter {
    /// 5 a minute per address and account, 30 a minute per address.
    fn default() -> Self {
        AuthRateLimiter::new(
            NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_account_then_per_address() {
        let limiter = AuthRateLimiter::new(NonZeroU32::new(3).unwrap(), NonZeroU32::new(5).unwrap());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            limiter.check(a, "alice@example.org").unwrap();
        }
        let wait = limiter.check(a, "Alice@Example.org").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(20), "{wait:?}");
        limiter.check(b, "alice@example.org").unwrap(); // another address
        limiter.check(a, "bob@example.org").unwrap(); // another account: 4th from a
        limiter.check(a, "carol@example.org").unwrap(); // 5th from a
        assert!(limiter.check(a, "dave@example.org").is_err(), "spraying from one address");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let x: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(x), client_key(y));
        assert_ne!(client_key(x), client_key("2001:db8:1:3::1".parse().unwrap()));
    }
}

//! The CWMP session retry wait (TR-069 3.2.1.1; TR-181 ManagementServer.
//! CWMPRetryMinimumWaitInterval and CWMPRetryIntervalMultiplier).

use serde::{Deserialize, Serialize};

use super::Rng;

/// The two ManagementServer parameters that shape the retry waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// `CWMPRetryMinimumWaitInterval`, seconds (1..65535; default 5).
    pub min_wait_s: u32,
    /// `CWMPRetryIntervalMultiplier`, thousandths (1000..65535; default 2000).
    pub multiplier_permille: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            min_wait_s: 5,
            multiplier_permille: 2000,
        }
    }
}

/// How long to wait before retry number `attempt` (1 for the first retry), in milliseconds:
/// uniform in `[m * k^(n-1), m * k^n]` seconds with `n = min(attempt, 10)`; with the
/// defaults 5-10 s, 10-20 s, ... 2560-5120 s from the tenth retry on. `seed` makes the
/// jitter reproducible (give each device its own).
pub fn retry_wait_ms(policy: &RetryPolicy, attempt: u32, seed: u64) -> u64 {
    let n = attempt.clamp(1, 10) as i32;
    let m = policy.min_wait_s.clamp(1, 65535) as f64 * 1000.0;
    let k = policy.multiplier_permille.clamp(1000, 65535) as f64 / 1000.0;
    let lo = m * k.powi(n - 1);
    let hi = m * k.powi(n);
    let mut rng = Rng::new(seed ^ (attempt as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (lo + (hi - lo) * unit) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_of_tr069() {
        let p = RetryPolicy::default();
        let table = [
            (1, 5, 10),
            (2, 10, 20),
            (3, 20, 40),
            (5, 80, 160),
            (10, 2560, 5120),
            (25, 2560, 5120),
        ];
        for (attempt, lo, hi) in table {
            for seed in 0..50 {
                let w = retry_wait_ms(&p, attempt, seed);
                assert!(
                    (lo * 1000..=hi * 1000).contains(&w),
                    "attempt {attempt}: {w}"
                );
            }
        }
        assert_eq!(retry_wait_ms(&p, 3, 7), retry_wait_ms(&p, 3, 7), "seeded");
        assert_ne!(retry_wait_ms(&p, 3, 7), retry_wait_ms(&p, 3, 8), "jittered");
    }
}

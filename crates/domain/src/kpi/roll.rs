//! Roll rates (COMPLIANCE.md): roll rate from bucket b = balance in b+1 at month t+1 / balance in
//! b at month t, following the same accounts. The full matrix says where each bucket's balance
//! went: each row is a bucket at t, each column the bucket that balance sat in at t+1 (paid off
//! and closed accounts are their own column).

use super::aging::Bucket;
use serde::Serialize;

/// One account at two month-ends: its bucket and balance at t, and at t+1 (`None` once paid off or
/// closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub from: Bucket,
    pub from_minor: i64,
    pub to: Option<(Bucket, i64)>,
}

/// Balance moved from each bucket at t (rows) to each bucket at t+1 (columns 0-6) or out of the
/// book (column 7), minor units; and each row's starting balance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RollMatrix {
    pub moved_minor: [[i64; 8]; 7],
    pub start_minor: [i64; 7],
}

impl RollMatrix {
    pub fn of(steps: &[Step]) -> RollMatrix {
        let mut m = RollMatrix::default();
        for s in steps {
            let row = s.from.index();
            m.start_minor[row] += s.from_minor;
            match s.to {
                Some((b, minor)) => m.moved_minor[row][b.index()] += minor,
                None => m.moved_minor[row][7] += s.from_minor,
            }
        }
        m
    }

    /// The roll rate out of `b` into the next bucket; `None` for the last bucket or an empty one.
    pub fn roll_rate(&self, b: Bucket) -> Option<f64> {
        let next = b.next()?;
        let start = self.start_minor[b.index()];
        (start > 0).then(|| self.moved_minor[b.index()][next.index()] as f64 / start as f64)
    }

    /// Share of bucket `from`'s starting balance found in column `to` (0-6 buckets, 7 out).
    pub fn share(&self, from: Bucket, to: usize) -> Option<f64> {
        let start = self.start_minor[from.index()];
        (start > 0).then(|| self.moved_minor[from.index()][to] as f64 / start as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_rate_follows_the_same_accounts_into_the_next_bucket() {
        let steps = [
            Step { from: Bucket::D1To30, from_minor: 10_000, to: Some((Bucket::D31To60, 10_000)) },
            Step { from: Bucket::D1To30, from_minor: 30_000, to: Some((Bucket::Current, 0)) },
            Step { from: Bucket::D1To30, from_minor: 10_000, to: None },
            Step { from: Bucket::D31To60, from_minor: 5_000, to: Some((Bucket::D61To90, 4_000)) },
        ];
        let m = RollMatrix::of(&steps);
        // 10,000 of 50,000 in 1-30 rolled to 31-60.
        assert_eq!(m.roll_rate(Bucket::D1To30), Some(0.2));
        assert_eq!(m.roll_rate(Bucket::D31To60), Some(0.8), "balance at t+1 over balance at t");
        assert_eq!(m.share(Bucket::D1To30, 7), Some(0.2), "paid off");
        assert_eq!(m.roll_rate(Bucket::Current), None, "nothing started current");
        assert_eq!(m.roll_rate(Bucket::Over180), None, "the last bucket rolls nowhere");
    }
}

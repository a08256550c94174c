//! Aging buckets by days past due (COMPLIANCE.md lists them): current, 1-30, 31-60, 61-90,
//! 91-120, 121-180 and 180+. Days past due count from the first delinquency.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Bucket {
    Current,
    D1To30,
    D31To60,
    D61To90,
    D91To120,
    D121To180,
    Over180,
}

impl Bucket {
    pub const ALL: [Bucket; 7] =
        [Bucket::Current, Bucket::D1To30, Bucket::D31To60, Bucket::D61To90, Bucket::D91To120, Bucket::D121To180, Bucket::Over180];

    pub fn of(days_past_due: i64) -> Bucket {
        match days_past_due {
            i64::MIN..=0 => Bucket::Current,
            1..=30 => Bucket::D1To30,
            31..=60 => Bucket::D31To60,
            61..=90 => Bucket::D61To90,
            91..=120 => Bucket::D91To120,
            121..=180 => Bucket::D121To180,
            _ => Bucket::Over180,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Bucket::Current => "current",
            Bucket::D1To30 => "1-30",
            Bucket::D31To60 => "31-60",
            Bucket::D61To90 => "61-90",
            Bucket::D91To120 => "91-120",
            Bucket::D121To180 => "121-180",
            Bucket::Over180 => "180+",
        }
    }

    /// The bucket with this label.
    pub fn parse(label: &str) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| b.label() == label)
    }

    /// The next bucket an unpaid balance rolls into; the last rolls nowhere.
    pub fn next(self) -> Option<Bucket> {
        Bucket::ALL.get(self.index() + 1).copied()
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Accounts and balance per bucket: the aging report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Aging {
    pub accounts: [u64; 7],
    pub balance_minor: [i64; 7],
}

impl Aging {
    pub fn add(&mut self, days_past_due: i64, balance_minor: i64) {
        let b = Bucket::of(days_past_due).index();
        self.accounts[b] += 1;
        self.balance_minor[b] += balance_minor;
    }

    pub fn total_minor(&self) -> i64 {
        self.balance_minor.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges() {
        let cases = [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90")];
        for (days, label) in cases {
            assert_eq!(Bucket::of(days).label(), label, "{days}");
        }
        let more = [(91, "91-120"), (120, "91-120"), (121, "121-180"), (180, "121-180"), (181, "180+"), (-3, "current")];
        for (days, label) in more {
            assert_eq!(Bucket::of(days).label(), label, "{days}");
        }
        assert_eq!(Bucket::D121To180.next(), Some(Bucket::Over180));
        assert_eq!(Bucket::Over180.next(), None);
    }

    #[test]
    fn a_bucket_is_read_back_from_its_label() {
        for b in Bucket::ALL {
            assert_eq!(Bucket::parse(b.label()), Some(b));
        }
        assert_eq!(Bucket::parse("1-31"), None);
    }

    #[test]
    fn the_aging_report_sums_accounts_and_balances_per_bucket() {
        let mut a = Aging::default();
        a.add(10, 5_000);
        a.add(29, 2_500);
        a.add(200, 100_000);
        assert_eq!((a.accounts[1], a.balance_minor[1]), (2, 7_500));
        assert_eq!((a.accounts[6], a.total_minor()), (1, 107_500));
    }
}

//! Experiments' results: the records of each arm's accounts since they joined, gathered into
//! [`ArmTally`]s for the domain to judge. Membership is written by the daily run
//! (`experiment_members`, see [`crate::strategy::Decided::experiment`]).

use crate::rows::Get;
use crate::servicing::contact::utc_day;
use crate::{Result, StoreError};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::experiment::ArmTally;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[async_trait]
pub trait Experiments: Send + Sync {
    /// Each arm's tally for the accounts that joined `experiment` by `to`, counting what happened
    /// from the day each joined through `to`. Arms nobody joined are absent.
    async fn experiment_tally(&self, tenant_id: Uuid, experiment: &str, to: Date) -> Result<Vec<ArmTally>>;
    /// The experiment's accounts with their arms, by account id.
    async fn experiment_accounts(&self, tenant_id: Uuid, experiment: &str) -> Result<Vec<(Uuid, String)>>;
}

pub(crate) const MEMBERS: &str =
    "SELECT account_id, arm FROM experiment_members WHERE tenant_id = $1 AND experiment = $2 ORDER BY account_id";

/// `$1` tenant, `$2` experiment, `$3` the last day.
pub(crate) const MEMBERS_BY_ARM: &str = "SELECT arm, COUNT(*) AS n FROM experiment_members \
     WHERE tenant_id = $1 AND experiment = $2 AND joined_on <= $3 GROUP BY arm";

pub(crate) const MEMBER_RECORDS: &str = "SELECT m.arm AS arm, m.account_id AS account_id, m.joined_on AS joined_on, \
     r.kind AS kind, r.status AS status, r.on_date AS on_date, r.created_at AS created_at, r.data AS data \
     FROM experiment_members m JOIN servicing_records r ON r.tenant_id = m.tenant_id AND r.account_id = m.account_id \
     WHERE m.tenant_id = $1 AND m.experiment = $2 AND m.joined_on <= $3 \
     AND r.kind IN ('payment', 'promise', 'dispute', 'hold', 'contact_attempt')";

#[derive(Deserialize)]
struct PaymentFacts {
    amount: i64,
    currency: String,
}

#[derive(Deserialize)]
struct HoldFacts {
    kind: String,
}

#[derive(Deserialize)]
struct AttemptFacts {
    medium: String,
    at: jiff::Timestamp,
    outcome: String,
}

/// Tallies being gathered, arm by arm.
#[derive(Default)]
pub(crate) struct Gathering {
    arms: BTreeMap<String, ArmTally>,
    /// (arm, currency) -> account -> collected.
    collected: HashMap<(String, String), HashMap<Uuid, i64>>,
    to: Option<Date>,
}

impl Gathering {
    pub fn new(to: Date) -> Self {
        Gathering { to: Some(to), ..Default::default() }
    }

    fn arm(&mut self, arm: &str) -> &mut ArmTally {
        self.arms.entry(arm.to_string()).or_insert_with(|| ArmTally { arm: arm.to_string(), ..Default::default() })
    }

    pub fn add_members(&mut self, r: &impl Get) -> Result<()> {
        let n = u64::try_from(r.int("n")?).unwrap_or(0);
        self.arm(&r.text("arm")?).accounts = n;
        Ok(())
    }

    /// One record of a member account; counted when it falls between joining and the last day.
    pub fn add_record(&mut self, r: &impl Get) -> Result<()> {
        let arm = r.text("arm")?;
        let joined = r.date("joined_on")?;
        let within = |d: Date| joined <= d && self.to.is_none_or(|to| d <= to);
        let created = utc_day(jiff::Timestamp::from_microsecond(r.int("created_at")?).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        let data = || -> Result<String> { r.text("data") };
        let parse = |what: &str, text: String| StoreError::Corrupt(format!("{what} record: {text}"));
        match r.text("kind")?.as_str() {
            "payment" => {
                let on = r.opt_date("on_date")?.unwrap_or(created);
                if !within(on) || r.text("status")? == "reversed" {
                    return Ok(());
                }
                let p: PaymentFacts = serde_json::from_str(&data()?).map_err(|e| parse("payment", e.to_string()))?;
                let account = r.uuid("account_id")?;
                *self.collected.entry((arm, p.currency)).or_default().entry(account).or_default() += p.amount;
            }
            "promise" if within(created) => match r.text("status")?.as_str() {
                "kept" => self.arm(&arm).promises_kept += 1,
                "broken" => self.arm(&arm).promises_broken += 1,
                _ => {}
            },
            "dispute" if within(created) => self.arm(&arm).complaints += 1,
            "hold" if within(created) => {
                let h: HoldFacts = serde_json::from_str(&data()?).map_err(|e| parse("hold", e.to_string()))?;
                if h.kind == "cease" {
                    self.arm(&arm).complaints += 1;
                }
            }
            "contact_attempt" => {
                let a: AttemptFacts = serde_json::from_str(&data()?).map_err(|e| parse("contact attempt", e.to_string()))?;
                if a.medium == "call" && within(utc_day(a.at)) {
                    let t = self.arm(&arm);
                    t.call_attempts += 1;
                    t.conversations += u64::from(a.outcome == "conversation");
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn finish(mut self) -> Vec<ArmTally> {
        for ((arm, currency), by_account) in std::mem::take(&mut self.collected) {
            let mut values: Vec<i64> = by_account.into_values().collect();
            values.sort_unstable();
            self.arm(&arm).collected.insert(currency, values);
        }
        self.arms.into_values().collect()
    }
}

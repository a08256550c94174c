//! Finding accounts: the filters an agent's or an integrator's list needs, a sort order, and
//! keyset pagination that stays exact under that order. The SQL is built once here for both
//! backends; each only says how its placeholders look and binds the values in order.

use crate::seal::Keyring;
use jiff::civil::Date;
use recoup_domain::account::{Account, AccountStatus, Flag, Stage};
use recoup_domain::ledger::Amounts;
use recoup_domain::party::Secret;
use uuid::Uuid;

/// Which accounts a listing returns; every field narrows it, empty or `None` leaves it open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    pub client_id: Option<Uuid>,
    pub portfolio_id: Option<Uuid>,
    pub placement_id: Option<Uuid>,
    pub statuses: Vec<AccountStatus>,
    pub stages: Vec<Stage>,
    /// First delinquency on or before this day (at least N days past due, as of the caller's today).
    pub delinquent_by: Option<Date>,
    /// First delinquency on or after this day (at most N days past due).
    pub delinquent_since: Option<Date>,
    /// Owed (principal, interest, fees and costs) in minor units, inclusive.
    pub owed_min: Option<i64>,
    pub owed_max: Option<i64>,
    /// Region (US state) of a party's postal address.
    pub region: Option<String>,
    /// Every one of these flags is set.
    pub flags: Vec<Flag>,
    /// UTC microseconds.
    pub updated_since: Option<i64>,
    pub external_ref: Option<String>,
    /// Accounts with a party whose full national id (nine digits, no dashes) is this one,
    /// found through the keyed hash: the query never sees or compares plaintext.
    pub national_id: Option<Secret<String>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Id,
    Owed,
    /// Oldest delinquency first when ascending, i.e. most days past due first.
    FirstDelinquency,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountSort {
    pub key: SortKey,
    pub descending: bool,
}

impl AccountSort {
    /// `id`, `owed`, `first_delinquency_on`, `updated_at`, each optionally prefixed by `-`.
    pub fn parse(s: &str) -> Option<AccountSort> {
        let (descending, name) = s.strip_prefix('-').map_or((false, s), |n| (true, n));
        let key = match name {
            "id" => SortKey::Id,
            "owed" | "balance" => SortKey::Owed,
            "first_delinquency_on" | "delinquency" => SortKey::FirstDelinquency,
            "updated_at" => SortKey::UpdatedAt,
            _ => return None,
        };
        Some(AccountSort { key, descending })
    }

    fn expr(self) -> Option<&'static str> {
        match self.key {
            SortKey::Id => None,
            SortKey::Owed => Some(OWED),
            // Accounts with no delinquency date sort last: they are the least past due.
            SortKey::FirstDelinquency => Some("COALESCE(first_delinquency_on, '9999-12-31')"),
            SortKey::UpdatedAt => Some("updated_at"),
        }
    }

    /// Where an account sits in this order, as the next page's cursor.
    pub fn cursor(self, a: &Account, balance: &Amounts, updated_at: i64) -> Cursor {
        let value = match self.key {
            SortKey::Id => CursorValue::None,
            SortKey::Owed => CursorValue::Int(balance.owed()),
            SortKey::FirstDelinquency => CursorValue::Text(a.first_delinquency_on.map_or("9999-12-31".into(), |d| d.to_string())),
            SortKey::UpdatedAt => CursorValue::Int(updated_at),
        };
        Cursor { value, id: a.id }
    }
}

const OWED: &str = "(bal_principal + bal_interest + bal_fees + bal_costs)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorValue {
    None,
    Int(i64),
    Text(String),
}

/// The last row of a page in the listing's order: opaque to clients, `<value>~<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub value: CursorValue,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        match &self.value {
            CursorValue::None => self.id.to_string(),
            CursorValue::Int(n) => format!("i{n}~{}", self.id),
            CursorValue::Text(t) => format!("t{t}~{}", self.id),
        }
    }

    /// Reads a cursor made for `sort`; a cursor from another order is refused.
    pub fn decode(s: &str, sort: AccountSort) -> Option<Cursor> {
        if sort.key == SortKey::Id {
            return Uuid::parse_str(s).ok().map(|id| Cursor { value: CursorValue::None, id });
        }
        let (value, id) = s.rsplit_once('~')?;
        let id = Uuid::parse_str(id).ok()?;
        let value = match (sort.key, value.split_at_checked(1)?) {
            (SortKey::Owed | SortKey::UpdatedAt, ("i", n)) => CursorValue::Int(n.parse().ok()?),
            (SortKey::FirstDelinquency, ("t", d)) if d == "9999-12-31" || d.parse::<Date>().is_ok() => CursorValue::Text(d.to_string()),
            _ => return None,
        };
        Some(Cursor { value, id })
    }
}

/// One query's worth of listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountListing {
    pub filter: AccountFilter,
    pub sort: AccountSort,
    pub after: Option<Cursor>,
    pub limit: u32,
}

/// A value to bind, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bind {
    Uuid(Uuid),
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// The `WHERE ... ORDER BY ... LIMIT` after `FROM accounts`, with `ph(n)` making the n-th
/// (1-based) placeholder, and the values in placeholder order. The tenant is always the first.
pub(crate) fn account_query(tenant_id: Uuid, l: &AccountListing, keys: &Keyring, ph: impl Fn(usize) -> String) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Uuid(tenant_id)];
    let mut sql = format!("WHERE tenant_id = {}", ph(1));
    let mut push = |sql: &mut String, clause: &str, b: Bind| {
        binds.push(b);
        sql.push_str(&clause.replace('?', &ph(binds.len())));
    };
    let f = &l.filter;
    if let Some(c) = f.client_id {
        push(&mut sql, " AND client_id = ?", Bind::Uuid(c));
    }
    if let Some(p) = f.portfolio_id {
        push(&mut sql, " AND portfolio_id = ?", Bind::Uuid(p));
    }
    if let Some(p) = f.placement_id {
        push(&mut sql, " AND placement_id = ?", Bind::Uuid(p));
    }
    any_of(&mut sql, &mut push, "status", f.statuses.iter().map(|s| s.as_str()));
    any_of(&mut sql, &mut push, "stage", f.stages.iter().map(|s| s.as_str()));
    if let Some(d) = f.delinquent_by {
        push(&mut sql, " AND first_delinquency_on <= ?", Bind::Text(d.to_string()));
    }
    if let Some(d) = f.delinquent_since {
        push(&mut sql, " AND first_delinquency_on >= ?", Bind::Text(d.to_string()));
    }
    if let Some(n) = f.owed_min {
        push(&mut sql, &format!(" AND {OWED} >= ?"), Bind::Int(n));
    }
    if let Some(n) = f.owed_max {
        push(&mut sql, &format!(" AND {OWED} <= ?"), Bind::Int(n));
    }
    if let Some(r) = &f.region {
        let clause = " AND EXISTS (SELECT 1 FROM account_parties ap JOIN contact_points cp \
                      ON cp.tenant_id = ap.tenant_id AND cp.party_id = ap.party_id \
                      WHERE ap.tenant_id = accounts.tenant_id AND ap.account_id = accounts.id AND cp.kind = 'address' AND cp.region = ?)";
        push(&mut sql, clause, Bind::Text(r.to_ascii_uppercase()));
    }
    for flag in &f.flags {
        // Flags are stored comma-separated; matching ",flag," cannot hit a longer flag's name.
        push(&mut sql, " AND (',' || flags || ',') LIKE ?", Bind::Text(format!("%,{},%", flag.as_str())));
    }
    if let Some(t) = f.updated_since {
        push(&mut sql, " AND updated_at >= ?", Bind::Int(t));
    }
    if let Some(r) = &f.external_ref {
        push(&mut sql, " AND external_ref = ?", Bind::Text(r.clone()));
    }
    if let Some(n) = &f.national_id {
        // Uncorrelated, so it runs once: keyed hash -> parties -> their accounts, all by index.
        let subquery = " AND id IN (SELECT ap.account_id FROM parties p JOIN account_parties ap \
                        ON ap.tenant_id = p.tenant_id AND ap.party_id = p.id WHERE p.tenant_id = ?";
        push(&mut sql, subquery, Bind::Uuid(tenant_id));
        push(&mut sql, " AND p.national_id_hash = ?)", Bind::Bytes(keys.national_id_hash(tenant_id, n.expose()).to_vec()));
    }
    let (cmp, dir) = if l.sort.descending { ("<", "DESC") } else { (">", "ASC") };
    match (&l.after, l.sort.expr()) {
        (Some(c), Some(expr)) => {
            let v = match &c.value {
                CursorValue::Int(n) => Bind::Int(*n),
                CursorValue::Text(t) => Bind::Text(t.clone()),
                CursorValue::None => Bind::Int(0),
            };
            push(&mut sql, &format!(" AND ({expr} {cmp} ?"), v.clone());
            push(&mut sql, &format!(" OR ({expr} = ?"), v);
            push(&mut sql, &format!(" AND id {cmp} ?))"), Bind::Uuid(c.id));
        }
        (Some(c), None) => push(&mut sql, &format!(" AND id {cmp} ?"), Bind::Uuid(c.id)),
        (None, _) => {}
    }
    match l.sort.expr() {
        Some(expr) => sql.push_str(&format!(" ORDER BY {expr} {dir}, id {dir}")),
        None => sql.push_str(&format!(" ORDER BY id {dir}")),
    }
    push(&mut sql, " LIMIT ?", Bind::Int(i64::from(l.limit)));
    (sql, binds)
}

fn any_of<'a>(sql: &mut String, push: &mut impl FnMut(&mut String, &str, Bind), column: &str, values: impl Iterator<Item = &'a str>) {
    let values: Vec<&str> = values.collect();
    if values.is_empty() {
        return;
    }
    sql.push_str(&format!(" AND {column} IN ("));
    for (i, v) in values.iter().enumerate() {
        push(sql, if i == 0 { "?" } else { ", ?" }, Bind::Text(v.to_string()));
    }
    sql.push(')');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(l: &AccountListing) -> (String, Vec<Bind>) {
        let keys = Keyring::parse(include_str!("../../../testdata/test.keys")).unwrap();
        account_query(Uuid::nil(), l, &keys, |n| format!("${n}"))
    }

    #[test]
    fn placeholders_count_up_with_their_values() {
        let l = AccountListing {
            filter: AccountFilter {
                statuses: vec![AccountStatus::Active, AccountStatus::Recalled],
                owed_min: Some(100),
                flags: vec![Flag::Disputed],
                ..Default::default()
            },
            sort: AccountSort { key: SortKey::Owed, descending: true },
            after: Some(Cursor { value: CursorValue::Int(500), id: Uuid::nil() }),
            limit: 20,
        };
        let (sql, binds) = q(&l);
        assert!(sql.contains("status IN ($2, $3)"), "{sql}");
        assert!(sql.contains(">= $4"), "{sql}");
        assert!(sql.contains("LIKE $5"), "{sql}");
        assert!(sql.contains("< $6 OR"), "{sql}");
        assert!(sql.ends_with("ORDER BY (bal_principal + bal_interest + bal_fees + bal_costs) DESC, id DESC LIMIT $9"), "{sql}");
        assert_eq!(binds.len(), 9);
        assert_eq!(binds[4], Bind::Text("%,disputed,%".into()));
        assert_eq!(binds[8], Bind::Int(20));
    }

    #[test]
    fn a_national_id_is_matched_by_its_keyed_hash_only() {
        let l = AccountListing {
            filter: AccountFilter {
                national_id: Some(Secret::new("987654320".into())),
                client_id: Some(Uuid::nil()),
                ..Default::default()
            },
            limit: 5,
            ..Default::default()
        };
        let (sql, binds) = q(&l);
        assert!(sql.contains("WHERE p.tenant_id = $3 AND p.national_id_hash = $4)"), "{sql}");
        let Bind::Bytes(hash) = &binds[3] else { panic!("{binds:?}") };
        assert_eq!(hash.len(), 32);
        assert!(!format!("{sql}{binds:?}").contains("987654320"));
    }

    #[test]
    fn cursors_round_trip_and_belong_to_their_order() {
        let owed = AccountSort { key: SortKey::Owed, descending: false };
        let c = Cursor { value: CursorValue::Int(-5), id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&c.encode(), owed), Some(c.clone()));
        let by_date = AccountSort { key: SortKey::FirstDelinquency, descending: false };
        assert_eq!(Cursor::decode(&c.encode(), by_date), None);
        let d = Cursor { value: CursorValue::Text("2024-02-29".into()), id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&d.encode(), by_date), Some(d.clone()));
        assert_eq!(Cursor::decode("t2024-02-30~00000000-0000-0000-0000-000000000000", by_date), None);
        let id = Cursor { value: CursorValue::None, id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&id.encode(), AccountSort::default()), Some(id));
        assert_eq!(Cursor::decode("x", owed), None);
    }

    #[test]
    fn sort_names() {
        assert_eq!(AccountSort::parse("-owed"), Some(AccountSort { key: SortKey::Owed, descending: true }));
        assert_eq!(AccountSort::parse("first_delinquency_on").map(|s| s.key), Some(SortKey::FirstDelinquency));
        assert_eq!(AccountSort::parse("name"), None);
    }
}

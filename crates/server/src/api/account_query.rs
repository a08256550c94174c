//! The query string of `GET /api/v1/accounts`: filters, sort and cursor, each checked and named
//! in the problem document when wrong.

use super::paging::Page;
use super::problem::{FieldError, Problem};
use jiff::civil::Date;
use recoup_domain::account::{AccountStatus, Flag, Stage};
use recoup_domain::party::NationalId;
use recoup_store::{AccountFilter, AccountListing, AccountSort, Cursor};
use uuid::Uuid;

fn err(errors: &mut Vec<FieldError>, name: &str, detail: impl Into<String>) {
    errors.push(FieldError { pointer: format!("/{name}"), detail: detail.into() });
}

fn list_of<T>(value: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(|v| parse(v).ok_or_else(|| v.to_string())).collect()
}

fn id(value: &str, name: &str, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    Uuid::parse_str(value).map_err(|_| err(errors, name, "must be an id")).ok()
}

fn days(value: &str, name: &str, today: Date, errors: &mut Vec<FieldError>) -> Option<Date> {
    match value.parse::<i32>() {
        Ok(n) if (0..=36_500).contains(&n) => today.checked_sub(jiff::Span::new().days(n)).ok(),
        _ => {
            err(errors, name, "must be a whole number of days from 0 to 36500");
            None
        }
    }
}

fn minor(value: &str, name: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    value.parse::<i64>().map_err(|_| err(errors, name, "must be a whole number of minor units (cents)")).ok()
}

/// Reads the query against `today` (for days past due).
pub fn parse(query: Option<&str>, today: Date, max: u32) -> Result<AccountListing, Problem> {
    let mut f = AccountFilter::default();
    let mut sort = AccountSort::default();
    let mut after = None;
    let page = Page::parse_with(query, None, max, |name, value, errors| {
        match name {
            "status" => match list_of(value, AccountStatus::parse) {
                Ok(v) => f.statuses = v,
                Err(bad) => err(errors, name, format!("unknown status {bad:?}")),
            },
            "stage" => match list_of(value, Stage::parse) {
                Ok(v) => f.stages = v,
                Err(bad) => err(errors, name, format!("unknown stage {bad:?}")),
            },
            "flag" => match list_of(value, Flag::parse) {
                Ok(v) => f.flags = v,
                Err(bad) => err(errors, name, format!("unknown flag {bad:?}")),
            },
            "client_id" => f.client_id = id(value, name, errors),
            "portfolio_id" => f.portfolio_id = id(value, name, errors),
            "placement_id" => f.placement_id = id(value, name, errors),
            "dpd_min" => f.delinquent_by = days(value, name, today, errors),
            "dpd_max" => f.delinquent_since = days(value, name, today, errors),
            "balance_min" => f.owed_min = minor(value, name, errors),
            "balance_max" => f.owed_max = minor(value, name, errors),
            "state" if value.len() == 2 && value.chars().all(|c| c.is_ascii_alphabetic()) => f.region = Some(value.to_ascii_uppercase()),
            "state" => err(errors, name, "must be a two-letter state code"),
            "updated_since" => match value.parse::<jiff::Timestamp>() {
                Ok(t) => f.updated_since = Some(t.as_microsecond()),
                Err(_) => err(errors, name, "must be an RFC 3339 time such as 2026-11-23T00:00:00Z"),
            },
            "external_ref" => f.external_ref = Some(value.to_string()),
            // Only a full id can be matched exactly; the value is never repeated in the error.
            "national_id" => match NationalId::parse(value).ok().and_then(|n| n.full().cloned()) {
                Some(full) => f.national_id = Some(full),
                None => err(errors, name, "must be a full national id: nine digits, dashes allowed (123-45-6789)"),
            },
            "sort" => match AccountSort::parse(value) {
                Some(s) => sort = s,
                None => err(errors, name, "must be id, owed, first_delinquency_on or updated_at, optionally prefixed by -"),
            },
            "after" => after = Some(value.to_string()),
            _ => return false,
        }
        true
    })?;
    let after = match after {
        None => None,
        Some(a) => Some(Cursor::decode(&a, sort).ok_or_else(|| {
            Problem::invalid(
                "the query parameters are not valid",
                vec![FieldError { pointer: "/after".into(), detail: "must be the `next` of a previous page with the same sort".into() }],
            )
        })?),
    };
    Ok(AccountListing { filter: f, sort, after, limit: page.limit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn filters_are_read_and_faults_named() {
        let today = date(2026, 11, 23);
        let l =
            parse(Some("status=active,recalled&dpd_min=30&dpd_max=180&balance_min=10000&state=tx&flag=disputed&sort=-owed"), today, 500)
                .unwrap();
        assert_eq!(l.filter.statuses, [AccountStatus::Active, AccountStatus::Recalled]);
        assert_eq!(l.filter.delinquent_by, Some(date(2026, 10, 24)));
        assert_eq!(l.filter.delinquent_since, Some(date(2026, 5, 27)));
        assert_eq!((l.filter.owed_min, l.filter.region.as_deref()), (Some(10_000), Some("TX")));
        assert!(l.sort.descending);
        let bad = parse(Some("status=open&dpd_min=-1&state=Texas&sort=name&after=zz&colour=red"), today, 500).unwrap_err();
        let pointers: Vec<&str> = bad.errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/status", "/dpd_min", "/state", "/sort", "/colour"]);
        assert!(
            parse(Some("sort=owed&after=01a206b8-fcef-710e-91c9-5649049f4f53"), today, 500).is_err(),
            "an id cursor under another sort"
        );
        assert!(
            parse(Some("updated_since=2026-11-01T00:00:00Z&external_ref=A%2F1"), today, 500).unwrap().filter.external_ref.as_deref()
                == Some("A/1")
        );
    }

    #[test]
    fn a_national_id_must_be_whole_and_is_never_echoed() {
        let today = date(2026, 11, 23);
        let id = |q: &str| parse(Some(q), today, 500).map(|l| l.filter.national_id.map(|n| n.expose().clone()));
        for spelled in ["national_id=987-65-4320", "national_id=987654320", "national_id=987+65+4320", "national_id=987%2065%204320"] {
            assert_eq!(id(spelled).unwrap().as_deref(), Some("987654320"), "{spelled}");
        }
        for partial in ["4320", "987-65-432", "98x654320"] {
            let bad = parse(Some(&format!("national_id={partial}")), today, 500).unwrap_err();
            assert_eq!(bad.errors[0].pointer, "/national_id");
            assert!(!bad.errors[0].detail.contains(partial), "the value is not echoed");
        }
    }
}

//! Where the person may be: the candidate time zones of a contact, from the contact point's known
//! zone, the postal state and the phone's area code. Reg F 1006.6(b)(1) asks for contact only
//! when it is convenient in every zone the person could be in, so candidates are a union, never a
//! guess at the likeliest one.

use crate::contact::{ContactKind, ContactPoint};
use crate::geo;
use jiff::tz::TimeZone;

/// `area_code,state,zones`: at least one code per state and territory, and every code we know to
/// straddle a zone line with all of its zones.
const AREA_CODES: &str = include_str!("area_codes.csv");

fn rows() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    AREA_CODES.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).filter_map(|l| {
        let mut cols = l.splitn(3, ',');
        Some((cols.next()?, cols.next()?, cols.next()?))
    })
}

/// The zones a North American area code ("212") covers, or empty when the table does not know it.
pub fn area_code_zones(code: &str) -> Vec<&'static str> {
    // The table is read once: every contact the policy judges looks a number up in it.
    static BY_CODE: std::sync::LazyLock<std::collections::HashMap<&'static str, Vec<&'static str>>> =
        std::sync::LazyLock::new(|| rows().map(|(c, _, z)| (c, z.split(' ').collect())).collect());
    BY_CODE.get(code).cloned().unwrap_or_default()
}

/// The area code of a +1 E.164 number.
pub fn area_code(e164: &str) -> Option<&str> {
    e164.strip_prefix("+1").filter(|n| n.len() == 10).map(|n| &n[..3])
}

/// Every zone the person reached through `point` could be in. `postal_state` is the person's
/// mailing state when known (a phone contact point carries no address). Nothing known at all:
/// the profile's fallback zones, or every US zone.
pub fn candidates(point: &ContactPoint, postal_state: Option<&str>, fallback: &[String]) -> Vec<TimeZone> {
    let mut names: Vec<String> = point.time_zone.iter().cloned().collect();
    let own_state = point.address.as_ref().map(|a| a.region.as_str());
    for state in own_state.into_iter().chain(postal_state) {
        names.extend(geo::us_state_zones(state).unwrap_or_default().iter().map(|z| z.to_string()));
    }
    if point.kind == ContactKind::Phone {
        names.extend(area_code(&point.value).map(area_code_zones).unwrap_or_default().into_iter().map(String::from));
    }
    let mut zones = resolve(&names);
    if zones.is_empty() {
        let all = if fallback.is_empty() { geo::us_zones().into_iter().map(String::from).collect() } else { fallback.to_vec() };
        zones = resolve(&all);
    }
    zones
}

/// Valid IANA names as zones, each once (an invalid stored name is ignored, not trusted).
fn resolve(names: &[String]) -> Vec<TimeZone> {
    let mut seen: Vec<&str> = Vec::new();
    let mut zones = Vec::new();
    for n in names {
        if seen.contains(&n.as_str()) {
            continue;
        }
        seen.push(n);
        if let Ok(z) = TimeZone::get(n) {
            zones.push(z);
        }
    }
    zones
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_well_formed_and_its_zones_exist() {
        let mut codes: Vec<&str> = rows().map(|(c, _, _)| c).collect();
        assert!(codes.len() > 250);
        assert!(codes.iter().all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit())));
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "no area code twice");
        for (code, state, zones) in rows() {
            assert!(geo::us_state_zones(state).is_some(), "{code}: state {state}");
            for z in zones.split(' ') {
                assert!(TimeZone::get(z).is_ok(), "{code}: {z}");
            }
        }
    }

    #[test]
    fn every_state_has_an_area_code() {
        for z in ["AL", "AK", "AZ", "CA", "DC", "FL", "HI", "MA", "NY", "TX", "WY", "PR", "GU", "VI"] {
            assert!(rows().any(|(_, s, _)| s == z), "{z}");
        }
        assert_eq!(rows().map(|(_, s, _)| s).collect::<std::collections::BTreeSet<_>>().len(), 54);
    }

    #[test]
    fn straddling_codes_list_every_zone() {
        assert_eq!(area_code_zones("212"), ["America/New_York"]);
        assert_eq!(area_code_zones("850"), ["America/Chicago", "America/New_York"]);
        assert_eq!(area_code_zones("915"), ["America/Denver"], "El Paso");
        assert!(area_code_zones("999").is_empty());
        assert_eq!(area_code("+12125550100"), Some("212"));
        assert_eq!(area_code("+442079460958"), None);
    }
}

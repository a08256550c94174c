//! US states and the IANA zones they span. An import uses it to fill in a contact point's time
//! zone when the state lies in one zone only; where a state spans several, the zone stays unknown
//! and the contact policy must respect every candidate (Reg F 1006.6(b)(1)).

/// (state, zones it spans; the first is where most of its people live)
const STATE_ZONES: &[(&str, &[&str])] = &[
    ("AL", &["America/Chicago"]),
    ("AK", &["America/Anchorage", "America/Adak"]),
    ("AZ", &["America/Phoenix"]),
    ("AR", &["America/Chicago"]),
    ("CA", &["America/Los_Angeles"]),
    ("CO", &["America/Denver"]),
    ("CT", &["America/New_York"]),
    ("DE", &["America/New_York"]),
    ("DC", &["America/New_York"]),
    ("FL", &["America/New_York", "America/Chicago"]),
    ("GA", &["America/New_York"]),
    ("HI", &["Pacific/Honolulu"]),
    ("ID", &["America/Boise", "America/Los_Angeles"]),
    ("IL", &["America/Chicago"]),
    ("IN", &["America/Indiana/Indianapolis", "America/Chicago"]),
    ("IA", &["America/Chicago"]),
    ("KS", &["America/Chicago", "America/Denver"]),
    ("KY", &["America/New_York", "America/Chicago"]),
    ("LA", &["America/Chicago"]),
    ("ME", &["America/New_York"]),
    ("MD", &["America/New_York"]),
    ("MA", &["America/New_York"]),
    ("MI", &["America/Detroit", "America/Menominee"]),
    ("MN", &["America/Chicago"]),
    ("MS", &["America/Chicago"]),
    ("MO", &["America/Chicago"]),
    ("MT", &["America/Denver"]),
    ("NE", &["America/Chicago", "America/Denver"]),
    ("NV", &["America/Los_Angeles", "America/Boise"]),
    ("NH", &["America/New_York"]),
    ("NJ", &["America/New_York"]),
    ("NM", &["America/Denver"]),
    ("NY", &["America/New_York"]),
    ("NC", &["America/New_York"]),
    ("ND", &["America/Chicago", "America/Denver"]),
    ("OH", &["America/New_York"]),
    ("OK", &["America/Chicago"]),
    ("OR", &["America/Los_Angeles", "America/Boise"]),
    ("PA", &["America/New_York"]),
    ("RI", &["America/New_York"]),
    ("SC", &["America/New_York"]),
    ("SD", &["America/Chicago", "America/Denver"]),
    ("TN", &["America/Chicago", "America/New_York"]),
    ("TX", &["America/Chicago", "America/Denver"]),
    ("UT", &["America/Denver"]),
    ("VT", &["America/New_York"]),
    ("VA", &["America/New_York"]),
    ("WA", &["America/Los_Angeles"]),
    ("WV", &["America/New_York"]),
    ("WI", &["America/Chicago"]),
    ("WY", &["America/Denver"]),
    ("PR", &["America/Puerto_Rico"]),
    ("GU", &["Pacific/Guam"]),
    ("VI", &["America/St_Thomas"]),
];

/// Every zone a US state (two-letter code) spans, or `None` for an unknown code.
pub fn us_state_zones(state: &str) -> Option<&'static [&'static str]> {
    let s = state.trim();
    STATE_ZONES.iter().find(|(code, _)| code.eq_ignore_ascii_case(s)).map(|(_, z)| *z)
}

/// The state's zone when it has exactly one.
pub fn us_state_single_zone(state: &str) -> Option<&'static str> {
    us_state_zones(state).filter(|z| z.len() == 1).map(|z| z[0])
}

/// Every zone any US state or territory spans, each once: what the contact policy must respect when
/// nothing is known about where a person is.
pub fn us_zones() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = STATE_ZONES.iter().flat_map(|(_, z)| z.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_zone_exists_in_the_bundled_database() {
        for (_, zones) in STATE_ZONES {
            for z in *zones {
                assert!(jiff::tz::TimeZone::get(z).is_ok(), "{z}");
            }
        }
    }

    #[test]
    fn single_zone_states_resolve_and_split_states_do_not() {
        assert_eq!(us_state_single_zone("ma"), Some("America/New_York"));
        assert_eq!(us_state_single_zone("HI"), Some("Pacific/Honolulu"));
        assert_eq!(us_state_single_zone("TX"), None, "El Paso is on Mountain time");
        assert_eq!(us_state_zones("TX").map(|z| z.len()), Some(2));
        assert_eq!(us_state_zones("ZZ"), None);
    }
}

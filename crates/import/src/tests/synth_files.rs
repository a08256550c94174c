//! The synthetic generator's files import without a single reject, and look like a placement.

use super::{import, today};
use crate::{Format, Mapping, synth};
use recoup_domain::contact::{ContactKind, PhoneType};
use recoup_domain::party::PartyKind;
use std::collections::BTreeSet;

#[test]
fn synthetic_files_import_with_zero_rejects() {
    let mut file = Vec::new();
    synth::write_csv(&mut file, 3000, 42, "SYN-", today()).unwrap();
    let out = import(&file, Format::Csv, &Mapping::standard()).unwrap();
    assert!(out.rejects.is_empty(), "{:#?}", &out.rejects[..out.rejects.len().min(5)]);
    assert_eq!(out.placed.len(), 3000);
    assert_eq!(out.placed[0].account.external_ref, "SYN-00000001");

    let share =
        |f: &dyn Fn(&recoup_domain::placement::PlacedAccount) -> bool| out.placed.iter().filter(|p| f(p)).count() * 100 / out.placed.len();
    let has_phone = |p: &recoup_domain::placement::PlacedAccount, t| p.parties[0].contact_points.iter().any(|c| c.phone_type == Some(t));
    let mobile = share(&|p| has_phone(p, PhoneType::Mobile));
    let email = share(&|p| p.parties[0].contact_points.iter().any(|c| c.kind == ContactKind::Email));
    assert!((60..=80).contains(&mobile), "{mobile}% with a mobile");
    assert!((50..=70).contains(&email), "{email}% with an e-mail");
    assert!(out.placed.iter().any(|p| p.parties[0].party.kind == PartyKind::Company));

    let names: BTreeSet<String> = out.placed.iter().map(|p| p.parties[0].party.display_name()).collect();
    assert!(names.len() > 300, "{} distinct names", names.len());
    assert!(names.iter().any(|n| n.contains('é') || n.contains('ñ')));
    let states: BTreeSet<&str> = out
        .placed
        .iter()
        .filter_map(|p| p.parties[0].contact_points.iter().find_map(|c| c.address.as_ref()).map(|a| a.region.as_str()))
        .collect();
    assert!(states.len() >= 20, "{states:?}");
    let zones = |state: &str| -> BTreeSet<Option<String>> {
        out.placed
            .iter()
            .filter(|p| p.parties[0].contact_points[0].address.as_ref().is_some_and(|a| a.region == state))
            .map(|p| p.parties[0].contact_points[0].time_zone.clone())
            .collect()
    };
    assert!(zones("TX").contains(&None), "most Texas rows leave the zone open");
    assert!(zones("TX").contains(&Some("America/Denver".to_string())), "some El Paso rows say their zone");
    assert_eq!(zones("IL"), BTreeSet::from([Some("America/Chicago".to_string())]));
}

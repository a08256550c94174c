//! Policy profiles: the tunable numbers of each jurisdiction, as data. A profile is built by name
//! (`us-federal`, `us-ma`, `us-nyc`, `us-ca`, `uk-fca`) and a tenant's configuration may override
//! any field of it; numbers taken from secondary material are marked (check) in COMPLIANCE.md.

use jiff::civil::{Time, time};
use serde::{Deserialize, Serialize};

/// Which body of law the rule sources in reasons come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    Us,
    Uk,
}

/// One named policy profile. Every field has the `us-federal` value by default, so a configuration
/// only names what it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub regime: Regime,
    /// First local time a call, text or email may be sent (Reg F 1006.6(b)(1)(i): 8:00).
    pub window_start: Time,
    /// First local time it may no longer be sent (Reg F 1006.6(b)(1)(i): 21:00).
    pub window_end: Time,
    /// Call attempts allowed per `call_window_days` (Reg F 1006.14(b)(2)(i): 7 in 7).
    pub call_cap: u32,
    pub call_window_days: u32,
    /// Days, the conversation day counting as day 1, with no call after a telephone conversation
    /// (Reg F 1006.14(b)(2)(ii): 7). 0 turns the rule off.
    pub post_conversation_days: u32,
    /// A cap on calls when the number is a work number (Massachusetts: 2 per 30 days).
    pub work_call_cap: Option<u32>,
    pub work_call_window_days: u32,
    /// Harassment standard for texts and emails (COMPLIANCE 3; check): per day and per 7 days.
    pub sms_per_day: u32,
    pub sms_per_week: u32,
    pub email_per_day: u32,
    pub email_per_week: u32,
    /// A cap on contacts and attempts across call, voicemail, text and email (New York City: 3 in 7).
    pub all_channel_cap: Option<u32>,
    pub all_channel_window_days: u32,
    /// Texts and emails need consent that was granted, not merely not revoked (New York City).
    pub electronic_needs_consent: bool,
    /// Apply the TCPA consent rules to automated calls and texts (47 USC 227(b)).
    pub tcpa: bool,
    /// The timing and frequency rules also bind a first-party creditor (California's Rosenthal
    /// Act; the FCA binds every lender). Without it they bind third-party collectors only.
    pub covers_first_party: bool,
    /// Zones to respect when nothing is known about where the person is; empty means every US zone.
    pub fallback_zones: Vec<String>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            name: "us-federal".into(),
            regime: Regime::Us,
            window_start: time(8, 0, 0, 0),
            window_end: time(21, 0, 0, 0),
            call_cap: 7,
            call_window_days: 7,
            post_conversation_days: 7,
            work_call_cap: None,
            work_call_window_days: 30,
            sms_per_day: 1,
            sms_per_week: 3,
            email_per_day: 1,
            email_per_week: 3,
            all_channel_cap: None,
            all_channel_window_days: 7,
            electronic_needs_consent: false,
            tcpa: true,
            covers_first_party: false,
            fallback_zones: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("unknown policy profile {0:?}")]
    Unknown(String),
    #[error("policy profile override: {0}")]
    Override(String),
    #[error("policy profile {0}: {1}")]
    Invalid(String, &'static str),
}

impl Profile {
    pub const NAMES: [&'static str; 5] = ["us-federal", "us-ma", "us-nyc", "us-ca", "uk-fca"];

    /// The built-in profile of that name.
    pub fn named(name: &str) -> Result<Profile, ProfileError> {
        let base = Profile::default();
        let p = match name {
            "us-federal" => base,
            // 940 CMR 7.04(1)(f) (COMPLIANCE 25; check): 2 telephone-initiated communications per
            // 7 days at home or on a mobile, 2 per 30 days at work.
            "us-ma" => Profile { call_cap: 2, work_call_cap: Some(2), work_call_window_days: 30, ..base },
            // NYC (COMPLIANCE 26; check): 3 contacts or attempts per 7 days across channels;
            // electronic contact needs consent.
            "us-nyc" => Profile { all_channel_cap: Some(3), all_channel_window_days: 7, electronic_needs_consent: true, ..base },
            // Rosenthal Act, Cal. Civ. Code 1788.17 (COMPLIANCE 27): FDCPA-style rules bind
            // first-party creditors too.
            "us-ca" => Profile { covers_first_party: true, ..base },
            // FCA CONC 7 (check): no unreasonable hours or excessive contact; the US numbers are the
            // starting point a UK tenant tunes; no TCPA.
            "uk-fca" => {
                Profile { regime: Regime::Uk, tcpa: false, covers_first_party: true, fallback_zones: vec!["Europe/London".into()], ..base }
            }
            other => return Err(ProfileError::Unknown(other.to_string())),
        };
        Ok(Profile { name: name.to_string(), ..p })
    }

    /// This profile with the fields present in `overrides` (a JSON object, e.g. read from the
    /// TOML configuration) replaced, field by field.
    pub fn with_overrides(&self, overrides: &serde_json::Map<String, serde_json::Value>) -> Result<Profile, ProfileError> {
        // Every contact decision builds its profile; most clients tune nothing, and the named
        // profiles are valid as written (a test holds them to it), so skip the JSON round trip.
        if overrides.is_empty() {
            return Ok(self.clone());
        }
        let err = |e: serde_json::Error| ProfileError::Override(e.to_string());
        let mut merged = match serde_json::to_value(self).map_err(err)? {
            serde_json::Value::Object(m) => m,
            _ => unreachable!("a struct serializes to an object"),
        };
        merged.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        let p: Profile = serde_json::from_value(serde_json::Value::Object(merged)).map_err(err)?;
        p.validate()
    }

    /// Refuses numbers the policy cannot work with, so `evaluate` never has to.
    pub fn validate(self) -> Result<Profile, ProfileError> {
        let bad = |why| Err(ProfileError::Invalid(self.name.clone(), why));
        if self.window_start >= self.window_end {
            return bad("window_start must be before window_end");
        }
        let caps = [self.call_cap, self.sms_per_day, self.sms_per_week, self.email_per_day, self.email_per_week];
        if caps.contains(&0) || self.work_call_cap == Some(0) || self.all_channel_cap == Some(0) {
            return bad("a cap must be at least 1 (block the channel with consent instead)");
        }
        if [self.call_window_days, self.work_call_window_days, self.all_channel_window_days].contains(&0) {
            return bad("a window must be at least 1 day");
        }
        if self.fallback_zones.iter().any(|z| jiff::tz::TimeZone::get(z).is_err()) {
            return bad("fallback_zones must be IANA zone names");
        }
        Ok(self)
    }
}

/// The configuration form: a base profile by name plus any fields to override.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(flatten)]
    pub overrides: serde_json::Map<String, serde_json::Value>,
}

impl ProfileConfig {
    pub fn build(&self) -> Result<Profile, ProfileError> {
        Profile::named(self.profile.as_deref().unwrap_or("us-federal"))?.with_overrides(&self.overrides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_profile_is_valid() {
        for name in Profile::NAMES {
            let p = Profile::named(name).unwrap().validate().unwrap();
            assert_eq!(p.name, name);
        }
        assert_eq!(Profile::named("us-tx"), Err(ProfileError::Unknown("us-tx".into())));
    }

    #[test]
    fn config_overrides_field_by_field() {
        let cfg: ProfileConfig = serde_json::from_str(r#"{"profile":"us-ma","window_end":"20:00","sms_per_week":2}"#).unwrap();
        let p = cfg.build().unwrap();
        assert_eq!((p.call_cap, p.work_call_cap, p.sms_per_week), (2, Some(2), 2));
        assert_eq!(p.window_end, time(20, 0, 0, 0));
        let default = ProfileConfig::default().build().unwrap();
        assert_eq!(default, Profile::default());
    }

    #[test]
    fn bad_overrides_are_refused() {
        let build = |s: &str| serde_json::from_str::<ProfileConfig>(s).unwrap().build();
        assert!(matches!(build(r#"{"call_capp":3}"#), Err(ProfileError::Override(_))), "typos are caught");
        assert!(matches!(build(r#"{"call_cap":0}"#), Err(ProfileError::Invalid(..))));
        assert!(matches!(build(r#"{"window_start":"22:00"}"#), Err(ProfileError::Invalid(..))));
        assert!(matches!(build(r#"{"fallback_zones":["Mars/Olympus"]}"#), Err(ProfileError::Invalid(..))));
        assert!(matches!(build(r#"{"profile":"nowhere"}"#), Err(ProfileError::Unknown(_))));
    }
}

//! Synthetic placement files in the standard CSV format, for the demo and the import benchmark.
//! The data is made up but shaped like a real placement: names from several cultures (some
//! accented), addresses whose city, ZIP, area code and zone agree, dates in a believable order,
//! balances that add up. Every row imports without a reject. Phone numbers use the fictional
//! 555-01xx range, e-mails the example domains, national ids the 987-65-432x range set aside for
//! examples, so nothing generated can reach a real person.
//!
//! It is built for speed (a million rows for the benchmark): each row is assembled in one reused
//! byte buffer with hand-rolled number formatting, and no value needs CSV quoting.

use crate::field::Field;
use jiff::civil::Date;
use std::io::{self, BufWriter, Write};

/// (display name, e-mail form, Spanish-speaking household more likely)
#[rustfmt::skip]
const FIRST: &[(&str, &str, bool)] = &[
    ("James", "james", false), ("Mary", "mary", false), ("John", "john", false), ("Patricia", "patricia", false),
    ("Robert", "robert", false), ("Jennifer", "jennifer", false), ("Michael", "michael", false), ("Linda", "linda", false),
    ("David", "david", false), ("Elizabeth", "elizabeth", false), ("William", "william", false), ("Susan", "susan", false),
    ("Richard", "richard", false), ("Karen", "karen", false), ("Joseph", "joseph", false), ("Nancy", "nancy", false),
    ("Zoë", "zoe", false), ("Chloe", "chloe", false), ("Omar", "omar", false), ("Aisha", "aisha", false),
    ("José", "jose", true), ("María", "maria", true), ("Jesús", "jesus", true), ("Lucía", "lucia", true),
    ("Andrés", "andres", true), ("Sofía", "sofia", true), ("Carlos", "carlos", true), ("Guadalupe", "guadalupe", true),
    ("Ramón", "ramon", true), ("Inés", "ines", true), ("Wei", "wei", false), ("Mei", "mei", false),
    ("Hiroshi", "hiroshi", false), ("Yuki", "yuki", false), ("Min-jun", "minjun", false), ("Ji-woo", "jiwoo", false),
    ("Thanh", "thanh", false), ("Priya", "priya", false), ("Arjun", "arjun", false), ("Chinedu", "chinedu", false),
    ("Noémie", "noemie", false), ("Björn", "bjorn", false),
];

#[rustfmt::skip]
const LAST: &[(&str, &str, bool)] = &[
    ("Smith", "smith", false), ("Johnson", "johnson", false), ("Williams", "williams", false), ("Brown", "brown", false),
    ("Jones", "jones", false), ("Miller", "miller", false), ("Davis", "davis", false), ("Wilson", "wilson", false),
    ("Anderson", "anderson", false), ("Taylor", "taylor", false), ("O'Brien", "obrien", false), ("Van der Berg", "vanderberg", false),
    ("García", "garcia", true), ("Rodríguez", "rodriguez", true), ("Martínez", "martinez", true), ("Hernández", "hernandez", true),
    ("López", "lopez", true), ("González", "gonzalez", true), ("Pérez", "perez", true), ("Sánchez", "sanchez", true),
    ("Muñoz", "munoz", true), ("Peña", "pena", true), ("Ramírez", "ramirez", true), ("Flores", "flores", true),
    ("Nguyen", "nguyen", false), ("Tran", "tran", false), ("Kim", "kim", false), ("Park", "park", false),
    ("Chen", "chen", false), ("Wang", "wang", false), ("Li", "li", false), ("Tanaka", "tanaka", false),
    ("Sato", "sato", false), ("Patel", "patel", false), ("Shah", "shah", false), ("Okafor", "okafor", false),
    ("Mensah", "mensah", false), ("Müller", "muller", false), ("Kowalski", "kowalski", false), ("Haddad", "haddad", false),
];

struct Place {
    state: &'static str,
    city: &'static str,
    zip: u32,
    zip_span: u32,
    area_codes: &'static [u16],
    zone: &'static str,
}

const fn place(state: &'static str, city: &'static str, zip: u32, zip_span: u32, area_codes: &'static [u16], zone: &'static str) -> Place {
    Place { state, city, zip, zip_span, area_codes, zone }
}

/// Cities in 21 states, including states split between zones (TX, FL, IN, TN, MI, OR, NV) where
/// only an explicit zone tells them apart.
const PLACES: &[Place] = &[
    place("TX", "Austin", 73301, 50, &[512, 737], "America/Chicago"),
    place("TX", "Houston", 77001, 99, &[713, 832, 281], "America/Chicago"),
    place("TX", "El Paso", 79901, 30, &[915], "America/Denver"),
    place("FL", "Miami", 33101, 99, &[305, 786], "America/New_York"),
    place("FL", "Pensacola", 32501, 30, &[850], "America/Chicago"),
    place("IN", "Indianapolis", 46201, 80, &[317, 463], "America/Indiana/Indianapolis"),
    place("IN", "Gary", 46401, 10, &[219], "America/Chicago"),
    place("HI", "Honolulu", 96801, 50, &[808], "Pacific/Honolulu"),
    place("AZ", "Phoenix", 85001, 90, &[602, 480, 623], "America/Phoenix"),
    place("CA", "Los Angeles", 90001, 99, &[213, 310, 323], "America/Los_Angeles"),
    place("CA", "San Francisco", 94102, 50, &[415, 628], "America/Los_Angeles"),
    place("CA", "San Diego", 92101, 90, &[619, 858], "America/Los_Angeles"),
    place("NY", "New York", 10001, 99, &[212, 646, 917], "America/New_York"),
    place("NY", "Buffalo", 14201, 30, &[716], "America/New_York"),
    place("MA", "Boston", 2108, 90, &[617, 857], "America/New_York"),
    place("IL", "Chicago", 60601, 99, &[312, 773, 872], "America/Chicago"),
    place("GA", "Atlanta", 30301, 99, &[404, 678, 470], "America/New_York"),
    place("WA", "Seattle", 98101, 99, &[206], "America/Los_Angeles"),
    place("CO", "Denver", 80201, 99, &[303, 720], "America/Denver"),
    place("PA", "Philadelphia", 19101, 99, &[215, 267], "America/New_York"),
    place("OH", "Columbus", 43201, 99, &[614, 380], "America/New_York"),
    place("MI", "Detroit", 48201, 90, &[313], "America/Detroit"),
    place("NC", "Charlotte", 28201, 90, &[704, 980], "America/New_York"),
    place("NJ", "Newark", 7101, 90, &[973, 862], "America/New_York"),
    place("TN", "Nashville", 37201, 90, &[615, 629], "America/Chicago"),
    place("MN", "Minneapolis", 55401, 90, &[612], "America/Chicago"),
    place("NV", "Las Vegas", 89101, 99, &[702, 725], "America/Los_Angeles"),
    place("OR", "Portland", 97201, 90, &[503, 971], "America/Los_Angeles"),
];

#[rustfmt::skip]
const STREETS: &[&str] = &[
    "Oak", "Main", "Pine", "Maple", "Cedar", "Elm", "Lake", "Hill", "Park", "Washington",
    "Lincoln", "Sunset", "River", "Church", "Mill", "Highland", "Forest", "Jackson", "Franklin", "Valley",
];
const SUFFIXES: &[&str] = &["St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Ct", "Way"];
#[rustfmt::skip]
const COMPANIES: &[&str] = &[
    "Lakeview Plumbing LLC", "Northside Auto Repair Inc", "Bluebird Catering Co", "Granite Peak Builders LLC",
    "Harbor Light Dental PC", "Sunrise Landscaping Inc", "Copper Kettle Diner LLC", "Evergreen Print Shop Inc",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

#[derive(Clone, Copy)]
enum Product {
    CreditCard,
    PersonalLoan,
    AutoDeficiency,
    Medical,
    Utility,
}

impl Product {
    fn name(self) -> &'static str {
        match self {
            Product::CreditCard => "credit card",
            Product::PersonalLoan => "personal loan",
            Product::AutoDeficiency => "auto deficiency",
            Product::Medical => "medical",
            Product::Utility => "utility",
        }
    }

    fn creditor(self, rng: &mut fastrand::Rng) -> &'static str {
        match self {
            Product::CreditCard => ["Lakeshore Bank", "Prairie Card Services", "Summit National Bank"][rng.usize(..3)],
            Product::PersonalLoan => ["Lakeshore Bank", "Prairie Credit Union"][rng.usize(..2)],
            Product::AutoDeficiency => ["Keystone Auto Finance", "Prairie Credit Union"][rng.usize(..2)],
            Product::Medical => ["Mercy Valley Hospital", "Summit Health Partners"][rng.usize(..2)],
            Product::Utility => ["Metro Power and Light", "Clearwater Utilities"][rng.usize(..2)],
        }
    }
}

/// Writes `rows` accounts in the standard CSV format, the same file for the same seed.
/// Account numbers are `ref_prefix` plus a zero-padded row number; no date is after `today`.
pub fn write_csv<W: Write>(out: W, rows: u64, seed: u64, ref_prefix: &str, today: Date) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(256 * 1024, out);
    let header: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    out.write_all(header.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    let mut g = Generator { rng: fastrand::Rng::with_seed(seed), today: epoch_day(today), buf: Vec::with_capacity(1024) };
    for n in 1..=rows {
        g.buf.clear();
        g.row(n, ref_prefix);
        out.write_all(&g.buf)?;
    }
    out.flush()
}

struct Generator {
    rng: fastrand::Rng,
    today: i64,
    buf: Vec<u8>,
}

impl Generator {
    fn pct(&mut self, p: u32) -> bool {
        self.rng.u32(..100) < p
    }

    fn s(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// Writes one of `list`, chosen at random.
    fn one_of(&mut self, list: &[&str]) {
        let i = self.rng.usize(..list.len());
        self.buf.extend_from_slice(list[i].as_bytes());
    }

    fn sep(&mut self) {
        self.buf.push(b',');
    }

    fn num(&mut self, mut n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut i = digits.len();
        while n > 0 || i == digits.len() {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let start = i.min(digits.len() - width.min(20));
        self.buf.extend_from_slice(&digits[start..]);
    }

    fn money(&mut self, cents: u64) {
        self.num(cents / 100, 1);
        self.buf.push(b'.');
        self.num(cents % 100, 2);
    }

    fn date(&mut self, day: i64) {
        let (y, m, d) = civil(day);
        self.num(y as u64, 4);
        self.buf.push(b'-');
        self.num(m as u64, 2);
        self.buf.push(b'-');
        self.num(d as u64, 2);
    }

    fn phone(&mut self, area: u16) {
        let line = 100 + self.rng.u64(..100);
        match self.rng.u32(..5) {
            0 => {
                self.buf.push(b'(');
                self.num(area.into(), 3);
                self.s(") 555-0");
                self.num(line, 3);
            }
            1 => {
                self.num(area.into(), 3);
                self.s("-555-0");
                self.num(line, 3);
            }
            2 => {
                self.num(area.into(), 3);
                self.s(".555.0");
                self.num(line, 3);
            }
            3 => {
                self.s("+1 ");
                self.num(area.into(), 3);
                self.s(" 555 0");
                self.num(line, 3);
            }
            _ => {
                self.num(area.into(), 3);
                self.s("5550");
                self.num(line, 3);
            }
        }
    }

    /// One row, fields in `Field::ALL` order.
    fn row(&mut self, n: u64, ref_prefix: &str) {
        let rng = &mut self.rng;
        let product =
            [Product::CreditCard, Product::CreditCard, Product::PersonalLoan, Product::AutoDeficiency, Product::Medical, Product::Utility]
                [rng.usize(..6)];
        let company = matches!(product, Product::Utility) && rng.u32(..100) < 15;
        let place = &PLACES[rng.usize(..PLACES.len())];
        let first = FIRST[rng.usize(..FIRST.len())];
        let last = LAST[rng.usize(..LAST.len())];
        let creditor = product.creditor(rng);
        let debt_buyer = rng.u32(..100) < 10;

        // Backwards from the charge-off, so every date lands in order and none after today.
        let charged_off = self.today - i64::from(rng.u32(..1500));
        let delinquent = charged_off - i64::from(rng.u32(120..200));
        let opened = delinquent - i64::from(rng.u32(90..2500));
        let last_payment = (rng.u32(..100) < 90).then(|| delinquent - i64::from(rng.u32(1..60)));

        let principal = rng.u64(20_000..=2_500_000);
        let interest = principal * rng.u64(..25) / 100 + rng.u64(..100);
        let fees = [0, 2500, 3500, 7000][rng.usize(..4)];
        let costs = if rng.u32(..100) < 3 { 15_000 } else { 0 };

        self.s(ref_prefix);
        self.num(n, 8);
        self.sep();
        self.s(creditor);
        self.sep();
        self.s(if debt_buyer { "Recoup Receivables Trust" } else { creditor });
        self.sep();
        self.s(product.name());
        self.s(",USD,");
        self.date(opened);
        self.sep();
        self.date(delinquent);
        self.sep();
        self.date(charged_off);
        self.sep();
        if self.pct(50) {
            self.date(charged_off);
        }
        self.s(",charge_off,");
        if let Some(day) = last_payment {
            self.date(day);
            self.sep();
            let amount = self.rng.u64(2_000..30_000);
            self.money(amount);
        } else {
            self.sep();
        }
        self.sep();
        for cents in [principal, interest, fees, costs, principal + interest + fees + costs] {
            self.money(cents);
            self.sep();
        }
        match self.rng.u32(..200) {
            0..=3 => self.s("disputed"),
            4..=5 => self.s("military"),
            6 => self.s("vulnerable"),
            7 => self.s("disputed;complaint"),
            _ => {}
        }
        self.sep();
        let spanish = (first.2 || last.2) && self.pct(60);
        match self.rng.u32(..100) {
            0..=9 => {}
            _ => self.s(if spanish { "es" } else { "en" }),
        }
        self.sep();
        if company {
            self.s(",,");
            self.one_of(COMPANIES);
            self.s(",,");
        } else {
            self.s(first.0);
            self.sep();
            self.s(last.0);
            self.s(",,");
            let dob = self.today - i64::from(self.rng.u32(21 * 365..85 * 365));
            self.date(dob);
            self.sep();
        }
        if !company && self.pct(85) {
            self.s("987-65-432");
            let d = self.rng.u64(..10);
            self.num(d, 1);
        }
        self.sep();
        let house = self.rng.u64(1..10_000);
        self.num(house, 1);
        self.buf.push(b' ');
        self.one_of(STREETS);
        self.buf.push(b' ');
        self.one_of(SUFFIXES);
        self.sep();
        if self.pct(20) {
            self.s("Apt ");
            let apt = self.rng.u64(1..40);
            self.num(apt, 1);
            self.buf.push(b"ABCD"[self.rng.usize(..4)]);
        }
        self.sep();
        self.s(place.city);
        self.sep();
        self.s(place.state);
        self.sep();
        let zip = u64::from(place.zip + self.rng.u32(..place.zip_span));
        self.num(zip, 5);
        self.s(",US,");
        let area = |g: &mut Generator| place.area_codes[g.rng.usize(..place.area_codes.len())];
        for (p, work) in [(50, false), (70, false), (8, true)] {
            if self.pct(p) {
                let a = area(self);
                self.phone(a);
                if work && self.pct(50) {
                    self.s(" x");
                    let ext = self.rng.u64(10..999);
                    self.num(ext, 1);
                }
            }
            self.sep();
        }
        if self.pct(60) {
            if company {
                self.s("billing");
            } else {
                self.s(first.1);
                self.buf.push(b'.');
                self.s(last.1);
            }
            let k = self.rng.u64(..1000);
            self.num(k, 1);
            self.buf.push(b'@');
            self.one_of(DOMAINS);
        }
        self.sep();
        if self.pct(5) {
            self.s(place.zone);
        }
        self.buf.push(b'\n');
    }
}

/// Days since 1970-01-01 (H. Hinnant's civil calendar algorithm): plain integer arithmetic is
/// far quicker than calendar spans for millions of dates.
fn epoch_day(d: Date) -> i64 {
    let (y, m, d) = (i64::from(d.year()), i64::from(d.month()), i64::from(d.day()));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil(day: i64) -> (i64, i64, i64) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_days_match_jiff() {
        for d in [
            jiff::civil::date(1970, 1, 1),
            jiff::civil::date(2000, 2, 29),
            jiff::civil::date(2026, 11, 23),
            jiff::civil::date(1941, 12, 31),
        ] {
            let n = epoch_day(d);
            assert_eq!(n, i64::from((d - jiff::civil::date(1970, 1, 1)).get_days()), "{d}");
            let (y, m, day) = civil(n);
            assert_eq!(jiff::civil::date(y as i16, m as i8, day as i8), d);
        }
    }

    #[test]
    fn same_seed_same_file() {
        let today = jiff::civil::date(2026, 11, 23);
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        write_csv(&mut a, 50, 7, "T-", today).unwrap();
        write_csv(&mut b, 50, 7, "T-", today).unwrap();
        write_csv(&mut c, 50, 8, "T-", today).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(String::from_utf8(a).unwrap().lines().count(), 51);
    }
}

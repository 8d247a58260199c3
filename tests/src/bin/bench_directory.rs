//! `cargo xtask bench directory`: the address book's figures on this
//! machine, release build:
//! - search as you type over 100,000 local contacts: p50/p99 of 2,000
//!   queries (name prefixes of 1-4 letters, inner parts, number fragments),
//!   the index built once (its build time is printed too);
//! - import of 10,000 vCards (parse and store, one transaction);
//! - caller lookup by number (what a ringing call waits for... never: it
//!   rings first), p50/p99 of 10,000 lookups;
//! - LDAP search round trip against a local slapd with 10,000 entries.
//!   Goals (issue 18): search p99 under 10 ms, import under 2 s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hookswitch_directory::NumberPlan;
use hookswitch_directory::contact::{Address, Contact};
use hookswitch_directory::vcard::{self, Version};
use hookswitch_phone::directory::Directory;
use hookswitch_phone::store::{LOCAL_BOOK, Store};

const GIVEN: &[&str] = &[
    "Ayşe",
    "Jörg",
    "Renée",
    "Łukasz",
    "Søren",
    "José",
    "Zoë",
    "Anna",
    "Bernd",
    "Chloé",
    "Dmitri",
    "Élodie",
    "François",
    "Gülşen",
    "Håkon",
    "Inés",
    "Jürgen",
    "Kateřina",
    "Lars",
    "Małgorzata",
];
const FAMILY: &[&str] = &[
    "Öztürk",
    "Müller",
    "Dubois",
    "Kowalski",
    "Jørgensen",
    "García",
    "Núñez",
    "Schmidt",
    "Yılmaz",
    "Nowak",
    "Lefèvre",
    "Andersson",
    "Novák",
    "Fischer",
    "Weiß",
    "Rossi",
    "Šimek",
    "Brown",
];
const ORGS: &[&str] = &["ACME GmbH", "Initech", "Globex", "Umbrella", "Stark AG"];
const DEPTS: &[&str] = &["Sales", "Support", "Finance", "Research", "Logistics"];

/// A small deterministic generator (no clock, no OS randomness).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next() as usize % from.len()]
    }
}

fn contact(n: u64, rng: &mut Lcg) -> Contact {
    let name = format!("{} {} {n}", rng.pick(GIVEN), rng.pick(FAMILY));
    let mut c = Contact::new(&name, u128::from(n) + 1);
    c.organization = Some(rng.pick(ORGS).to_string());
    c.department = Some(rng.pick(DEPTS).to_string());
    c.addresses
        .push(Address::tel("work", &format!("+49 30 {:07}", n)));
    if n.is_multiple_of(3) {
        c.addresses
            .push(Address::tel("mobile", &format!("0171 {:07}", n)));
    }
    c.favourite = n.is_multiple_of(997);
    c
}

fn percentiles(mut d: Vec<Duration>) -> (Duration, Duration, Duration) {
    d.sort();
    let at = |p: f64| d[((d.len() as f64 * p) as usize).min(d.len() - 1)];
    (at(0.5), at(0.99), *d.last().unwrap())
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = NumberPlan::new(Some("DE"), None).unwrap();
    let store = Arc::new(Store::open(&dir.path().join("hookswitch.db"), plan.clone()).unwrap());
    let mut rng = Lcg(42);
    let contacts: Vec<Contact> = (0..100_000).map(|n| contact(n, &mut rng)).collect();
    let started = Instant::now();
    store.import(LOCAL_BOOK, &contacts, || 0).unwrap();
    println!(
        "store 100,000 contacts (one transaction): {}",
        ms(started.elapsed())
    );

    let directory = Directory::new(store.clone());
    let started = Instant::now();
    directory.search_local("warm", 1);
    println!(
        "build the search index over 100,000: {}",
        ms(started.elapsed())
    );

    let mut queries: Vec<String> = Vec::new();
    for i in 0..2_000u64 {
        let q = match i % 5 {
            0 => rng.pick(GIVEN).chars().take(1 + (i as usize % 4)).collect(),
            1 => rng.pick(FAMILY).to_lowercase().chars().take(3).collect(),
            2 => format!(
                "{} {}",
                rng.pick(GIVEN).to_lowercase(),
                rng.pick(FAMILY).chars().take(2).collect::<String>()
            ),
            3 => format!("{:04}", rng.next() % 10_000),
            _ => rng.pick(DEPTS).to_lowercase(),
        };
        queries.push(q);
    }
    let mut took = Vec::with_capacity(queries.len());
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); 5];
    let mut found = 0;
    for (i, q) in queries.iter().enumerate() {
        let started = Instant::now();
        found += directory.search_local(q, 20).len();
        took.push(started.elapsed());
        by_kind[i % 5].push(started.elapsed());
    }
    let mut slowest: Vec<(Duration, &String)> = took.iter().copied().zip(queries.iter()).collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    let named: Vec<String> = slowest
        .iter()
        .take(5)
        .map(|(d, q)| format!("{q:?} {}", ms(*d)))
        .collect();
    println!("  slowest: {}", named.join(", "));
    for (kind, times) in [
        "given-name prefix",
        "family prefix",
        "two words",
        "number fragment",
        "department",
    ]
    .iter()
    .zip(by_kind)
    {
        let (p50, p99, _) = percentiles(times);
        println!("  {kind}: p50 {} p99 {}", ms(p50), ms(p99));
    }
    let (p50, p99, max) = percentiles(took);
    println!(
        "search as you type over 100,000 (2,000 queries, 20 hits each, {found} hits): p50 {} p99 {} max {}  (goal p99 < 10 ms)",
        ms(p50),
        ms(p99),
        ms(max)
    );

    let mut took = Vec::with_capacity(10_000);
    let mut known = 0;
    for i in 0..10_000u64 {
        let n = (i * 7919) % 120_000; // a sixth are nobody we know
        let caller = format!("sip:+4930{n:07}@carrier.example;user=phone");
        let started = Instant::now();
        known += usize::from(store.identify(&caller).unwrap().is_some());
        took.push(started.elapsed());
    }
    let (p50, p99, max) = percentiles(took);
    println!(
        "caller lookup by number (10,000, {known} known): p50 {} p99 {} max {}",
        ms(p50),
        ms(p99),
        ms(max)
    );

    let cards = vcard::write(&contacts[..10_000], Version::V4);
    let fresh = Store::open(&dir.path().join("import.db"), plan).unwrap();
    let started = Instant::now();
    let parsed = vcard::parse(cards.as_bytes());
    let parse = started.elapsed();
    fresh.import(LOCAL_BOOK, &parsed.contacts, || 0).unwrap();
    let total = started.elapsed();
    println!(
        "import 10,000 vCards ({} KB): {} (parse {}, store {})  (goal < 2 s)",
        cards.len() / 1024,
        ms(total),
        ms(parse),
        ms(total - parse)
    );
    assert_eq!(parsed.contacts.len(), 10_000, "{:?}", parsed.errors.first());

    ldap_round_trip(dir.path());
}

/// Search as you type against slapd with 10,000 people (anonymous, one
/// connection per search as the phone does: connect, bind, paged search,
/// unbind), and a caller looked up by number.
fn ldap_round_trip(dir: &std::path::Path) {
    use hookswitch_phone::directory::{LdapSettings, LdapSource};
    let mut server = hookswitch_tests::slapd::Slapd::configure(dir, 10_000);
    server.start();
    let ldap = LdapSource::new(
        LdapSettings {
            url: server.url(),
            base: hookswitch_tests::slapd::BASE.into(),
            ..LdapSettings::default()
        },
        None,
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let queries = [
        "Öztürk",
        "Anna",
        "Müller 12",
        "5551777",
        "Dubois",
        "Jörg",
        "Research",
        "0001234",
    ];
    let mut took = Vec::new();
    let mut found = 0;
    for round in 0..25 {
        for q in queries {
            let q = if round % 2 == 0 {
                q.to_string()
            } else {
                q.to_lowercase()
            };
            let started = Instant::now();
            found += runtime
                .block_on(ldap.search(&q))
                .expect("LDAP search")
                .len();
            took.push(started.elapsed());
        }
    }
    let (p50, p99, max) = percentiles(took);
    println!(
        "LDAP search round trip, slapd with 10,000 people (200 searches, {found} entries): p50 {} p99 {} max {}",
        ms(p50),
        ms(p99),
        ms(max)
    );
    let mut took = Vec::new();
    for n in 1..=200usize {
        let (_, _, phone, _) = hookswitch_tests::slapd::person(n * 37);
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let national = &digits[2..];
        let started = Instant::now();
        let hits = runtime
            .block_on(ldap.identify(national, &digits, Duration::from_millis(300)))
            .expect("LDAP identify");
        took.push(started.elapsed());
        assert!(!hits.is_empty(), "{phone}");
    }
    let (p50, p99, max) = percentiles(took);
    println!(
        "LDAP caller lookup (200 numbers): p50 {} p99 {} max {}  (budget 300 ms)",
        ms(p50),
        ms(p99),
        ms(max)
    );
}

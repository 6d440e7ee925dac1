//! SPF records and macro strings from DNS (TXT records anyone can publish): parsing any text
//! must give a record or a typed error, never panic; a parsed record prints back as text that
//! parses to the same record; expanding any macro string never panics, and an expanded domain
//! name is cut to 253 characters whenever it has labels to drop.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use mailauth::spf::macros::{Context, MacroString, Vars};
use mailauth::spf::record::{Mechanism, Record};

fn check_domain(spec: &MacroString, vars: &Vars<'_>) {
    let name = spec.expand_domain(vars);
    assert!(name.len() <= 253 || !name.contains('.'), "{spec} expanded to {} characters", name.len());
}

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let ip = match bytes.first() {
        Some(b) if b % 2 == 0 => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(*b))),
        _ => IpAddr::V4(Ipv4Addr::new(192, 0, 2, bytes.len() as u8)),
    };
    let vars = Vars {
        sender: "first.last-tag+x=y@sub.example.com",
        local_part: "first.last-tag+x=y",
        sender_domain: "sub.example.com",
        domain: "a.b.c.d.e.f.g.example.org",
        ip,
        helo: "[192.0.2.1]",
        receiver: "mx.example.net",
        now: 1_700_000_000,
        validated_name: Some("host.example.org"),
    };

    for context in [Context::Domain, Context::Explanation, Context::Modifier] {
        if let Ok(m) = MacroString::parse(&text, context) {
            assert_eq!(m.to_string(), text);
            let _ = m.expand(&vars);
            if context == Context::Domain {
                check_domain(&m, &vars);
            }
        }
    }

    for candidate in [text.to_string(), format!("v=spf1 {text}")] {
        let Ok(record) = Record::parse(&candidate) else { continue };
        let printed = record.to_string();
        assert_eq!(Record::parse(&printed).as_ref(), Ok(&record), "{candidate:?} printed as {printed:?}");
        for spec in record.redirect.iter().chain(&record.explanation) {
            check_domain(spec, &vars);
        }
        for directive in &record.directives {
            match &directive.mechanism {
                Mechanism::Include(spec) | Mechanism::Exists(spec) => check_domain(spec, &vars),
                Mechanism::A { domain: Some(spec), .. }
                | Mechanism::Mx { domain: Some(spec), .. }
                | Mechanism::Ptr(Some(spec)) => check_domain(spec, &vars),
                _ => {}
            }
        }
    }
});

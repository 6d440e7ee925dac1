use super::*;

fn a(name: Option<&str>, adl: Option<&str>, mailbox: Option<&str>, host: Option<&str>) -> Address {
    let v = |s: Option<&str>| s.map(|s| s.as_bytes().to_vec());
    Address { name: v(name), adl: v(adl), mailbox: v(mailbox), host: v(host) }
}

#[test]
fn reads_mailboxes_and_names() {
    assert_eq!(
        parse(br#""Doe, John" <john.doe@example.com>, Jane <jane @ [1.2.3.4]>, bare@x.org (Bare Person)"#),
        vec![
            a(Some("Doe, John"), None, Some("john.doe"), Some("example.com")),
            a(Some("Jane"), None, Some("jane"), Some("[1.2.3.4]")),
            a(Some("Bare Person"), None, Some("bare"), Some("x.org")),
        ]
    );
    assert_eq!(parse(b"John Q. Public <jqp@x>"), vec![a(Some("John Q. Public"), None, Some("jqp"), Some("x"))]);
    assert_eq!(
        parse(b"=?utf-8?q?J=C3=B6rg?= <j@x>"),
        vec![a(Some("=?utf-8?q?J=C3=B6rg?="), None, Some("j"), Some("x"))]
    );
    assert_eq!(parse(br#""a\"b" <"x y"@z>"#), vec![a(Some("a\"b"), None, Some("x y"), Some("z"))]);
}

#[test]
fn reads_routes_and_groups() {
    assert_eq!(parse(b"<@a.org,@b.org:u@c.org>"), vec![a(None, Some("@a.org,@b.org"), Some("u"), Some("c.org"))]);
    assert_eq!(
        parse(b"Friends: a@x, B <b@y>; c@z"),
        vec![
            a(None, None, Some("Friends"), None),
            a(None, None, Some("a"), Some("x")),
            a(Some("B"), None, Some("b"), Some("y")),
            a(None, None, None, None),
            a(None, None, Some("c"), Some("z")),
        ]
    );
    assert_eq!(
        parse(b"undisclosed-recipients:;"),
        vec![a(None, None, Some("undisclosed-recipients"), None), a(None, None, None, None)]
    );
    assert_eq!(
        parse(b"open: a@x"),
        vec![a(None, None, Some("open"), None), a(None, None, Some("a"), Some("x")), a(None, None, None, None)]
    );
}

#[test]
fn is_lenient() {
    assert_eq!(parse(b"Whomever"), vec![a(None, None, Some("Whomever"), None)]);
    assert_eq!(parse(b""), vec![]);
    assert_eq!(parse(b",, ,"), vec![]);
    assert_eq!(parse(b"<>"), vec![]);
    assert_eq!(parse(b"Name <>"), vec![a(Some("Name"), None, None, None)]);
    assert_eq!(parse(b"X <a@b"), vec![a(Some("X"), None, Some("a"), Some("b"))]);
    assert_eq!(parse(b"\"unterminated <a@b>"), vec![a(None, None, Some("unterminated <a@b>"), None)]);
    assert_eq!(parse(b"a@b (unterminated"), vec![a(Some("unterminated"), None, Some("a"), Some("b"))]);
    assert_eq!(parse(b"<a@b> trailing, ) \\ ]"), vec![a(None, None, Some("a"), Some("b"))]);
    assert_eq!(parse(b"(only a comment)"), vec![]);
}

#[test]
fn mailboxes_leave_out_group_markers() {
    assert_eq!(
        mailboxes(b"Friends: a@x, B <b@y>; c@z"),
        vec![
            a(None, None, Some("a"), Some("x")),
            a(Some("B"), None, Some("b"), Some("y")),
            a(None, None, Some("c"), Some("z"))
        ]
    );
    assert_eq!(mailboxes(b"undisclosed-recipients:;"), vec![]);
    assert_eq!(mailboxes(b"open: a@x"), vec![a(None, None, Some("a"), Some("x"))]);
    assert_eq!(mailboxes(b"Whomever"), vec![a(None, None, Some("Whomever"), None)]);
}

#[test]
fn fields_as_written_need_no_repair() {
    let fine: &[&[u8]] = &[
        br#""Doe, John" <john.doe@example.com>, bare@x.org (Bare Person)"#,
        b"John Q. Public <jqp@example.com>",
        b"=?utf-8?q?J=C3=B6rg?= <j@example.de>",
        br#""a\"b" <"x y"@example.org>"#,
        b"Friends: a@x.example, B <b@y.example>;, c@z.example",
        b"(Alice) alice@example.org",
        b"Alice <alice@example.org> (at work)",
        b"<alice@[192.0.2.1]>",
    ];
    for value in fine {
        assert_eq!(parse_checked(value).1, vec![], "{}", String::from_utf8_lossy(value));
    }
}

#[test]
fn repairs_are_reported_and_the_lenient_reading_is_kept() {
    let (addresses, repairs) = parse_checked(b"<@a.org:u@c.org>");
    assert_eq!(addresses, parse(b"<@a.org:u@c.org>"));
    assert_eq!(repairs, vec![Repair::Route]);
    assert!(parse_checked(b"<a@x.example>b@y.example").1.contains(&Repair::TrailingText));
    assert_eq!(parse_checked(b"a@x.example)").1, vec![Repair::StrayDelimiter]);
    assert_eq!(parse_checked(b"a@x.example;").1, vec![Repair::StrayDelimiter]);
    assert_eq!(parse_checked(b"Group: a@x.example").1, vec![Repair::Unterminated]);
    assert_eq!(parse_checked(b"jane @ [1.2.3.4]").1, vec![Repair::SpaceInAddress]);
}

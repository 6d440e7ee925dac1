use super::*;

fn header(fields: &str) -> Vec<u8> {
    format!("Subject: x\r\n{fields}\r\n").into_bytes()
}

fn of(from: &str) -> Result<Author, Ambiguity> {
    find(&header(&format!("From: {from}\r\n")))
}

fn domain(from: &str) -> Option<String> {
    of(from).ok().map(|a| a.domain)
}

#[test]
fn the_one_from_mailbox_is_the_author() {
    assert_eq!(domain("alice@Example.ORG").as_deref(), Some("example.org"));
    assert_eq!(domain("\"Smith, Alice\" <alice@example.org>").as_deref(), Some("example.org"));
    assert_eq!(domain("Alice (at work, really) <alice@mail.example.org>").as_deref(), Some("mail.example.org"));
    assert_eq!(domain("alice@example.org (Alice)").as_deref(), Some("example.org"));
    assert_eq!(domain("=?utf-8?q?J=C3=B6rg?= <j@example.de>").as_deref(), Some("example.de"));
    assert_eq!(domain("\"a \\\"quoted\\\" name\" <a@example.org>").as_deref(), Some("example.org"));
    assert_eq!(domain("Bob <bob@bücher.example>").as_deref(), Some("xn--bcher-kva.example"), "IDN as A-label");
    let author = of("Alice <Alice.Smith@Example.org>").unwrap();
    assert_eq!(author.address, "Alice.Smith@example.org");
    assert!(author.others.is_empty() && author.sender.is_none());
}

#[test]
fn not_exactly_one_from_field_is_ambiguous() {
    assert_eq!(find(b"Subject: no from\r\n\r\n"), Err(Ambiguity::NoFrom));
    assert_eq!(find(b"From: a@good.example\r\nFrom: b@evil.example\r\n\r\n"), Err(Ambiguity::SeveralFrom));
    assert_eq!(find(b"From : a@evil.example\r\nFrom: b@good.example\r\n\r\n"), Err(Ambiguity::SeveralFrom));
    assert_eq!(find(b"From\r\n : a@evil.example\r\nFrom: b@good.example\r\n\r\n"), Err(Ambiguity::SeveralFrom));
    assert_eq!(find(b"from: a@evil.example\r\nFROM: b@good.example\r\n\r\n"), Err(Ambiguity::SeveralFrom));
    // Alone, a name with white space before the colon is still the From field.
    assert_eq!(author_domain(b"From\r\n : a@evil.example\r\n\r\n").as_deref(), Some("evil.example"));
}

#[test]
fn no_mailbox_several_or_a_group_is_ambiguous() {
    assert_eq!(of("a@one.example, b@two.example"), Err(Ambiguity::SeveralMailboxes));
    assert_eq!(of("undisclosed"), Err(Ambiguity::NoMailbox));
    assert_eq!(of(""), Err(Ambiguity::NoMailbox));
    assert_eq!(of("Friends: a@x.example;"), Err(Ambiguity::Group));
    assert_eq!(of("undisclosed-recipients:;"), Err(Ambiguity::Group));
    assert_eq!(of("alice@localhost"), Err(Ambiguity::BadDomain("From")));
    assert_eq!(of("alice@[192.0.2.1]"), Err(Ambiguity::BadDomain("From")));
}

#[test]
fn forms_that_parse_only_with_repairs_are_ambiguous() {
    let cases = [
        ("<@a.example,@b.example:user@victim.example>", Repair::Route),
        ("<a@attacker.example>boss@victim.example", Repair::TrailingText),
        ("Boss <boss@victim.example> <a@attacker.example>", Repair::StrayDelimiter),
        ("boss@victim.example <a@attacker.example>", Repair::SpecialInName),
        ("\"boss@victim.example <a@attacker.example>", Repair::Unterminated),
        ("Boss <boss@victim.example", Repair::Unterminated),
        ("Boss (victim <a@attacker.example>", Repair::Unterminated),
        ("Boss boss@victim.example>", Repair::StrayDelimiter),
        ("<boss(x)@victim.example>", Repair::CommentInAddress),
        ("boss(x)@victim.example", Repair::CommentInAddress),
        ("<=?utf-8?q?boss=40victim.example?=@attacker.example>", Repair::EncodedWordInAddress),
        ("<\"boss@victim.example\\\"\"@attacker.example>", Repair::QuotedPairInAddress),
        ("Boss boss@victim.example", Repair::SpaceInAddress),
        ("<boss@victim.example@attacker.example>", Repair::ExtraAt),
    ];
    for (from, repair) in cases {
        assert_eq!(of(from), Err(Ambiguity::Repaired("From", repair)), "{from}");
    }
    // An unquoted copy of the address itself as the name shows no other author.
    assert_eq!(domain("noreply@Shop.example <noreply@shop.example>").as_deref(), Some("shop.example"));
    assert_eq!(domain("Bob @ home <bob@example.org>").as_deref(), Some("example.org"));
}

#[test]
fn domains_a_client_may_show_instead_come_along() {
    let author = of("\"boss@victim.example\" <a@attacker.example>").unwrap();
    assert_eq!(author.domain, "attacker.example");
    assert_eq!(author.others, vec![("victim.example".to_string(), Place::DisplayName)]);
    let encoded = of("=?utf-8?q?boss=40Victim.example?= <a@attacker.example>").unwrap();
    assert_eq!(encoded.others, vec![("victim.example".to_string(), Place::DisplayName)]);
    let same = of("\"alice@example.org\" <alice@example.org>").unwrap();
    assert!(same.others.is_empty(), "the author's own address in its name adds nothing");
    assert!(of("\"Alice @ home\" <alice@example.org>").unwrap().others.is_empty());

    let fields = "From: a@attacker.example\r\nSender: boss@victim.example\r\nResent-From: x@other.example\r\n";
    let author = find(&header(fields)).unwrap();
    assert_eq!(author.sender.as_deref(), Some("boss@victim.example"));
    assert_eq!(
        author.others,
        vec![("victim.example".to_string(), Place::Sender), ("other.example".to_string(), Place::ResentFrom)]
    );
}

#[test]
fn an_ambiguous_sender_or_resent_from_is_ambiguous() {
    let two = "From: a@x.example\r\nSender: b@y.example\r\nSender: c@z.example\r\n";
    assert_eq!(find(&header(two)), Err(Ambiguity::Sender));
    let several = "From: a@x.example\r\nSender: b@y.example, c@z.example\r\n";
    assert_eq!(find(&header(several)), Err(Ambiguity::Sender));
    let routed = "From: a@x.example\r\nResent-From: <@r.example:b@y.example>\r\n";
    assert_eq!(find(&header(routed)), Err(Ambiguity::Repaired("Resent-From", Repair::Route)));
    let control = "From: a@x.example\r\nSender: List <list@lists.example>\r\n";
    assert_eq!(find(&header(control)).unwrap().sender.as_deref(), Some("list@lists.example"));
}

//! STORE and APPEND, with their flags, modifiers, dates and literals.

use super::super::{AppendData, AppendMessage, CatPart, Command, Flag as F, StoreAction as Act};
use super::{bad, ok, set};

fn kw(k: &str) -> F {
    F::Keyword(k.to_owned())
}

/// The (action, silent, flags, unchanged_since) of a STORE command.
fn store(input: &str) -> (Act, bool, Vec<F>, Option<u64>) {
    match ok(input) {
        Command::Store { action, silent, flags, unchanged_since, .. } => (action, silent, flags, unchanged_since),
        other => panic!("{other:?}"),
    }
}

#[test]
fn store_forms() {
    assert_eq!(
        ok("A003 STORE 2:4 +FLAGS (\\Deleted)"),
        Command::Store {
            uid: false,
            set: set(&[(2, 4)]),
            action: Act::Add,
            silent: false,
            flags: vec![F::Deleted],
            unchanged_since: None
        }
    );
    assert_eq!(
        store("a STORE 1:* (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted)"),
        (Act::Add, true, vec![F::Deleted], Some(5))
    );
    assert_eq!(store("a STORE 1 -flags.silent \\seen"), (Act::Remove, true, vec![F::Seen], None));
    assert_eq!(store("a STORE 1 FLAGS ()"), (Act::Replace, false, vec![], None));
    assert_eq!(
        store("a STORE 1 (unchangedsince 0) FLAGS \\Answered $Junk"),
        (Act::Replace, false, vec![F::Answered, kw("$Junk")], Some(0))
    );
    assert_eq!(
        store("a STORE 1 FLAGS (\\SEEN \\answered \\Flagged \\Deleted \\Draft \\Recent NonJunk)"),
        (
            Act::Replace,
            false,
            vec![F::Seen, F::Answered, F::Flagged, F::Deleted, F::Draft, F::Recent, kw("NonJunk")],
            None
        )
    );
    assert!(matches!(ok("a UID STORE 7 +FLAGS x"), Command::Store { uid: true, .. }));
}

#[test]
fn malformed_stores() {
    for input in [
        "a STORE 1 FLAGS",
        "a STORE 1 FLAGS ",
        "a STORE 1 FLAGS \\Bogus",
        "a STORE 1 FLAGS (\\*)",
        "a STORE 1 FLAGS (\\)",
        "a STORE 1 FLAGS (a  b)",
        "a STORE 1 FLAGS (a",
        "a STORE 1 FLAGS a b ",
        "a STORE 1 FLAGS \"a\"",
        "a STORE 1 *FLAGS a",
        "a STORE 1 FLAGS.LOUD a",
        "a STORE 1 +FLAGSX a",
        "a STORE 1 (UNCHANGEDSINCE) FLAGS a",
        "a STORE 1 (UNCHANGEDSINCE 1 UNCHANGEDSINCE 2) FLAGS a",
        "a STORE 1 () FLAGS a",
        "a STORE 1 (FOO 1) FLAGS a",
        "a STORE 0 FLAGS a",
        "a STORE FLAGS a",
    ] {
        bad(input);
    }
}

#[test]
fn append_rfc3501_example() {
    let message = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.COM>\r\n\
                   Subject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu\r\nMessage-Id: \
                   <B27397-0100000@Blurdybloop.COM>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; \
                   CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    assert_eq!(message.len(), 310);
    let input = format!("A003 APPEND saved-messages (\\Seen) {{310}}\r\n{message}\r\n");
    assert_eq!(
        ok(input),
        Command::Append {
            mailbox: "saved-messages".into(),
            messages: vec![AppendMessage {
                flags: vec![F::Seen],
                date: None,
                data: AppendData::Literal(message.into())
            }]
        }
    );
}

#[test]
fn append_dates_binary_and_empty_flags() {
    assert_eq!(
        ok("a APPEND inbox () \" 7-Jul-1996 02:44:25 -0700\" {3+}\r\nabc"),
        Command::Append {
            mailbox: "INBOX".into(),
            messages: vec![AppendMessage {
                flags: vec![],
                date: Some(836_732_665),
                data: AppendData::Literal(b"abc".to_vec())
            }]
        }
    );
    assert_eq!(
        ok(b"a APPEND x \"07-Jul-1996 02:44:25 -0700\" ~{3}\r\na\0c\r\n"),
        Command::Append {
            mailbox: "x".into(),
            messages: vec![AppendMessage {
                flags: vec![],
                date: Some(836_732_665),
                data: AppendData::Literal(b"a\0c".to_vec())
            }]
        }
    );
    assert_eq!(
        ok("a APPEND x {0}\r\n"),
        Command::Append {
            mailbox: "x".into(),
            messages: vec![AppendMessage { flags: vec![], date: None, data: AppendData::Literal(vec![]) }]
        }
    );
}

#[test]
fn multiappend_rfc3502_example() {
    // RFC 3502 section 6, the two messages of the example (their octets shortened).
    let first = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nSubject: afternoon meeting\r\n\r\nHello Joe\r\n";
    let second =
        "Date: Mon, 7 Feb 1994 22:43:04 -0800 (PST)\r\nSubject: afternoon meeting 2\r\n\r\nHello Joe again\r\n";
    let input = format!(
        "A003 APPEND saved-messages (\\Seen) {{{}}}\r\n{first} (\\Seen) \"07-Feb-1994 22:43:04 -0800\" {{{}+}}\r\n{second}\r\n",
        first.len(),
        second.len()
    );
    let Command::Append { mailbox, messages } = ok(input) else { panic!("not an APPEND") };
    assert_eq!(mailbox, "saved-messages");
    assert_eq!(
        messages,
        [
            AppendMessage { flags: vec![F::Seen], date: None, data: AppendData::Literal(first.into()) },
            AppendMessage { flags: vec![F::Seen], date: Some(760_689_784), data: AppendData::Literal(second.into()) },
        ]
    );
}

#[test]
fn append_utf8_rfc6855() {
    let Command::Append { messages, .. } = ok(b"a APPEND INBOX UTF8 (~{7}\r\nGr\xc3\xbc\xc3\x9f!)\r\n") else {
        panic!("not an APPEND")
    };
    assert_eq!(messages[0].data, AppendData::Literal("Gr\u{fc}\u{df}!".into()));
    bad(b"a APPEND INBOX UTF8 ~{1}\r\nx");
    bad(b"a APPEND INBOX UTF8 (~{1}\r\nx");
}

#[test]
fn catenate_rfc4469_example() {
    let text = "\r\n--------------030308070208000400050907\r\n";
    let input = format!(
        "A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE (URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER\" \
         TEXT {{{}}}\r\n{text} URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME\")\r\n",
        text.len()
    );
    let Command::Append { mailbox, messages } = ok(input) else { panic!("not an APPEND") };
    assert_eq!(mailbox, "Drafts");
    assert_eq!(
        messages[0].data,
        AppendData::Catenate(vec![
            CatPart::Url("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER".into()),
            CatPart::Text(text.into()),
            CatPart::Url("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME".into()),
        ])
    );
    bad(b"a APPEND x CATENATE ()");
    bad(b"a APPEND x CATENATE (TEXT \"abc\")");
    bad(b"a APPEND x CATENATE (FILE \"/etc/passwd\")");
}

#[test]
fn appends_are_capped_in_messages_and_parts() {
    let many = |n: usize| format!("a APPEND x{}", " {1+}\r\nx".repeat(n));
    assert!(matches!(ok(many(100)), Command::Append { messages, .. } if messages.len() == 100));
    bad(many(101).as_bytes());
    let urls = |n: usize| format!("a APPEND x CATENATE ({})", vec!["URL \";UID=1\""; n].join(" "));
    assert!(matches!(ok(urls(100)), Command::Append { .. }));
    bad(urls(101).as_bytes());
}

#[test]
fn malformed_appends() {
    for input in [
        &b"a APPEND x"[..],
        b"a APPEND x {3}\r\nab",
        b"a APPEND x {3}\r\nabcd",
        b"a APPEND x {3}\r\na\0c",
        b"a APPEND x \"abc\"",
        b"a APPEND x (\\Bogus) {1}\r\na",
        b"a APPEND x \"07-Jul-1996\" {1}\r\na",
        b"a APPEND x \"07-Jul-1996 02:44:25 -0700\" (\\Seen) {1}\r\na",
        b"a APPEND x (\\Seen) (\\Seen) {1}\r\na",
        b"a APPEND x  {1}\r\na",
        b"a APPEND x {1}\r\na{1}\r\nb",
        b"a APPEND x {1}\r\na \r\n",
        b"a APPEND x {1}\r\na (\\Seen)\r\n",
        b"a APPEND x ~ {1}\r\na",
    ] {
        bad(input);
    }
}

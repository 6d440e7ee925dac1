//! Commands without arguments, authentication, mailbox management, COPY/MOVE, ENABLE and ID.

use super::super::{Command as C, SelectParams, Tagged};
use super::{bad, ok, parse, set};

#[test]
fn bare_commands_any_case_with_or_without_crlf() {
    let cases = [
        ("CAPABILITY", C::Capability),
        ("noop", C::Noop),
        ("LogOut", C::Logout),
        ("STARTTLS", C::StartTls),
        ("CHECK", C::Check),
        ("CLOSE", C::Close),
        ("UNSELECT", C::Unselect),
        ("EXPUNGE", C::Expunge),
        ("IDLE", C::Idle),
        ("NAMESPACE", C::Namespace),
    ];
    for (name, command) in cases {
        assert_eq!(ok(format!("a1 {name}")), command);
        assert_eq!(ok(format!("a1 {name}\r\n")), command);
    }
}

#[test]
fn tags_keep_their_octets() {
    assert_eq!(parse(b"A.1]x NOOP"), Ok(Tagged { tag: "A.1]x".into(), command: C::Noop }));
    assert_eq!(bad("*x NOOP").tag, None);
}

#[test]
fn authenticate_with_and_without_initial_response() {
    assert_eq!(ok("a AUTHENTICATE plain"), C::Authenticate { mechanism: "PLAIN".into(), initial: None });
    assert_eq!(
        ok("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA=="),
        C::Authenticate { mechanism: "PLAIN".into(), initial: Some("AGFsaWNlAHNlY3JldA==".into()) }
    );
    assert_eq!(
        ok("a AUTHENTICATE EXTERNAL ="),
        C::Authenticate { mechanism: "EXTERNAL".into(), initial: Some("=".into()) }
    );
    bad("a AUTHENTICATE PLAIN AGFsaW=N");
    bad("a AUTHENTICATE PLAIN abc");
    bad("a AUTHENTICATE PLAIN ab$=");
    bad("a AUTHENTICATE PLAIN ");
    bad("a AUTHENTICATE");
}

#[test]
fn login_takes_astrings() {
    assert_eq!(ok("a001 LOGIN SMITH SESAME"), C::Login { user: "SMITH".into(), password: "SESAME".into() });
    assert_eq!(
        ok("a LOGIN \"fred foo\" {7+}\r\npa ss\"w"),
        C::Login { user: "fred foo".into(), password: "pa ss\"w".into() }
    );
    assert_eq!(ok("a LOGIN {4}\r\nuser {4}\r\npass\r\n"), C::Login { user: "user".into(), password: "pass".into() });
    bad("a LOGIN user");
    bad("a LOGIN user  pass");
}

#[test]
fn enable_upper_cases() {
    assert_eq!(ok("a ENABLE condstore utf8=accept"), C::Enable(vec!["CONDSTORE".into(), "UTF8=ACCEPT".into()]));
    bad("a ENABLE");
    bad("a ENABLE (CONDSTORE)");
}

#[test]
fn select_examine_and_condstore() {
    let params = |condstore| SelectParams { condstore, qresync: None };
    assert_eq!(ok("A142 SELECT INBOX"), C::Select { mailbox: "INBOX".into(), params: params(false) });
    assert_eq!(ok("a select inbox (condstore)"), C::Select { mailbox: "INBOX".into(), params: params(true) });
    assert_eq!(ok("A932 EXAMINE blurdybloop"), C::Examine { mailbox: "blurdybloop".into(), params: params(false) });
    assert_eq!(ok("a EXAMINE \"a b\" (CONDSTORE)"), C::Examine { mailbox: "a b".into(), params: params(true) });
    bad("a SELECT INBOX ()");
    bad("a SELECT INBOX (QRESYNC)");
    bad("a SELECT INBOX (CONDSTORE CONDSTORE)");
    bad("a SELECT");
}

/// RFC 7162 3.2.5.2's examples, and the forms around them.
#[test]
fn select_qresync() {
    let qresync = |line: &str| match ok(line) {
        C::Select { params: SelectParams { qresync: Some(q), .. }, .. } => q,
        other => panic!("{other:?}"),
    };
    let q = qresync("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))");
    assert_eq!((q.uid_validity, q.modseq), (67890007, 20050715194045000));
    assert_eq!(q.known_uids.map(|s| s.0.len()), Some(3));
    assert_eq!(q.seq_match, None);
    let q = qresync(
        "B02 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))",
    );
    assert_eq!(q.known_uids.map(|s| s.0.len()), Some(1));
    let (numbers, uids) = q.seq_match.unwrap();
    assert_eq!((numbers.0.len(), uids.0.len()), (4, 13));
    let q = qresync("a select inbox (qresync (1 2 (3 4)))");
    assert_eq!((q.known_uids, q.seq_match.is_some()), (None, true), "seq-match-data without known UIDs");
    let q = qresync("a SELECT INBOX (CONDSTORE QRESYNC (1 2))");
    assert_eq!((q.uid_validity, q.modseq, q.known_uids), (1, 2, None));
    bad("a SELECT INBOX (QRESYNC (0 2))");
    bad("a SELECT INBOX (QRESYNC (1 0))");
    bad("a SELECT INBOX (QRESYNC (1 2 3 4))");
    bad("a SELECT INBOX (QRESYNC (1 2) QRESYNC (1 2))");
    bad("a SELECT INBOX (QRESYNC (1 2 (3)))");
}

#[test]
fn mailbox_management() {
    assert_eq!(ok("A003 CREATE owatagusiam/"), C::Create { mailbox: "owatagusiam/".into() });
    assert_eq!(ok("A683 DELETE blurdybloop"), C::Delete { mailbox: "blurdybloop".into() });
    assert_eq!(ok("A683 RENAME blurdybloop sarasoop"), C::Rename { from: "blurdybloop".into(), to: "sarasoop".into() });
    assert_eq!(ok("a RENAME inbox Old"), C::Rename { from: "INBOX".into(), to: "Old".into() });
    assert_eq!(ok("A002 SUBSCRIBE #news.comp.mail.mime"), C::Subscribe { mailbox: "#news.comp.mail.mime".into() });
    assert_eq!(ok("a UNSUBSCRIBE \"Inbox\""), C::Unsubscribe { mailbox: "INBOX".into() });
    assert_eq!(ok("a CREATE inbox/x"), C::Create { mailbox: "inbox/x".into() });
    assert_eq!(ok("a CREATE \"Entw\u{fc}rfe\"".as_bytes()), C::Create { mailbox: "Entw\u{fc}rfe".into() });
    bad("a CREATE foo (USE (\\Sent))");
    bad("a RENAME a");
}

#[test]
fn copy_move_and_uid_variants() {
    assert_eq!(ok("A003 COPY 2:4 MEETING"), C::Copy { uid: false, set: set(&[(2, 4)]), mailbox: "MEETING".into() });
    assert_eq!(
        ok("a UID MOVE 4,6:* Trash"),
        C::Move { uid: true, set: set(&[(4, 4), (6, 0)]), mailbox: "Trash".into() }
    );
    assert_eq!(ok("a uid copy 1 inbox"), C::Copy { uid: true, set: set(&[(1, 1)]), mailbox: "INBOX".into() });
    assert_eq!(ok("a MOVE * x"), C::Move { uid: false, set: set(&[(0, 0)]), mailbox: "x".into() });
    assert_eq!(ok("A202 UID EXPUNGE 3000:3002"), C::UidExpunge(set(&[(3000, 3002)])));
    bad("a UID EXPUNGE");
    bad("a UID NOOP");
    bad("a UID");
    bad("a COPY 1:2");
}

#[test]
fn id_fields() {
    assert_eq!(ok("a023 ID NIL"), C::Id(vec![]));
    assert_eq!(ok("a ID ()"), C::Id(vec![]));
    assert_eq!(
        ok("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" NIL)"),
        C::Id(vec![
            ("name".into(), Some("sodr".into())),
            ("version".into(), Some("19.34".into())),
            ("vendor".into(), None),
        ])
    );
    bad("a ID (\"name\")");
    bad("a ID (name \"x\")");
    bad("a ID");
}

#[test]
fn quota_commands_rfc9208() {
    assert_eq!(ok("a GETQUOTAROOT INBOX"), C::GetQuotaRoot { mailbox: "INBOX".into() });
    assert_eq!(ok("a GETQUOTA \"\""), C::GetQuota { root: String::new() });
    assert_eq!(ok("a SETQUOTA \"\" (STORAGE 512)"), C::SetQuota { root: String::new() });
    assert_eq!(ok("a SETQUOTA x ()"), C::SetQuota { root: "x".into() });
    bad("a SETQUOTA x (STORAGE)");
    bad("a GETQUOTA");
}

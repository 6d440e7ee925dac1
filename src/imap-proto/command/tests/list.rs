//! LIST (basic and extended), LSUB and STATUS.

use super::super::{Command, ListReturn, ListSelect, StatusItem as S};
use super::{bad, ok};

fn list(reference: &str, patterns: &[&str], select: ListSelect, returns: ListReturn) -> Command {
    Command::List {
        reference: reference.into(),
        patterns: patterns.iter().map(|p| p.to_string()).collect(),
        select,
        returns,
    }
}

#[test]
fn basic_list_and_lsub() {
    assert_eq!(ok("A005 LIST \"\" \"*\""), list("", &["*"], ListSelect::default(), ListReturn::default()));
    assert_eq!(ok("A101 LIST \"\" \"\""), list("", &[""], ListSelect::default(), ListReturn::default()));
    assert_eq!(
        ok("A102 LIST #news.comp.mail.misc %"),
        list("#news.comp.mail.misc", &["%"], ListSelect::default(), ListReturn::default())
    );
    assert_eq!(ok("a LIST ~/Mail/ foo*%]"), list("~/Mail/", &["foo*%]"], ListSelect::default(), ListReturn::default()));
    assert_eq!(ok("a LIST {0}\r\n {1}\r\n*"), list("", &["*"], ListSelect::default(), ListReturn::default()));
    assert_eq!(
        ok("A002 LSUB \"#news.\" \"comp.mail.*\""),
        Command::Lsub { reference: "#news.".into(), pattern: "comp.mail.*".into() }
    );
}

#[test]
fn extended_list() {
    assert_eq!(
        ok("A01 LIST (SUBSCRIBED) \"\" (\"INBOX\" \"Sent*\") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))"),
        list(
            "",
            &["INBOX", "Sent*"],
            ListSelect { subscribed: true, ..Default::default() },
            ListReturn {
                children: true,
                special_use: true,
                status: Some(vec![S::Messages, S::Unseen]),
                ..Default::default()
            }
        )
    );
    assert_eq!(
        ok("a LIST (SPECIAL-USE) \"\" \"*\""),
        list("", &["*"], ListSelect { special_use: true, ..Default::default() }, ListReturn::default())
    );
    assert_eq!(
        ok("a list (remote subscribed recursivematch) \"\" % return (subscribed)"),
        list(
            "",
            &["%"],
            ListSelect { subscribed: true, remote: true, recursive_match: true, special_use: false },
            ListReturn { subscribed: true, ..Default::default() }
        )
    );
    assert_eq!(ok("a LIST () \"\" % RETURN ()"), list("", &["%"], ListSelect::default(), ListReturn::default()));
}

#[test]
fn malformed_lists() {
    for input in [
        "a LIST",
        "a LIST \"\"",
        "a LIST \"\" ",
        "a LIST (RECURSIVEMATCH) \"\" *",
        "a LIST (BOGUS) \"\" *",
        "a LIST \"\" ()",
        "a LIST \"\" * RETURN",
        "a LIST \"\" * RETURN (BOGUS)",
        "a LIST \"\" * RETURN (STATUS ())",
        "a LIST \"\" * RETURN (STATUS)",
        "a LIST \"\" * EXTRA",
        "a LIST % *",
        "a LSUB \"\"",
        "a LSUB \"\" * x",
    ] {
        bad(input);
    }
}

#[test]
fn status() {
    assert_eq!(
        ok("A042 STATUS blurdybloop (UIDNEXT MESSAGES)"),
        Command::Status { mailbox: "blurdybloop".into(), items: vec![S::UidNext, S::Messages] }
    );
    assert_eq!(
        ok("a STATUS inbox (messages recent uidnext uidvalidity unseen deleted size highestmodseq)"),
        Command::Status {
            mailbox: "INBOX".into(),
            items: vec![
                S::Messages,
                S::Recent,
                S::UidNext,
                S::UidValidity,
                S::Unseen,
                S::Deleted,
                S::Size,
                S::HighestModSeq
            ],
        }
    );
    bad("a STATUS x ()");
    bad("a STATUS x");
    bad("a STATUS x MESSAGES");
    bad("a STATUS x (BOGUS)");
}

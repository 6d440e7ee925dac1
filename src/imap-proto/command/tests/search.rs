//! SEARCH: keys, nesting, dates, charset, ESEARCH return options and MODSEQ.

use super::super::{Command, SearchKey as K, SearchReturn as R};
use super::{bad, ok, set};

/// The (uid, charset, key, returns) of a SEARCH command.
fn search(input: &str) -> (bool, Option<String>, K, Option<Vec<R>>) {
    match ok(input) {
        Command::Search { uid, charset, key, returns } => (uid, charset, key, returns),
        other => panic!("{other:?}"),
    }
}

fn key(input: &str) -> K {
    search(&format!("a SEARCH {input}")).2
}

fn s(v: &str) -> String {
    v.to_owned()
}

#[test]
fn rfc3501_examples() {
    assert_eq!(
        key("FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\""),
        K::And(vec![K::Flagged, K::Since(8797), K::Not(Box::new(K::From(s("Smith"))))])
    );
    assert_eq!(
        search("A284 SEARCH CHARSET UTF-8 TEXT {6}\r\nXXXXXX"),
        (false, Some(s("UTF-8")), K::Text(s("XXXXXX")), None)
    );
    assert_eq!(
        key("OR (FROM x TO y) NOT (SEEN)"),
        K::Or(
            Box::new(K::And(vec![K::From(s("x")), K::To(s("y"))])),
            Box::new(K::Not(Box::new(K::And(vec![K::Seen]))))
        )
    );
}

#[test]
fn flag_keys_any_case() {
    let names = [
        ("all", K::All),
        ("ANSWERED", K::Answered),
        ("Deleted", K::Deleted),
        ("DRAFT", K::Draft),
        ("FLAGGED", K::Flagged),
        ("NEW", K::New),
        ("OLD", K::Old),
        ("RECENT", K::Recent),
        ("SEEN", K::Seen),
        ("UNANSWERED", K::Unanswered),
        ("UNDELETED", K::Undeleted),
        ("undraft", K::Undraft),
        ("UNFLAGGED", K::Unflagged),
        ("UNSEEN", K::Unseen),
    ];
    for (name, expected) in names {
        assert_eq!(key(name), expected);
    }
}

#[test]
fn string_number_and_date_keys() {
    assert_eq!(key("KEYWORD $Junk"), K::Keyword(s("$Junk")));
    assert_eq!(key("UNKEYWORD foo"), K::Unkeyword(s("foo")));
    assert_eq!(key("BCC a"), K::Bcc(s("a")));
    assert_eq!(key("CC \"b c\""), K::Cc(s("b c")));
    assert_eq!(key("TO {1+}\r\nz"), K::To(s("z")));
    assert_eq!(key("SUBJECT \"\u{e9}t\u{e9}\""), K::Subject(s("\u{e9}t\u{e9}")));
    assert_eq!(key("BODY x"), K::Body(s("x")));
    assert_eq!(key("HEADER Message-ID \"<a@b>\""), K::Header(s("Message-ID"), s("<a@b>")));
    assert_eq!(key("HEADER X-Empty \"\""), K::Header(s("X-Empty"), s("")));
    assert_eq!(key("BEFORE 1-Jan-1970"), K::Before(0));
    assert_eq!(key("ON \"2-Jan-1970\""), K::On(1));
    assert_eq!(key("SENTBEFORE 01-jan-1970"), K::SentBefore(0));
    assert_eq!(key("SENTON 1-JAN-1970"), K::SentOn(0));
    assert_eq!(key("SENTSINCE 1-Jan-1970"), K::SentSince(0));
    assert_eq!(key("LARGER 10000000000"), K::Larger(10_000_000_000));
    assert_eq!(key("SMALLER 0"), K::Smaller(0));
}

#[test]
fn sets_uids_and_modseq() {
    assert_eq!(key("1:3,5,7:*"), K::Sequence(set(&[(1, 3), (5, 5), (7, 0)])));
    assert_eq!(key("*:4"), K::Sequence(set(&[(0, 4)])));
    assert_eq!(key("UID 2:4"), K::Uid(set(&[(2, 4)])));
    assert_eq!(key("MODSEQ 620162338"), K::ModSeq(620_162_338));
    assert_eq!(key("MODSEQ \"/flags/\\\\draft\" all 620162338"), K::ModSeq(620_162_338));
    assert_eq!(key("MODSEQ 0"), K::ModSeq(0));
    assert_eq!(search("a UID SEARCH 1 UNDELETED").2, K::And(vec![K::Sequence(set(&[(1, 1)])), K::Undeleted]));
    assert!(search("a UID SEARCH ALL").0);
}

#[test]
fn return_options_and_charset() {
    assert_eq!(search("a SEARCH RETURN (MIN MAX) ALL").3, Some(vec![R::Min, R::Max]));
    assert_eq!(search("a SEARCH RETURN () ALL").3, Some(vec![]));
    assert_eq!(
        search("a SEARCH return (count all) charset \"us-ascii\" SEEN"),
        (false, Some(s("us-ascii")), K::Seen, Some(vec![R::Count, R::All]))
    );
    bad("a SEARCH CHARSET UTF-8 RETURN (MIN) ALL");
    bad("a SEARCH RETURN (PARTIAL) ALL");
    bad("a SEARCH RETURN MIN ALL");
    bad("a SEARCH RETURN (MIN)");
    bad("a SEARCH CHARSET UTF-8");
    bad("a SEARCH CHARSET  ALL");
}

#[test]
fn malformed_searches() {
    for input in [
        "a SEARCH",
        "a SEARCH ",
        "a SEARCH ALL ",
        "a SEARCH FOO",
        "a SEARCH ()",
        "a SEARCH (ALL",
        "a SEARCH ALL)",
        "a SEARCH NOT",
        "a SEARCH OR ALL",
        "a SEARCH FROM",
        "a SEARCH HEADER x",
        "a SEARCH SINCE 1-Feb-94",
        "a SEARCH SINCE 30-Feb-1994",
        "a SEARCH SINCE 1-Feb-1994x",
        "a SEARCH LARGER x",
        "a SEARCH LARGER -1",
        "a SEARCH UID 0",
        "a SEARCH 0",
        "a SEARCH 1:3x",
        "a SEARCH KEYWORD \\Seen",
        "a SEARCH MODSEQ",
        "a SEARCH MODSEQ \"/flags/x\" bogus 5",
        "a SEARCH MODSEQ 9223372036854775808",
        "a SEARCH $$",
        "a SEARCH FUZZY TEXT x",
        "a SEARCH SUBJECT \u{e9}t\u{e9}",
    ] {
        bad(input);
    }
}

#[test]
fn sort_and_thread_rfc5256_examples() {
    use super::super::{SortCriterion as C, SortKey as S, ThreadAlgorithm as T};
    match ok("A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994") {
        Command::Sort { uid, criteria, charset, key, returns } => {
            assert!(!uid && returns.is_none());
            assert_eq!(criteria, vec![C { key: S::Subject, reverse: false }]);
            assert_eq!((charset.as_str(), key), ("UTF-8", K::Since(8797)));
        }
        other => panic!("{other:?}"),
    }
    match ok("A283 UID SORT (REVERSE DATE displayfrom) US-ASCII ALL SEEN") {
        Command::Sort { uid, criteria, key, .. } => {
            assert!(uid);
            assert_eq!(criteria, vec![C { key: S::Date, reverse: true }, C { key: S::DisplayFrom, reverse: false }]);
            assert_eq!(key, K::And(vec![K::All, K::Seen]));
        }
        other => panic!("{other:?}"),
    }
    match ok("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000") {
        Command::Thread { uid, algorithm, .. } => assert_eq!((uid, algorithm), (false, T::OrderedSubject)),
        other => panic!("{other:?}"),
    }
    match ok("A284 UID THREAD REFERENCES US-ASCII TEXT \"gewp\"") {
        Command::Thread { uid, algorithm, key, .. } => {
            assert_eq!((uid, algorithm, key), (true, T::References, K::Text(s("gewp"))))
        }
        other => panic!("{other:?}"),
    }
    bad("a SORT () UTF-8 ALL");
    bad("a SORT (REVERSE) UTF-8 ALL");
    bad("a SORT (SUBJECT NAME) UTF-8 ALL");
    bad("a SORT (SUBJECT) UTF-8");
    bad("a THREAD JWZ UTF-8 ALL");
}

#[test]
fn within_rfc5032() {
    assert_eq!(key("YOUNGER 3600 OLDER 60"), K::And(vec![K::Younger(3600), K::Older(60)]));
    bad("a SEARCH YOUNGER 0");
    bad("a SEARCH OLDER -5");
    bad("a SEARCH OLDER");
}

#[test]
fn save_dates_rfc8514() {
    assert_eq!(
        key("SAVEDBEFORE 2-Jan-1970 SAVEDON 1-Jan-1970 SAVEDSINCE 1-Jan-1970 SAVEDATESUPPORTED"),
        K::And(vec![K::SavedBefore(1), K::SavedOn(0), K::SavedSince(0), K::SaveDateSupported])
    );
    bad("a SEARCH SAVEDON");
    bad("a SEARCH SAVEDBEFORE yesterday");
}

#[test]
fn object_ids_rfc8474() {
    assert_eq!(key("EMAILID M6d99ac3275bb4e"), K::EmailId(s("M6d99ac3275bb4e")));
    assert_eq!(key("THREADID T64b478a75b7ea9"), K::ThreadId(s("T64b478a75b7ea9")));
    bad("a SEARCH EMAILID");
    bad("a SEARCH EMAILID a.b");
    bad(format!("a SEARCH EMAILID {}", "x".repeat(256)));
}

#[test]
fn esort_rfc5267() {
    match ok("a UID SORT RETURN (MIN COUNT) (DATE) UTF-8 UNDELETED") {
        Command::Sort { uid, returns, key, .. } => {
            assert!(uid);
            assert_eq!(returns, Some(vec![R::Min, R::Count]));
            assert_eq!(key, K::Undeleted);
        }
        other => panic!("{other:?}"),
    }
    bad("a SORT RETURN (MIN) UTF-8 ALL");
}

#[test]
fn searchres_rfc5182() {
    use super::super::SequenceSet;
    assert_eq!(search("a SEARCH RETURN (SAVE) FLAGGED").3, Some(vec![R::Save]));
    assert_eq!(key("$ SEEN"), K::And(vec![K::Sequence(SequenceSet::saved()), K::Seen]));
    assert_eq!(key("UID $"), K::Uid(SequenceSet::saved()));
    match ok("a UID FETCH $ (FLAGS)") {
        Command::Fetch { set, .. } => assert!(set.is_saved()),
        other => panic!("{other:?}"),
    }
    bad("a FETCH $,1 FLAGS");
}

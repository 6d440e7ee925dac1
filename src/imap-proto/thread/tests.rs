use super::*;

fn message<'a>(number: u32, sent: i64, id: &'a str, references: &'a str, subject: &'a str) -> ThreadInput<'a> {
    ThreadInput {
        number,
        sent,
        message_id: (!id.is_empty()).then_some(id),
        references: message_ids(references),
        subject,
    }
}

fn written(threads: &[Thread]) -> String {
    let mut out = String::new();
    write(&mut out, threads);
    out
}

fn node(number: u32, children: Vec<Thread>) -> Thread {
    Thread { number: Some(number), children }
}

fn dummy(children: Vec<Thread>) -> Thread {
    Thread { number: None, children }
}

#[test]
fn writes_chains_flat_and_branches_nested() {
    let chain = node(3, vec![node(6, vec![leaf(4)])]);
    assert_eq!(written(&[chain]), "(3 6 4)");
    let rfc = [leaf(2), node(3, vec![node(6, vec![node(4, vec![leaf(23)]), node(44, vec![node(7, vec![leaf(96)])])])])];
    assert_eq!(written(&rfc), "(2)(3 6 (4 23)(44 7 96))");
    assert_eq!(written(&[dummy(vec![leaf(1), leaf(2)])]), "((1)(2))");
    assert_eq!(written(&[node(1, vec![leaf(2), leaf(3)])]), "(1 (2)(3))");
    assert_eq!(written(&[dummy(vec![leaf(1), node(2, vec![leaf(3)])]), leaf(4)]), "((1)(2 3))(4)");
    assert_eq!(written(&[]), "");
}

#[test]
fn writes_lone_placeholders_as_their_children() {
    assert_eq!(written(&[dummy(vec![node(1, vec![leaf(2)])])]), "(1 2)");
    assert_eq!(written(&[node(1, vec![dummy(vec![leaf(2), leaf(3)])])]), "(1 (2)(3))");
    assert_eq!(written(&[dummy(vec![])]), "");
}

#[test]
fn msg_ids_of_fields() {
    assert_eq!(message_ids("<a@b> <c@d>"), ["a@b", "c@d"]);
    assert_eq!(message_ids("\t<a@b>\r\n <c@d>(comment)<e@f>"), ["a@b", "c@d", "e@f"]);
    assert_eq!(message_ids("foo <a@b> bar <<c@d> <> < > <x"), ["a@b", "c@d"]);
    assert_eq!(message_ids("no ids here"), Vec::<&str>::new());
    assert_eq!(message_ids(""), Vec::<&str>::new());
}

#[test]
fn msg_ids_are_capped_to_the_first_and_latest() {
    let field: String = (0..100_000).map(|i| format!("<{i}@x> ")).collect();
    let started = std::time::Instant::now();
    let ids = message_ids(&field);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(ids.len(), MAX_REFERENCES);
    assert_eq!(ids[0], "0@x");
    assert_eq!(ids[1], format!("{}@x", 100_000 - MAX_REFERENCES + 1));
    assert_eq!(ids[MAX_REFERENCES - 1], "99999@x");
}

#[test]
fn references_fall_back_to_the_first_in_reply_to() {
    assert_eq!(reference_ids("<a@b> <c@d>", "<e@f>"), ["a@b", "c@d"]);
    assert_eq!(reference_ids("", "<e@f> <g@h>"), ["e@f"]);
    assert_eq!(reference_ids("junk", "junk"), Vec::<&str>::new());
}

#[test]
fn ordered_subject_groups_by_base_subject() {
    let messages = [
        message(1, 10, "", "", "Hello"),
        message(2, 30, "", "", "Re: hello"),
        message(3, 20, "", "", "Other"),
        message(4, 25, "", "", "RE: [list] Hello"),
        message(5, 5, "", "", "Fwd: other"),
        message(6, 40, "", "", "third"),
    ];
    assert_eq!(written(&ordered_subject(&messages)), "(5 3)(1 (4)(2))(6)");
}

#[test]
fn ordered_subject_ties_keep_input_order() {
    let messages = [message(9, 7, "", "", "b"), message(3, 7, "", "", "a"), message(5, 7, "", "", "a")];
    assert_eq!(written(&ordered_subject(&messages)), "(9)(3 5)");
    assert_eq!(written(&ordered_subject(&[])), "");
}

#[test]
fn references_follows_a_reply_chain() {
    let messages = [
        message(1, 1, "<a@x>", "", "Plan"),
        message(2, 2, "<b@x>", "<a@x>", "Re: Plan"),
        message(3, 3, "<c@x>", "<a@x> <b@x>", "Re: Plan"),
    ];
    assert_eq!(written(&references(&messages)), "(1 2 3)");
}

#[test]
fn references_reproduces_the_rfc_example() {
    let messages = [
        message(2, 1, "<2>", "", "alone"),
        message(3, 2, "<3>", "", "topic"),
        message(4, 4, "<4>", "<3> <6>", "Re: topic"),
        message(6, 3, "<6>", "<3>", "Re: topic"),
        message(7, 7, "<7>", "<3> <6> <44>", "Re: topic"),
        message(23, 5, "<23>", "<3> <6> <4>", "Re: topic"),
        message(44, 6, "<44>", "<3> <6>", "Re: topic"),
        message(96, 8, "<96>", "<3> <6> <44> <7>", "Re: topic"),
    ];
    assert_eq!(written(&references(&messages)), "(2)(3 6 (4 23)(44 7 96))");
}

#[test]
fn references_sorts_children_by_date() {
    let messages = [
        message(1, 1, "<a>", "", "s"),
        message(2, 9, "<b>", "<a>", "Re: s"),
        message(3, 5, "<c>", "<a>", "Re: s"),
        message(4, 5, "<d>", "<a>", "Re: s"),
    ];
    assert_eq!(written(&references(&messages)), "(1 (3)(4)(2))");
}

#[test]
fn references_keeps_a_dummy_over_top_level_siblings() {
    let messages = [
        message(3, 1, "<c>", "<missing>", "one"),
        message(5, 2, "<e>", "<missing>", "two"),
        message(7, 0, "<g>", "", "three"),
    ];
    assert_eq!(written(&references(&messages)), "(7)((3)(5))");
}

#[test]
fn references_splices_out_other_dummies() {
    let messages = [
        message(1, 1, "<a>", "", "one"),
        message(2, 2, "<b>", "<a> <gone1> <gone2>", "two"),
        message(3, 3, "<c>", "<a> <gone1>", "three"),
        message(4, 4, "<d>", "<lost>", "four"),
    ];
    assert_eq!(written(&references(&messages)), "(1 (2)(3))(4)");
}

#[test]
fn references_survives_loops() {
    let pair = [message(1, 1, "<a>", "<b>", "one"), message(2, 2, "<b>", "<a>", "two")];
    assert_eq!(written(&references(&pair)), "(2 1)");
    let ring = [
        message(1, 1, "<a>", "<c> <b>", "one"),
        message(2, 2, "<b>", "<a> <c>", "two"),
        message(3, 3, "<c>", "<b> <a>", "three"),
    ];
    let mut out = written(&references(&ring));
    out.retain(|c| c.is_ascii_digit());
    assert_eq!(out.len(), 3);
    let own = [message(1, 1, "<a>", "<a> <a>", "self")];
    assert_eq!(written(&references(&own)), "(1)");
}

#[test]
fn references_gives_duplicate_ids_to_the_first_message() {
    let messages =
        [message(1, 1, "<x>", "", "one"), message(2, 2, "<x>", "", "two"), message(3, 3, "<y>", "<x>", "three")];
    assert_eq!(written(&references(&messages)), "(1 3)(2)");
}

#[test]
fn references_without_message_ids() {
    let messages = [
        message(1, 3, "", "", "one"),
        message(2, 2, "", "<1>", "two"),
        message(3, 1, "  ", "", "three"),
        message(4, 4, "<>", "", "four"),
    ];
    assert_eq!(written(&references(&messages)), "(3)(2)(1)(4)");
}

#[test]
fn references_gathers_by_subject() {
    let reply_joins = [message(1, 1, "<a>", "", "x"), message(2, 2, "<b>", "", "Re: x")];
    assert_eq!(written(&references(&reply_joins)), "(1 2)");
    let older_reply = [message(1, 1, "<a>", "", "Re: x"), message(2, 2, "<b>", "", "X")];
    assert_eq!(written(&references(&older_reply)), "(2 1)");
    let two_originals = [message(1, 1, "<a>", "", "x"), message(2, 2, "<b>", "", "x")];
    assert_eq!(written(&references(&two_originals)), "((1)(2))");
    let two_replies = [message(1, 1, "<a>", "", "Re: x"), message(2, 2, "<b>", "", "Fwd: x")];
    assert_eq!(written(&references(&two_replies)), "((1)(2))");
    let into_dummy = [
        message(1, 1, "<a>", "<m>", "x"),
        message(2, 2, "<b>", "<m>", "Re: x"),
        message(3, 3, "<c>", "", "Re: x"),
        message(4, 4, "<d>", "<n>", "Re: x"),
        message(5, 5, "<e>", "<n>", "Re: x"),
    ];
    assert_eq!(written(&references(&into_dummy)), "((1)(2)(3)(4)(5))");
    let empty_subjects = [message(1, 1, "<a>", "", ""), message(2, 2, "<b>", "", "Re:")];
    assert_eq!(written(&references(&empty_subjects)), "(1)(2)");
}

#[test]
fn references_follows_the_last_reference_over_earlier_links() {
    let messages = [
        message(1, 1, "<a>", "", "one"),
        message(2, 2, "<b>", "", "two"),
        message(3, 3, "<c>", "<a> <d>", "three"),
        message(4, 4, "<d>", "<b>", "four"),
    ];
    assert_eq!(written(&references(&messages)), "(1)(2 4 3)");
}

#[test]
fn deep_threads_do_not_recurse() {
    let ids: Vec<String> = (0..20_000).map(|i| format!("<{i}>")).collect();
    let forward: Vec<ThreadInput> = (0..ids.len())
        .map(|i| ThreadInput {
            number: i as u32 + 1,
            sent: i as i64,
            message_id: Some(&ids[i]),
            references: i.checked_sub(1).map(|p| ids[p].as_str()).into_iter().collect(),
            subject: "deep",
        })
        .collect();
    let threads = references(&forward);
    let chain: Vec<String> = (1..=ids.len()).map(|n| n.to_string()).collect();
    assert_eq!(written(&threads), format!("({})", chain.join(" ")));
    let backward: Vec<ThreadInput> = forward.iter().rev().cloned().collect();
    let started = std::time::Instant::now();
    assert_eq!(written(&references(&backward)), written(&threads));
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn huge_reference_lists_are_capped() {
    let ids: Vec<String> = (0..100_000).map(|i| format!("<{i}@x>")).collect();
    let messages = [ThreadInput {
        number: 1,
        sent: 0,
        message_id: Some("<me@x>"),
        references: ids.iter().map(String::as_str).collect(),
        subject: "big",
    }];
    assert_eq!(written(&references(&messages)), "(1)");
}

/// A minimal linear congruential generator.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Checks `threads` against RFC 5256's rules for REFERENCES output and collects the numbers.
fn check(threads: &[Thread], top: bool, numbers: &mut Vec<u32>) {
    for thread in threads {
        match thread.number {
            Some(n) => numbers.push(n),
            None => assert!(top && thread.children.len() >= 2, "misplaced placeholder"),
        }
        check(&thread.children, false, numbers);
    }
}

#[test]
fn random_inputs_thread_every_message_once() {
    const COUNT: usize = 2_000;
    let mut rng = Lcg(0x5eed);
    let ids: Vec<String> = (0..COUNT + 300).map(|i| format!("<{i}@r>")).collect();
    let subjects = ["a", "Re: a", "b", "Fwd: b", "[l] Re: c", "", "Re:", "c (fwd)"];
    let messages: Vec<ThreadInput> = (0..COUNT)
        .map(|i| ThreadInput {
            number: i as u32 + 1,
            sent: rng.below(500) as i64,
            message_id: (rng.below(10) != 0).then(|| ids[rng.below(COUNT as u64 + 50) as usize].as_str()),
            references: (0..rng.below(6)).map(|_| ids[rng.below(ids.len() as u64) as usize].as_str()).collect(),
            subject: subjects[rng.below(subjects.len() as u64) as usize],
        })
        .collect();
    for threads in [references(&messages), ordered_subject(&messages)] {
        let mut numbers = Vec::new();
        check(&threads, true, &mut numbers);
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=COUNT as u32).collect::<Vec<_>>());
        let out = written(&threads);
        let depth = out.chars().try_fold(0i64, |depth, c| {
            let depth = depth + i64::from(c == '(') - i64::from(c == ')');
            (depth >= 0).then_some(depth)
        });
        assert_eq!(depth, Some(0));
        assert!(!out.contains("()") && !out.contains("( ") && !out.contains(" )"));
    }
}

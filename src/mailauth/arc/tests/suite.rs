//! The validation half of the ValiMail ARC test suite (`tests/data/arc/`,
//! `arc-draft-validation-tests.yml`): each scenario's `txt-records` become an in-memory zone,
//! each case's message (LF line ends in the file) is made CRLF and validated, and the result is
//! compared with the case's `cv`.
//!
//! Three cases have an empty `cv` (`cv_fail_i1_as_cv_fail`, `cv_fail_i2_as2_fail` and
//! `cv_fail_i2_as1_fail`): their latest or an earlier seal says `cv=fail`, which RFC 8617
//! section 5.2 (steps 2 and 3) makes a failed chain, so they are expected to fail.

use super::{crlf, load_suite, run, text, zone_from_yaml};
use crate::arc::ArcResult;

const SUITE: &str = "arc/arc-draft-validation-tests.yml";

/// The cases in the file (175 entries; 171 distinct names, as PyYAML counts them).
const SUITE_CASES: usize = 175;

/// Cases where we deliberately differ from the suite, with the result we give instead.
///
/// `ams_fields_c_na`: the AMS has no `c=` and was signed `relaxed/relaxed`, the default of the
/// ARC drafts the suite was written for. RFC 8617 gives the AMS the semantics of a
/// DKIM-Signature, whose default is `simple/simple` (RFC 6376 section 3.5): the header hash
/// differs and the chain fails.
const DEVIATIONS: &[(&str, ArcResult)] = &[("ams_fields_c_na", ArcResult::Fail)];

/// A time after every `t=` in the suite (12345 to 12349), so that no signature is in the future.
const NOW: u64 = 12_400;

fn expected(cv: &str) -> ArcResult {
    match cv.trim().to_ascii_lowercase().as_str() {
        "none" => ArcResult::None,
        "pass" => ArcResult::Pass,
        // "fail", and the empty `cv` of the chains that a seal already marked failed.
        _ => ArcResult::Fail,
    }
}

#[test]
fn valimail_validation_suite() {
    let (scenarios, renamed) = load_suite(SUITE);
    assert_eq!(renamed.len(), 4, "{renamed:?}");
    let (mut cases, mut deviations, mut failures) = (0, 0, Vec::new());
    for scenario in &scenarios {
        let zone = zone_from_yaml(&scenario["txt-records"]);
        for (name, case) in scenario["tests"].as_hash().into_iter().flatten() {
            cases += 1;
            let message = crlf(text(&case["message"]));
            let name_text = text(name);
            let want = match DEVIATIONS.iter().find(|(n, _)| *n == name_text) {
                Some((_, ours)) => {
                    deviations += 1;
                    *ours
                }
                None => expected(text(&case["cv"])),
            };
            let out = run(&zone, &message, NOW);
            if out.result != want {
                failures.push(format!("{}: got {} (expected {want}) [{:?}]", text(name), out.result, out.reason));
            }
        }
    }
    eprintln!(
        "ARC validation suite: {}/{cases} cases as expected ({deviations} of them by our deliberate deviation)",
        cases - failures.len()
    );
    assert_eq!(cases, SUITE_CASES);
    assert_eq!(deviations, DEVIATIONS.len());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// The passing chains pass for the right reasons: oldest-pass and sealers are reported.
#[test]
fn passing_chains_report_their_sealers() {
    let (scenarios, _) = load_suite(SUITE);
    let scenario = &scenarios[0];
    let zone = zone_from_yaml(&scenario["txt-records"]);
    let case = &scenario["tests"]["cv_pass_i5_1"];
    let out = run(&zone, &crlf(text(&case["message"])), NOW);
    assert_eq!(out.result, ArcResult::Pass, "{out:?}");
    assert_eq!(out.instances, 5);
    assert_eq!(out.sealers, ["example.org"; 5]);
    assert_eq!(out.reason, None);
    // The suite's chains are made on one message with one body, so older AMSes mostly verify.
    assert!(out.oldest_pass.is_some());

    let case = &scenario["tests"]["cv_pass_i2_1_ams1_invalid"];
    let out = run(&zone, &crlf(text(&case["message"])), NOW);
    assert_eq!((out.result, out.oldest_pass), (ArcResult::Pass, Some(2)), "{out:?}");
}

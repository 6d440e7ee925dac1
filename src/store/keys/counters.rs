//! Keys of merge-added counters: the spam filter's token counts and the DMARC results counted
//! for aggregate reports.

use mailauth::dmarc::report::ReportRow;

use super::{SEP, joined};

/// Suffix of the `bayes` key holding a scope's message totals (token keys have 8 octets there).
const BAYES_TOTALS: &[u8] = b"T";

/// Fields of a `dmarc_report` key after the period.
const DMARC_FIELDS: usize = 10;

/// `bayes` key of one token's counts in a scope (`""` for everyone, or an account).
pub fn bayes_token(scope: &str, token: u64) -> Vec<u8> {
    joined(scope.as_bytes(), &token.to_be_bytes())
}

/// `bayes` key of a scope's message totals.
pub fn bayes_totals(scope: &str) -> Vec<u8> {
    joined(scope.as_bytes(), BAYES_TOTALS)
}

/// `dmarc_report` key of the counter of `row`: the period, then the fields `\0`-separated
/// (NULs inside a field are dropped).
pub fn dmarc_report(row: &ReportRow) -> Vec<u8> {
    let mut k = row.period.to_be_bytes().to_vec();
    let fields = [
        &row.policy_domain,
        &row.source_ip,
        &row.header_from,
        &row.disposition,
        &row.dkim_aligned,
        &row.spf_aligned,
        &row.dkim_domain,
        &row.dkim_result,
        &row.spf_domain,
        &row.spf_result,
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            k.push(SEP);
        }
        k.extend(f.bytes().filter(|&b| b != SEP));
    }
    k
}

/// The row a `dmarc_report` key stands for (`None` for a key of another layout).
pub fn dmarc_row(key: &[u8]) -> Option<ReportRow> {
    let period = u64::from_be_bytes(key.get(..8)?.try_into().ok()?);
    let text = String::from_utf8_lossy(&key[8..]);
    let f: Vec<&str> = text.split('\0').collect();
    if f.len() != DMARC_FIELDS {
        return None;
    }
    Some(ReportRow {
        period,
        policy_domain: f[0].into(),
        source_ip: f[1].into(),
        header_from: f[2].into(),
        disposition: f[3].into(),
        dkim_aligned: f[4].into(),
        spf_aligned: f[5].into(),
        dkim_domain: f[6].into(),
        dkim_result: f[7].into(),
        spf_domain: f[8].into(),
        spf_result: f[9].into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bayes_totals_never_collide_with_a_token() {
        assert_eq!(bayes_token("", 1), b"\0\0\0\0\0\0\0\0\x01");
        assert_eq!(bayes_totals("bob@x"), b"bob@x\0T");
        assert!((0..=u64::from(u8::MAX)).all(|t| bayes_token("bob@x", t) != bayes_totals("bob@x")));
    }

    #[test]
    fn dmarc_rows_go_through_their_key_and_sort_by_period() {
        let row = ReportRow {
            period: 86_400,
            policy_domain: "example.com".into(),
            source_ip: "192.0.2.1".into(),
            header_from: "exa\0mple.com".into(),
            disposition: "none".into(),
            dkim_aligned: "pass".into(),
            spf_aligned: "fail".into(),
            dkim_domain: "example.com".into(),
            dkim_result: "pass".into(),
            spf_domain: String::new(),
            spf_result: "none".into(),
        };
        let key = dmarc_report(&row);
        let back = dmarc_row(&key).unwrap();
        assert_eq!(back, ReportRow { header_from: "example.com".into(), ..row.clone() });
        assert!(key < dmarc_report(&ReportRow { period: 86_401, ..row }));
        assert_eq!(dmarc_row(b"\0\0\0\0\0\0\0\x01too\0few"), None);
        assert_eq!(dmarc_row(b"short"), None);
    }
}

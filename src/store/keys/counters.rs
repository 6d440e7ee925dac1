//! Keys of merge-added counters: the spam filter's token counts, and the DMARC results and
//! TLS session outcomes counted for aggregate reports, and the keys of received TLS reports.

use mailauth::dmarc::report::ReportRow;
use mailauth::tlsrpt::{ReportRow as TlsRow, ResultType};

use super::{SEP, joined};

/// Suffix of the `bayes` key holding a scope's message totals (token keys have 8 octets there).
const BAYES_TOTALS: &[u8] = b"T";

/// Fields of a `dmarc_report` key after the period.
const DMARC_FIELDS: usize = 10;
/// Fields of a `tls_report` key after the period.
const TLS_FIELDS: usize = 5;

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
    counter_key(row.period, &fields.map(String::as_str))
}

/// The row a `dmarc_report` key stands for (`None` for a key of another layout).
pub fn dmarc_row(key: &[u8]) -> Option<ReportRow> {
    let (period, f) = counter_fields(key, DMARC_FIELDS)?;
    let [
        policy_domain,
        source_ip,
        header_from,
        disposition,
        dkim_aligned,
        spf_aligned,
        dkim_domain,
        dkim_result,
        spf_domain,
        spf_result,
    ] = <[String; DMARC_FIELDS]>::try_from(f).ok()?;
    Some(ReportRow {
        period,
        policy_domain,
        source_ip,
        header_from,
        disposition,
        dkim_aligned,
        spf_aligned,
        dkim_domain,
        dkim_result,
        spf_domain,
        spf_result,
    })
}

/// `tls_report` key of the counter of `row`: the period, then the policy domain, the result
/// type (empty for a success) and the failed session's addresses, `\0`-separated.
pub fn tls_report(row: &TlsRow) -> Vec<u8> {
    let result = row.result.map_or("", ResultType::as_str);
    counter_key(row.period, &[&row.policy_domain, result, &row.sending_ip, &row.receiving_mx, &row.receiving_ip])
}

/// The row a `tls_report` key stands for (`None` for a key of another layout).
pub fn tls_row(key: &[u8]) -> Option<TlsRow> {
    let (period, f) = counter_fields(key, TLS_FIELDS)?;
    let [policy_domain, result, sending_ip, receiving_mx, receiving_ip] = <[String; TLS_FIELDS]>::try_from(f).ok()?;
    let result = match result.as_str() {
        "" => None,
        name => Some(ResultType::parse(name)?),
    };
    Some(TlsRow { period, policy_domain, result, sending_ip, receiving_mx, receiving_ip })
}

/// `tls_report_in` key of a received report: when it arrived, then its id.
pub fn received_tls_report(at: u64, report_id: &str) -> Vec<u8> {
    let mut k = at.to_be_bytes().to_vec();
    k.extend_from_slice(report_id.as_bytes());
    k
}

/// A counter's key: `period`, then `fields` `\0`-separated (NULs inside a field are dropped).
fn counter_key(period: u64, fields: &[&str]) -> Vec<u8> {
    let mut k = period.to_be_bytes().to_vec();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            k.push(SEP);
        }
        k.extend(f.bytes().filter(|&b| b != SEP));
    }
    k
}

/// The period and the `count` fields of a counter's key.
fn counter_fields(key: &[u8], count: usize) -> Option<(u64, Vec<String>)> {
    let period = u64::from_be_bytes(key.get(..8)?.try_into().ok()?);
    let text = String::from_utf8_lossy(&key[8..]);
    let fields: Vec<String> = text.split('\0').map(str::to_string).collect();
    (fields.len() == count).then_some((period, fields))
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
    fn tls_rows_go_through_their_key() {
        let failed = TlsRow {
            period: 86_400,
            policy_domain: "example.com".into(),
            result: Some(ResultType::CertificateHostMismatch),
            sending_ip: "192.0.2.1".into(),
            receiving_mx: "mx.example.com".into(),
            receiving_ip: "198.51.100.2".into(),
        };
        assert_eq!(tls_row(&tls_report(&failed)), Some(failed.clone()));
        let success = TlsRow { result: None, sending_ip: String::new(), ..failed };
        assert_eq!(tls_row(&tls_report(&success)), Some(success));
        assert_eq!(tls_row(b"\0\0\0\0\0\0\0\x01a\0unknown-type\0\0\0"), None);
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

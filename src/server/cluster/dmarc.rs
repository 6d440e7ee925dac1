//! DMARC aggregate report data shared by the nodes, so that a domain gets one report per
//! period from the whole cluster. At the end of a period each node adds its counts to one
//! hash per period and policy domain in Redis (and forgets its own); once every node has had
//! its turn, one node claims the report, sends it, and deletes the hash. With Redis away a
//! node reports what it saw alone, as without a cluster.

use mailauth::dmarc::report::ReportRow;
use redis::{RedisResult, Value};

use super::Cluster;

/// Separates the fields of a row in its hash field name (no DNS name or result holds it).
const SEP: char = '\u{1f}';
/// How long a node holds the right to send a report before another may try.
const CLAIM_SECS: u64 = 300;
/// How long shared counts are kept when no node sends them.
const KEEP_SECS: u64 = 7 * 86_400;

impl Cluster {
    /// Adds this node's `rows` (with their counts) to the cluster's.
    pub async fn add_dmarc_rows(&self, rows: &[(ReportRow, u64)]) -> RedisResult<()> {
        let pending = self.key(&["dmarc", "pending"]);
        for (row, count) in rows {
            let key = self.dmarc_key(row.period, &row.policy_domain);
            let mut add = redis::cmd("HINCRBY");
            add.arg(&key).arg(encode(row)).arg(*count);
            self.client.call(add).await?;
            let mut keep = redis::cmd("EXPIRE");
            keep.arg(&key).arg(KEEP_SECS);
            self.client.send(keep);
            let mut note = redis::cmd("SADD");
            note.arg(&pending).arg(format!("{}:{}", row.period, row.policy_domain));
            self.client.call(note).await?;
        }
        Ok(())
    }

    /// The reports with shared counts: (period start, policy domain).
    pub async fn dmarc_reports(&self) -> RedisResult<Vec<(u64, String)>> {
        let mut members = redis::cmd("SMEMBERS");
        members.arg(self.key(&["dmarc", "pending"]));
        let names: Vec<String> = redis::from_redis_value(self.client.call(members).await?)?;
        Ok(names
            .iter()
            .filter_map(|n| n.split_once(':').and_then(|(p, d)| Some((p.parse().ok()?, d.to_string()))))
            .collect())
    }

    /// The cluster's counts for one report, when this node is the one to send it (None:
    /// another node has it).
    pub async fn claim_dmarc_report(&self, period: u64, domain: &str) -> RedisResult<Option<Vec<(ReportRow, u64)>>> {
        let key = self.dmarc_key(period, domain);
        let mut claim = redis::cmd("SET");
        claim.arg(format!("{key}:claim")).arg(&self.node).arg("NX").arg("EX").arg(CLAIM_SECS);
        if self.client.call(claim).await? == Value::Nil {
            return Ok(None);
        }
        let mut all = redis::cmd("HGETALL");
        all.arg(&key);
        let counts: Vec<(String, u64)> = redis::from_redis_value(self.client.call(all).await?)?;
        Ok(Some(counts.iter().filter_map(|(row, count)| Some((decode(row)?, *count))).collect()))
    }

    /// Deletes the counts of a report that was sent.
    pub async fn forget_dmarc_report(&self, period: u64, domain: &str) -> RedisResult<()> {
        let mut del = redis::cmd("DEL");
        del.arg(self.dmarc_key(period, domain));
        self.client.call(del).await?;
        let mut done = redis::cmd("SREM");
        done.arg(self.key(&["dmarc", "pending"])).arg(format!("{period}:{domain}"));
        self.client.call(done).await.map(drop)
    }

    fn dmarc_key(&self, period: u64, domain: &str) -> String {
        self.key(&["dmarc", &period.to_string(), domain])
    }
}

/// A row as one hash field name.
fn encode(row: &ReportRow) -> String {
    let period = row.period.to_string();
    let fields = [
        period.as_str(),
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
    fields.join(&SEP.to_string())
}

/// The row a field name holds; None for one that is not ours.
fn decode(field: &str) -> Option<ReportRow> {
    let mut f = field.split(SEP).map(str::to_string);
    let mut next = || f.next();
    let row = ReportRow {
        period: next()?.parse().ok()?,
        policy_domain: next()?,
        source_ip: next()?,
        header_from: next()?,
        disposition: next()?,
        dkim_aligned: next()?,
        spf_aligned: next()?,
        dkim_domain: next()?,
        dkim_result: next()?,
        spf_domain: next()?,
        spf_result: next()?,
    };
    Some(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_survives_its_field_name() {
        let row = ReportRow {
            period: 1_700_000_000,
            policy_domain: "example.org".into(),
            source_ip: "2001:db8::1".into(),
            header_from: "example.org".into(),
            disposition: "none".into(),
            dkim_aligned: "fail".into(),
            spf_aligned: "pass".into(),
            dkim_domain: String::new(),
            dkim_result: "none".into(),
            spf_domain: "bounce.example.org".into(),
            spf_result: "pass".into(),
        };
        assert_eq!(decode(&encode(&row)), Some(row));
        assert_eq!(decode("1700000000\u{1f}short"), None, "control: a cut field is no row");
    }
}

//! Email authentication of mail from other servers (`[mailauth]`): SPF at MAIL FROM, DKIM,
//! DMARC and ARC once the message is in, the `Authentication-Results:` header that records
//! them, and what the results decide: refuse, file into Junk, or deliver.

use message::Parsed;
use std::time::Duration;

use futures_lite::future::or;
use rand::Rng;

use super::listener::Role;
use super::session::Session;
use crate::config::{AmbiguousAuthor, SpfFailPolicy};
use mailauth::arc::{self, ArcResult};
use mailauth::author::{self, Ambiguity};
use mailauth::dkim::{self, BodyHashes, DkimResult};
use mailauth::dmarc::report::ReportRow;
use mailauth::dmarc::{self, AuthorVerdict, DmarcOutput, DmarcResult, Policy};
use mailauth::results::{self, MethodResult};
use mailauth::spf::{self, SpfOutput, SpfResult};
use smtp_proto::{Mailbox, Reply, Status};
use store::journal::{DmarcOp, JournalOp};
use store::unix_now;

/// The longest an SPF check may take (RFC 7208 section 4.6.4: at least 20 seconds).
const SPF_TIMEOUT: Duration = Duration::from_secs(20);

/// SPF as checked at MAIL FROM.
pub(super) struct SpfCheck {
    output: SpfOutput,
    /// `smtp.mailfrom` with the sender, or `smtp.helo` for the null sender.
    identity: (&'static str, String),
}

/// What the checks decided about a message.
#[derive(Default)]
pub(super) struct Checked {
    /// The `Authentication-Results:` header.
    pub header: String,
    /// The message's ARC chain as it arrived; `None` when it failed only for DNS (then it is
    /// better not sealed).
    pub arc: Option<ArcResult>,
    /// File the local copies into Junk (DMARC `p=quarantine`).
    pub junk: bool,
    /// Refuse the message (DMARC `p=reject`).
    pub refusal: Option<Reply>,
    /// The results as the spam filter weighs them.
    pub spam_inputs: spam::Inputs,
    /// The row the message counts for in its domain's DMARC aggregate report (when the domain
    /// asks for reports): committed with the message, or alone when it is refused.
    pub report: Option<ReportRow>,
}

impl Session {
    /// Whether this session's mail is judged as mail from another server: it comes from one
    /// (port 25, no login, not from `relay_networks`) and `[mailauth] check` is on.
    pub(super) fn judges_mail(&self) -> bool {
        let config = &self.ctx.config;
        config.mailauth.check && self.role == Role::Inbound && self.user.is_none() && !self.client_in_relay_networks()
    }

    /// Whether this session's mail is checked in DNS: it is judged and there is a resolver.
    pub(super) fn checks_mail(&self) -> bool {
        self.judges_mail() && self.ctx.resolver.is_some()
    }

    /// SPF of the MAIL FROM identity (the HELO name for the null sender). `Err` carries the
    /// refusal when `reject_spf_fail` says so.
    pub(super) async fn check_spf(&self, from: Option<&Mailbox>) -> Result<Option<SpfCheck>, Reply> {
        let Some(resolver) = self.ctx.resolver.as_deref().filter(|_| self.checks_mail()) else { return Ok(None) };
        let helo = self.hello.as_ref().map_or("", |h| h.name.as_str());
        let receiver = self.ctx.config.hostname.as_str();
        let mail_from = from.map(ToString::to_string).unwrap_or_default();
        let check = spf::verify_mail_from(resolver, self.peer.ip(), helo, &mail_from, receiver, store::unix_now());
        let expire = async {
            glommio::timer::sleep(SPF_TIMEOUT).await;
            let domain = mail_from.rsplit_once('@').map_or(helo, |(_, d)| d).to_ascii_lowercase();
            SpfOutput { result: SpfResult::TempError, domain, explanation: None, reason: "timed out".into() }
        };
        let output = or(check, expire).await;
        if output.result == SpfResult::Fail && self.refuses_spf_fail(&output.domain).await {
            let why = output.explanation.clone().unwrap_or_else(|| output.reason.clone());
            let text =
                format!("SPF check failed: {} does not allow {} to send for it ({why})", output.domain, self.peer.ip());
            return Err(Reply::new(550, Status(5, 7, 23), text));
        }
        let identity =
            if mail_from.is_empty() { ("smtp.helo", helo.to_string()) } else { ("smtp.mailfrom", mail_from) };
        Ok(Some(SpfCheck { output, identity }))
    }

    /// Whether an SPF fail for `domain` refuses the message.
    async fn refuses_spf_fail(&self, domain: &str) -> bool {
        let Some(resolver) = self.ctx.resolver.as_deref() else { return false };
        match self.ctx.config.mailauth.reject_spf_fail {
            SpfFailPolicy::Never => false,
            SpfFailPolicy::Always => true,
            SpfFailPolicy::DmarcReject => match dmarc::find_record(resolver, domain).await {
                Ok(Some((record, at_org))) => record.policy_for(at_org) == Policy::Reject,
                _ => false,
            },
        }
    }

    /// The row the message counts for in the aggregate report of a domain that asks for one
    /// (`rua=`).
    fn report_row(
        &self,
        dmarc: &DmarcOutput,
        spf: Option<&SpfCheck>,
        dkim: Option<&dkim::Verdict>,
    ) -> Option<ReportRow> {
        let wants_reports = dmarc.record.as_ref().is_some_and(|r| !r.aggregate_reports.is_empty());
        let interval = self.ctx.config.mailauth.dmarc_report_interval_secs;
        if !wants_reports || interval == 0 {
            return None;
        }
        let pass_or_fail = |pass: bool| if pass { "pass" } else { "fail" }.to_string();
        let now = unix_now();
        Some(ReportRow {
            period: now - now % interval,
            policy_domain: dmarc.policy_domain.clone(),
            source_ip: self.peer.ip().to_string(),
            header_from: dmarc.from_domain.clone(),
            disposition: dmarc.disposition.to_string(),
            dkim_aligned: pass_or_fail(dmarc.dkim_aligned),
            spf_aligned: pass_or_fail(dmarc.spf_aligned),
            dkim_domain: dkim.map(|v| v.domain.clone()).unwrap_or_default(),
            dkim_result: dkim.map(|v| v.result.as_str().to_string()).unwrap_or_default(),
            spf_domain: spf.map(|s| s.output.domain.clone()).unwrap_or_default(),
            spf_result: spf.map_or("none", |s| s.output.result.as_str()).to_string(),
        })
    }

    /// Counts a refused message for its DMARC report: it has no delivery to ride with.
    pub(super) async fn count_refused(&self, checked: Option<&mut Checked>) {
        let Some(row) = checked.and_then(|c| c.report.take()) else { return };
        if let Err(e) = self.ctx.journal.submit(JournalOp::Dmarc(DmarcOp::Count(vec![row]))).await {
            tracing::warn!("counting a DMARC result failed: {e}");
        }
    }

    /// DKIM, DMARC and ARC of the received `message`, with the SPF result of MAIL FROM and
    /// the DKIM body hashes computed while it arrived. A message whose author is ambiguous is
    /// refused (or filed into Junk, as `ambiguous_author` says) before anything is looked up.
    pub(super) async fn check_message(
        &self,
        spf: Option<&SpfCheck>,
        parsed: &Parsed<'_>,
        hashes: Option<BodyHashes>,
    ) -> Option<Checked> {
        if !self.judges_mail() {
            return None;
        }
        let author = author::find(parsed.header());
        if let Err(why) = &author {
            tracing::info!(peer = %self.peer, "message with an ambiguous author: {why}");
            if self.ctx.config.mailauth.ambiguous_author == AmbiguousAuthor::Reject {
                let text = format!("Message refused: its author is ambiguous ({why})");
                return Some(Checked { refusal: Some(Reply::new(550, Status(5, 7, 1), text)), ..Checked::default() });
            }
        }
        let hostname = self.ctx.config.hostname.as_str();
        let Some(resolver) = self.ctx.resolver.as_deref().filter(|_| self.checks_mail()) else {
            // Without a resolver only the author is judged.
            let why = author.err()?;
            let header = results::header(hostname, &[ambiguous_author(why)]);
            return Some(Checked { header, junk: true, ..Checked::default() });
        };
        let message = parsed.raw;
        let signatures = dkim::verify_streamed(resolver, message, unix_now(), hashes.unwrap_or_default()).await;
        let arc = arc::validate(resolver, message, unix_now()).await;
        let verdict = match &author {
            Ok(author) => {
                let spf_pass = spf.filter(|s| s.output.result == SpfResult::Pass).map(|s| s.output.domain.clone());
                let dkim_pass =
                    signatures.iter().filter(|v| v.result == DkimResult::Pass).map(|v| v.domain.clone()).collect();
                let sample = rand::thread_rng().gen_range(0..100);
                Ok(dmarc::evaluate_author(resolver, author, spf_pass, dkim_pass, sample).await)
            }
            Err(why) => Err(*why),
        };
        let report = verdict.as_ref().ok().and_then(|v| self.report_row(&v.from, spf, signatures.first()));

        let mut found = Vec::new();
        if let Some(spf) = spf {
            let (name, value) = &spf.identity;
            found.push(
                MethodResult::new("spf", spf.output.result.as_str()).comment(&spf.output.reason).with(name, value),
            );
        }
        if signatures.is_empty() {
            found.push(MethodResult::new("dkim", "none"));
        }
        for v in &signatures {
            let mut r = MethodResult::new("dkim", v.result.as_str())
                .with("header.d", &v.domain)
                .with("header.s", &v.selector)
                .with("header.b", &v.signature_b_prefix);
            if let Some(reason) = &v.reason {
                r = r.comment(reason);
            }
            found.push(r);
        }
        found.push(match &verdict {
            Ok(verdict) => dmarc_method(verdict),
            Err(why) => ambiguous_author(*why),
        });
        found.push(arc.method_result());

        let applied = verdict.as_ref().ok().map(AuthorVerdict::applied);
        let mut checked = Checked {
            header: results::header(hostname, &found),
            arc: (!arc.temporary).then_some(arc.result),
            junk: verdict.is_err(),
            refusal: None,
            spam_inputs: spam::Inputs {
                spf: spf.map(|s| s.output.result.as_str().to_string()),
                dkim: Some(signatures.first().map_or("none", |v| v.result.as_str()).to_string()),
                dmarc: Some(applied.map_or("permerror", |d| d.result.as_str()).to_string()),
                ..Default::default()
            },
            report,
        };
        if let Some(dmarc) = applied.filter(|d| d.result == DmarcResult::Fail && self.ctx.config.mailauth.enforce_dmarc)
        {
            match dmarc.disposition {
                Policy::Reject => {
                    let text = format!("Message rejected by the DMARC policy of {}", dmarc.from_domain);
                    checked.refusal = Some(Reply::new(550, Status(5, 7, 1), text));
                }
                Policy::Quarantine => checked.junk = true,
                Policy::None => {}
            }
        }
        Some(checked)
    }
}

/// The `dmarc` result of a verdict: the one that applies, with the From domain as
/// `header.from` and, when another shown domain's stricter verdict applies, that domain.
fn dmarc_method(verdict: &AuthorVerdict) -> MethodResult {
    let applied = verdict.applied();
    let mut r = MethodResult::new("dmarc", applied.result.as_str());
    let mut comment = applied.record.as_ref().map(|record| format!("p={} dis={}", record.policy, applied.disposition));
    if let Some((other, place)) = &verdict.stricter {
        let policy = comment.take().unwrap_or_default();
        comment = Some(format!("{policy}; policy of {} in {}", other.from_domain, place.as_str()));
    }
    if let Some(comment) = comment {
        r = r.comment(comment);
    }
    r.with("header.from", &verdict.from.from_domain)
}

/// The `dmarc` result of a message whose author is ambiguous.
fn ambiguous_author(why: Ambiguity) -> MethodResult {
    MethodResult::new("dmarc", "permerror").comment(format!("ambiguous author: {why}"))
}

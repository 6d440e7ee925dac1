//! Email authentication: SPF, DKIM, DMARC and ARC checks of received mail, the
//! `Authentication-Results:` header (RFC 8601) that records them, DKIM signing and ARC sealing,
//! and the MTA-STS policies, DANE records and TLS reports of outbound TLS.
//!
//! | file | what |
//! |---|---|
//! | `arc/` | ARC (RFC 8617): validating chains and sealing forwarded mail |
//! | `author.rs` | the `From:` domain DMARC protects |
//! | `dane.rs` | DANE TLSA records (RFC 7672): which are usable, whether a certificate matches |
//! | `lookup.rs` | the DNS questions they ask, as a trait (resolver or in-memory zone) |
//! | `dmarc/` | DMARC policy records, alignment and the verdict |
//! | `mta_sts.rs` | MTA-STS (RFC 8461): the TXT record, the policy file, allowed MX hosts |
//! | `spf/` | SPF (RFC 7208): records, macros, `check_host()` |
//! | `dkim/` | DKIM (RFC 6376, RFC 8463): verifying and making signatures, keys |
//! | `results.rs` | the `Authentication-Results:` header |
//! | `report_mail.rs` | the message an aggregate report (DMARC, TLS) travels in |
//! | `tlsrpt/` | SMTP TLS reporting (RFC 8460): the TXT record, result types, the JSON report, reading received ones |

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod arc;
pub mod arf;
pub mod author;
pub mod dane;
pub mod dkim;
pub mod dmarc;
pub mod lookup;
pub mod mta_sts;
pub mod report_mail;
pub mod results;
pub mod spf;
pub mod tlsrpt;

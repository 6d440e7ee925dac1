//! HTTP API tokens: made, listed and deleted by `ringmail api-token` (and by the API itself
//! with an admin token).

use std::fmt::Write as _;

use super::{AdminContext, AdminError};
use crate::auth::api_token::{self, Scope};
use store::journal::{JournalOp, OperatorOp};
use store::records::ApiToken;
use store::unix_now;

/// Longest token name.
const MAX_NAME: usize = 64;

/// Makes a token and returns it, in the one answer that ever shows it.
pub fn add(
    ctx: &AdminContext,
    name: &str,
    scope: &str,
    user: Option<String>,
    domains: Vec<String>,
) -> Result<String, AdminError> {
    let name = name.to_ascii_lowercase();
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(valid) {
        return Err(AdminError(format!("a token name is 1 to {MAX_NAME} of a-z, 0-9, '-', '_', '.'")));
    }
    let scope = Scope::parse(scope).ok_or_else(|| AdminError("the scope is inject, read, metrics or admin".into()))?;
    if user.is_some() && !domains.is_empty() {
        return Err(AdminError("bind a token to a --user or to --domain names, not both".into()));
    }
    let user = user.map(|u| u.to_lowercase());
    if let Some(user) = &user
        && ctx.store.account(user)?.is_none()
    {
        return Err(AdminError(format!("no account {user}")));
    }
    let domains: Vec<String> = domains.iter().map(|d| d.trim_end_matches('.').to_ascii_lowercase()).collect();
    if domains.iter().any(|d| d.is_empty() || d.contains('@')) {
        return Err(AdminError("--domain takes a domain name".into()));
    }
    let (token, hash) = api_token::generate();
    let record = ApiToken { scope: scope.as_str().to_string(), hash, user, domains, created: unix_now() };
    ctx.journal.submit_blocking(JournalOp::Operator(OperatorOp::TokenAdd { name, token: record }))?;
    Ok(token)
}

/// One line per token: name, scope, what injected mail may claim, and when it was made.
pub fn list(ctx: &AdminContext) -> Result<Vec<u8>, AdminError> {
    let mut out = String::new();
    for (name, token) in ctx.store.api_tokens()? {
        let _ = writeln!(out, "{name}\t{}\t{}\t{}", token.scope, senders(&token), token.created);
    }
    Ok(out.into_bytes())
}

/// Deletes a token; requests carrying it are refused from now on.
pub fn delete(ctx: &AdminContext, name: &str) -> Result<(), AdminError> {
    let name = name.to_ascii_lowercase();
    ctx.journal.submit_blocking(JournalOp::Operator(OperatorOp::TokenDel { name }))?;
    Ok(())
}

/// What mail injected with `token` may claim as its author, for people.
pub fn senders(token: &ApiToken) -> String {
    let mut parts: Vec<String> = token.user.iter().map(|u| format!("user={u}")).collect();
    parts.extend(token.domains.iter().map(|d| format!("domain={d}")));
    if parts.is_empty() { "-".to_string() } else { parts.join(",") }
}

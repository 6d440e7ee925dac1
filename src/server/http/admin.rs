//! Domains, users, aliases, DKIM keys, the suppression list, the allow and block lists and
//! the API tokens over HTTP: what the CLI does, as JSON. Lists are read from the store; every
//! change runs the CLI's own [`crate::admin::execute`], on a blocking thread since it waits
//! for the journal.

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::Services;
use super::respond::{ApiError, HttpResponse, json_response, ok};
use super::routes::{Call, not_allowed};
use crate::admin::{self, AdminError, Request, tokens};
use admin_proto::{Grant, List};
use store::sender_stats::KEEP_HOURS;
use store::{Store, StoreError, unix_now};

/// Largest body of an administration request.
pub const SMALL_BODY: usize = 64 * 1024;

/// Dispatches `/api/v1/{domains,users,aliases,dkim,suppressions,senders,lists,tokens}...`.
pub async fn route(services: &Services, call: Call) -> Result<HttpResponse, ApiError> {
    let path: Vec<String> = call.path.clone();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match (call.method.clone(), path.as_slice()) {
        (Method::GET, ["domains"]) => ok(&read(services, |store| store.domains()).await?),
        (Method::POST, ["domains"]) => {
            #[derive(Deserialize)]
            struct Body {
                domain: String,
                postmaster: Option<String>,
            }
            let Body { domain, postmaster } = call.json(SMALL_BODY).await?;
            created(run(services, Request::DomainAdd { domain, postmaster }).await?)
        }
        (Method::DELETE, ["domains", domain]) => {
            done(run(services, Request::DomainDel { domain: domain.to_string() }).await?)
        }
        (Method::GET, ["users"]) => {
            let users = read(services, |store| {
                let mut users = Vec::new();
                for address in store.accounts()? {
                    let account = store.account(&address)?;
                    let (send_as, anyone) = account.map(|a| (a.send_as, a.send_as_anyone)).unwrap_or_default();
                    users.push(json!({ "address": address, "send_as": send_as, "send_as_anyone": anyone }));
                }
                Ok(users)
            });
            ok(&users.await?)
        }
        (Method::POST, ["users"]) => {
            #[derive(Deserialize)]
            struct Body {
                address: String,
                password: String,
                #[serde(default)]
                send_as_anyone: bool,
            }
            let Body { address, password, send_as_anyone } = call.json(SMALL_BODY).await?;
            created(run(services, Request::UserAdd { address, password, send_as_anyone }).await?)
        }
        (Method::DELETE, ["users", address]) => {
            done(run(services, Request::UserDel { address: address.to_string() }).await?)
        }
        (Method::PUT | Method::POST, ["users", address, "password"]) => {
            #[derive(Deserialize)]
            struct Body {
                password: String,
            }
            let Body { password } = call.json(SMALL_BODY).await?;
            done(run(services, Request::UserPasswd { address: address.to_string(), password }).await?)
        }
        (Method::POST, ["users", address, "grants"]) => {
            #[derive(Deserialize)]
            struct Body {
                send_as: Option<String>,
                #[serde(default)]
                anyone: bool,
            }
            let grant = match call.json(SMALL_BODY).await? {
                Body { anyone: true, .. } => Grant::Anyone,
                Body { send_as: Some(other), .. } => Grant::Address(other),
                Body { .. } => {
                    return Err(ApiError::field("send_as", "give `send_as` (an address or @domain) or `anyone`"));
                }
            };
            done(run(services, Request::UserGrant { address: address.to_string(), grant }).await?)
        }
        (Method::DELETE, ["users", address, "grants", grant]) => {
            let grant = if *grant == "*" { Grant::Anyone } else { Grant::Address(grant.to_string()) };
            done(run(services, Request::UserRevoke { address: address.to_string(), grant }).await?)
        }
        (Method::GET, ["aliases"]) => {
            let aliases = read(services, |store| store.aliases()).await?;
            ok(&aliases
                .into_iter()
                .map(|(alias, a)| json!({ "alias": alias, "targets": a.targets }))
                .collect::<Vec<_>>())
        }
        (Method::POST, ["aliases"]) => {
            #[derive(Deserialize)]
            struct Body {
                alias: String,
                targets: Vec<String>,
            }
            let Body { alias, targets } = call.json(SMALL_BODY).await?;
            created(run(services, Request::AliasAdd { alias, targets }).await?)
        }
        (Method::DELETE, ["aliases", alias]) => {
            done(run(services, Request::AliasDel { alias: alias.to_string() }).await?)
        }
        (Method::GET, ["senders"]) => {
            let hours = match call.query.get("hours").map(|h| h.parse::<u64>()) {
                None => 24,
                Some(Ok(hours)) if (1..=KEEP_HOURS).contains(&hours) => hours,
                Some(_) => return Err(ApiError::new(StatusCode::BAD_REQUEST, "hours must be from 1 to 192")),
            };
            let since = (unix_now() / 3600).saturating_sub(hours - 1);
            let stats = read(services, move |store| store.sender_stats_since(since)).await?;
            let list: Vec<_> = stats
                .into_iter()
                .map(|(domain, s)| {
                    let rate = (s.delivered > 0).then(|| s.complaint_rate());
                    json!({ "domain": domain, "delivered": s.delivered, "complaints": s.complaints, "complaint_rate": rate })
                })
                .collect();
            ok(&json!({ "hours": hours, "senders": list }))
        }
        (Method::GET, ["suppressions"]) => {
            let list = read(services, |store| store.suppressions()).await?;
            let list: Vec<_> =
                list.into_iter().map(|(a, s)| json!({ "address": a, "since": s.since, "reason": s.reason })).collect();
            ok(&list)
        }
        (Method::POST, ["suppressions"]) => {
            #[derive(Deserialize)]
            struct Body {
                address: String,
                reason: Option<String>,
            }
            let Body { address, reason } = call.json(SMALL_BODY).await?;
            let reason = reason.unwrap_or_else(|| "suppressed by the postmaster".into());
            created(run(services, Request::SuppressionAdd { address, reason }).await?)
        }
        (Method::DELETE, ["suppressions", address]) => {
            done(run(services, Request::SuppressionDel { address: address.to_string(), domain: None }).await?)
        }
        (Method::GET, ["dkim"]) => {
            let keys = read(services, |store| store.all_dkim_keys()).await?;
            let keys: Vec<_> = keys
                .into_iter()
                .map(|(d, s, k)| json!({ "domain": d, "selector": s, "algorithm": k.algorithm, "created": k.created }))
                .collect();
            ok(&keys)
        }
        (Method::POST, ["dkim"]) => {
            #[derive(Deserialize)]
            struct Body {
                domain: String,
                selector: String,
                #[serde(default = "rsa")]
                algorithm: String,
            }
            let Body { domain, selector, algorithm } = call.json(SMALL_BODY).await?;
            let request = admin_proto::DkimRequest::Generate { domain, selector, algorithm };
            created(run(services, Request::Dkim { request }).await?)
        }
        (Method::DELETE, ["dkim", domain, selector]) => {
            let request = admin_proto::DkimRequest::Del { domain: domain.to_string(), selector: selector.to_string() };
            done(run(services, Request::Dkim { request }).await?)
        }
        (method, ["lists", name, rest @ ..]) => {
            let list = match *name {
                "allow" => List::Allow,
                "block" => List::Block,
                _ => return Err(ApiError::not_found("the lists are allow and block")),
            };
            match (method, rest) {
                (Method::GET, []) => ok(&read(services, move |store| store.access_entries(list.as_str())).await?),
                (Method::POST, []) => {
                    #[derive(Deserialize)]
                    struct Body {
                        entry: String,
                    }
                    let Body { entry } = call.json(SMALL_BODY).await?;
                    created(run(services, Request::AccessAdd { list, entry }).await?)
                }
                (Method::DELETE, [entry]) => {
                    done(run(services, Request::AccessDel { list, entry: entry.to_string() }).await?)
                }
                _ => Err(not_allowed(&call)),
            }
        }
        (Method::GET, ["tokens"]) => {
            let tokens = read(services, |store| store.api_tokens()).await?;
            let tokens: Vec<_> = tokens
                .into_iter()
                .map(|(name, t)| {
                    json!({ "name": name, "scope": t.scope, "user": t.user, "domains": t.domains, "created": t.created })
                })
                .collect();
            ok(&tokens)
        }
        (Method::POST, ["tokens"]) => {
            #[derive(Deserialize)]
            struct Body {
                name: String,
                scope: String,
                user: Option<String>,
                #[serde(default)]
                domains: Vec<String>,
            }
            let Body { name, scope, user, domains } = call.json(SMALL_BODY).await?;
            let ctx = services.admin.clone();
            let made = {
                let name = name.clone();
                glommio::executor().spawn_blocking(move || tokens::add(&ctx, &name, &scope, user, domains)).await
            };
            let token = made.map_err(admin_error)?;
            Ok(json_response(StatusCode::CREATED, &json!({ "name": name, "token": token })))
        }
        (Method::DELETE, ["tokens", name]) => {
            done(run(services, Request::ApiTokenDel { name: name.to_string() }).await?)
        }
        (_, ["domains" | "users" | "aliases" | "suppressions" | "dkim" | "tokens", ..]) => Err(not_allowed(&call)),
        _ => Err(ApiError::not_found("no such endpoint")),
    }
}

fn rsa() -> String {
    "rsa".into()
}

/// What `f` reads from the store, read on a blocking thread: lists grow (the suppression
/// list with every hard bounce) and must not stall the shard's sessions.
pub async fn read<T: Send + 'static>(
    services: &Services,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = services.smtp.store.clone();
    glommio::executor().spawn_blocking(move || f(&store)).await.map_err(ApiError::internal)
}

/// Runs an administration request on a blocking thread; what the CLI would print.
pub async fn run(services: &Services, request: Request) -> Result<String, ApiError> {
    let ctx = services.admin.clone();
    let result = glommio::executor().spawn_blocking(move || admin::execute(&ctx, request)).await;
    result.map(|out| String::from_utf8_lossy(&out).trim_end().to_string()).map_err(admin_error)
}

/// The status of a refused administration request, from what the store said.
fn admin_error(error: AdminError) -> ApiError {
    let text = error.0;
    let status = if text.contains("does not exist") || text.starts_with("no ") || text.starts_with("nothing ") {
        StatusCode::NOT_FOUND
    } else if text.contains("exists already") {
        StatusCode::CONFLICT
    } else if text.contains("shutting down") {
        StatusCode::SERVICE_UNAVAILABLE
    } else if text.starts_with("database") || text.starts_with("corrupt record") {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    ApiError::new(status, text)
}

/// `200` with what the change did.
pub fn done(result: String) -> Result<HttpResponse, ApiError> {
    ok(&json!({ "ok": true, "result": result }))
}

/// `201` with what the change made.
pub fn created(result: String) -> Result<HttpResponse, ApiError> {
    Ok(json_response(StatusCode::CREATED, &json!({ "ok": true, "result": result })))
}

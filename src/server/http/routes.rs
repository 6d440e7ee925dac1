//! The table of endpoints: which scope each needs, and reading what a request carries (the
//! token, path segments, query parameters, a JSON body within `[http] max_body_mib`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH};
use hyper::{Method, Request, StatusCode};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use super::respond::{ApiError, HttpResponse};
use super::{Listener, Services, admin, inject, queue};
use crate::auth::api_token::{self, Scope};
use crate::net::Reservation;
use store::records::ApiToken;

/// The client a request came from, once its token checked out.
pub struct Caller {
    /// The token's name.
    pub name: String,
    /// The token.
    pub token: ApiToken,
    /// The client's address.
    pub peer: SocketAddr,
}

/// A request, taken apart.
pub struct Call {
    /// The method.
    pub method: Method,
    /// The path's segments after `/api/v1/`, percent-decoded.
    pub path: Vec<String>,
    /// The query's parameters.
    pub query: HashMap<String, String>,
    /// The request, for its headers and body.
    pub request: Request<Incoming>,
}

impl Call {
    /// The query parameter `name`, if given.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// The body as JSON of type `T`, within `limit` octets.
    pub async fn json<T: DeserializeOwned>(self, limit: usize) -> Result<T, ApiError> {
        let bytes = body(self.request, limit, None).await?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::json(&e))
    }

    /// [`Call::json`] for a body that carries a message: the octets received are reserved
    /// from the server's message memory as they arrive (`[limits] message_memory`, shared
    /// with SMTP and IMAP), and a body that does not fit gets `503`.
    pub async fn json_reserving<T: DeserializeOwned>(
        self,
        limit: usize,
        memory: &mut Reservation,
    ) -> Result<T, ApiError> {
        let bytes = body(self.request, limit, Some(memory)).await?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::json(&e))
    }
}

/// Answers one request; every failure is a JSON error with its status.
pub async fn handle(
    services: Rc<Services>,
    peer: SocketAddr,
    listener: Listener,
    request: Request<Incoming>,
) -> Result<HttpResponse, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = route(&services, peer, listener, request).await.unwrap_or_else(ApiError::into_response);
    tracing::debug!(%peer, %method, path, status = response.status().as_u16(), "HTTP request");
    Ok(response)
}

async fn route(
    services: &Services,
    peer: SocketAddr,
    listener: Listener,
    request: Request<Incoming>,
) -> Result<HttpResponse, ApiError> {
    let path = request.uri().path().to_string();
    let get = request.method() == Method::GET;
    match (listener, path.as_str()) {
        (_, "/metrics") if get => {
            if listener == Listener::Api {
                authenticate(services, &request, peer, Scope::Metrics)?;
            }
            // A scrape reads the queue: off the executor.
            let scrape = services.scrape.clone();
            let text = glommio::executor().spawn_blocking(move || crate::metrics::render(&scrape)).await;
            Ok(super::respond::content(crate::metrics::CONTENT_TYPE, text))
        }
        (Listener::Metrics, _) => Err(ApiError::not_found("this listener serves only GET /metrics")),
        (Listener::Api, _) if path.starts_with("/api/v1/") => api(services, peer, request).await,
        (Listener::Api, _) if path.starts_with("/unsubscribe/") => {
            let token = path["/unsubscribe/".len()..].to_string();
            super::unsubscribe::route(services, &token, request).await
        }
        (Listener::Api, _) if get => super::dashboard::asset(&path).ok_or_else(|| ApiError::not_found("no such page")),
        _ => Err(ApiError::not_found("no such endpoint")),
    }
}

/// `/api/v1/...`: authenticates, then dispatches by method and path.
async fn api(services: &Services, peer: SocketAddr, request: Request<Incoming>) -> Result<HttpResponse, ApiError> {
    let needed = match *request.method() {
        Method::GET | Method::HEAD => Scope::Read,
        Method::POST if request.uri().path() == "/api/v1/messages" => Scope::Inject,
        _ => Scope::Admin,
    };
    let caller = authenticate(services, &request, peer, needed)?;
    let call = Call {
        method: request.method().clone(),
        path: request.uri().path()["/api/v1/".len()..]
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect(),
        query: request
            .uri()
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
        request,
    };
    let path: Vec<&str> = call.path.iter().map(String::as_str).collect();
    match (call.method.clone(), path.as_slice()) {
        (Method::POST, ["messages"]) => inject::inject(services, &caller, call).await,
        (_, ["queue", ..] | ["destinations", ..] | ["suspensions", ..]) => queue::route(services, call).await,
        (_, ["stats" | "health" | "events", ..]) => super::dashboard::route(services, call).await,
        _ => admin::route(services, call).await,
    }
}

/// The caller of `request` when it carries a token whose scope covers `needed`: `401`
/// without a valid token, `403` when its scope does not cover the request.
fn authenticate(
    services: &Services,
    request: &Request<Incoming>,
    peer: SocketAddr,
    needed: Scope,
) -> Result<Caller, ApiError> {
    let unauthorized = |text: &str| ApiError::new(StatusCode::UNAUTHORIZED, text);
    let header = request.headers().get(AUTHORIZATION).ok_or_else(|| unauthorized("no bearer token"))?;
    let presented = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| unauthorized("the Authorization header is not `Bearer <token>`"))?;
    let found = api_token::find(&services.smtp.store, presented).map_err(ApiError::internal)?;
    let Some((name, token)) = found else {
        tracing::info!(%peer, "HTTP request with an unknown token refused");
        crate::metrics::login_failed("http");
        return Err(unauthorized("unknown token"));
    };
    let scope = Scope::parse(&token.scope).unwrap_or(Scope::Metrics);
    if !scope.covers(needed) {
        let text = format!("token {name} has scope {}; this request needs {}", scope.as_str(), needed.as_str());
        return Err(ApiError::new(StatusCode::FORBIDDEN, text));
    }
    Ok(Caller { name, token, peer })
}

/// The body of `request`, refused with `413` past `limit` octets (at once when its
/// Content-Length says so, else as soon as that much has arrived). What the client still
/// sends of a refused body is read and dropped, up to [`DRAIN_LIMIT`], so that it can read the
/// answer instead of finding the connection reset under it.
pub(super) async fn body(
    request: Request<Incoming>,
    limit: usize,
    mut memory: Option<&mut Reservation>,
) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is over {limit} octets"));
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let mut body = request.into_body();
    if declared.is_some_and(|length| length > limit as u64) {
        drain(&mut body).await;
        return Err(too_large());
    }
    let mut collected = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(format!("reading the body failed: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        if collected.len() + data.len() > limit {
            drain(&mut body).await;
            return Err(too_large());
        }
        if let Some(memory) = memory.as_deref_mut()
            && !memory.reserve_to(collected.len() + data.len())
        {
            drain(&mut body).await;
            let text = "the server holds as many messages as it may; try again later";
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, text));
        }
        collected.extend_from_slice(&data);
    }
    Ok(collected.freeze())
}

/// Octets of a refused body read and dropped at most before answering.
const DRAIN_LIMIT: usize = 64 << 20;

/// Reads and drops what is left of `body`, up to [`DRAIN_LIMIT`].
async fn drain(body: &mut Incoming) {
    let mut dropped = 0;
    while dropped < DRAIN_LIMIT
        && let Some(Ok(frame)) = body.frame().await
    {
        dropped += frame.data_ref().map_or(0, Bytes::len);
    }
}

/// `405` for a path that exists, with a method it does not take.
pub fn not_allowed(call: &Call) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{} is not allowed here", call.method))
}

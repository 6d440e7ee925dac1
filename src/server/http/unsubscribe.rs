//! `/unsubscribe/TOKEN`, the one-click link of bulk mail (RFC 8058): a POST with the body
//! `List-Unsubscribe=One-Click` (what mailbox providers send) suppresses the recipient the
//! token names for its sender domain; a GET (a person's browser, or a link scanner, which
//! must not unsubscribe anyone) shows a page with a button that makes that POST.

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::Services;
use super::respond::{ApiError, HttpResponse, content};
use super::routes::body;
use crate::unsubscribe::{Via, unsubscription};

/// Largest body read: the one-click form is 26 octets.
const MAX_BODY: usize = 1024;

/// Answers a request for `/unsubscribe/{token}`.
pub async fn route(services: &Services, token: &str, request: Request<Incoming>) -> Result<HttpResponse, ApiError> {
    let ctx = &services.smtp;
    let invalid = || ApiError::not_found("this unsubscribe link is not valid");
    let (domain, recipient) = ctx.unsubscribe.verify(token).ok_or_else(invalid)?;
    match *request.method() {
        Method::GET => Ok(content("text/html; charset=utf-8", page(&domain, &recipient, token))),
        Method::POST => {
            let form = body(request, MAX_BODY, None).await?;
            // RFC 8058 3.2: the POST's content is `List-Unsubscribe=One-Click`; the page's
            // button sends the same.
            if !form.split(|&b| b == b'&').any(|pair| pair == b"List-Unsubscribe=One-Click") {
                return Err(ApiError::bad_request("the body must be List-Unsubscribe=One-Click"));
            }
            let (op, event) = unsubscription(&domain, &recipient, Via::OneClick);
            ctx.events.commit(&ctx.journal, op, vec![event]).await.map_err(ApiError::internal)?;
            tracing::info!(%domain, %recipient, "unsubscribed (one-click)");
            Ok(content(
                "text/plain; charset=utf-8",
                format!("{recipient} is unsubscribed from the mail of {domain}.\n"),
            ))
        }
        _ => Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "GET or POST")),
    }
}

/// The page a browser gets: what the link is about, and the button.
fn page(domain: &str, recipient: &str, token: &str) -> String {
    let (domain, recipient) = (escape(domain), escape(recipient));
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unsubscribe</title></head>\n\
         <body><h1>Unsubscribe</h1><p>Stop the mail of {domain} to {recipient}?</p>\n\
         <form method=\"post\" action=\"/unsubscribe/{token}\">\
         <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\">Unsubscribe</button></form></body></html>\n"
    )
}

/// `text` safe inside HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

//! HTTP hardening applied to every response, and the cross-site request checks applied to
//! every request that changes something.
//!
//! - **Content-Security-Policy** with a fresh nonce per response and `'strict-dynamic'`: only
//!   scripts the server itself placed in the page run (an injected `<script>` has no nonce),
//!   and whatever they import. `'wasm-unsafe-eval'` lets them compile WebAssembly (the SDK and
//!   the hydration code) without allowing `eval`. No inline styles, no plugins, no framing.
//! - **Same-origin writes**: a state-changing request must carry an `Origin` (or `Referer`) of
//!   this site; browsers always send it on cross-site POSTs, so a forged form post from another
//!   site is refused before any handler runs. The per-session CSRF token is checked on top of
//!   this by the handlers (defence in depth: [`super::session`]).
//! - The usual headers: no sniffing, no referrer leak, HSTS when served over TLS, and
//!   `Cache-Control: no-store` on pages (they show personal data of the signed-in user).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;

/// The CSP for a page rendered with `nonce`.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'"
    )
}

/// The policy of everything that is not a page (scripts, workers, wasm, JSON).
pub const WORKER_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; frame-ancestors 'none'";

/// Makes the request's nonce the page's (`<HydrationScripts>` and the pages' script tags use it).
pub fn provide_request_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<Nonce>().cloned());
    if let Some(n) = nonce {
        provide_context(n);
    }
}

/// Adds a nonce to the request (for the page's `<script>` tags) and the headers to the response.
pub async fn headers(mut request: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    let csp = content_security_policy(&nonce);
    request.extensions_mut().insert(nonce);
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let is_html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    // Pages get the nonce policy; scripts and workers get a 'self' policy (a module worker runs
    // under its own response's CSP and imports the SDK from this origin).
    set(h, header::CONTENT_SECURITY_POLICY, if is_html { &csp } else { WORKER_POLICY });
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "permissions-policy", "camera=(), microphone=(), geolocation=()");
    if is_html || !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    response
}

fn set(headers: &mut HeaderMap, name: impl header::IntoHeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// Refuses state-changing requests that do not come from this site's own pages.
pub async fn same_origin_writes(request: Request, next: Next) -> Response {
    if is_safe(request.method()) || same_origin(request.headers()) {
        return next.run(request).await;
    }
    (StatusCode::FORBIDDEN, "cross-site request refused (Origin does not match this site)").into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `Origin` (or, without it, `Referer`) names the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let origin = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|o| o.to_str().ok());
    match origin {
        Some(o) => {
            let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")).unwrap_or("");
            rest.split('/').next() == Some(host)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn only_this_sites_pages_may_write() {
        assert!(same_origin(&h(&[("host", "kakou.test:3000"), ("origin", "http://kakou.test:3000")])));
        assert!(same_origin(&h(&[("host", "kakou.test"), ("referer", "https://kakou.test/upload")])));
        assert!(!same_origin(&h(&[("host", "kakou.test"), ("origin", "https://evil.test")])));
        assert!(!same_origin(&h(&[("host", "kakou.test"), ("origin", "https://kakou.test.evil.test")])));
        assert!(!same_origin(&h(&[("host", "kakou.test"), ("origin", "null")])));
        assert!(!same_origin(&h(&[("host", "kakou.test")])), "no origin at all: refused");
    }

    #[test]
    fn the_policy_allows_no_inline_script_without_the_nonce() {
        let csp = content_security_policy("abc");
        assert!(csp.contains("script-src 'nonce-abc' 'strict-dynamic' 'wasm-unsafe-eval';"));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}

//! One module per page. Forms post to server functions (`crate::api`) and work before the
//! page is hydrated too (plain form posts), so a slow network never leaves a dead page.
pub mod account;
pub mod admin;
pub mod audit;
pub mod home;
pub mod login;
pub mod notice;
pub mod optout;
pub mod policy;
pub mod provisions;
pub mod requests;
pub mod upload;

use leptos::prelude::*;

/// An action's error, shown under its form.
pub fn error_of<T: Clone + Send + Sync + 'static>(
    value: impl Get<Value = Option<Result<T, ServerFnError>>> + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        value.get().and_then(|r| r.err()).map(|e| {
            let text = e.to_string();
            let text = text.strip_prefix("error running server function: ").unwrap_or(&text).to_string();
            view! { <p class="error" role="alert">{text}</p> }
        })
    }
}

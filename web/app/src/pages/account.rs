use leptos::prelude::*;

use super::error_of;
use crate::api::{BeginTotp, ConfirmTotp};
use crate::app::MeResource;

/// Two-factor enrolment: the secret is shown once (text and QR code), and only a correct code
/// from the authenticator turns it on.
#[component]
pub fn Account() -> impl IntoView {
    let me = expect_context::<MeResource>();
    let begin = ServerAction::<BeginTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    view! {
        <h1>"アカウント Account"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(m)) if m.totp_enabled => {
                        view! { <p id="totp-on">"二要素認証は有効です。Two-factor sign-in is on."</p> }.into_any()
                    }
                    Ok(Some(m)) => {
                        let csrf = m.csrf.clone();
                        view! {
                            <p>"二要素認証を設定します。Set up two-factor sign-in with an authenticator app."</p>
                            <ActionForm action=begin attr:id="totp-begin">
                                <input type="hidden" name="csrf" value=m.csrf.clone()/>
                                <button type="submit">"秘密鍵を表示 Show secret"</button>
                            </ActionForm>
                            {move || {
                                begin
                                    .value()
                                    .get()
                                    .and_then(|r| r.ok())
                                    .map(|s| {
                                        view! {
                                            <p>"シークレット Secret: " <code id="totp-secret">{s.secret}</code></p>
                                            <p class="small">{s.uri}</p>
                                        }
                                    })
                            }}
                            <ActionForm action=confirm attr:id="totp-confirm">
                                <input type="hidden" name="csrf" value=csrf/>
                                <label>
                                    "確認コード Code" <input type="text" name="code" inputmode="numeric" required/>
                                </label>
                                <button type="submit">"有効にする Turn on"</button>
                            </ActionForm>
                            {error_of(confirm.value())}
                        }
                            .into_any()
                    }
                    _ => view! { <p>"ログインしてください / Please sign in."</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

use leptos::prelude::*;

use super::error_of;
use super::upload::use_nonce_string;
use crate::api::{BeginTotp, ConfirmTotp, RemovePasskey, my_passkeys};
use crate::app::MeResource;

/// The second factors: TOTP (the secret is shown once, and only a correct code from the
/// authenticator turns it on) and passkeys (added by `assets/passkey.js`; any number, each
/// removable). Either one lets the user past this page.
#[component]
pub fn Account() -> impl IntoView {
    let me = expect_context::<MeResource>();
    view! {
        <h1>"アカウント Account"</h1>
        <Totp me=me/>
        <Passkeys me=me/>
    }
}

#[component]
fn Totp(me: MeResource) -> impl IntoView {
    let begin = ServerAction::<BeginTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    view! {
        <h2>"確認コード Authenticator app (TOTP)"</h2>
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

/// The user's passkeys and the button that adds one (the browser asks for the fingerprint,
/// face or device PIN).
#[component]
fn Passkeys(me: MeResource) -> impl IntoView {
    let keys = Resource::new(|| (), |_| my_passkeys());
    let remove = ServerAction::<RemovePasskey>::new();
    let nonce = use_nonce_string();
    view! {
        <h2>"パスキー Passkeys"</h2>
        <p class="small">
            "指紋・顔認証・端末の PIN でサインインできます。Sign in with your fingerprint, face or device PIN instead of a code."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let (me, keys) = (me.await, keys.await);
                let Ok(Some(m)) = me else { return ().into_any() };
                let keys = keys.unwrap_or_default();
                let csrf = m.csrf.clone();
                view! {
                    <table id="passkeys">
                        <thead><tr><th>"名前 Name"</th><th>"登録 Added"</th><th>"最終使用 Last used"</th><th></th></tr></thead>
                        <tbody>
                            {keys.into_iter().map(|k| {
                                let csrf = csrf.clone();
                                view! {
                                    <tr>
                                        <td>{k.name}</td><td>{k.created_at}</td><td>{k.last_used_at}</td>
                                        <td>
                                            <ActionForm action=remove attr:class="inline">
                                                <input type="hidden" name="csrf" value=csrf/>
                                                <input type="hidden" name="id" value=k.id/>
                                                <button type="submit">"削除 Remove"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <label>"名前 Name " <input type="text" id="passkey-name" maxlength="60" placeholder="laptop"/></label>
                    <button type="button" id="passkey-add" data-csrf=m.csrf>"パスキーを追加 Add a passkey"</button>
                    <p id="passkey-status" role="status"></p>
                }
                    .into_any()
            })}
        </Suspense>
        {error_of(remove.value())}
        <script type="module" src="/assets/passkey.js" nonce=nonce></script>
    }
}

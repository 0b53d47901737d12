use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::error_of;
use super::upload::use_nonce_string;
use crate::api::{CompleteSetup, Login as LoginFn};

/// E-mail, password and the authenticator code in one form, or e-mail, password and a passkey
/// (the button: `assets/passkey.js`); failures say nothing about which part was wrong, and
/// repeated failures lock the account.
#[component]
pub fn Login() -> impl IntoView {
    let login = ServerAction::<LoginFn>::new();
    view! {
        <h1>"ログイン Sign in"</h1>
        <ActionForm action=login attr:id="login-form">
            <label>"メール E-mail" <input type="email" name="email" required autocomplete="username"/></label>
            <label>
                "パスワード Password"
                <input type="password" name="password" required autocomplete="current-password"/>
            </label>
            <label>
                "確認コード Authenticator code"
                <input type="text" name="totp" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code"/>
            </label>
            <button type="submit">"ログイン Sign in"</button>
            <button type="button" id="passkey-login">"パスキーでログイン Sign in with a passkey"</button>
        </ActionForm>
        <p id="passkey-status" role="status"></p>
        {error_of(login.value())}
        <script type="module" src="/assets/passkey.js" nonce=use_nonce_string()></script>
    }
}

/// The one-time setup link's page: the new user chooses a password.
#[component]
pub fn Setup() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let setup = ServerAction::<CompleteSetup>::new();
    view! {
        <h1>"初期設定 Set your password"</h1>
        <ActionForm action=setup attr:id="setup-form">
            <input type="hidden" name="token" value=token/>
            <label>
                "新しいパスワード (12文字以上) New password (12+ characters)"
                <input type="password" name="password" required minlength="12" autocomplete="new-password"/>
            </label>
            <button type="submit">"設定 Save"</button>
        </ActionForm>
        {error_of(setup.value())}
    }
}

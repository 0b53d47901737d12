use leptos::prelude::*;

use super::error_of;
use crate::api::{CreateOrg, CreateUser, SetRole, users};
use crate::app::signed_in;

const ROLES: [&str; 5] = ["uploader", "operator", "committee", "researcher", "admin"];

/// Organisations and users. New users get a one-time setup link (shown once) instead of a
/// password chosen by the admin; role changes are audited and end the user's sessions.
#[component]
pub fn Admin() -> impl IntoView {
    // Resources and actions are made before the sign-in check, never inside a suspended
    // closure: the server and the browser must create them in the same order to hydrate.
    let create_org = ServerAction::<CreateOrg>::new();
    let create_user = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetRole>::new();
    let data = Resource::new(
        move || (create_org.version().get(), create_user.version().get(), set_role.version().get()),
        |_| users(),
    );
    signed_in(&["admin"], move |me| {
        let csrf = me.csrf.clone();
        view! {
            <h1>"利用者管理 Users and organisations"</h1>
            <h2>"組織 Organisations"</h2>
            <ActionForm action=create_org attr:id="org-form">
                <input type="hidden" name="csrf" value=me.csrf.clone()/>
                <label>"名称 Name " <input type="text" name="name" required/></label>
                <select name="kind">
                    <option value="hospital">"病院 hospital"</option>
                    <option value="municipality">"自治体 municipality"</option>
                    <option value="creator">"作成事業者 creator"</option>
                </select>
                <button type="submit">"追加 Add"</button>
            </ActionForm>
            {error_of(create_org.value())}
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || {
                    let csrf = csrf.clone();
                    Suspend::new(async move {
                        let (users, orgs) = data.await.unwrap_or_default();
                        let csrf_user_form = csrf.clone();
                        view! {
                            <ul id="orgs">
                                {orgs.iter().map(|o| view! { <li>{format!("{} ({}, #{})", o.name, o.kind, o.id)}</li> }).collect_view()}
                            </ul>
                            <h2>"利用者 Users"</h2>
                            <ActionForm action=create_user attr:id="user-form">
                                <input type="hidden" name="csrf" value=csrf_user_form/>
                                <label>"メール E-mail " <input type="email" name="email" required/></label>
                                <select name="org_id">
                                    {orgs.iter().map(|o| view! { <option value=o.id>{o.name.clone()}</option> }).collect_view()}
                                </select>
                                <select name="role">
                                    {ROLES.iter().map(|r| view! { <option value=*r>{*r}</option> }).collect_view()}
                                </select>
                                <button type="submit">"作成 Create"</button>
                            </ActionForm>
                            {move || create_user.value().get().map(|r| match r {
                                Ok(link) => view! { <p>"初期設定リンク (一度だけ表示) One-time setup link: " <code id="setup-link">{link}</code></p> }.into_any(),
                                Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                            })}
                            <table id="users">
                                <thead><tr><th>"メール"</th><th>"組織"</th><th>"役割 Role"</th><th>"2FA"</th><th>"状態"</th></tr></thead>
                                <tbody>
                                    {users.into_iter().map(|u| {
                                        let csrf = csrf.clone();
                                        view! {
                                            <tr>
                                                <td>{u.email.clone()}</td>
                                                <td>{u.org.clone()}</td>
                                                <td>
                                                    <ActionForm action=set_role attr:class="inline">
                                                        <input type="hidden" name="csrf" value=csrf/>
                                                        <input type="hidden" name="user_id" value=u.id/>
                                                        <select name="role">
                                                            {ROLES.iter().map(|r| view! { <option value=*r selected=u.role == *r>{*r}</option> }).collect_view()}
                                                        </select>
                                                        <button type="submit">"変更 Change"</button>
                                                    </ActionForm>
                                                </td>
                                                <td>{second_factors(u.totp, u.passkeys)}</td>
                                                <td>{if u.disabled { "disabled" } else if u.locked { "locked" } else { "active" }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                    })
                }}
            </Suspense>
            {error_of(set_role.value())}
        }
    })
}

/// "TOTP", "2 passkeys", "TOTP + 1 passkey" or "none".
fn second_factors(totp: bool, passkeys: i64) -> String {
    let keys = match passkeys {
        0 => None,
        1 => Some("1 passkey".to_string()),
        n => Some(format!("{n} passkeys")),
    };
    match (totp, keys) {
        (true, Some(k)) => format!("TOTP + {k}"),
        (true, None) => "TOTP".into(),
        (false, Some(k)) => k,
        (false, None) => "none".into(),
    }
}

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{AuditVerify, audit_search};
use crate::app::signed_in;

/// The audit log: search by actor and action (GET form, so a search is a link), and verify
/// the whole hash chain on demand.
#[component]
pub fn Audit() -> impl IntoView {
    let query = use_query_map();
    let rows = Resource::new(
        move || {
            let q = query.read();
            (q.get("actor").filter(|s| !s.is_empty()), q.get("action").filter(|s| !s.is_empty()))
        },
        |(actor, action)| audit_search(actor, action),
    );
    let verify = ServerAction::<AuditVerify>::new();
    signed_in(&["admin"], move |me| {
        view! {
            <h1>"監査ログ Audit log"</h1>
            <ActionForm action=verify attr:id="verify-form">
                <input type="hidden" name="csrf" value=me.csrf.clone()/>
                <button type="submit">"改ざん検査 Verify chain"</button>
            </ActionForm>
            {move || verify.value().get().map(|r| match r {
                Ok(s) => view! { <p id="verify-result" class="ok">{s}</p> }.into_any(),
                Err(e) => view! { <p id="verify-result" class="error">{e.to_string()}</p> }.into_any(),
            })}
            <form method="get" action="/audit" id="audit-search">
                <label>"実行者 Actor " <input type="text" name="actor"/></label>
                <label>"操作 Action (例 login.) " <input type="text" name="action"/></label>
                <button type="submit">"検索 Search"</button>
            </form>
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || Suspend::new(async move {
                    let rows = rows.await.unwrap_or_default();
                    view! {
                        <table id="audit">
                            <thead><tr><th>"#"</th><th>"日時"</th><th>"実行者"</th><th>"操作"</th><th>"対象"</th><th>"詳細"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td>{r.seq}</td><td>{r.at}</td><td>{r.actor}</td>
                                        <td>{r.action}</td><td>{r.target}</td><td><code>{r.detail}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            </Suspense>
        }
    })
}

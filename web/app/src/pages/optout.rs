use leptos::prelude::*;

use super::upload::use_nonce_string;
use crate::api::{AdvanceDeletion, RemoveOptout, deletion_requests, optouts};
use crate::app::signed_in;

/// The hospital's opt-out registry (丁寧なオプトアウト) and deletion requests.
///
/// The registry holds keyed pseudonyms, never local patient IDs: the ID typed here is turned
/// into its pseudonym in this browser with the imported project key (`assets/optout.js`); the
/// ID field has no `name`, so the form cannot send it. The same pseudonym is what DICOM and
/// records carry, so exclusion before processing and deletion at the creator both work.
#[component]
pub fn OptOut() -> impl IntoView {
    let list = Resource::new(|| (), |_| optouts());
    let requests = Resource::new(|| (), |_| deletion_requests());
    let remove = ServerAction::<RemoveOptout>::new();
    signed_in(&["uploader"], move |me| {
        let nonce = use_nonce_string();
        let csrf = me.csrf.clone();
        view! {
            <meta name="csrf-token" content=me.csrf.clone()/>
            <div id="optout-app" data-org=me.org_name.clone()></div>
            <h1>"オプトアウト Opt-out registry"</h1>
            <p class="small">
                "患者IDはこのブラウザで鍵付き仮名に変換され、仮名だけが保存されます。The patient ID is turned into its keyed pseudonym in this browser; only the pseudonym is stored."
            </p>
            <form id="optout-form" method="post" action="/api/add_optout">
                <input type="hidden" name="csrf" value=me.csrf.clone()/>
                <input type="hidden" name="pseudonym" id="optout-pseudonym"/>
                <label>"患者ID Local patient ID " <input type="text" id="optout-local-id" required/></label>
                <button type="submit">"登録 Add"</button>
                <p id="optout-error" class="error"></p>
            </form>
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || {
                    let csrf = csrf.clone();
                    Suspend::new(async move {
                        let rows = list.await.unwrap_or_default();
                        view! {
                            <p id="optout-count">{format!("{} 名 registered", rows.len())}</p>
                            <table id="optout-table">
                                <thead><tr><th>"仮名 Pseudonym"</th><th>"登録日 Added"</th><th></th></tr></thead>
                                <tbody>
                                    {rows
                                        .into_iter()
                                        .map(|r| {
                                            let csrf = csrf.clone();
                                            view! {
                                                <tr>
                                                    <td><code>{r.pseudonym.clone()}</code></td>
                                                    <td>{r.added_at}</td>
                                                    <td>
                                                        <ActionForm action=remove attr:class="inline">
                                                            <input type="hidden" name="csrf" value=csrf/>
                                                            <input type="hidden" name="pseudonym" value=r.pseudonym/>
                                                            <button type="submit">"解除 Remove"</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                    })
                }}
            </Suspense>
            <h2>"削除依頼 Deletion of data already provided"</h2>
            <form id="deletion-form" method="post" action="/api/request_deletion">
                <input type="hidden" name="csrf" value=me.csrf.clone()/>
                <input type="hidden" name="subject" id="deletion-subject"/>
                <label>"患者ID Local patient ID " <input type="text" id="deletion-local-id" required/></label>
                <label>"パッケージ Package SHA-256 (任意 optional) " <input type="text" name="package"/></label>
                <label>"理由 Reason " <input type="text" name="reason" required/></label>
                <button type="submit">"依頼 Request deletion"</button>
            </form>
            <DeletionTable requests=requests operator=false csrf=me.csrf.clone()/>
            <script type="module" src="/assets/optout.js" nonce=nonce></script>
        }
    })
}

/// Deletion requests; the creator's operator moves them on (requested → acknowledged → done).
#[component]
pub fn DeletionTable(
    requests: Resource<Result<Vec<crate::api::DeletionRow>, ServerFnError>>,
    operator: bool,
    csrf: String,
) -> impl IntoView {
    let advance = ServerAction::<AdvanceDeletion>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let csrf = csrf.clone();
                Suspend::new(async move {
                    let rows = requests.await.unwrap_or_default();
                    view! {
                        <table id="deletion-table">
                            <thead>
                                <tr>
                                    <th>"#"</th><th>"日時 When"</th><th>"対象 Subject"</th>
                                    <th>"パッケージ Package"</th><th>"理由 Reason"</th><th>"状態 Status"</th><th></th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows
                                    .into_iter()
                                    .map(|r| {
                                        let can_advance = operator && r.status != "done";
                                        let csrf = csrf.clone();
                                        let id = r.id;
                                        view! {
                                            <tr>
                                                <td>{r.id}</td>
                                                <td>{r.created_at}</td>
                                                <td><code>{r.subject}</code></td>
                                                <td><code>{r.package}</code></td>
                                                <td>{r.reason}</td>
                                                <td class="status">{r.status}</td>
                                                <td>
                                                    {can_advance.then(move || view! {
                                                        <ActionForm action=advance attr:class="inline">
                                                            <input type="hidden" name="csrf" value=csrf/>
                                                            <input type="hidden" name="id" value=id/>
                                                            <button type="submit">"次へ Advance"</button>
                                                        </ActionForm>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })
            }}
        </Suspense>
    }
}

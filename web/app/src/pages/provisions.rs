use leptos::prelude::*;

use crate::api::provisions;
use crate::app::signed_in;

/// Records of provision (提供記録): every package received, with its counts and hash.
/// Hospitals see their own; the creator's operator and the admin see all.
#[component]
pub fn Provisions() -> impl IntoView {
    let rows = Resource::new(|| (), |_| provisions());
    signed_in(&["uploader", "operator", "admin"], move |_me| {
        view! {
            <h1>"提供記録 Records of provision"</h1>
            <p>
                <a href="/api/provisions.csv" download>"CSV"</a>
                " · "
                <a href="/api/provisions.json" download>"JSON"</a>
            </p>
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) => {
                            view! {
                                <table id="provisions">
                                    <thead>
                                        <tr>
                                            <th>"#"</th><th>"提供日時 Provided"</th><th>"項目 Items"</th>
                                            <th>"ファイル Files"</th><th>"オプトアウト除外 Opt-out"</th>
                                            <th>"保留 Quarantined"</th><th>"SHA-256"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|r| {
                                                view! {
                                                    <tr>
                                                        <td>{r.id}</td>
                                                        <td>{r.provided_at}</td>
                                                        <td>{r.items}</td>
                                                        <td>{r.files}</td>
                                                        <td>{r.excluded_opt_out}</td>
                                                        <td>{r.quarantined}</td>
                                                        <td><code>{r.sha256}</code></td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        }
    })
}

use leptos::prelude::*;

use super::error_of;
use crate::api::{OrgPolicyRow, SetOrgPolicy, org_policies};
use crate::app::signed_in;

const PRESETS: [(&str, &str); 3] = [
    ("jp-pseudonymized", "仮名加工 jp-pseudonymized"),
    ("jp-anonymized", "匿名加工 jp-anonymized"),
    ("basic", "PS3.15 basic (notes: redact all)"),
];

/// Each organisation's de-identification policy, which its hospital's browser applies before
/// anything is uploaded: the DICOM preset (notes follow it) and the records policy for tables,
/// FHIR and HL7 (JSON, docs/records.md). The server checks both with the SDK's parsers and
/// refuses what the browser would refuse; every change is audited.
#[component]
pub fn Policy() -> impl IntoView {
    let save = ServerAction::<SetOrgPolicy>::new();
    let rows = Resource::new(move || save.version().get(), |_| org_policies());
    signed_in(&["admin"], move |me| {
        let csrf = me.csrf.clone();
        view! {
            <h1>"加工方針 Organisation policies"</h1>
            <p class="small">
                "病院のブラウザはアップロード前にこの方針で加工します。The hospital's browser applies this \
                 policy before upload. Records policy: JSON as in docs/records.md (columns → roles); empty \
                 for the defaults, which remove unmapped columns that look like identifiers."
            </p>
            {error_of(save.value())}
            {move || {
                save.value().get().and_then(|r| r.ok()).map(|_| view! { <p id="policy-saved">"保存しました。Saved."</p> })
            }}
            <Suspense fallback=|| view! { <p>"…"</p> }>
                {move || {
                    let csrf = csrf.clone();
                    Suspend::new(async move {
                        let rows = rows.await.unwrap_or_default();
                        rows.into_iter().map(|row| policy_form(save, csrf.clone(), row)).collect_view()
                    })
                }}
            </Suspense>
        }
    })
}

fn policy_form(save: ServerAction<SetOrgPolicy>, csrf: String, row: OrgPolicyRow) -> impl IntoView {
    let preset = row.preset.clone();
    view! {
        <section class="policy" data-org=row.org_name.clone()>
            <h2>{format!("{} ({})", row.org_name, row.org_kind)}</h2>
            <ActionForm action=save attr:class="policy-form">
                <input type="hidden" name="csrf" value=csrf/>
                <input type="hidden" name="org_id" value=row.org_id/>
                <label>
                    "DICOM・テキスト DICOM and notes "
                    <select name="preset">
                        {PRESETS
                            .iter()
                            .map(|(value, label)| view! { <option value=*value selected=preset == *value>{*label}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "表・FHIR・HL7 の方針 Records policy (JSON)"
                    <textarea name="records" rows="8" cols="80" spellcheck="false">{row.records}</textarea>
                </label>
                <button type="submit">"保存 Save"</button>
            </ActionForm>
        </section>
    }
}

use leptos::prelude::*;

use crate::app::signed_in;

/// The written notice to patients (書面通知) a hospital must give before providing data under
/// the Act's opt-out scheme: purpose, items provided, method, how to stop, and whom to contact.
/// Printed from the browser; the organisation's name is filled in.
#[component]
pub fn Notice() -> impl IntoView {
    signed_in(&["uploader", "admin"], |me| {
        let print = move |_| {
            let _ = window().print();
        };
        view! {
            <article class="notice" id="notice">
                <h1>"医療情報の提供に関するお知らせ"</h1>
                <p>{format!("{}は、次世代医療基盤法に基づき、皆様の医療情報を認定作成事業者に提供します。", me.org_name)}</p>
                <h2>"1. 利用目的"</h2>
                <p>"医療分野の研究開発に資するため、匿名加工医療情報及び仮名加工医療情報の作成に用いられます。"</p>
                <h2>"2. 提供する医療情報の項目"</h2>
                <ul>
                    <li>"診療録等の記載事項（病名、処方、検査結果等）"</li>
                    <li>"医用画像（DICOM）。顔の形状は加工されます。"</li>
                    <li>"生年月日、性別（氏名、住所の詳細、各種番号は提供前に削除又は置換されます）"</li>
                </ul>
                <h2>"3. 提供の方法"</h2>
                <p>"当院内のブラウザで仮名加工した上で、暗号化された通信により認定作成事業者に送信します。"</p>
                <h2>"4. 提供の停止（オプトアウト）"</h2>
                <p>"ご本人又はご家族の求めにより、いつでも提供を停止します。停止の求めがあった方の情報は提供しません。既に提供した情報の削除も依頼できます。"</p>
                <h2>"5. お問い合わせ先"</h2>
                <p>{format!("{}　医療情報提供窓口", me.org_name)}</p>
                <hr/>
                <p class="small">
                    "Notice to patients under the Next-Generation Medical Infrastructure Act: purpose, items provided, method, how to stop provision, contact."
                </p>
            </article>
            <button type="button" id="print" on:click=print>"印刷 Print"</button>
        }
    })
}

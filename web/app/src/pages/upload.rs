use leptos::prelude::*;

use crate::app::signed_in;

/// The hospital's upload: keys, picking, de-identification in a Web Worker, preview, upload.
/// The interactive part is `assets/upload.js`, which drives the SDK's npm package the way an
/// EHR vendor would; this component renders the page and hands it the organisation's policy
/// (set by the creator's admin on the policy page).
#[component]
pub fn Upload() -> impl IntoView {
    signed_in(&["uploader"], |me| {
        let policy = me.policy.clone();
        let nonce = use_nonce_string();
        view! {
            <meta name="csrf-token" content=me.csrf.clone()/>
            <h1>"データ提供 Upload"</h1>
            <div id="upload-app" data-org=me.org_name.clone() data-org-id=me.org_id data-policy=policy>
                <section>
                    <h2>"1. 鍵 Keys"</h2>
                    <p class="small">
                        "鍵はこのブラウザにだけ保存され、送信されません。Keys stay in this browser; they are never sent."
                    </p>
                    <p id="key-status">"…"</p>
                    <label>"プロジェクト鍵 Project key " <input type="file" id="project-key-file"/></label>
                    <p id="linkage-key-status"></p>
                    <label>"名寄せ鍵 Linkage key " <input type="file" id="linkage-key-file"/></label>
                    <button type="button" id="forget-keys">"鍵を削除 Forget keys"</button>
                    <p id="key-error" class="error"></p>
                </section>
                <section>
                    <h2>"2. ファイル選択 Pick files"</h2>
                    <label>"フォルダ Folder " <input type="file" id="pick-folder" webkitdirectory multiple/></label>
                    <label>"ファイル Files " <input type="file" id="pick-files" multiple/></label>
                    <p id="picked"></p>
                </section>
                <section>
                    <h2>"3. 加工とプレビュー De-identify and preview"</h2>
                    <button type="button" id="process" disabled>"加工 De-identify"</button>
                    <progress id="process-progress" value="0" max="1"></progress>
                    <span id="process-text"></span>
                    <p id="process-error" class="error"></p>
                    <p id="summary"></p>
                    <div id="samples" class="samples"></div>
                    <table class="outcomes">
                        <thead>
                            <tr>
                                <th>"ファイル File"</th>
                                <th>"種類 Kind"</th>
                                <th>"結果 Status"</th>
                                <th>"理由 Reason"</th>
                                <th>"置換 Replaced"</th>
                            </tr>
                        </thead>
                        <tbody id="outcomes"></tbody>
                    </table>
                </section>
                <section>
                    <h2>"4. 送信 Upload"</h2>
                    <div id="resume" class="warn" hidden>
                        <span id="resume-text"></span>
                        <button type="button" id="resume-upload">"再開 Resume upload"</button>
                        <button type="button" id="discard-package">"破棄 Discard"</button>
                    </div>
                    <button type="button" id="upload" disabled>"送信 Upload package"</button>
                    <progress id="upload-progress" value="0" max="1"></progress>
                    <span id="upload-text"></span>
                    <p id="upload-error" class="error"></p>
                    <a id="provision-link" hidden>"提供記録を見る See the provision record"</a>
                </section>
            </div>
            <script type="module" src="/assets/upload.js" nonce=nonce></script>
        }
    })
}

/// The page's CSP nonce (empty in the browser build, where the script is already in place).
pub fn use_nonce_string() -> String {
    leptos::nonce::use_nonce().map(|n| n.to_string()).unwrap_or_default()
}

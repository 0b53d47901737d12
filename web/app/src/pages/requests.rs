use leptos::prelude::*;

use super::optout::DeletionTable;
use crate::api::deletion_requests;
use crate::app::signed_in;

/// The creator's operator: deletion requests from every hospital, moved on as they are done.
#[component]
pub fn Requests() -> impl IntoView {
    let requests = Resource::new(|| (), |_| deletion_requests());
    signed_in(&["operator"], move |me| {
        view! {
            <h1>"削除依頼 Deletion requests"</h1>
            <DeletionTable requests=requests operator=true csrf=me.csrf/>
        }
    })
}

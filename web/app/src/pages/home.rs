use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::{MeResource, nav_links};

/// The start page: what Kakou does, and the signed-in user's next steps.
#[component]
pub fn Home() -> impl IntoView {
    let me = expect_context::<MeResource>();
    view! {
        <h1>"Kakou 加工"</h1>
        <p>
            "次世代医療基盤法に基づく医療情報の提供・加工。病院のデータは、このブラウザの中で仮名加工されてから送信されます。"
        </p>
        <p>"Provision of medical data under the Next-Generation Medical Infrastructure Act. Hospital data is de-identified inside this browser before it is sent."</p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(m)) => {
                        let links = nav_links(&m.role);
                        view! {
                            <ul class="cards">
                                {links
                                    .into_iter()
                                    .map(|(href, label)| view! { <li><A href=href>{label}</A></li> })
                                    .collect_view()}
                                <li><A href="/account">"アカウント Account"</A></li>
                            </ul>
                        }
                            .into_any()
                    }
                    _ => view! { <p><A href="/login">"ログイン Sign in"</A></p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

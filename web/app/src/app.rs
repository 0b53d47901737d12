//! The page shell, the router and the layout every page shares.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::api::{Logout, Me, current_user};
use crate::pages;

/// The HTML document around every page (rendered on the server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security::provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="ja">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The signed-in user (or none), loaded once per page and shared through context.
pub type MeResource = Resource<Result<Option<Me>, ServerFnError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="kakou" href="/assets/kakou.css"/>
        <Title text="Kakou 加工"/>
        <Router>
            <Body/>
        </Router>
    }
}

/// Everything inside the router. The signed-in user is fetched again on every navigation, so
/// signing in or out (a server-side redirect) is reflected at once.
#[component]
fn Body() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let me: MeResource = Resource::new(move || location.pathname.get(), |_| current_user());
    provide_context(me);
    view! {
            <Header/>
            <main>
                <Routes fallback=|| view! { <p>"ページが見つかりません / Page not found."</p> }>
                    <Route path=path!("/") view=pages::home::Home/>
                    <Route path=path!("/login") view=pages::login::Login/>
                    <Route path=path!("/setup") view=pages::login::Setup/>
                    <Route path=path!("/account") view=pages::account::Account/>
                    <Route path=path!("/upload") view=pages::upload::Upload/>
                    <Route path=path!("/optout") view=pages::optout::OptOut/>
                    <Route path=path!("/notice") view=pages::notice::Notice/>
                    <Route path=path!("/provisions") view=pages::provisions::Provisions/>
                    <Route path=path!("/requests") view=pages::requests::Requests/>
                    <Route path=path!("/admin") view=pages::admin::Admin/>
                    <Route path=path!("/policy") view=pages::policy::Policy/>
                    <Route path=path!("/audit") view=pages::audit::Audit/>
                </Routes>
            </main>
    }
}

/// The navigation for the signed-in user's role.
#[component]
fn Header() -> impl IntoView {
    let me = expect_context::<MeResource>();
    let logout = ServerAction::<Logout>::new();
    view! {
        <header>
            <A href="/" attr:class="brand">"Kakou 加工"</A>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(m)) => {
                            let links = nav_links(&m.role);
                            view! {
                                <nav>
                                    {links
                                        .into_iter()
                                        .map(|(href, label)| view! { <A href=href>{label}</A> })
                                        .collect_view()}
                                </nav>
                                <span class="who">{format!("{} · {} ({})", m.email, m.org_name, m.role)}</span>
                                <ActionForm action=logout attr:class="inline">
                                    <input type="hidden" name="csrf" value=m.csrf.clone()/>
                                    <button type="submit">"ログアウト Sign out"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        _ => view! { <A href="/login">"ログイン Sign in"</A> }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

/// The pages each role works with.
pub fn nav_links(role: &str) -> Vec<(&'static str, &'static str)> {
    match role {
        "uploader" => vec![
            ("/upload", "提供 Upload"),
            ("/optout", "オプトアウト Opt-out"),
            ("/provisions", "提供記録 Provisions"),
            ("/notice", "通知文 Notice"),
        ],
        "operator" => vec![("/provisions", "提供記録 Provisions"), ("/requests", "削除依頼 Deletion requests")],
        "admin" => {
            vec![
                ("/admin", "利用者 Users"),
                ("/policy", "加工方針 Policies"),
                ("/audit", "監査ログ Audit log"),
                ("/provisions", "提供記録 Provisions"),
            ]
        }
        _ => vec![],
    }
}

/// Renders `page` for a signed-in user whose role is in `roles`, a sign-in link otherwise.
pub fn signed_in<V: IntoView + 'static>(
    roles: &'static [&'static str],
    page: impl Fn(Me) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let me = expect_context::<MeResource>();
    view! {
        <Suspense fallback=|| view! { <p>"…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match me.await {
                        Ok(Some(m)) if !m.has_second_factor() => {
                            view! {
                                <p class="warn">
                                    "二要素認証を設定してください。Set up two-factor sign-in first: "
                                    <A href="/account">"account"</A>
                                </p>
                            }
                                .into_any()
                        }
                        Ok(Some(m)) if roles.contains(&m.role.as_str()) => page(m).into_any(),
                        Ok(Some(m)) => {
                            view! { <p class="error">{format!("この画面は利用できません ({}).", m.role)}</p> }
                                .into_any()
                        }
                        _ => view! { <p><A href="/login">"ログインしてください / Please sign in."</A></p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

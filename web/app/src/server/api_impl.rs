//! The bodies of the server functions declared in [`crate::api`]. Each checks who is asking
//! (and, when it changes something, the CSRF token) before it touches the store; the store
//! checks roles and organisations again, so a missed check here cannot leak across hospitals.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{StatusCode, header};
use kakou_store::{AuditQuery, AuthError, LoginRequest, NewUser, OrgKind, Role, format_ms};
use leptos::prelude::*;

use super::session::{answer, authorize, cookie, current, fail, reader, refuse, request_headers, state};
use crate::api::*;

pub async fn me() -> Result<Option<Me>, ServerFnError> {
    let Some((session, _)) = current().await? else { return Ok(None) };
    let state = state()?;
    let org = state.store.org(session.user.org_id).await.map_err(fail)?;
    Ok(Some(Me {
        email: session.user.email.clone(),
        role: session.user.role.to_string(),
        org_id: org.id,
        org_name: org.name,
        org_kind: org.kind.to_string(),
        csrf: session.csrf_token.clone(),
        totp_enabled: session.user.totp_enabled,
        passkeys: session.user.passkeys,
        policy: serde_json::to_string(&state.store.org_policy(org.id).await.map_err(fail)?)?,
    }))
}

fn client_ip() -> IpAddr {
    use_context::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn set_session_cookie(token: Option<&str>) -> Result<(), ServerFnError> {
    let state = state()?;
    let max_age = state.store.config().sessions.absolute_ms / 1000;
    if let (Some(response), Some(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), cookie(token, state.secure_cookies, max_age))
    {
        response.append_header(header::SET_COOKIE, value);
    }
    Ok(())
}

pub async fn login(email: String, password: String, totp: Option<String>) -> Result<(), ServerFnError> {
    let state = state()?;
    let ip = client_ip();
    if let Err(wait) = state.limiter.check(ip, &email) {
        let message = format!("試行が多すぎます。Too many attempts: wait {} s", wait.as_secs() + 1);
        return Err(answer(StatusCode::TOO_MANY_REQUESTS, &message));
    }
    let request = LoginRequest {
        email: email.trim().to_string(),
        password,
        totp: totp.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
        ip: Some(ip.to_string()),
    };
    match state.store.login(&request).await {
        Ok(new) => {
            set_session_cookie(Some(&new.token))?;
            leptos_axum::redirect(if new.session.user.has_second_factor() { "/" } else { "/account" });
            Ok(())
        }
        Err(AuthError::Locked { until_ms }) => Err(answer(
            StatusCode::FORBIDDEN,
            &format!(
                "アカウントはロックされています。Account locked until {} (repeated failures).",
                format_ms(until_ms)
            ),
        )),
        Err(AuthError::TotpRequired) => Err(answer(
            StatusCode::UNAUTHORIZED,
            "確認コードを入力してください。Enter the code from your authenticator.",
        )),
        Err(AuthError::PasskeyRequired) => Err(answer(
            StatusCode::UNAUTHORIZED,
            "パスキーでサインインしてください。Sign in with your passkey (button below).",
        )),
        Err(AuthError::InvalidCredentials) => Err(answer(
            StatusCode::UNAUTHORIZED,
            "メール、パスワード又はコードが違います。Wrong e-mail, password or code.",
        )),
        Err(AuthError::Store(e)) => Err(fail(e)),
    }
}

pub async fn logout(csrf: String) -> Result<(), ServerFnError> {
    let (_, _) = authorize(&csrf).await?;
    if let Some((_, token)) = current().await? {
        state()?.store.logout(&token).await.map_err(fail)?;
    }
    set_session_cookie(None)?;
    leptos_axum::redirect("/login");
    Ok(())
}

pub async fn complete_setup(token: String, password: String) -> Result<(), ServerFnError> {
    state()?.store.complete_setup(&token, &password).await.map_err(fail)?;
    leptos_axum::redirect("/login");
    Ok(())
}

pub async fn begin_totp(csrf: String) -> Result<TotpSetup, ServerFnError> {
    let (session, _) = authorize(&csrf).await?;
    if session.user.totp_enabled {
        return Err(answer(StatusCode::CONFLICT, "two-factor sign-in is already on"));
    }
    let e = state()?.store.begin_totp_enrolment(session.user.id).await.map_err(fail)?;
    Ok(TotpSetup { secret: e.secret_base32, uri: e.otpauth_uri })
}

pub async fn confirm_totp(csrf: String, code: String) -> Result<(), ServerFnError> {
    let (session, _) = authorize(&csrf).await?;
    state()?.store.confirm_totp_enrolment(session.user.id, code.trim()).await.map_err(fail)?;
    leptos_axum::redirect("/");
    Ok(())
}

pub async fn org_policies() -> Result<Vec<OrgPolicyRow>, ServerFnError> {
    let (_, actor) = reader().await?;
    actor.require(Role::Admin).map_err(fail)?;
    let store = state()?.store;
    let mut rows = Vec::new();
    for org in store.list_orgs().await.map_err(fail)? {
        let policy = store.org_policy(org.id).await.map_err(fail)?;
        let records = match &policy.records_policy {
            Some(p) => serde_json::to_string_pretty(p)?,
            None => String::new(),
        };
        rows.push(OrgPolicyRow {
            org_id: org.id,
            org_name: org.name,
            org_kind: org.kind.to_string(),
            preset: policy.preset,
            records,
        });
    }
    Ok(rows)
}

pub async fn set_org_policy(csrf: String, org_id: i64, preset: String, records: String) -> Result<(), ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    let policy = kakou_store::policy::OrgPolicy::from_form(&preset, &records).map_err(fail)?;
    state()?.store.set_org_policy(&actor, org_id, &policy).await.map_err(fail)
}

pub async fn my_passkeys() -> Result<Vec<PasskeyRow>, ServerFnError> {
    let Some((session, _)) = current().await? else { return Err(refuse("sign-in required")) };
    let keys = state()?.store.list_passkeys(session.user.id).await.map_err(fail)?;
    Ok(keys
        .into_iter()
        .map(|k| PasskeyRow {
            id: k.id,
            name: k.name,
            created_at: format_ms(k.created_at),
            last_used_at: k.last_used_at.map(format_ms).unwrap_or_default(),
        })
        .collect())
}

pub async fn remove_passkey(csrf: String, id: i64) -> Result<(), ServerFnError> {
    let (session, actor) = authorize(&csrf).await?;
    state()?.store.remove_passkey(&actor, session.user.id, id).await.map_err(fail)?;
    leptos_axum::redirect("/account");
    Ok(())
}

/// Viewing data is a security-relevant action too: every list of provisions, opt-outs and
/// deletion requests shown is audited with how many rows it showed.
async fn audit_view(actor: &kakou_store::Actor, what: &str, rows: usize) -> Result<(), ServerFnError> {
    let detail = serde_json::json!({ "rows": rows });
    state()?.store.audit_as(actor, &format!("{what}.view"), what, detail).await.map_err(fail)
}

pub async fn provisions() -> Result<Vec<ProvisionRow>, ServerFnError> {
    let (_, actor) = reader().await?;
    let rows = state()?.store.list_provisions(&actor).await.map_err(fail)?;
    audit_view(&actor, "provisions", rows.len()).await?;
    Ok(rows
        .into_iter()
        .map(|p| ProvisionRow {
            id: p.id,
            provided_at: format_ms(p.provided_at),
            items: p.items.join(", "),
            files: p.files,
            excluded_opt_out: p.excluded_opt_out,
            quarantined: p.quarantined,
            sha256: p.sha256,
        })
        .collect())
}

pub async fn optouts() -> Result<Vec<OptOutRow>, ServerFnError> {
    let (_, actor) = reader().await?;
    let rows = state()?.store.list_optouts(&actor).await.map_err(fail)?;
    audit_view(&actor, "optouts", rows.len()).await?;
    Ok(rows.into_iter().map(|o| OptOutRow { pseudonym: o.patient_id, added_at: format_ms(o.added_at) }).collect())
}

/// Only keyed pseudonyms are accepted: a local patient ID must never reach the server.
fn check_pseudonym(p: &str) -> Result<&str, ServerFnError> {
    let p = p.trim();
    let ok = p.len() == 16 && p.starts_with("KK") && p[2..].chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(p)
    } else {
        Err(answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a Kakou patient pseudonym (KK + 14 characters); IDs are converted in the browser",
        ))
    }
}

pub async fn add_optout(csrf: String, pseudonym: String) -> Result<(), ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    state()?.store.add_optout(&actor, check_pseudonym(&pseudonym)?).await.map_err(fail)?;
    leptos_axum::redirect("/optout");
    Ok(())
}

pub async fn remove_optout(csrf: String, pseudonym: String) -> Result<(), ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    state()?.store.remove_optout(&actor, check_pseudonym(&pseudonym)?).await.map_err(fail)?;
    leptos_axum::redirect("/optout");
    Ok(())
}

pub async fn deletion_requests() -> Result<Vec<DeletionRow>, ServerFnError> {
    let (_, actor) = reader().await?;
    let rows = state()?.store.list_deletion_requests(&actor).await.map_err(fail)?;
    audit_view(&actor, "deletion-requests", rows.len()).await?;
    Ok(rows
        .into_iter()
        .map(|r| DeletionRow {
            id: r.id,
            org_id: r.org_id,
            created_at: format_ms(r.created_at),
            subject: r.subject_ref,
            package: r.package_sha256.unwrap_or_default(),
            reason: r.reason,
            status: r.status.to_string(),
        })
        .collect())
}

pub async fn request_deletion(
    csrf: String,
    subject: String,
    package: Option<String>,
    reason: String,
) -> Result<(), ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    let package = package.map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty());
    state()?
        .store
        .create_deletion_request(&actor, check_pseudonym(&subject)?, package.as_deref(), &reason)
        .await
        .map_err(fail)?;
    leptos_axum::redirect("/optout");
    Ok(())
}

pub async fn advance_deletion(csrf: String, id: i64) -> Result<(), ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    let store = &state()?.store;
    let current = store.list_deletion_requests(&actor).await.map_err(fail)?;
    let Some(next) = current.iter().find(|r| r.id == id).and_then(|r| r.status.next()) else {
        return Err(answer(StatusCode::CONFLICT, &format!("deletion request {id}: nothing left to do")));
    };
    store.advance_deletion_request(&actor, id, next).await.map_err(fail)?;
    leptos_axum::redirect("/requests");
    Ok(())
}

pub async fn users() -> Result<(Vec<UserRow>, Vec<OrgRow>), ServerFnError> {
    let (_, actor) = reader().await?;
    if actor.role != Role::Admin {
        return Err(refuse("admin only"));
    }
    let store = &state()?.store;
    let orgs = store.list_orgs().await.map_err(fail)?;
    let now = store.now_ms();
    let users = store.list_users(&actor, None).await.map_err(fail)?;
    let org_name = |id: i64| orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default();
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            email: u.email.clone(),
            org: org_name(u.org_id),
            role: u.role.to_string(),
            disabled: u.disabled,
            totp: u.totp_enabled,
            passkeys: u.passkeys,
            locked: u.locked_until.is_some_and(|t| t > now),
        })
        .collect();
    let orgs = orgs.iter().map(|o| OrgRow { id: o.id, name: o.name.clone(), kind: o.kind.to_string() }).collect();
    Ok((rows, orgs))
}

pub async fn create_org(csrf: String, name: String, kind: String) -> Result<(), ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    let kind: OrgKind = kind.parse().map_err(fail)?;
    state()?.store.create_org(&actor, name.trim(), kind).await.map_err(fail)?;
    Ok(())
}

pub async fn create_user(csrf: String, email: String, org_id: i64, role: String) -> Result<String, ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    let role: Role = role.parse().map_err(fail)?;
    let store = &state()?.store;
    let user = store
        .create_user(&actor, NewUser { email: email.trim().to_string(), org_id, role, password: None })
        .await
        .map_err(fail)?;
    let token = store.issue_setup_token(&actor, user.id).await.map_err(fail)?;
    Ok(format!("{}/setup?token={token}", base_url()))
}

/// This site's URL as the browser reached it (for links shown to an admin).
fn base_url() -> String {
    let headers = request_headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if state().map(|s| s.secure_cookies).unwrap_or(false) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

pub async fn set_role(csrf: String, user_id: i64, role: String) -> Result<(), ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    let role: Role = role.parse().map_err(fail)?;
    let store = &state()?.store;
    store.set_user_role(&actor, user_id, role).await.map_err(fail)?;
    store.revoke_user_sessions(user_id).await.map_err(fail)?;
    Ok(())
}

pub async fn audit_search(
    actor_filter: Option<String>,
    action: Option<String>,
) -> Result<Vec<AuditRow>, ServerFnError> {
    let (_, actor) = reader().await?;
    let query = AuditQuery { actor: actor_filter, action, limit: Some(200), ..AuditQuery::default() };
    let rows = state()?.store.audit_search(&actor, &query).await.map_err(fail)?;
    Ok(rows
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: format_ms(e.at),
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e.detail,
        })
        .collect())
}

pub async fn audit_verify(csrf: String) -> Result<String, ServerFnError> {
    let (_, actor) = authorize(&csrf).await?;
    if actor.role != Role::Admin {
        return Err(refuse("admin only"));
    }
    match state()?.store.verify_chain().await {
        Ok(n) => Ok(format!("改ざんなし: {n} entries verified")),
        Err(kakou_store::ChainError::Broken { seq, problem }) => {
            Err(ServerFnError::new(format!("監査ログの改ざんを検出 / chain BROKEN at seq {seq}: {problem}")))
        }
        Err(kakou_store::ChainError::Store(e)) => Err(fail(e)),
    }
}

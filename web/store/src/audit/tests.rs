use super::*;
use crate::testutil::{T0, each_store};

fn event(i: usize) -> AuditEvent {
    AuditEvent {
        actor: format!("user{}@example.org", i % 3),
        org_id: Some((i % 2) as i64 + 1),
        action: if i.is_multiple_of(2) { "login.success".into() } else { "package.upload".into() },
        target: format!("thing:{i}"),
        detail: serde_json::json!({"i": i, "note": "日本語"}),
    }
}

async fn append_n(store: &Store, n: usize) {
    for i in 0..n {
        store.append_audit(event(i)).await.unwrap();
    }
}

#[tokio::test]
async fn a_fresh_chain_verifies_and_links_each_entry_to_the_previous() {
    for store in each_store().await {
        append_n(&store, 5).await;
        assert_eq!(store.verify_chain().await.unwrap(), 5);
        let all = store.audit_search(&Actor::system("t"), &AuditQuery::default()).await.unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[4].prev_hash, GENESIS);
        assert_eq!(all[0].prev_hash, all[1].hash);
        assert_eq!(store.audit_head().await.unwrap().unwrap(), (5, all[0].hash.clone()));
    }
}

#[tokio::test]
async fn tampering_through_raw_sql_names_the_first_bad_seq() {
    for store in each_store().await {
        append_n(&store, 6).await;
        // an edited field
        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").execute(store.pool()).await.unwrap();
        let e = store.verify_chain().await.unwrap_err();
        assert!(matches!(e, ChainError::Broken { seq: 3, problem: ChainProblem::HashMismatch }), "{e}");
        assert!(e.to_string().contains("seq 3"), "{e}");

        // the edit with its hash recomputed: the next entry's link breaks
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM audit_log WHERE seq = 3"))
            .fetch_one(store.pool())
            .await
            .unwrap();
        let forged = entry_from_row(&row).unwrap().recomputed_hash();
        sqlx::query("UPDATE audit_log SET hash = $1 WHERE seq = 3").bind(forged).execute(store.pool()).await.unwrap();
        let e = store.verify_chain().await.unwrap_err();
        assert!(matches!(e, ChainError::Broken { seq: 4, problem: ChainProblem::BrokenLink }), "{e}");

        // a deleted entry
        sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(store.pool()).await.unwrap();
        let e = store.verify_chain().await.unwrap_err();
        assert!(matches!(e, ChainError::Broken { seq: 4, problem: ChainProblem::Gap { expected: 3 } }), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_never_fork_the_chain() {
    for store in each_store().await {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.append_audit(event(i)).await.unwrap().seq })
            })
            .collect();
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.unwrap());
        }
        seqs.sort();
        assert_eq!(seqs, (1..=200).collect::<Vec<i64>>());
        assert_eq!(store.verify_chain().await.unwrap(), 200);
    }
}

#[tokio::test]
async fn search_filters_by_actor_action_time_and_pages() {
    for store in each_store().await {
        let admin = Actor::system("t");
        for i in 0..10 {
            store.append_audit(event(i)).await.unwrap();
            store.config.clock.advance_ms(1000);
        }
        let q = |f: fn(&mut AuditQuery)| {
            let mut q = AuditQuery::default();
            f(&mut q);
            q
        };
        let by_actor = store.audit_search(&admin, &q(|q| q.actor = Some("user0@example.org".into()))).await.unwrap();
        assert_eq!(by_actor.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![10, 7, 4, 1]);
        let prefix = store.audit_search(&admin, &q(|q| q.action = Some("login.".into()))).await.unwrap();
        assert_eq!(prefix.len(), 5);
        let window = store
            .audit_search(
                &admin,
                &q(|q| {
                    q.from_ms = Some(T0 + 2000);
                    q.to_ms = Some(T0 + 5000);
                }),
            )
            .await
            .unwrap();
        assert_eq!(window.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 4, 3]);
        let page1 = store.audit_search(&admin, &q(|q| q.limit = Some(4))).await.unwrap();
        let page2 = store
            .audit_search(&admin, &AuditQuery { limit: Some(4), before_seq: Some(page1[3].seq), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(page2.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![6, 5, 4, 3]);
        let not_admin = Actor { role: Role::Uploader, ..Actor::system("x") };
        assert!(matches!(store.audit_search(&not_admin, &AuditQuery::default()).await, Err(StoreError::Forbidden(_))));
    }
}

#[tokio::test]
async fn pruning_keeps_two_years_and_the_chain_verifiable() {
    for store in each_store().await {
        let admin = Actor::system("t");
        let year = 365 * 24 * 3600 * 1000;
        append_n(&store, 5).await; // at T0
        store.config.clock.advance_ms(3 * year);
        append_n(&store, 3).await; // at T0 + 3 years
        let now = store.now_ms();
        let e = store.prune_before(&admin, now - year).await.unwrap_err();
        assert!(matches!(e, StoreError::Retention { .. }), "{e}");
        assert_eq!(store.prune_before(&admin, now - RETENTION_MS).await.unwrap(), 5);
        // 3 kept + the prune record
        assert_eq!(store.verify_chain().await.unwrap(), 4);
        store.append_audit(event(9)).await.unwrap();
        assert_eq!(store.verify_chain().await.unwrap(), 5);
        // a forged anchor (hiding more deletions) is caught
        sqlx::query("DELETE FROM audit_log WHERE seq = 6").execute(store.pool()).await.unwrap();
        sqlx::query(
            "UPDATE audit_anchor SET first_seq = 7, prev_hash = (SELECT prev_hash FROM audit_log WHERE seq = 7)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let e = store.verify_chain().await.unwrap_err();
        assert!(matches!(e, ChainError::Broken { seq: 7, problem: ChainProblem::Anchor }), "{e}");
    }
}

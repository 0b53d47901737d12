//! Test stores: a fresh SQLite file always, a fresh PostgreSQL database when
//! `KAKOU_TEST_POSTGRES_URL` names a server, and (feature `s3`) one whose packages go to an S3
//! bucket when `KAKOU_TEST_S3_BUCKET` names one (scripts/pg-test.sh starts both services).

use crate::accounts::{Actor, NewUser, Org, OrgKind, Role, User};
use crate::password::PasswordPolicy;
use crate::{Clock, Store, StoreConfig};

pub const PASSWORD: &str = "correct horse battery staple";
/// 2026-01-01T00:00:00Z: tests run on a manual clock.
pub const T0: i64 = 1_767_225_600_000;

fn config(objects: &std::path::Path) -> StoreConfig {
    config_for(objects.display().to_string())
}

fn config_for(objects: String) -> StoreConfig {
    let mut config = StoreConfig::new(objects);
    config.clock = Clock::manual(T0);
    // cheap hashing in tests; the default parameters have their own test
    config.password = PasswordPolicy { memory_kib: 1024, iterations: 1, ..Default::default() };
    config.passkeys =
        Some(crate::passkey::PasskeySettings { origin: "http://localhost:3000".into(), rp_name: "Kakou test".into() });
    config
}

/// One store per configured backend, each on an empty database.
pub async fn each_store() -> Vec<Store> {
    let dir = tempfile::tempdir().unwrap().keep();
    let url = crate::db::default_sqlite_url(&dir.join("kakou.db"));
    let mut stores = vec![Store::open(&url, config(&dir.join("objects"))).await.unwrap()];
    if let Ok(base) = std::env::var("KAKOU_TEST_POSTGRES_URL") {
        stores.push(Store::open(&fresh_pg_database(&base).await, config(&dir.join("pg-objects"))).await.unwrap());
    }
    #[cfg(feature = "s3")]
    if let Ok(bucket) = std::env::var("KAKOU_TEST_S3_BUCKET") {
        // A prefix of its own per store: tests never see each other's objects.
        let objects = format!("s3://{bucket}/{}", crate::hex(&crate::random_bytes::<6>().unwrap()));
        let url = crate::db::default_sqlite_url(&dir.join("s3.db"));
        stores.push(Store::open(&url, config_for(objects)).await.unwrap());
    }
    stores
}

/// Creates an empty database on the server of `base` and returns its URL.
async fn fresh_pg_database(base: &str) -> String {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("kakou_test_{}", crate::hex(&crate::random_bytes::<6>().unwrap()));
    let mut conn = sqlx::AnyConnection::connect(base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let without_query = base.split('?').next().unwrap();
    let slash = without_query.rfind('/').unwrap();
    format!("{}/{name}", &without_query[..slash])
}

pub async fn hospital_with_uploader(store: &Store, tag: &str) -> (Org, User) {
    let admin = Actor::system("test");
    let org = store.create_org(&admin, &format!("Hospital {tag}"), OrgKind::Hospital).await.unwrap();
    let user = store
        .create_user(
            &admin,
            NewUser {
                email: format!("uploader-{}@example.org", tag.to_lowercase()),
                org_id: org.id,
                role: Role::Uploader,
                password: Some(PASSWORD.into()),
            },
        )
        .await
        .unwrap();
    (org, user)
}

//! What the `mamori` command's test binaries share: the PostgreSQL server they make their
//! databases on, and a command's output as text. Each binary uses part of it.
#![allow(dead_code)]

use std::process::Output;

use sqlx::Connection;

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("MAMORI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Runs the statements on the PostgreSQL server, each one expected to succeed.
pub async fn on_postgres_server(statements: &[String]) {
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect("PostgreSQL must be running for the tests");
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut conn)
            .await
            .expect("create database");
    }
    conn.close().await.ok();
}

/// The URL of the database `name` on the PostgreSQL server.
pub fn postgres_url(name: &str) -> String {
    let admin = postgres_admin_url();
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin.clone());
    format!("{base}/{name}")
}

/// Drops the PostgreSQL databases, if the server answers (cleanup never fails a test).
pub async fn drop_postgres(names: &[String]) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
        for name in names {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await;
        }
    }
}

/// What a command wrote, standard output then standard error.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

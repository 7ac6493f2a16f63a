//! The PostgreSQL connection and table against a real, throwaway server
//! (the test kit's pg_server): the documented table created (and again, idempotent),
//! a newer schema refused, a server restart survived by reconnecting, a
//! remote host without TLS refused, and no password in any error or Debug.
#![cfg(all(unix, feature = "postgres"))]

use smartlink_core::{PgConnection, PgError, PgTarget, SCHEMA_VERSION, ensure_schema};
use smartlink_testkit::pg_server::PgServer;

fn connection(server: &PgServer) -> PgConnection {
    PgConnection::new(PgTarget::parse(&server.url()).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_is_created_and_a_restart_is_survived() {
    let mut server = PgServer::start();
    let conn = connection(&server);
    ensure_schema(&conn).await.unwrap();
    ensure_schema(&conn).await.unwrap();

    let client = conn.client().await.unwrap();
    let columns: Vec<(String, String)> = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_name = 'smartlink_state' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected = [
        ("installation_id", "text"),
        ("line", "text"),
        ("version", "bigint"),
        ("document", "text"),
        ("seal_key_id", "text"),
        ("lease_holder", "text"),
        ("lease_epoch", "bigint"),
        ("lease_expires_at", "timestamp with time zone"),
        ("updated_at", "timestamp with time zone"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(columns, expected);
    let version: i32 = client
        .query_one(
            "SELECT version FROM smartlink_schema WHERE name = 'smartlink_state'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, SCHEMA_VERSION);
    client
        .execute(
            "INSERT INTO smartlink_state (installation_id, line, version, document)
             VALUES ('inst-a', 'protheus', 1, '{}')",
            &[],
        )
        .await
        .unwrap();

    // A restart: the old connection's next query fails as a lost
    // connection; the next `client` connects again and finds the row.
    server.stop();
    let err = client
        .query_one("SELECT 1", &[])
        .await
        .map_err(|e| e.is_closed())
        .unwrap_err();
    assert!(err, "the old connection is closed");
    let down = conn.client().await.unwrap_err();
    assert!(down.is_connection_lost(), "{down:?}");
    server.start_again();
    let client = conn.client().await.unwrap();
    let n: i64 = client
        .query_one(
            "SELECT version FROM smartlink_state WHERE installation_id = 'inst-a'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    ensure_schema(&conn).await.unwrap();

    // A terminated backend is a lost connection too.
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let admin = tokio_postgres_connect(&server).await;
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap();
    let mut lost = false;
    // A failed query can come back before the connection's task has ended:
    // the connection counts as lost once the client says it is closed.
    for _ in 0..250 {
        let _ = client.query_one("SELECT 1", &[]).await;
        if client.is_closed() {
            lost = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(lost);
    let again = conn.client().await.unwrap();
    assert_ne!(
        again
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        pid
    );

    // A schema newer than this library's is refused.
    admin
        .execute("UPDATE smartlink_schema SET version = version + 1", &[])
        .await
        .unwrap();
    assert!(matches!(
        ensure_schema(&conn).await,
        Err(PgError::SchemaTooNew { found }) if found == SCHEMA_VERSION + 1
    ));
}

async fn tokio_postgres_connect(server: &PgServer) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&server.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machines_starting_together_create_the_table_once() {
    let server = PgServer::start();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let conn = connection(&server);
            tokio::spawn(async move { ensure_schema(&conn).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let admin = tokio_postgres_connect(&server).await;
    let n: i64 = admin
        .query_one("SELECT count(*) FROM smartlink_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn a_remote_host_needs_tls_and_no_password_is_ever_shown() {
    let secret = "hunter2-DO-NOT-PRINT";
    let url = format!("postgres://smartlink:{secret}@db.example.com:5432/erp");
    let target = PgTarget::parse(&url).unwrap();
    let shown = format!("{target} {target:?} {target:#?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(
        shown.contains("db.example.com:5432 database erp user smartlink"),
        "{shown}"
    );
    let e = PgConnection::new(target).unwrap_err();
    assert!(matches!(e, PgError::TlsRequired { .. }), "{e:?}");
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(secret), "{shown}");

    let required = PgTarget::parse(&format!("{url}?sslmode=require")).unwrap();
    let conn = PgConnection::new(required).unwrap();
    assert!(!format!("{conn:?}").contains(secret));

    let e = PgTarget::parse(&format!("postgres://u:{secret}@h:notaport/db")).unwrap_err();
    assert!(!format!("{e} {e:?}").contains(secret));
}

#[test]
fn an_odd_connection_string_is_refused_naming_the_problem_never_the_password() {
    let secret = "hunter2-DO-NOT-PRINT";
    let word = "hunterpassword";
    for (conninfo, says) in [
        (String::new(), "it is empty".to_owned()),
        ("   ".into(), "it is empty".into()),
        (format!("postgres://u:{secret}%ZZ@db/erp"), "%25".into()),
        (
            format!("postgres://u:{secret}@db/erp?sslmode=%FF"),
            "not UTF-8".into(),
        ),
        (
            format!("postgres://u:{secret}@db/erp?sslmode=bogus"),
            "`sslmode` must be".into(),
        ),
        (
            format!("host=db password={secret} sslmode=allow"),
            "`sslmode` must be".into(),
        ),
        (format!("host=db password='{secret}"), "not closed".into()),
        (
            format!("host=db password={secret} oops"),
            "without `=`".into(),
        ),
        (
            format!("host=db password={secret} sslcert=/c.pem"),
            "unknown option `sslcert`".into(),
        ),
        (
            format!("postgres://u:{secret}@db:notaport/erp"),
            "`port`".into(),
        ),
        (
            format!("postgres://u:{secret}@db/erp?{secret}=1"),
            "an unknown option".into(),
        ),
        // A password typed where a key goes is not repeated either.
        (
            format!("host=db password={word} {word}=1"),
            "an unknown option".into(),
        ),
        (
            format!("postgres://u:{word}@db/erp?{word}=1"),
            "an unknown option".into(),
        ),
        (
            format!("dbname=erp password={secret}"),
            "names no host".into(),
        ),
        // An `@` of the password not escaped: its rest would be a host.
        (format!("postgres://u:{word}@{secret}@db/erp"), "%40".into()),
        (
            format!("POSTGRESQL://u:{secret}@db/erp"),
            "in lower case".into(),
        ),
    ] {
        let e = PgTarget::parse(&conninfo).unwrap_err();
        assert!(matches!(e, PgError::InvalidUrl { .. }), "{conninfo}: {e:?}");
        let shown = format!("{e} {e:?}");
        assert!(shown.contains(&says), "{conninfo}: {shown}");
        assert!(
            !shown.contains(secret) && !shown.contains(word),
            "{conninfo}: {shown}"
        );
    }
}

#[tokio::test]
async fn a_connection_error_shows_no_password() {
    let secret = "hunter2-DO-NOT-PRINT";
    // Nothing listens on this port (taken and released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://smartlink:{secret}@127.0.0.1:{port}/erp");
    let conn = PgConnection::new(PgTarget::parse(&url).unwrap()).unwrap();
    let e = conn.client().await.unwrap_err();
    assert!(e.is_connection_lost());
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains(&format!("127.0.0.1:{port}")), "{shown}");
}

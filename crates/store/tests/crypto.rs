//! Secret encryption at rest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

use iam_store::*;
use secrecy::ExposeSecret;

#[tokio::test]
async fn secret_not_in_db_file_and_wrong_key_fails() {
    let dir = tempfile::tempdir().unwrap();
    let key = MasterKey::generate().unwrap();
    let opts = StoreOptions {
        master_key: Some(key.clone()),
        ..Default::default()
    };
    let s = Store::open(dir.path(), opts.clone()).await.unwrap();
    let (a, root, _) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    let _ = a;
    let k = s.create_access_key(&root.id).await.unwrap();
    let secret = k.secret_access_key.expose_secret().to_owned();
    s.close().await;
    let mut bytes = Vec::new();
    for f in ["iam.db", "iam.db-wal"] {
        if let Ok(b) = std::fs::read(dir.path().join(f)) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty());
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "plaintext secret found in the database files"
    );
    assert!(format!("{key:?}").contains("REDACTED"));

    // wrong key: clear error at open
    let wrong = StoreOptions {
        master_key: Some(MasterKey::generate().unwrap()),
        ..Default::default()
    };
    let err = Store::open(dir.path(), wrong).await.unwrap_err();
    assert!(matches!(err, StoreError::MasterKey(_)), "{err:?}");
    assert!(err.to_string().contains("does not match"), "{err}");

    // right key: secret round-trips
    let s = Store::open(dir.path(), opts).await.unwrap();
    let (_, got) = s
        .secret_for_access_key(&k.access_key.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.expose_secret(), secret);
}

#[tokio::test]
async fn master_key_file_created_with_0600() {
    let dir = tempfile::tempdir().unwrap();
    // with the env var set, load_or_create would not use the file
    if std::env::var(MASTER_KEY_ENV).is_ok() {
        return;
    }
    let s = Store::open(dir.path(), StoreOptions::default())
        .await
        .unwrap();
    s.close().await;
    let path = dir.path().join(MASTER_KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let k1 = MasterKey::load_or_create(dir.path()).unwrap();
    let k2 = MasterKey::from_base64(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(k1.to_base64(), k2.to_base64());
    // reopening with the file works
    Store::open(dir.path(), StoreOptions::default())
        .await
        .unwrap();
    assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    assert!(MasterKey::from_base64("not base64 !!").is_err());
}

//! Recordings survive upgrades: a recording made by the release before the schema was
//! versioned (tests/fixtures/schema-v0, with its CSV export by that release) opens with this
//! binary and exports byte-identical CSV, read-only and after migration; a recording from a
//! newer schema is refused with a message saying so, and left unchanged.
mod common;
use console::store;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v0")
}

fn copy_fixture(tag: &str) -> PathBuf {
    let dir = common::tempdir(tag);
    let db = dir.join("recording.db");
    std::fs::copy(fixture().join("recording.db"), &db).unwrap();
    db
}

fn assert_same_csv(out: &Path) {
    for f in ["run1-waves.csv", "run1-numerics.csv", "run1-events.csv"] {
        let want = std::fs::read(fixture().join(f)).unwrap();
        let got = std::fs::read(out.join(f)).unwrap();
        assert!(want == got, "{f} differs from the old release's export");
    }
}

fn user_version(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn a_v0_recording_exports_unchanged_read_only_and_after_migration() {
    let db = copy_fixture("mig-v0");
    assert_eq!(user_version(&db), 0);
    // Read-only (ecmo export): no migration needed to read it.
    let c = store::open_ro(&db).unwrap();
    let out = db.parent().unwrap().join("ro");
    store::export_csv(&c, 1, &out).unwrap();
    drop(c);
    assert_same_csv(&out);
    assert_eq!(user_version(&db), 0, "a read-only open changes nothing");
    // Opened for writing (ecmo serve): migrated to the current schema, same export.
    let c = store::open(&db).unwrap();
    drop(c);
    assert_eq!(user_version(&db), store::SCHEMA_VERSION);
    let c = store::open_ro(&db).unwrap();
    let out = db.parent().unwrap().join("rw");
    store::export_csv(&c, 1, &out).unwrap();
    assert_same_csv(&out);
    // The old users keep their passwords and gain the new columns.
    let u = store::get_user(&c, "admin").unwrap().unwrap();
    assert!(u.1.starts_with("$argon2id$"));
    assert!(
        !u.2,
        "an existing password is not made one-time by the upgrade"
    );
    assert_eq!(store::login_failure_count(&c).unwrap(), 0);
}

#[test]
fn a_newer_schema_is_refused_clearly_and_left_alone() {
    let db = copy_fixture("mig-newer");
    {
        let c = store::open(&db).unwrap();
        c.pragma_update(None, "user_version", store::SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    for e in [
        store::open(&db).expect_err("open refuses a newer schema"),
        store::open_ro(&db).expect_err("open_ro refuses a newer schema"),
    ] {
        assert!(
            e.0.contains("newer than this ecmo understands")
                && e.0
                    .contains(&format!("version {}", store::SCHEMA_VERSION + 1)),
            "{}",
            e.0
        );
    }
    assert_eq!(user_version(&db), store::SCHEMA_VERSION + 1);
    assert!(
        before == std::fs::read(&db).unwrap(),
        "the file is unchanged"
    );
}

//! The team's change log against a real PostgreSQL (tests/support/pg.rs):
//! an append is idempotent per `(desk_id, desk_seq)` and wakes listeners;
//! positions are gap-free and in commit order under concurrent appenders,
//! for every reader at every moment.

use std::{
    collections::{BTreeMap, HashSet},
    time::{Duration, Instant},
};

use caredesk_core::{
    gateways::team_db::{self, NewChange, TeamDb},
    rules::error::{CodedError, ErrorCode},
};
use caredesk_tests::team::{admin_options, member, options, runtime, team};
use serde_json::json;

#[test]
fn append_is_idempotent_per_desk_and_sequence_and_wakes_listeners() {
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    let rt = runtime();
    rt.block_on(async {
        let mut db = TeamDb::open(&options(&pg, "ana", "ana-pw")).await.unwrap();
        let listening = TeamDb::open(&admin_options(&pg)).await.unwrap();
        let mut listener = listening.listen().await.unwrap();
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let body = json!({"text": "assigned"});
        let change = |desk_id, desk_seq| NewChange { desk_id, desk_seq, kind: "thread.assign", body: &body };
        assert_eq!(team_db::append(db.transaction().await.unwrap(), &change(a, 0)).await.unwrap(), Some(1));
        // Pushed again (its answer was lost): nothing new.
        assert_eq!(team_db::append(db.transaction().await.unwrap(), &change(a, 0)).await.unwrap(), None);
        let batch = [change(a, 0), change(b, 0), change(a, 1), change(b, 0)];
        assert_eq!(
            team_db::append_all(db.transaction().await.unwrap(), &batch).await.unwrap(),
            [None, Some(2), Some(3), None]
        );
        assert_eq!(team_db::log_head(&db).await.unwrap(), 3);
        let log = team_db::read_after(&db, 0, 100).await.unwrap();
        let keys: Vec<_> = log.iter().map(|c| (c.pos, c.desk_id, c.desk_seq, c.actor.as_str())).collect();
        assert_eq!(keys, [(1, a, 0, "ana"), (2, b, 0, "ana"), (3, a, 1, "ana")]);
        assert_eq!(log[0].body, body);
        assert_eq!(team_db::read_after(&db, 2, 100).await.unwrap().len(), 1);
        // The listener heard of position 3.
        let heard = tokio::time::timeout(Duration::from_secs(5), listener.wait_after(2)).await.unwrap().unwrap();
        assert_eq!(heard, 3);
        // A listener whose session ends is told so.
        drop(listening);
        let lost = tokio::time::timeout(Duration::from_secs(5), listener.wait_after(3)).await.unwrap().unwrap_err();
        assert_eq!(lost.code(), ErrorCode::TeamUnreachable, "{lost}");
    });
}

#[test]
fn positions_are_gap_free_and_in_commit_order_under_concurrent_appenders() {
    const DESKS: usize = 8;
    const CHANGES: i64 = 200;
    const TOTAL: i64 = DESKS as i64 * CHANGES;
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    let rt = runtime();
    rt.block_on(async {
        let opts = options(&pg, "ana", "ana-pw");
        // Readers follow the log while the desks append: each must see
        // positions 1, 2, 3… with no gap at any moment.
        let mut readers = Vec::new();
        for _ in 0..2 {
            let opts = opts.clone();
            readers.push(tokio::spawn(async move {
                let db = TeamDb::open(&opts).await.unwrap();
                let mut seen = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(120);
                while (seen.len() as i64) < TOTAL {
                    assert!(Instant::now() < deadline, "the reader saw only {} changes", seen.len());
                    let after = seen.last().map(|c: &team_db::Change| c.pos).unwrap_or(0);
                    for c in team_db::read_after(&db, after, 50).await.unwrap() {
                        assert_eq!(c.pos, seen.len() as i64 + 1, "a reader saw a gap: {} after {after}", c.pos);
                        seen.push(c);
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                seen
            }));
        }
        let mut desks = Vec::new();
        for d in 0..DESKS {
            let opts = opts.clone();
            desks.push(tokio::spawn(async move {
                let mut db = TeamDb::open(&opts).await.unwrap();
                let desk_id = uuid::Uuid::new_v4();
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (d as u64 + 1);
                for seq in 0..CHANGES {
                    let body = json!({"desk": d, "seq": seq});
                    let tx = db.transaction().await.unwrap();
                    // The state write, then the transaction held open a
                    // random short time before its position is taken.
                    tx.sql()
                        .execute("INSERT INTO caredesk.audit (action, desk_id) VALUES ('test.append', $1)", &[&desk_id])
                        .await
                        .unwrap();
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    tokio::time::sleep(Duration::from_micros(rng % 3000)).await;
                    let change = NewChange { desk_id, desk_seq: seq, kind: "test", body: &body };
                    assert!(team_db::append(tx, &change).await.unwrap().is_some());
                }
                desk_id
            }));
        }
        let mut desk_ids = HashSet::new();
        for d in desks {
            desk_ids.insert(d.await.unwrap());
        }
        for r in readers {
            let seen = r.await.unwrap();
            assert_eq!(seen.len() as i64, TOTAL);
            // Each desk's changes are in its own order, each exactly once.
            let mut next: BTreeMap<uuid::Uuid, i64> = BTreeMap::new();
            for c in &seen {
                assert!(desk_ids.contains(&c.desk_id));
                let expected = next.entry(c.desk_id).or_insert(0);
                assert_eq!(c.desk_seq, *expected, "desk {} out of order at position {}", c.desk_id, c.pos);
                *expected += 1;
            }
            assert!(next.values().all(|n| *n == CHANGES), "{next:?}");
        }
        let db = TeamDb::open(&opts).await.unwrap();
        assert_eq!(team_db::log_head(&db).await.unwrap(), TOTAL);
    });
}

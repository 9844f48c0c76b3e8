//! Migration 0012: who sent a text or placed a call, for rows written before it.

use super::{Database, Secret};

#[test]
fn older_sends_and_calls_take_their_person_from_the_audit_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let key = Secret::new("ab".repeat(32));
    {
        let mut c = rusqlite::Connection::open(&path).unwrap();
        super::apply_key(&c, &key).unwrap();
        super::migrations::migrate_to(&mut c, 9);
        c.execute_batch(
            "INSERT INTO patients (id, name, name_key, created_at, updated_at) VALUES (7, 'Ana', 'ana', 'x', 'x');
             INSERT INTO messages (id, patient_id, direction, route, from_number, to_number, body, state, created_at, updated_at)
                  VALUES (3, 7, 'outbound', 'his', 'H', '+18055550100', 'hi', 'delivered', '2026-11-20T10:00:00Z', 'x'),
                         (13, 7, 'outbound', 'his', 'H', '+18055550100', 'hi', 'failed', '2026-11-20T10:00:00Z', 'x'),
                         (4, 7, 'inbound', 'his', '+18055550100', 'H', 'ok', 'received', '2026-11-20T10:05:00Z', 'x');
             INSERT INTO calls (id, patient_id, direction, to_number, status, created_at, updated_at)
                  VALUES (5, 7, 'outbound', '+18055550100', 'queued', '2026-11-20T11:00:00Z', 'x');
             INSERT INTO audit_log (at, actor, action, patient_id, detail) VALUES
                  ('x', 'Dana Coordinator', 'sms.send', 7, 'message 3: queued via his to +1805***0100'),
                  ('x', 'Sam', 'sms.send', 7, 'message 13: queued via his to +1805***0100'),
                  ('x', 'Dana Coordinator', 'call.place', 7, 'call 5 to +1805***0100');",
        )
        .unwrap();
    }
    let db = Database::open(&path, &key).unwrap();
    let people: Vec<(i64, Option<String>)> = db
        .conn()
        .prepare("SELECT id, sent_by FROM messages ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        people,
        vec![(3, Some("Dana Coordinator".into())), (4, None), (13, Some("Sam".into()))],
        "message 3 is not message 13's"
    );
    let placed: Option<String> =
        db.conn().query_row("SELECT placed_by FROM calls WHERE id = 5", [], |r| r.get(0)).unwrap();
    assert_eq!(placed.as_deref(), Some("Dana Coordinator"));
}

//! What a thread shows on outbound texts beyond their state: the undo delay
//! of a text just sent, and whether a failed one can be retried. Read per
//! text, for the few texts of a page that are queued or failed.

use rusqlite::OptionalExtension;

use super::{outbox::HoldReason, thread_items::ThreadItem, Database, StoreError};

impl Database {
    /// Fills `hold_until` with its `hold_reason`, `retryable` and `retried` of a page's outbound texts.
    pub(super) fn mark_outbound(&self, items: &mut [ThreadItem]) -> Result<(), StoreError> {
        // A reply a campaign read as an answer says so.
        for item in items.iter_mut().filter(|i| i.kind == super::ThreadItemKind::Sms && i.direction == "inbound") {
            item.campaign_answer = self.answer_of_reply(item.id)?;
        }
        for item in items.iter_mut().filter(|i| i.kind == super::ThreadItemKind::Sms && i.direction == "outbound") {
            match item.state.as_str() {
                "queued" => {
                    let hold = self
                        .conn
                        .prepare_cached(
                            "SELECT hold_until, hold_reason FROM outbox
                             WHERE message_id = ?1 AND state = 'pending' AND attempts = 0 AND hold_until IS NOT NULL",
                        )?
                        .query_row([item.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
                        .optional()?;
                    if let Some((until, reason)) = hold {
                        item.hold_until = Some(until);
                        item.hold_reason =
                            Some(reason.as_deref().and_then(HoldReason::parse).unwrap_or(HoldReason::Undo));
                    }
                }
                "failed" => {
                    item.retried = self
                        .conn
                        .prepare_cached("SELECT retried_as IS NOT NULL FROM messages WHERE id = ?1")?
                        .query_row([item.id], |r| r.get(0))?;
                    item.retryable = !item.retried && self.is_retryable(item.id)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Fills each item's "recorded in FHIR" mark (one query per kind).
    pub(super) fn mark_fhir(&self, items: &mut [ThreadItem]) -> Result<(), StoreError> {
        use super::fhir_writes::WriteKind;
        for (kind, write_kind) in
            [(super::ThreadItemKind::Sms, WriteKind::Message), (super::ThreadItemKind::Call, WriteKind::Call)]
        {
            let ids: Vec<i64> = items.iter().filter(|i| i.kind == kind).map(|i| i.id).collect();
            let mut marks = self.fhir_marks(write_kind, &ids)?;
            for item in items.iter_mut().filter(|i| i.kind == kind) {
                item.fhir = marks.remove(&item.id);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use crate::store::outbox::{Claim, Final};
    use crate::store::{test_db, test_patient, Database, NewOutbound, Route};

    fn text(db: &Database, patient: i64, body: &str) -> i64 {
        let m = NewOutbound {
            patient_id: Some(patient),
            route: Route::His,
            from: String::new(),
            to: "+18055550100".into(),
            intended_to: None,
            body: body.into(),
            external_key: None,
            is_test: false,
        };
        db.enqueue_sms(&m, "tester", "queued", None, Utc::now()).unwrap().outbox_id
    }

    fn preview(db: &Database) -> String {
        db.thread_listing("", 10).unwrap().patients[0].last.clone().unwrap().preview
    }

    #[test]
    fn previews_say_not_sent_and_what_ecm_answered_a_call_and_failed_texts_can_be_retried() {
        let (_d, db) = test_db();
        let ana = test_patient(&db, "Ana");
        let outbox = text(&db, ana, "See you at 3");
        assert_eq!(preview(&db), "See you at 3");
        assert!(db
            .record_final(outbox, Claim::Unclaimed, Final::Failed, "his_invalid", "the number is not valid", Utc::now())
            .unwrap());
        assert_eq!(preview(&db), "Not sent: the number is not valid");
        let page = db.thread_page(ana, None, 10).unwrap();
        assert!(page.items[0].retryable && !page.items[0].retried, "{:?}", page.items[0]);
        db.conn()
            .execute("UPDATE messages SET state = 'uncertain', error_message = 'ECM may have sent it'", [])
            .unwrap();
        assert_eq!(preview(&db), "May not have been sent: ECM may have sent it");
        assert!(!db.thread_page(ana, None, 10).unwrap().items[0].retryable, "uncertain: no Retry");

        let call = db.insert_call(ana, "+18055550100").unwrap();
        assert_eq!(preview(&db), "Calling…");
        db.mark_call_placed(call, Some(77), None, None, "queued").unwrap();
        assert_eq!(preview(&db), "Call placed: ECM call 77, queued");
        let other = db.insert_call(ana, "+18055550100").unwrap();
        db.mark_call_failed(other, "ECM refused the call: line busy").unwrap();
        assert_eq!(preview(&db), "Call failed: ECM refused the call: line busy");
    }

    #[test]
    fn an_undone_text_leaves_the_preview_to_the_item_before_it() {
        let (_d, db) = test_db();
        let ana = test_patient(&db, "Ana");
        text(&db, ana, "First");
        let m = NewOutbound {
            patient_id: Some(ana),
            route: Route::His,
            from: String::new(),
            to: "+18055550100".into(),
            intended_to: None,
            body: "Oops".into(),
            external_key: None,
            is_test: false,
        };
        let later = Utc::now() + chrono::Duration::seconds(1);
        let ids = db
            .enqueue_sms(
                &m,
                "tester",
                "queued",
                Some(crate::store::outbox::HoldUntil::undo(later + chrono::Duration::seconds(5))),
                later,
            )
            .unwrap();
        assert_eq!(preview(&db), "Oops");
        let page = db.thread_page(ana, None, 10).unwrap();
        assert!(page.items[1].hold_until.is_some(), "the held text shows its hold");
        assert_eq!(page.items[1].hold_reason, Some(crate::store::outbox::HoldReason::Undo));
        // Sent later: the thread says it is scheduled, not in its undo delay.
        let at = later + chrono::Duration::hours(20);
        let scheduled = db
            .enqueue_sms(
                &NewOutbound { body: "Tomorrow".into(), ..m.clone() },
                "tester",
                "queued",
                Some(crate::store::outbox::HoldUntil {
                    until: at,
                    reason: crate::store::outbox::HoldReason::Scheduled,
                }),
                later,
            )
            .unwrap();
        let page = db.thread_page(ana, None, 10).unwrap();
        let item = page.items.iter().find(|i| i.id == scheduled.message_id).unwrap();
        assert_eq!(item.hold_reason, Some(crate::store::outbox::HoldReason::Scheduled));
        db.withdraw_unsent(scheduled.message_id, "tester", later).unwrap();
        assert!(matches!(
            db.withdraw_unsent(ids.message_id, "tester", later).unwrap(),
            crate::store::outbox::Withdraw::Done(_)
        ));
        assert_eq!(preview(&db), "First");
        assert_eq!(db.thread_page(ana, None, 10).unwrap().items.len(), 1);
    }
}

//! The store story: one sequence of operations and expectations that every backend must pass,
//! run by each backend crate's tests (SQLite always, PostgreSQL when `DOSVID_TEST_POSTGRES_URL`
//! is set). It checks behaviour a user relies on, not SQL.

use chrono::{DateTime, TimeZone, Utc};
use dosvid_domain::customer::{IdentityInput, NewCustomerInput};
use dosvid_domain::{
    CustomerPatch, FeedbackInput, FeedbackSource, IdentityKind, InteractionInput, Names, NewStage,
    NewTouchpoint, RecordKind, SignalInput, StagePatch, Term, TouchpointPatch, TransactionInput,
    TransactionKind,
};

use crate::{Filter, Idempotency, PageRequest, Signals, Store, StoreError};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 7, 1, 12, 0, 0).unwrap()
}

fn feedback(
    json: serde_json::Value,
) -> Result<dosvid_domain::NewFeedback, dosvid_domain::FieldError> {
    serde_json::from_value::<FeedbackInput>(json)
        .expect("test input parses")
        .validate(now(), dosvid_text::Themes::default_themes())
}

fn touchpoint_id(store: &dyn Store, org: i64, key: &str) -> i64 {
    let all = store
        .list_touchpoints(org, &Filter::default(), PageRequest::first(1000))
        .unwrap();
    all.items
        .iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("touchpoint {key}"))
        .id
}

/// Runs the whole story on a freshly opened, empty store.
pub fn run(store: &dyn Store) {
    the_default_organisation_starts_with_the_default_journey(store);
    api_keys_authenticate_only_their_own_secret(store);
    customers_are_recognised_by_any_of_their_identities(store);
    a_batch_stores_valid_records_whole_and_reports_the_rest(store);
    a_retried_batch_stores_nothing_new(store);
    a_batch_in_parts_is_one_batch(store);
    lists_filter_by_time_touchpoint_subtree_channel_and_customer(store);
    the_touchpoint_tree_stays_a_tree(store);
    stages_keep_their_order(store);
    the_vocabulary_names_values_in_three_languages(store);
    interactions_and_transactions_resolve_their_references(store);
    deleting_a_customer_keeps_their_scores_anonymised(store);
    comments_are_tagged_with_the_taxonomy_in_force(store);
    surveys_keep_their_versions_invitations_and_one_finished_response(store);
    a_case_goes_from_open_to_closed_with_its_log(store);
    the_audit_log_lists_newest_first_and_forgets_only_by_age(store);
}

fn the_default_organisation_starts_with_the_default_journey(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let journeys = store.list_journeys(org, PageRequest::first(10)).unwrap();
    assert_eq!(journeys.items.len(), 1);
    let stages: Vec<_> = journeys.items[0]
        .stages
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        stages,
        [
            "Awareness",
            "Consideration",
            "Purchase",
            "Retention",
            "Advocacy"
        ]
    );
    let touchpoints = store
        .list_touchpoints(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items;
    assert!(touchpoints.len() >= 30, "{}", touchpoints.len());
    let queue = touchpoints
        .iter()
        .find(|t| t.key == "contact-centre.queue")
        .unwrap();
    assert!(queue.moment_of_truth);
    assert_eq!(queue.channels, ["phone"]);
    assert_eq!(queue.owner_department.as_deref(), Some("contact-centre"));
    assert_eq!(
        store
            .list_channels(org, PageRequest::first(100))
            .unwrap()
            .items
            .len(),
        7
    );
}

fn api_keys_authenticate_only_their_own_secret(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let (key, secret) = store.create_api_key(org, "integration", now()).unwrap();
    let found = store
        .authenticate(secret.expose(), now())
        .unwrap()
        .expect("valid key");
    assert_eq!(
        (found.id, found.org_id, found.name.as_str()),
        (key.id, org, "integration")
    );
    assert_eq!(found.last_used_at, Some(now()));
    assert_eq!(store.authenticate("dsv_0000", now()).unwrap(), None);
    assert_eq!(
        store
            .authenticate(&format!("{}x", secret.expose()), now())
            .unwrap(),
        None
    );
    // A key limited in scope and time.
    let until = now() + chrono::Duration::days(30);
    let (_, limited) = store
        .create_scoped_api_key(
            org,
            "reader",
            &[crate::Scope::Read],
            Some(until),
            None,
            now(),
        )
        .unwrap();
    let reader = store
        .authenticate(limited.expose(), now())
        .unwrap()
        .unwrap();
    assert!(reader.may(crate::Scope::Read) && !reader.may(crate::Scope::Write));
    assert_eq!(reader.expires_at, Some(until));
    let later = until + chrono::Duration::seconds(1);
    assert_eq!(store.authenticate(limited.expose(), later).unwrap(), None);
    let none = store.create_scoped_api_key(org, "nothing", &[], None, None, now());
    assert!(matches!(none, Err(crate::StoreError::Invalid(e)) if e.field == "scopes"));
}

fn customers_are_recognised_by_any_of_their_identities(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let input = NewCustomerInput {
        external_id: Some("CRM-1".into()),
        name: Some("Олена Коваль".into()),
        email: Some("Olena@Example.UA".into()),
        phone: Some("050 111 22 33".into()),
        segment: Some("premium".into()),
        identities: vec![IdentityInput {
            kind: IdentityKind::Social,
            value: "telegram:@OlenaK".into(),
        }],
        ..Default::default()
    };
    let olena = store
        .create_customer(org, input.validate().unwrap(), now())
        .unwrap();
    assert_eq!(olena.identities.len(), 3);

    let twin = NewCustomerInput {
        email: Some("olena@example.ua".into()),
        ..Default::default()
    };
    match store.create_customer(org, twin.validate().unwrap(), now()) {
        Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "email"),
        other => panic!("expected a conflict on email, got {other:?}"),
    }
    let same_crm_id = NewCustomerInput {
        external_id: Some("CRM-1".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.create_customer(org, same_crm_id.validate().unwrap(), now()),
        Err(StoreError::Conflict { field, .. }) if field == "external_id"
    ));
    // The failed creations left nothing behind.
    let all = store
        .list_customers(org, &Filter::default(), PageRequest::first(100))
        .unwrap();
    assert_eq!(all.items.len(), 1);

    let patch = CustomerPatch {
        segment: Some(Some("mass".into())),
        plan: Some(Some("pro".into())),
        ..Default::default()
    };
    let updated = store.update_customer(org, olena.id, patch).unwrap();
    assert_eq!(
        (
            updated.segment.as_deref(),
            updated.plan.as_deref(),
            updated.name
        ),
        (Some("mass"), Some("pro"), olena.name)
    );
    assert!(matches!(
        store.get_customer(org, 999_999),
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        matches!(
            store.get_customer(org + 1, olena.id),
            Err(StoreError::NotFound { .. })
        ),
        "other organisations see nothing"
    );

    // Feedback naming Olena by phone, in another spelling, lands on her profile.
    let batch = vec![feedback(
        serde_json::json!({"customer_phone": "+380501112233", "nps": 9, "occurred_at": "2025-06-01T10:00:00Z"}),
    )];
    let report = store
        .ingest(org, &Signals::Feedback(batch), None, now())
        .unwrap();
    let record = store
        .list_feedback(org, &Filter::default(), PageRequest::first(10))
        .unwrap();
    assert_eq!(report.created, 1);
    assert_eq!(record.items.last().unwrap().customer_id, Some(olena.id));
}

fn a_batch_stores_valid_records_whole_and_reports_the_rest(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let before = store
        .list_customers(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items
        .len();
    let t = "2025-06-15T09:30:00Z";
    let batch = vec![
        feedback(
            serde_json::json!({"external_id": "r1", "customer_external_id": "C-100", "touchpoint": "contact-centre.queue", "channel": "phone", "nps": 3, "comment": "Чекав 40 хвилин на лінії", "occurred_at": t}),
        ),
        feedback(
            serde_json::json!({"external_id": "r2", "customer_external_id": "C-200", "touchpoint": "no-such-touchpoint", "nps": 9, "occurred_at": t}),
        ),
        feedback(serde_json::json!({"external_id": "r3", "nps": 11, "occurred_at": t})),
        feedback(
            serde_json::json!({"external_id": "r4", "customer_external_id": "C-100", "customer_email": "c100@example.com", "touchpoint": "mobile-app", "channel": "app", "csat": 5, "occurred_at": t}),
        ),
        feedback(
            serde_json::json!({"external_id": "r5", "customer_external_id": "C-300", "channel": "fax", "nps": 7, "occurred_at": t}),
        ),
    ];
    let report = store
        .ingest(org, &Signals::Feedback(batch), None, now())
        .unwrap();
    assert_eq!(
        (report.received, report.created, report.duplicates),
        (5, 2, 0)
    );
    let rejected: Vec<_> = report
        .rejected
        .iter()
        .map(|r| (r.index, r.field.as_str()))
        .collect();
    assert_eq!(rejected, [(1, "touchpoint"), (2, "nps"), (4, "channel")]);
    assert!(report.ids[0].is_some() && report.ids[1].is_none() && report.ids[3].is_some());
    // Rejected records created no customers: only C-100 is new, and r4 attached its e-mail.
    let customers = store
        .list_customers(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items;
    assert_eq!(customers.len(), before + 1);
    let c100 = customers
        .iter()
        .find(|c| c.external_id.as_deref() == Some("C-100"))
        .unwrap();
    assert_eq!(c100.identities.len(), 1);
    assert_eq!(c100.identities[0].value, "c100@example.com");
    let stored = store
        .list_feedback(
            org,
            &Filter {
                customer_id: Some(c100.id),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .unwrap();
    assert_eq!(stored.items.len(), 2);
    assert_eq!(
        stored.items[0].comment.as_deref(),
        Some("Чекав 40 хвилин на лінії")
    );
    assert_eq!(
        stored.items[0].occurred_at,
        Utc.with_ymd_and_hms(2025, 6, 15, 9, 30, 0).unwrap()
    );
}

fn a_retried_batch_stores_nothing_new(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let records = || {
        (0..50)
            .map(|i| feedback(serde_json::json!({"external_id": format!("retry-{i}"), "nps": i % 11, "occurred_at": "2025-06-20"})))
            .collect::<Vec<_>>()
    };
    let key = Idempotency {
        key: "batch-7".into(),
        request_hash: "h1".into(),
    };
    let first = store
        .ingest(org, &Signals::Feedback(records()), Some(key.clone()), now())
        .unwrap();
    assert_eq!((first.created, first.replayed), (50, false));
    let again = store
        .ingest(org, &Signals::Feedback(records()), Some(key.clone()), now())
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.ids, first.ids);
    let mismatch = Idempotency {
        request_hash: "h2".into(),
        ..key
    };
    assert!(matches!(
        store.ingest(org, &Signals::Feedback(records()), Some(mismatch), now()),
        Err(StoreError::IdempotencyMismatch)
    ));
    // Without the key, the records' external ids still make the retry a no-op.
    let no_key = store
        .ingest(org, &Signals::Feedback(records()), None, now())
        .unwrap();
    assert_eq!((no_key.created, no_key.duplicates), (0, 50));
    assert_eq!(no_key.ids, first.ids);
    let all = store
        .list_feedback(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items;
    assert_eq!(
        all.iter()
            .filter(|f| f
                .external_id
                .as_deref()
                .is_some_and(|e| e.starts_with("retry-")))
            .count(),
        50
    );
}

fn a_batch_in_parts_is_one_batch(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let part = |from: usize, to: usize| {
        Signals::Feedback(
            (from..to)
                .map(|i| {
                    let nps = if i == 7 { 11 } else { i % 11 };
                    feedback(serde_json::json!({"external_id": format!("part-{i}"), "customer_external_id": format!("PC-{}", i % 3), "nps": nps, "occurred_at": "2025-06-21"}))
                })
                .collect(),
        )
    };
    let key = Idempotency {
        key: "parts-1".into(),
        request_hash: "p1".into(),
    };
    let mut parts = [part(0, 4), part(4, 10), part(10, 12)].into_iter();
    let report = store
        .ingest_parts(
            org,
            RecordKind::Feedback,
            &mut parts,
            Some(key.clone()),
            now(),
        )
        .unwrap();
    assert_eq!((report.received, report.created), (12, 11));
    assert_eq!(report.ids.len(), 12);
    // The rejected record is named by its place in the whole batch, not in its part.
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(
        (report.rejected[0].index, report.rejected[0].field.as_str()),
        (7, "nps")
    );
    assert!(report.ids[7].is_none() && report.ids[8].is_some());
    // A replay answers the first report and reads no part.
    let mut unread = [part(0, 12)].into_iter();
    let again = store
        .ingest_parts(org, RecordKind::Feedback, &mut unread, Some(key), now())
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.ids, report.ids);
    assert_eq!(unread.len(), 1);
    // A part of another kind is refused, and the transaction with it: nothing is stored.
    let mut mixed = [part(100, 101), Signals::Interactions(Vec::new())].into_iter();
    assert!(
        store
            .ingest_parts(org, RecordKind::Feedback, &mut mixed, None, now())
            .is_err()
    );
    let stored = store
        .list_feedback(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items;
    assert!(
        !stored
            .iter()
            .any(|f| f.external_id.as_deref() == Some("part-100"))
    );
}

fn lists_filter_by_time_touchpoint_subtree_channel_and_customer(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let contact_centre = touchpoint_id(store, org, "contact-centre");
    let phone = store
        .list_channels(org, PageRequest::first(100))
        .unwrap()
        .items
        .into_iter()
        .find(|c| c.key == "phone")
        .unwrap();
    let under_cc = store
        .list_feedback(
            org,
            &Filter {
                touchpoint_id: Some(contact_centre),
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .unwrap();
    assert_eq!(
        under_cc.items.len(),
        1,
        "the queue's record is under the contact centre"
    );
    let on_phone = store
        .list_feedback(
            org,
            &Filter {
                channel_id: Some(phone.id),
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .unwrap();
    assert_eq!(on_phone.items.len(), 1);
    let june = Filter {
        from: Some(Utc.with_ymd_and_hms(2025, 6, 15, 0, 0, 0).unwrap()),
        to: Some(Utc.with_ymd_and_hms(2025, 6, 16, 0, 0, 0).unwrap()),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_feedback(org, &june, PageRequest::first(100))
            .unwrap()
            .items
            .len(),
        2
    );
    let surveys = Filter {
        source: Some(FeedbackSource::Complaint),
        ..Default::default()
    };
    assert!(
        store
            .list_feedback(org, &surveys, PageRequest::first(100))
            .unwrap()
            .items
            .is_empty()
    );

    // Paging walks every record exactly once.
    let total = store
        .list_feedback(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items
        .len();
    let (mut seen, mut page) = (Vec::new(), PageRequest::first(7));
    loop {
        let p = store.list_feedback(org, &Filter::default(), page).unwrap();
        seen.extend(p.items.iter().map(|f| f.id));
        match p.next_cursor {
            Some(cursor) => page.after = Some(PageRequest::parse_cursor(&cursor).unwrap()),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    let at_cc = store
        .list_customers(
            org,
            &Filter {
                touchpoint_id: Some(contact_centre),
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .unwrap();
    assert_eq!(
        at_cc
            .items
            .iter()
            .map(|c| c.external_id.as_deref())
            .collect::<Vec<_>>(),
        [Some("C-100")]
    );
    let tps_on_phone = store
        .list_touchpoints(
            org,
            &Filter {
                channel_id: Some(phone.id),
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .unwrap();
    assert!(
        tps_on_phone
            .items
            .iter()
            .all(|t| t.channels.contains(&"phone".to_owned()))
    );
    assert!(tps_on_phone.items.len() >= 5);
}

fn the_touchpoint_tree_stays_a_tree(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let cc = store
        .get_touchpoint(org, touchpoint_id(store, org, "contact-centre"))
        .unwrap();
    let new = NewTouchpoint {
        stage_id: cc.stage_id,
        parent_id: Some(cc.id),
        key: "contact-centre.transfer".into(),
        name: "Transfer between agents".into(),
        names: Names::new(
            "Переведення між операторами",
            "Transfer between agents",
            "Перевод между операторами",
        ),
        moment_of_truth: false,
        owner_department: Some("contact-centre".into()),
        channels: vec!["phone".into()],
    };
    let transfer = store.create_touchpoint(org, new.clone(), now()).unwrap();
    // Names in three languages are kept, and replaced as a whole by a patch.
    assert_eq!(
        store.get_touchpoint(org, transfer.id).unwrap().names,
        new.names
    );
    let renamed = TouchpointPatch {
        names: Some(Names {
            uk: Some("Переадресація".into()),
            ..Names::default()
        }),
        ..TouchpointPatch::default()
    };
    let renamed = store.update_touchpoint(org, transfer.id, renamed).unwrap();
    assert_eq!(
        (renamed.names.or("uk", "-"), renamed.names.or("ru", "-")),
        ("Переадресація", "-")
    );
    assert_eq!(
        cc.names.or("uk", "-"),
        "Контакт-центр",
        "the template is named in Ukrainian"
    );
    assert!(
        matches!(store.create_touchpoint(org, new.clone(), now()), Err(StoreError::Conflict { field, .. }) if field == "key")
    );
    let bad_channel = NewTouchpoint {
        key: "x".into(),
        channels: vec!["pigeon".into()],
        ..new.clone()
    };
    assert!(
        matches!(store.create_touchpoint(org, bad_channel, now()), Err(StoreError::Invalid(e)) if e.field == "channels[0]")
    );
    let cycle = TouchpointPatch {
        parent_id: Some(Some(transfer.id)),
        ..Default::default()
    };
    assert!(
        matches!(store.update_touchpoint(org, cc.id, cycle), Err(StoreError::Invalid(e)) if e.field == "parent_id")
    );
    let renamed = store
        .update_touchpoint(
            org,
            transfer.id,
            TouchpointPatch {
                moment_of_truth: Some(true),
                channels: Some(vec!["phone".into(), "chat".into()]),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(renamed.moment_of_truth);
    assert_eq!(renamed.channels, ["phone", "chat"]);
    // A touchpoint moved to another stage takes everything below it along.
    let below = store
        .create_touchpoint(
            org,
            NewTouchpoint {
                parent_id: Some(transfer.id),
                key: "contact-centre.transfer.hold".into(),
                name: "Hold during transfer".into(),
                channels: Vec::new(),
                ..new.clone()
            },
            now(),
        )
        .unwrap();
    let other_stage = store
        .get_touchpoint(org, touchpoint_id(store, org, "website"))
        .unwrap()
        .stage_id;
    assert_ne!(other_stage, cc.stage_id);
    let moved = store
        .update_touchpoint(
            org,
            transfer.id,
            TouchpointPatch {
                stage_id: Some(other_stage),
                parent_id: Some(None),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((moved.stage_id, moved.parent_id), (other_stage, None));
    assert_eq!(
        store.get_touchpoint(org, below.id).unwrap().stage_id,
        other_stage
    );
    store.delete_touchpoint(org, below.id).unwrap();
    // The queue has feedback, so the contact centre's subtree cannot go; the new leaf can.
    assert!(matches!(
        store.delete_touchpoint(org, cc.id),
        Err(StoreError::Conflict { .. })
    ));
    assert!(
        store.get_touchpoint(org, transfer.id).is_ok(),
        "a refused delete removes nothing"
    );
    store.delete_touchpoint(org, transfer.id).unwrap();
    assert!(matches!(
        store.get_touchpoint(org, transfer.id),
        Err(StoreError::NotFound { .. })
    ));
}

fn the_vocabulary_names_values_in_three_languages(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let term = |key: &str, uk: &str| Term {
        kind: "segment".into(),
        key: key.into(),
        names: Names {
            uk: Some(uk.into()),
            ..Names::default()
        },
    };
    store.set_term(org, term("mass", "Масовий")).unwrap();
    store.set_term(org, term("premium", "Преміум")).unwrap();
    store
        .set_term(org, term("mass", "Масовий сегмент"))
        .unwrap();
    let segments = |store: &dyn Store| -> Vec<Term> {
        let all = store.vocabulary(org).unwrap();
        all.into_iter().filter(|t| t.kind == "segment").collect()
    };
    assert_eq!(
        segments(store),
        vec![term("mass", "Масовий сегмент"), term("premium", "Преміум")]
    );
    let it = store
        .vocabulary(org)
        .unwrap()
        .into_iter()
        .find(|t| t.key == "it");
    assert_eq!(
        it.unwrap().names.or("uk", "-"),
        "ІТ",
        "the template names its departments"
    );
    let bad = store.set_term(
        org,
        Term {
            kind: "seg ment".into(),
            ..term("x", "y")
        },
    );
    assert!(matches!(bad, Err(StoreError::Invalid(e)) if e.field == "kind"));
    store.delete_term(org, "segment", "premium").unwrap();
    assert!(matches!(
        store.delete_term(org, "segment", "premium"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(segments(store).len(), 1);
}

fn stages_keep_their_order(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let journey = store
        .list_journeys(org, PageRequest::first(1))
        .unwrap()
        .items
        .remove(0);
    let onboarding = NewStage {
        name: "Onboarding".into(),
        names: Names::default(),
        position: Some(4),
        description: None,
    };
    let stage = store
        .create_stage(org, journey.id, onboarding, now())
        .unwrap();
    assert_eq!(stage.position, 4);
    let names = |store: &dyn Store| -> Vec<String> {
        store
            .get_journey(org, journey.id)
            .unwrap()
            .stages
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    assert_eq!(
        names(store),
        [
            "Awareness",
            "Consideration",
            "Purchase",
            "Onboarding",
            "Retention",
            "Advocacy"
        ]
    );
    store
        .update_stage(
            org,
            stage.id,
            StagePatch {
                position: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(names(store)[0], "Onboarding");
    store.delete_stage(org, stage.id).unwrap();
    let stages = store.get_journey(org, journey.id).unwrap().stages;
    assert_eq!(
        stages.iter().map(|s| s.position).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
}

fn interactions_and_transactions_resolve_their_references(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let interactions = [
        serde_json::json!({"external_id": "i1", "customer_external_id": "C-100", "channel": "phone", "touchpoint": "contact-centre.ivr", "kind": "call", "occurred_at": "2025-06-15T09:00:00Z", "duration_seconds": 600, "outcome": "resolved", "agent": "Ірина", "team": "L1"}),
        serde_json::json!({"external_id": "i2", "channel": "web", "kind": "visit", "occurred_at": "2025-06-15T09:00:00Z"}),
        serde_json::json!({"external_id": "i3", "kind": "visit", "occurred_at": "2025-06-15T09:00:00Z"}),
    ]
    .into_iter()
    .map(|j| serde_json::from_value::<InteractionInput>(j).unwrap().validate(now(), dosvid_text::Themes::default_themes()))
    .collect();
    let report = store
        .ingest(org, &Signals::Interactions(interactions), None, now())
        .unwrap();
    assert_eq!((report.created, report.rejected.len()), (2, 1));
    assert_eq!(report.rejected[0].field, "channel");

    let money = TransactionInput {
        external_id: Some("t1".into()),
        customer_external_id: Some("C-100".into()),
        occurred_at: Some("2025-06-01".into()),
        amount_minor: Some(25_000),
        currency: Some("UAH".into()),
        kind: Some(TransactionKind::Recurring),
        product: Some("Tariff M".into()),
        ..Default::default()
    };
    let report = store
        .ingest(
            org,
            &Signals::Transactions(vec![
                money
                    .clone()
                    .validate(now(), dosvid_text::Themes::default_themes()),
            ]),
            None,
            now(),
        )
        .unwrap();
    assert_eq!(report.created, 1);
    let listed = store
        .list_transactions(org, &Filter::default(), PageRequest::first(10))
        .unwrap()
        .items;
    assert_eq!(
        (
            listed[0].amount_minor,
            listed[0].currency.as_str(),
            listed[0].kind
        ),
        (25_000, "UAH", TransactionKind::Recurring)
    );
    let bad = Filter {
        channel_id: Some(1),
        ..Default::default()
    };
    assert!(matches!(
        store.list_transactions(org, &bad, PageRequest::first(10)),
        Err(StoreError::Invalid(_))
    ));
    let calls = store
        .list_interactions(org, &Filter::default(), PageRequest::first(10))
        .unwrap()
        .items;
    assert_eq!(calls[0].agent.as_deref(), Some("Ірина"));
    assert_eq!(calls[0].duration_seconds, Some(600));
}

fn deleting_a_customer_keeps_their_scores_anonymised(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let customers = store
        .list_customers(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items;
    let c100 = customers
        .iter()
        .find(|c| c.external_id.as_deref() == Some("C-100"))
        .unwrap();
    let before = store
        .list_feedback(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items
        .len();
    store.delete_customer(org, c100.id).unwrap();
    assert!(matches!(
        store.get_customer(org, c100.id),
        Err(StoreError::NotFound { .. })
    ));
    let after = store
        .list_feedback(org, &Filter::default(), PageRequest::first(1000))
        .unwrap()
        .items;
    assert_eq!(after.len(), before);
    assert!(after.iter().all(|f| f.customer_id != Some(c100.id)));
    // Their e-mail is free again: a new record with it makes a new, separate profile.
    let batch = vec![feedback(
        serde_json::json!({"customer_email": "c100@example.com", "nps": 8, "occurred_at": "2025-06-30"}),
    )];
    let report = store
        .ingest(org, &Signals::Feedback(batch), None, now())
        .unwrap();
    let f = store
        .list_feedback(
            org,
            &Filter::default(),
            PageRequest {
                after: report.ids[0].map(|id| id - 1),
                limit: 1,
            },
        )
        .unwrap();
    assert_ne!(f.items[0].customer_id, Some(c100.id));
}

fn comments_are_tagged_with_the_taxonomy_in_force(store: &dyn Store) {
    let org = store.default_org().unwrap();
    let taxonomy = store.taxonomy(org).unwrap();
    assert_eq!(&taxonomy, dosvid_text::Taxonomy::default_taxonomy());
    let themes_of = |external_id: &str| {
        let all = store
            .list_feedback(org, &Filter::default(), PageRequest::first(1000))
            .unwrap()
            .items;
        let record = all
            .into_iter()
            .find(|f| f.external_id.as_deref() == Some(external_id))
            .unwrap();
        (record.themes, record.emotions)
    };
    // r1 ("Чекав 40 хвилин на лінії") was read with the default taxonomy at ingest.
    assert_eq!(themes_of("r1").0, ["time", "time.queue"]);
    let (_, angry) = {
        let batch = vec![feedback(serde_json::json!({
            "external_id": "t1", "occurred_at": "2025-06-20T10:00:00Z",
            "comment": "Обурений! Тариф подорожчав без попередження"
        }))];
        store
            .ingest(org, &Signals::Feedback(batch), None, now())
            .unwrap();
        themes_of("t1")
    };
    assert_eq!(angry, ["anger"]);
    assert_eq!(themes_of("t1").0, ["finance.price"]);

    // A new taxonomy tags every stored comment again; a bad one is refused and changes nothing.
    let mut bad = taxonomy.clone();
    bad.themes[0].key = "Time".into();
    match store.set_taxonomy(org, &bad) {
        Err(StoreError::Invalid(e)) => assert_eq!(e.field, "themes[0].key"),
        other => panic!("{other:?}"),
    }
    let custom: dosvid_text::Taxonomy = serde_json::from_value(serde_json::json!({"themes": [
        {"key": "tariffs", "names": {"en": "Tariffs"}, "patterns": {"uk": ["тариф*"]}},
        {"key": "hold", "patterns": {"uk": ["на лінії"], "en": ["on hold"]}}
    ]}))
    .unwrap();
    let (_, tagged) = store.set_taxonomy(org, &custom).unwrap();
    assert!(tagged >= 2, "{tagged}");
    assert_eq!(store.taxonomy(org).unwrap(), custom);
    assert_eq!(themes_of("r1").0, ["hold"]);
    assert_eq!(themes_of("t1").0, ["tariffs"]);
    store
        .set_taxonomy(org, dosvid_text::Taxonomy::default_taxonomy())
        .unwrap();
    assert_eq!(themes_of("t1").0, ["finance.price"]);
}

fn surveys_keep_their_versions_invitations_and_one_finished_response(store: &dyn Store) {
    use dosvid_domain::survey::{Answer, Answers, NewResponse, SurveyDefinition, SurveyStatus};
    use dosvid_domain::{CustomerRef, NewCustomer};

    use crate::InvitationRequest;

    let org = store.default_org().unwrap();
    let definition = |key: &str, touchpoint: &str, question: &str| -> SurveyDefinition {
        serde_json::from_value::<SurveyDefinition>(serde_json::json!({
            "key": key, "title": {"en": "After your visit"}, "languages": ["en"],
            "touchpoint": touchpoint, "channel": "store", "fatigue_days": 10,
            "questions": [{"id": "nps", "type": "nps", "text": {"en": question}}]
        }))
        .unwrap()
        .validate()
        .unwrap()
    };
    let v1 = definition("visit", "contact-centre", "Recommend us?");
    let survey = store
        .create_survey(org, v1.clone(), SurveyStatus::Active, now())
        .unwrap();
    assert_eq!(
        survey.touchpoint_id,
        Some(touchpoint_id(store, org, "contact-centre"))
    );
    assert!(matches!(
        store.create_survey(org, v1.clone(), SurveyStatus::Active, now()),
        Err(StoreError::Conflict { field, .. }) if field == "key"
    ));
    assert!(matches!(
        store.create_survey(org, definition("other", "nowhere", "Q"), SurveyStatus::Active, now()),
        Err(StoreError::Invalid(e)) if e.field == "touchpoint"
    ));

    // An unchanged definition is no new version; a changed one is, and the old one is kept.
    let same = store
        .update_survey(org, survey.id, Some(v1.clone()), None, now())
        .unwrap();
    assert_eq!(same.version, 1);
    let v2 = definition("visit", "contact-centre", "Would you recommend us?");
    let changed = store
        .update_survey(org, survey.id, Some(v2), None, now())
        .unwrap();
    assert_eq!(changed.version, 2);
    assert_eq!(store.survey_version(org, survey.id, 1).unwrap(), v1);
    assert_eq!(store.survey_by_key(org, "visit").unwrap().id, survey.id);
    let secrets = store.survey_secrets(org).unwrap();
    assert!(secrets.current.len() >= 32 && secrets.retired.is_none());
    assert_eq!(store.survey_secrets(org).unwrap(), secrets, "made once");
    let grace = now() + chrono::Duration::days(30);
    let rotated = store.rotate_survey_secret(org, grace).unwrap();
    assert_ne!(rotated.current, secrets.current);
    let retired = rotated.retired.clone().expect("the old secret is kept");
    assert_eq!(
        (retired.secret, retired.accepted_until),
        (secrets.current, grace)
    );
    assert_eq!(store.survey_secrets(org).unwrap(), rotated);

    // Invitations: only known customers, only their own interactions, under the fatigue rule.
    let customer = store
        .create_customer(
            org,
            NewCustomer {
                external_id: Some("S-1".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    let interaction = serde_json::from_value::<InteractionInput>(serde_json::json!({
        "customer_external_id": "S-1", "channel": "phone", "touchpoint": "contact-centre.queue",
        "kind": "call", "occurred_at": "2025-06-30T10:00:00Z"}))
    .unwrap()
    .validate(now(), dosvid_text::Themes::default_themes())
    .unwrap();
    let report = store
        .ingest(
            org,
            &Signals::Interactions(vec![Ok(interaction)]),
            None,
            now(),
        )
        .unwrap();
    let interaction_id = report.ids[0].unwrap();
    let request = |external_id: &str, interaction_id| InvitationRequest {
        customer: CustomerRef {
            external_id: Some(external_id.into()),
            ..Default::default()
        },
        interaction_id,
        language: None,
    };
    assert!(matches!(
        store.invite(org, &changed, &request("nobody", None), now()),
        Err(StoreError::Invalid(e)) if e.field == "customer_external_id"
    ));
    let invitation = store
        .invite(org, &changed, &request("S-1", Some(interaction_id)), now())
        .unwrap()
        .unwrap();
    let refused = store
        .invite(
            org,
            &changed,
            &request("S-1", None),
            now() + chrono::Duration::days(9),
        )
        .unwrap()
        .unwrap_err();
    assert_eq!(
        refused.next_allowed,
        now() + chrono::Duration::days(30),
        "the organisation's 30 days"
    );
    store
        .update_organisation(
            org,
            dosvid_domain::OrganisationPatch {
                survey_fatigue_days: Some(5),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        store
            .invite(
                org,
                &changed,
                &request("S-1", None),
                now() + chrono::Duration::days(11)
            )
            .unwrap()
            .is_ok()
    );

    // One response per invitation; finished once, with its feedback record, in one go.
    let new = NewResponse {
        survey_id: survey.id,
        version: changed.version,
        invitation_id: Some(invitation.id),
        customer_id: invitation.customer_id,
        interaction_id: invitation.interaction_id,
        language: "en".into(),
    };
    let response = store.start_response(org, new.clone(), now()).unwrap();
    assert_eq!(
        store.start_response(org, new, now()).unwrap().id,
        response.id
    );
    let mut answers = Answers::new();
    answers.insert("nps".into(), Answer::Number(4));
    store
        .save_response(org, response.id, &answers, 0, "en", now())
        .unwrap();
    let record = feedback(serde_json::json!({"customer_external_id": "S-1", "nps": 4,
        "touchpoint": "contact-centre", "external_id": "survey-response-x", "occurred_at": "2025-07-01"}))
    .unwrap();
    let done = store
        .complete_response(org, response.id, &answers, Some(record.clone()), now())
        .unwrap();
    let stored = store
        .list_feedback(
            org,
            &Filter {
                customer_id: invitation.customer_id,
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .unwrap()
        .items;
    assert_eq!(stored.len(), 1);
    assert_eq!(Some(stored[0].id), done.feedback_id);
    assert_eq!(
        stored[0].touchpoint_id,
        Some(touchpoint_id(store, org, "contact-centre.queue")),
        "the interaction's touchpoint"
    );
    assert!(matches!(
        store.complete_response(org, response.id, &answers, Some(record), now()),
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.save_response(org, response.id, &answers, 0, "en", now()),
        Err(StoreError::Conflict { .. })
    ));
    let finished = store
        .list_responses(
            org,
            survey.id,
            &Filter::default(),
            true,
            PageRequest::first(10),
        )
        .unwrap();
    assert_eq!(finished.items.len(), 1);
    assert_eq!(finished.items[0].answers, answers);

    // A survey with answers is closed, not deleted; erasing the customer unlinks the answers.
    assert!(matches!(
        store.delete_survey(org, survey.id),
        Err(StoreError::Conflict { .. })
    ));
    store.delete_customer(org, customer.id).unwrap();
    let kept = store.get_response(org, response.id).unwrap();
    assert_eq!((kept.customer_id, kept.answers), (None, answers));
}

fn a_case_goes_from_open_to_closed_with_its_log(store: &dyn Store) {
    use dosvid_domain::case::{CaseEventKind, CasePatch, CaseStatus, NewCase, Priority};

    use crate::CaseFilter;

    let org = store.default_org().unwrap();
    let opened = store
        .create_case(
            org,
            NewCase {
                title: "Forty minutes in the queue".into(),
                priority: Priority::Urgent,
                touchpoint: Some("contact-centre.queue".into()),
                ..Default::default()
            },
            Some("rule"),
            now(),
        )
        .unwrap();
    assert_eq!(opened.status, CaseStatus::New);
    assert_eq!(opened.due_at, now() + chrono::Duration::hours(4));
    let queue = store
        .get_touchpoint(org, touchpoint_id(store, org, "contact-centre.queue"))
        .unwrap();
    assert_eq!(
        opened.team, queue.owner_department,
        "the touchpoint's owner by default"
    );
    assert!(matches!(
        store.create_case(org, NewCase { title: "x".into(), touchpoint: Some("nowhere".into()), ..Default::default() }, None, now()),
        Err(StoreError::Invalid(e)) if e.field == "touchpoint"
    ));

    let later = |hours| now() + chrono::Duration::hours(hours);
    store
        .update_case(
            org,
            opened.id,
            CasePatch {
                status: Some(CaseStatus::InProgress),
                owner: Some("olena".into()),
                ..Default::default()
            },
            Some("olena"),
            later(1),
        )
        .unwrap();
    store
        .add_case_event(
            org,
            opened.id,
            CaseEventKind::Contact,
            Some("olena"),
            "Called back, apologised",
            later(2),
        )
        .unwrap();
    assert!(matches!(
        store.update_case(org, opened.id, CasePatch { status: Some(CaseStatus::Resolved), ..Default::default() }, None, later(3)),
        Err(StoreError::Invalid(e)) if e.field == "resolution"
    ));
    let resolved = store
        .update_case(
            org,
            opened.id,
            CasePatch {
                status: Some(CaseStatus::Resolved),
                root_cause: Some("queue_capacity".into()),
                resolution: Some("callback_made".into()),
                ..Default::default()
            },
            Some("olena"),
            later(3),
        )
        .unwrap();
    assert_eq!(
        (resolved.resolved_at, resolved.contacts),
        (Some(later(3)), 1)
    );
    assert!(
        !resolved.breached(later(100)),
        "resolved within its 4 hours"
    );
    let open = store
        .list_cases(
            org,
            &CaseFilter {
                open: true,
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .unwrap();
    assert!(open.items.iter().all(|c| c.id != opened.id));
    let closed = store
        .update_case(
            org,
            opened.id,
            CasePatch {
                status: Some(CaseStatus::Closed),
                ..Default::default()
            },
            None,
            later(5),
        )
        .unwrap();
    assert_eq!(
        (closed.closed_at, closed.resolved_at),
        (Some(later(5)), Some(later(3)))
    );
    assert!(
        store
            .update_case(
                org,
                opened.id,
                CasePatch {
                    status: Some(CaseStatus::InProgress),
                    ..Default::default()
                },
                None,
                later(6)
            )
            .is_err()
    );
    let log = store.case_events(org, opened.id).unwrap();
    let kinds: Vec<CaseEventKind> = log.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            CaseEventKind::Change,
            CaseEventKind::Change,
            CaseEventKind::Contact,
            CaseEventKind::Change,
            CaseEventKind::Change
        ]
    );
    assert!(
        log[3].text.contains("resolution: callback_made"),
        "{}",
        log[3].text
    );
    assert!(matches!(
        store.add_case_event(org, opened.id, CaseEventKind::Note, None, "  ", later(7)),
        Err(StoreError::Invalid(e)) if e.field == "text"
    ));

    // A rule opens one case per record, and its cases outlive it.
    let rule: dosvid_domain::alert::RuleDefinition = serde_json::from_value(serde_json::json!({
        "name": "Detractor", "when": {"nps_at_most": 6}}))
    .unwrap();
    let rule = store.create_rule(org, rule, now()).unwrap();
    assert_eq!(store.list_rules(org).unwrap().len(), 1);
    let record = store
        .list_feedback(org, &Filter::default(), PageRequest::first(1))
        .unwrap()
        .items[0]
        .id;
    let about = NewCase {
        title: "Detractor".into(),
        feedback_id: Some(record),
        ..Default::default()
    };
    let first = store
        .open_rule_case(org, rule.id, about.clone(), now())
        .unwrap();
    assert!(first.is_some());
    assert!(
        store
            .open_rule_case(org, rule.id, about, now())
            .unwrap()
            .is_none()
    );
    store.delete_rule(org, rule.id).unwrap();
    assert!(store.get_case(org, first.unwrap().id).is_ok());
}

fn the_audit_log_lists_newest_first_and_forgets_only_by_age(store: &dyn Store) {
    use dosvid_domain::audit::{ActorKind, AuditEntry, AuditFilter, AuditKind};
    let org = store.default_org().unwrap();
    let entry = |days_ago: i64, kind: AuditKind, actor: &str, action: &str| AuditEntry {
        id: 0,
        at: now() - chrono::Duration::days(days_ago),
        kind,
        actor_kind: ActorKind::User,
        actor: Some(actor.into()),
        address: Some("203.0.113.9".into()),
        action: action.into(),
        object: Some("/api/v1/cases/7".into()),
        status: 200,
    };
    for e in [
        entry(
            400,
            AuditKind::Change,
            "old@kvant.example",
            "PATCH /api/v1/cases/{id}",
        ),
        entry(2, AuditKind::SignIn, "Olena@kvant.example", "sign in"),
        entry(
            1,
            AuditKind::Change,
            "olena@kvant.example",
            "PATCH /api/v1/cases/{id}",
        ),
    ] {
        store.append_audit(org, &e).unwrap();
    }
    let all = store
        .list_audit(org, &AuditFilter::default(), PageRequest::first(10))
        .unwrap()
        .items;
    assert_eq!(all.len(), 3);
    assert!(all[0].id > all[1].id && all[0].action.starts_with("PATCH"));
    let olena = AuditFilter {
        actor: Some("OLENA".into()),
        kind: Some(AuditKind::Change),
        ..Default::default()
    };
    let found = store
        .list_audit(org, &olena, PageRequest::first(10))
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].address.as_deref(), Some("203.0.113.9"));
    let year = now() - chrono::Duration::days(365);
    assert_eq!(store.prune_audit(org, year).unwrap(), 1);
    let left = store
        .list_audit(org, &AuditFilter::default(), PageRequest::first(10))
        .unwrap();
    assert_eq!(left.items.len(), 2);
}

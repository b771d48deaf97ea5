//! `dosvid demo`: builds the demo company into its database the first time, then serves it with
//! a fresh API key, printing how to reach it.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;
use dosvid_demo::Batch;
use dosvid_domain::RecordKind;
use dosvid_domain::user::Role;
use dosvid_store::{Filter, PageRequest, Signals, Store};

/// Records per transaction while building.
const CHUNK: usize = 10_000;

pub fn run(
    db: &str,
    scale: u32,
    listen: SocketAddr,
    no_serve: bool,
    exposure: crate::Exposure,
) -> anyhow::Result<()> {
    let store = crate::db::open(db)?;
    let org = store.default_org()?;
    if store
        .list_feedback(org, &Filter::default(), PageRequest::first(1))?
        .items
        .is_empty()
    {
        build(store.as_ref(), scale).context("building the demo company")?;
    } else {
        eprintln!(
            "{} already holds data; serving it as it is (delete it to rebuild the demo)",
            crate::db::redact(db)
        );
    }
    let survey = demo_survey(store.as_ref()).context("creating the demo survey")?;
    demo_rules(store.as_ref()).context("creating the demo's alert rules")?;
    demo_strategy(store.as_ref()).context("creating the demo's strategy cycle")?;
    demo_consents(store.as_ref()).context("recording the demo's consents")?;
    for (kind, key, [uk, en, ru]) in dosvid_demo::VOCABULARY {
        let names = dosvid_domain::Names::new(uk, en, ru);
        let (kind, key) = (kind.to_string(), key.to_string());
        let term = dosvid_domain::Term { kind, key, names };
        store
            .set_term(org, term)
            .context("naming the demo's values")?;
    }
    let lviv = demo_units(store.as_ref()).context("creating the demo's units")?;
    let mut exposure = exposure;
    if !no_serve {
        // The loop's cases and alerts are sent, signed, to the demo's own receiver.
        let receiver = demo_receiver().context("starting the demo's webhook receiver")?;
        demo_webhook(store.as_ref(), receiver).context("creating the demo's webhook")?;
        exposure.webhook_allow_network.push(
            format!("{}/32", receiver.ip())
                .parse()
                .map_err(anyhow::Error::msg)?,
        );
    }
    demo_loop(&store).context("running the demo's rules over its last month")?;
    demo_diagnosis(store.as_ref()).context("creating the demo's diagnosis")?;
    if no_serve {
        return Ok(());
    }
    let password = demo_user(
        store.as_ref(),
        DEMO_ADMIN,
        "Адміністратор",
        Role::Admin,
        None,
        None,
    )
    .context("creating the demo's administrator")?;
    let agent_password = demo_user(
        store.as_ref(),
        DEMO_AGENT,
        "Оксана Коваль",
        Role::Agent,
        Some(DEMO_AGENT_ID),
        None,
    )
    .context("creating the demo's agent")?;
    let lviv_password = demo_user(
        store.as_ref(),
        DEMO_LVIV,
        "Андрій Мельник",
        Role::CxManager,
        None,
        Some(lviv),
    )
    .context("creating the demo's Lviv manager")?;
    let (_, secret) = store.create_api_key(org, "demo", chrono::Utc::now())?;
    let banner = format!(
        "Dosvid is serving the demo company at http://{listen}\n\
         Sign in: http://{listen}/login as {DEMO_ADMIN} with password {password}\n\
         An agent's own view (/me): sign in as {DEMO_AGENT} with password {agent_password}\n\
         The Lviv unit's view (its records only): sign in as {DEMO_LVIV} with password {lviv_password}\n\
         API key: {key}\n\
         Survey:  http://{listen}/s/{org}/{survey} (answer it; it counts in the metrics at once)\n\
         Try:     curl -H 'Authorization: Bearer {key}' 'http://{listen}/api/v1/touchpoints?limit=5'\n\
         API description: http://{listen}/api/v1/openapi.json (with the same key)\n",
        key = secret.expose()
    );
    crate::serve(store, listen, exposure, Some(banner))
}

/// The demo's administrator, who signs in to the web application.
const DEMO_ADMIN: &str = "admin@kvant.example";
/// One of the demo's contact-centre agents, who sees their own scores and comments on `/me`.
const DEMO_AGENT: &str = "operator@kvant.example";
const DEMO_AGENT_ID: &str = "agent-042";
/// The CX manager of the demo's Lviv unit, who sees only Lviv's customers and their records.
const DEMO_LVIV: &str = "lviv@kvant.example";

/// Creates a demo user, or gives them a new password: it is printed on every start, and only
/// its hash is kept.
fn demo_user(
    store: &dyn Store,
    email: &str,
    name: &str,
    role: Role,
    agent: Option<&str>,
    unit: Option<i64>,
) -> anyhow::Result<String> {
    let org = store.default_org()?;
    let password = dosvid_store::generate_password()?;
    match store
        .list_users(org)?
        .into_iter()
        .find(|u| u.email == email)
    {
        Some(user) => store.set_password(org, user.id, &password)?,
        None => {
            let user = dosvid_domain::user::NewUser {
                email: email.into(),
                name: name.into(),
                role,
                language: "uk".into(),
                agent: agent.map(str::to_owned),
                unit_id: unit,
            };
            store.create_user(org, user, &password, chrono::Utc::now())?;
        }
    }
    Ok(password)
}

/// The demo's organisation units, unless it has units already: regions with Lviv and Kyiv under
/// them (by the customer's region), and the contact centre (by the department owning the
/// touchpoint). Returns the Lviv unit, whose manager sees only Lviv's records — among them the
/// planted queue fix of May 2026 (effect 7), which shows on their dashboard as a rise at the queue.
fn demo_units(store: &dyn Store) -> anyhow::Result<i64> {
    use dosvid_domain::unit::UnitInput;
    let org = store.default_org()?;
    let units = store.list_units(org)?;
    if let Some(lviv) = units.iter().find(|u| u.name == "Львів") {
        return Ok(lviv.id);
    }
    let now = chrono::Utc::now();
    let rule = |json: serde_json::Value| -> anyhow::Result<dosvid_domain::Attributes> {
        Ok(serde_json::from_value(json)?)
    };
    let unit = |name: &str, parent_id: Option<i64>, rules: Vec<dosvid_domain::Attributes>| {
        let input = UnitInput {
            name: Some(name.into()),
            parent_id,
            rules,
        };
        store.create_unit(org, input, now).map(|u| u.id)
    };
    let regions = unit("Регіони", None, Vec::new())?;
    let lviv = unit(
        "Львів",
        Some(regions),
        vec![rule(
            serde_json::json!({"customer": {"region": dosvid_demo::QUEUE_FIX_REGION}}),
        )?],
    )?;
    unit(
        "Київ",
        Some(regions),
        vec![rule(serde_json::json!({"customer": {"region": "Kyiv"}}))?],
    )?;
    unit(
        "Контакт-центр",
        None,
        vec![rule(serde_json::json!({"department": "contact-centre"}))?],
    )?;
    Ok(lviv)
}

/// The demo's alert rules, unless it has rules already: premium detractors open a case as they
/// answer, and the app's NPS is watched week against month — the rule that finds the planted
/// release drop of September 2025 (`POST /api/v1/alert-rules/{id}/backtest`).
fn demo_rules(store: &dyn Store) -> anyhow::Result<()> {
    let org = store.default_org()?;
    if !store.list_rules(org)?.is_empty() {
        return Ok(());
    }
    let rules = serde_json::json!([
        {"name": "Незадоволений преміум-клієнт", "when": {"nps_at_most": 6, "customer": {"segment": ["premium"]}},
         "open_case": {"priority": "high", "follow_up_survey": "after-call"}},
        {"name": "Падіння NPS застосунку", "watch": {"metric": "nps", "touchpoint": ["mobile-app"], "min_change": 20},
         "open_case": {"priority": "high"}},
        {"name": "Падіння NPS у точці контакту", "watch": {"metric": "nps", "each_touchpoint": true}}
    ]);
    for rule in rules.as_array().into_iter().flatten() {
        let rule: dosvid_domain::alert::RuleDefinition = serde_json::from_value(rule.clone())?;
        store.create_rule(org, rule, chrono::Utc::now())?;
    }
    Ok(())
}

/// The loop the demo shows from its first start, unless it has cases: the record rule applied
/// to the last month of answers (its cases in the inbox, premium detractors'), the app rule
/// evaluated a week after the planted release (its alert and case), and the oldest cases worked:
/// taken by the demo's agent, every third resolved with its root cause.
/// A receiver of the demo's webhook on a free local port, standing for the company's CRM: it
/// takes every delivery and answers 204, so the webhook settings show a delivery log.
fn demo_receiver() -> anyhow::Result<SocketAddr> {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length.min(1 << 20)];
            let _ = reader.read_exact(&mut body);
            let _ = reader.get_mut().write_all(
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    Ok(address)
}

/// The demo's webhook endpoint: cases and alerts, to the receiver (its address changes with each
/// start, so the endpoint is pointed at it again).
fn demo_webhook(store: &dyn Store, receiver: SocketAddr) -> anyhow::Result<()> {
    use dosvid_domain::webhook::{EventType, WebhookInput, WebhookPatch};
    let org = store.default_org()?;
    let url = format!("http://{receiver}/dosvid");
    let description = "CRM «Квант» (демо-приймач)";
    let existing = store
        .list_webhooks(org)?
        .into_iter()
        .find(|w| w.input.description.as_deref() == Some(description));
    match existing {
        Some(webhook) => {
            let patch = WebhookPatch {
                url: Some(url),
                enabled: Some(true),
                ..Default::default()
            };
            store.update_webhook(org, webhook.id, patch)?;
        }
        None => {
            let input = WebhookInput {
                url,
                events: vec![
                    EventType::AlertFired,
                    EventType::CaseCreated,
                    EventType::CaseUpdated,
                ],
                description: Some(description.into()),
                enabled: true,
            };
            store.create_webhook(org, input, chrono::Utc::now())?;
        }
    }
    Ok(())
}

fn demo_loop(store: &crate::db::SharedStore) -> anyhow::Result<()> {
    use dosvid_domain::case::{CasePatch, CaseStatus};
    use dosvid_store::{CaseFilter, all_pages};

    let org = store.default_org()?;
    let any = store.list_cases(org, &CaseFilter::default(), PageRequest::first(1))?;
    if !any.items.is_empty() {
        return Ok(());
    }
    let state = dosvid_server::AppState::new(store.clone());
    let index = state.analytics.index(store.as_ref(), org)?;
    let last_month = {
        let index = dosvid_server::analytics::read_index(&index);
        let latest = index.latest().unwrap_or_default();
        let from = chrono::DateTime::from_timestamp(latest - 30 * 86_400, 0).unwrap_or_default();
        let filters = dosvid_analytics::Filters {
            from: Some(from.to_rfc3339()),
            ..Default::default()
        };
        index.feedback_records(&filters, 0, 200_000)?.ids
    };
    let who = dosvid_server::access::Principal::whole(org);
    state.operation(&who, |op| -> anyhow::Result<()> {
        op.apply_rules(&last_month);
        let (year, month) = dosvid_demo::APP_RELEASE_MONTH;
        let week_after = chrono::NaiveDate::from_ymd_opt(year, month, 8);
        for rule in store.list_rules(org)? {
            if rule.definition.name == "Падіння NPS застосунку" {
                op.evaluate_rule(rule.id, week_after)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            }
        }
        let now = chrono::Utc::now();
        let cases = all_pages(|p| store.list_cases(org, &CaseFilter::default(), p))?;
        for (i, case) in cases.iter().rev().take(30).enumerate() {
            let taken = CasePatch {
                status: Some(CaseStatus::InProgress),
                owner: Some(DEMO_AGENT.into()),
                ..Default::default()
            };
            op.change_case(case.id, taken, Some(DEMO_ADMIN), now)?;
            if i % 3 == 0 {
                let resolved = CasePatch {
                    status: Some(CaseStatus::Resolved),
                    root_cause: Some("queue_capacity".into()),
                    resolution: Some("callback_made".into()),
                    ..Default::default()
                };
                op.change_case(case.id, resolved, Some(DEMO_AGENT), now)?;
            }
        }
        follow_up_answers(op, now)
    })
}

/// Half the customers invited to the follow-up survey of a resolved case answer it, better
/// than before (8–10): the loop closes on the case page with their new score.
fn follow_up_answers(
    op: &dosvid_server::application::Operation,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    use dosvid_domain::SignalInput;
    use dosvid_domain::survey::{Answer, Answers, NewResponse, response_feedback};
    use dosvid_store::{CaseFilter, all_pages};
    let (store, org) = (op.store, op.org());
    let survey = store.survey_by_key(org, "after-call")?;
    let themes = op.analytics.themes(store, org)?;
    let cases = all_pages(|p| store.list_cases(org, &CaseFilter::default(), p))?;
    let invited = cases.iter().filter_map(|c| c.follow_up_invitation_id);
    for (i, invitation) in invited.enumerate().filter(|(i, _)| i % 2 == 0) {
        let invitation = store.get_invitation(org, invitation)?;
        let response = NewResponse {
            survey_id: survey.id,
            version: survey.version,
            invitation_id: Some(invitation.id),
            customer_id: invitation.customer_id,
            interaction_id: invitation.interaction_id,
            language: "uk".into(),
        };
        let response = store.start_response(org, response, now)?;
        let answers = Answers::from([("nps".to_owned(), Answer::Number(8 + (i % 3) as i64))]);
        let feedback = response_feedback(
            &survey.definition,
            survey.version,
            response.id,
            &answers,
            "uk",
        )
        .map(|mut input| {
            input.customer_id = response.customer_id;
            input.touchpoint_id = survey.touchpoint_id;
            input.channel_id = survey.channel_id;
            input.occurred_at = Some(now.to_rfc3339());
            input.validate(now, &themes)
        })
        .transpose()
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
        op.complete_response(response.id, &answers, feedback, now)?;
    }
    Ok(())
}

/// The demo's first strategy cycle, unless it has one: the vision and the eight stages, goals
/// whose baselines are measured as the API measures them, and initiatives — one that worked
/// (planted effect 7), one that did not, one still running, an idea and one dropped — with the
/// statuses they went through.
fn demo_strategy(store: &dyn Store) -> anyhow::Result<()> {
    use dosvid_domain::strategy::{
        GoalDefinition, InitiativeDefinition, InitiativeStatus, StageKey,
    };
    use dosvid_server::strategy;
    use serde_json::{Value, from_value};

    let org = store.default_org()?;
    if !store.list_cycles(org)?.is_empty() {
        return Ok(());
    }
    let plan: Value = serde_json::from_str(dosvid_demo::STRATEGY_JSON)?;
    let analytics = dosvid_server::analytics::Analytics::default();
    let index = analytics.index(store, org)?;
    let index = dosvid_server::analytics::read_index(&index);
    let now = chrono::Utc::now();
    let cycle = strategy::start_cycle(store, &index, org, from_value(plan["cycle"].clone())?, now)?;
    for (key, patch) in plan["stages"].as_object().into_iter().flatten() {
        let stage = StageKey::parse(key).context("a stage of the demo's cycle")?;
        store.update_cycle_stage(org, cycle.id, stage, from_value(patch.clone())?)?;
    }
    let mut goals: std::collections::HashMap<String, i64> = Default::default();
    for plan in plan["goals"].as_array().into_iter().flatten() {
        let mut definition = plan.clone();
        let fields = definition.as_object_mut().context("a goal is an object")?;
        let key = fields
            .remove("key")
            .and_then(|k| k.as_str().map(str::to_owned));
        let change = fields.remove("target_change").and_then(|c| c.as_f64());
        let parent = fields.remove("parent");
        fields.insert("cycle_id".into(), cycle.id.into());
        fields.insert("target".into(), 0.into());
        if let Some(parent) = parent.as_ref().and_then(Value::as_str) {
            fields.insert("parent_id".into(), goals[parent].into());
        }
        let mut goal: GoalDefinition = from_value(definition)?;
        let baseline = strategy::baseline(store, &index, org, &goal, now)?;
        let (low, high) = goal.metric.range();
        let target = baseline.value.unwrap_or(0.0) + change.unwrap_or(0.0);
        goal.target = ((target * 10.0).round() / 10.0).clamp(low, high);
        let goal = store.create_goal(org, goal, baseline, now)?;
        if let Some(key) = key {
            goals.insert(key, goal.id);
        }
    }
    for plan in plan["initiatives"].as_array().into_iter().flatten() {
        let mut definition: InitiativeDefinition = from_value(plan["initiative"].clone())?;
        definition.cycle_id = Some(cycle.id);
        definition.goal_id = plan["goal"].as_str().map(|g| goals[g]);
        let initiative = store.create_initiative(org, definition, Some(DEMO_ADMIN), now)?;
        let mut definition = initiative.definition;
        for status in plan["statuses"].as_array().into_iter().flatten() {
            definition.status = status
                .as_str()
                .and_then(InitiativeStatus::parse)
                .context("a status of a demo initiative")?;
            store.update_initiative(
                org,
                initiative.id,
                definition.clone(),
                Some(DEMO_ADMIN),
                now,
            )?;
        }
    }
    Ok(())
}

/// The demo's diagnosis, once: the SERVQUAL survey with its customers' answers over the last
/// three months, two readiness assessments, the standards and the promises, three studies and
/// an empathy map of the premium segment prefilled from its data.
fn demo_diagnosis(store: &dyn Store) -> anyhow::Result<()> {
    use dosvid_domain::diagnosis::{
        AssessmentAnswer, AssessmentDefinition, PromiseDefinition, StandardDefinition,
    };
    use dosvid_domain::survey::{Answer, Answers, NewResponse, SurveyDefinition, SurveyStatus};
    use dosvid_server::diagnosis;
    use serde_json::{Value, from_value};

    let org = store.default_org()?;
    if !diagnosis::list_assessments(store, org)?.is_empty() {
        return Ok(());
    }
    let plan: Value = serde_json::from_str(dosvid_demo::DIAGNOSIS_JSON)?;
    let now = chrono::Utc::now();
    let survey: SurveyDefinition = from_value(plan["survey"].clone())?;
    let survey = match store.survey_by_key(org, &survey.key) {
        Ok(s) => s,
        Err(_) => store.create_survey(org, survey.validate()?, SurveyStatus::Active, now)?,
    };
    // Customers' answers, drawn around the planned means on the 1–7 scale.
    let people = &plan["customers"];
    let first: chrono::NaiveDate = from_value(people["from"].clone())?;
    let days = people["days"].as_u64().context("customers.days")?;
    let mut rng = dosvid_demo::rng::Rng::new(22);
    for i in 0..people["count"].as_u64().context("customers.count")? {
        let day = first + chrono::Days::new(rng.below(days as usize) as u64);
        let at = day
            .and_hms_opt(9 + (i % 10) as u32, 0, 0)
            .context("a time of day")?
            .and_utc();
        let mut answers = Answers::new();
        for q in &survey.definition.questions {
            let mean = |side: &str| people[side][&q.id].as_f64().unwrap_or(4.0);
            let draw = |rng: &mut dosvid_demo::rng::Rng, mean: f64| {
                (mean + (rng.unit() + rng.unit() + rng.unit() - 1.5) * 1.6)
                    .round()
                    .clamp(1.0, 7.0) as i64
            };
            let expectation = draw(&mut rng, mean("expectation"));
            let perception = draw(&mut rng, mean("perception"));
            answers.insert(
                q.id.clone(),
                Answer::Pair {
                    expectation,
                    perception,
                },
            );
        }
        let response = store.start_response(
            org,
            NewResponse {
                survey_id: survey.id,
                version: survey.version,
                invitation_id: None,
                customer_id: None,
                interaction_id: None,
                language: "uk".into(),
            },
            at,
        )?;
        store.complete_response(org, response.id, &answers, None, at)?;
    }
    for a in plan["assessments"].as_array().into_iter().flatten() {
        let mut definition = a["definition"].clone();
        let fields = definition
            .as_object_mut()
            .context("an assessment is an object")?;
        if fields.remove("survey").is_some() {
            fields.insert("servqual_survey_id".into(), survey.id.into());
        }
        let definition: AssessmentDefinition = from_value(definition)?;
        let created = diagnosis::create_assessment(store, org, definition, now)?;
        for answer in a["answers"].as_array().into_iter().flatten() {
            let answer: AssessmentAnswer = from_value(answer.clone())?;
            diagnosis::answer(store, org, created.id, answer, now)?;
        }
    }
    for standard in plan["standards"].as_array().into_iter().flatten() {
        let standard: StandardDefinition = from_value(standard.clone())?;
        diagnosis::save(store, org, None, standard, now)?;
    }
    for promise in plan["promises"].as_array().into_iter().flatten() {
        let promise: PromiseDefinition = from_value(promise.clone())?;
        diagnosis::save(store, org, None, promise, now)?;
    }
    demo_case_history(store, &plan["case_history"])?;
    for study in plan["studies"].as_array().into_iter().flatten() {
        dosvid_server::research::save_study(store, org, None, from_value(study.clone())?, now)?;
    }
    let analytics = dosvid_server::analytics::Analytics::default();
    let index = analytics.index(store, org)?;
    let index = dosvid_server::analytics::read_index(&index);
    for template in plan["templates"].as_array().into_iter().flatten() {
        let template = from_value(template.clone())?;
        dosvid_server::research::save_template(
            store,
            &index,
            org,
            None,
            template,
            Some("uk"),
            now,
        )?;
    }
    Ok(())
}

/// The contact centre's cases of the three months before Dosvid came (its maturity evidence):
/// one for each of the first `count` negative comments at the contact centre from `from`,
/// resolved after a log-normal time of mean `mean_hours`, at the first contact in `fcr` of
/// them, with a personal owner in `owned` of them and none followed up.
fn demo_case_history(store: &dyn Store, plan: &serde_json::Value) -> anyhow::Result<()> {
    use dosvid_domain::case::{CaseEventKind, CasePatch, CaseStatus, NewCase, Priority};
    let org = store.default_org()?;
    let number = |key: &str| {
        plan[key]
            .as_f64()
            .with_context(|| format!("case_history.{key}"))
    };
    let from: chrono::NaiveDate = serde_json::from_value(plan["from"].clone())?;
    let (count, mean_hours, fcr, owned) = (
        number("count")?,
        number("mean_hours")?,
        number("fcr")?,
        number("owned")?,
    );
    let analytics = dosvid_server::analytics::Analytics::default();
    let index = analytics.index(store, org)?;
    let ids = {
        let index = dosvid_server::analytics::read_index(&index);
        let filters = dosvid_analytics::Filters {
            from: Some(from.to_string()),
            to: Some((from + chrono::Days::new(92)).to_string()),
            touchpoint: dosvid_analytics::OneOrMany::One(dosvid_analytics::Named::Key(
                "contact-centre".into(),
            )),
            sentiment: dosvid_analytics::OneOrMany::One(dosvid_text::Label::Negative),
            ..Default::default()
        };
        index.feedback_records(&filters, 0, count as usize)?.ids
    };
    let mut rng = dosvid_demo::rng::Rng::new(23);
    for record in store.feedback_by_ids(org, &ids)? {
        let opened = record.occurred_at + chrono::Duration::hours(1);
        let owner = rng
            .chance(owned)
            .then(|| format!("agent-{:03}", rng.range(1, 120)));
        let case = store.create_case(
            org,
            NewCase {
                title: "Скарга на обслуговування в контакт-центрі".into(),
                priority: Priority::Normal,
                owner,
                customer_id: record.customer_id,
                touchpoint: Some("contact-centre".into()),
                feedback_id: Some(record.id),
                ..Default::default()
            },
            Some("contact-centre"),
            opened,
        )?;
        // Log-normal with σ = 0.8: the median is the mean / e^(σ²/2).
        let normal = (rng.unit() + rng.unit() + rng.unit() + rng.unit() - 2.0) * 3f64.sqrt();
        let hours = mean_hours / (0.32f64).exp() * (0.8 * normal).exp();
        let contacts = if rng.chance(fcr) { 1 } else { 2 };
        for i in 0..contacts {
            let at = opened
                + chrono::Duration::minutes(
                    (hours * 60.0 * (i + 1) as f64 / contacts as f64) as i64 - 1,
                );
            store.add_case_event(
                org,
                case.id,
                CaseEventKind::Contact,
                Some("contact-centre"),
                "Дзвінок клієнту",
                at,
            )?;
        }
        let resolved = CasePatch {
            status: Some(CaseStatus::Resolved),
            root_cause: Some("queue_capacity".into()),
            resolution: Some("callback_made".into()),
            ..Default::default()
        };
        store.update_case(
            org,
            case.id,
            resolved,
            Some("contact-centre"),
            opened + chrono::Duration::minutes((hours * 60.0) as i64),
        )?;
    }
    Ok(())
}

/// Consents of some demo customers, once: every 50th agreed to marketing on the web, and every
/// 97th withdrew consent to surveys by phone (invitations to them are refused).
fn demo_consents(store: &dyn Store) -> anyhow::Result<()> {
    use dosvid_domain::ConsentInput;
    let org = store.default_org()?;
    let first = store.list_customers(org, &Filter::default(), PageRequest::first(1))?;
    let Some(first) = first.items.first() else {
        return Ok(());
    };
    if !store.consents(org, first.id)?.is_empty() {
        return Ok(());
    }
    let at = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .map(|t| t.and_utc())
    };
    let customers = dosvid_store::all_pages(|p| store.list_customers(org, &Filter::default(), p))?;
    for (i, customer) in customers.iter().enumerate() {
        let record = |purpose: &str, granted, channel: &str, when| {
            let consent = ConsentInput {
                purpose: purpose.into(),
                granted,
                channel: Some(channel.into()),
                at: when,
            };
            store.record_consent(org, customer.id, consent, chrono::Utc::now())
        };
        if i % 50 == 0 {
            record("marketing", true, "web", at(2025, 12, 1))?;
        }
        if i % 97 == 0 {
            record("surveys", false, "phone", at(2026, 3, 15))?;
        }
    }
    Ok(())
}

/// The demo survey's key, creating it if the database does not hold it yet.
fn demo_survey(store: &dyn Store) -> anyhow::Result<String> {
    let org = store.default_org()?;
    let definition: dosvid_domain::survey::SurveyDefinition =
        serde_json::from_str(dosvid_demo::SURVEY_JSON)?;
    let definition = definition.validate()?;
    match store.survey_by_key(org, &definition.key) {
        Ok(survey) => Ok(survey.key),
        Err(dosvid_store::StoreError::NotFound { .. }) => {
            let status = dosvid_domain::survey::SurveyStatus::Active;
            Ok(store
                .create_survey(org, definition, status, chrono::Utc::now())?
                .key)
        }
        Err(e) => Err(e.into()),
    }
}

fn build(store: &dyn Store, scale: u32) -> anyhow::Result<()> {
    let org = store.default_org()?;
    let started = Instant::now();
    eprintln!(
        "Building the demo company (scale {scale}); this takes a little while the first time…"
    );
    let kinds = [
        RecordKind::Interactions,
        RecordKind::Feedback,
        RecordKind::Transactions,
    ];
    for kind in kinds {
        store.begin_bulk_load(kind)?;
    }
    let bar = indicatif::ProgressBar::new(u64::from(dosvid_demo::MONTHS));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} month {pos}/{len} {msg}")
            .expect("valid template"),
    );
    let ingest = |signals: Signals| -> anyhow::Result<()> {
        let report = store.ingest(org, &signals, None, chrono::Utc::now())?;
        if let Some(r) = report.rejected.first() {
            anyhow::bail!(
                "the demo generator made an invalid {} record: {}: {}",
                report.kind.as_str(),
                r.field,
                r.message
            );
        }
        Ok(())
    };
    let counts = dosvid_demo::generate(dosvid_demo::DEFAULT_SEED, scale, |batch| match batch {
        Batch::Customers(c) => chunked(c, |c| ingest(Signals::Customers(c))),
        Batch::Interactions(i) => chunked(i, |i| ingest(Signals::Interactions(i))),
        Batch::Feedback(f) => chunked(f, |f| ingest(Signals::Feedback(f))),
        Batch::Transactions(t) => {
            bar.inc(1);
            chunked(t, |t| ingest(Signals::Transactions(t)))
        }
    });
    bar.set_message("rebuilding indexes");
    for kind in kinds {
        store.end_bulk_load(kind)?;
    }
    bar.finish_and_clear();
    let counts = counts?;
    eprintln!(
        "Built {} customers, {} interactions, {} feedback records and {} transactions in {:.0} s",
        counts.customers,
        counts.interactions,
        counts.feedback,
        counts.transactions,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Hands `records` to `f` in chunks of [`CHUNK`], each wrapped as a valid record.
fn chunked<T>(
    records: Vec<T>,
    mut f: impl FnMut(Vec<Result<T, dosvid_domain::FieldError>>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut records = records.into_iter().map(Ok).peekable();
    while records.peek().is_some() {
        f(records.by_ref().take(CHUNK).collect())?;
    }
    Ok(())
}

//! The journey editor (administrators and CX managers): stages, the touchpoint tree with its
//! moments of truth and owners, and the channels. Every change goes through the same store calls
//! and validation as the API, and tells the analytics index to read the journey again.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use dosvid_domain::user::Action;
use dosvid_domain::{
    ChannelKind, FieldError, Names, NewChannel, NewStage, NewTouchpoint, StagePatch, Touchpoint,
    TouchpointPatch,
};
use dosvid_store::{Filter, all_pages};
use maud::{Markup, html};

use super::app::{SignedIn, app_page, run_change, touchpoint_depth};
use super::i18n::Lang;
use super::{Form, html_response};
use crate::{ApiError, AppState};

/// What the last change did.
enum Outcome {
    None,
    Saved,
    Refused(String),
}

/// The touchpoints of a stage in tree order: each followed by the ones below it.
fn tree(stage: i64, all: &[Touchpoint]) -> Vec<&Touchpoint> {
    fn below<'a>(
        parent: Option<i64>,
        stage: i64,
        all: &'a [Touchpoint],
        out: &mut Vec<&'a Touchpoint>,
    ) {
        for t in all
            .iter()
            .filter(|t| t.stage_id == stage && t.parent_id == parent)
        {
            out.push(t);
            below(Some(t.id), stage, all, out);
        }
    }
    let mut out = Vec::new();
    below(None, stage, all, &mut out);
    out
}

/// The inputs of a thing's names: in the reader's language where the row shows it, and the other
/// two languages under it. `form` ties them to a form elsewhere in the row.
fn name_inputs(lang: Lang, names: &Names, name: &str, form: Option<&str>, label: &str) -> Markup {
    html! {
        input type="text" name=(name_field(lang)) value=(names.or(lang.code(), name)) form=[form] aria-label=(label) required;
        details.names {
            summary { (lang.ui().other_languages) }
            @for other in [Lang::Uk, Lang::En, Lang::Ru].into_iter().filter(|l| *l != lang) {
                label { (other.code()) " " input type="text" name=(name_field(other)) value=[names.get(other.code())] form=[form] lang=(other.code()); }
            }
        }
    }
}

/// The names a form posts (`name_uk`, `name_en`, `name_ru`).
fn names_of(form: &Form) -> Names {
    Names {
        uk: form.text("name_uk"),
        en: form.text("name_en"),
        ru: form.text("name_ru"),
    }
}

/// The form field of a name in a language.
fn name_field(lang: Lang) -> String {
    format!("name_{}", lang.code())
}

/// The name of a new thing: the one given in the reader's language.
fn new_name(form: &Form, lang: Lang) -> String {
    form.text(&name_field(lang)).unwrap_or_default()
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    let lang = signed.lang();
    let ui = lang.ui();
    let org = signed.session.user.org_id;
    let read = state
        .run(move |s| {
            Ok((
                all_pages(|p| s.list_journeys(org, p))?.into_iter().next(),
                all_pages(|p| s.list_touchpoints(org, &Filter::default(), p))?,
                all_pages(|p| s.list_channels(org, p))?,
            ))
        })
        .await;
    let (journey, touchpoints, channels) = match read {
        Ok(read) => read,
        Err(e) => return super::error::PageError::from(e).page(signed.lang()),
    };
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { (ui.journey_editor) }
        @match &outcome {
            Outcome::Saved => { div.notice role="status" { p { (ui.saved) } } }
            Outcome::Refused(message) => { p.error role="alert" { (message) } }
            Outcome::None => {}
        }
        @if let Some(journey) = &journey {
            @for stage in &journey.stages {
                section.editor-stage {
                    form.inline.stage-name method="post" action={ "/settings/stages/" (stage.id) } {
                        input type="hidden" name="csrf" value=(csrf);
                        (name_inputs(lang, &stage.names, &stage.name, None, ui.stage))
                        button.secondary.small type="submit" { (ui.save) }
                    }
                    @let ordered = tree(stage.id, &touchpoints);
                    div.scroll { table {
                        thead { tr { th { (ui.touchpoint) } th { (ui.key) } th { "★" } th { (ui.owner) } th {} } }
                        tbody {
                            @for t in &ordered {
                                @let form_id = format!("tp-{}", t.id);
                                tr data-touchpoint=(t.key) {
                                    td style={ "padding-left:" (0.5 + touchpoint_depth(t, &touchpoints) as f64 * 1.1) "rem" } {
                                        (name_inputs(lang, &t.names, &t.name, Some(&form_id), ui.touchpoint))
                                    }
                                    td { code { (t.key) } }
                                    td { input type="checkbox" name="moment_of_truth" value="yes" checked[t.moment_of_truth] form=(form_id) aria-label=(ui.moment_of_truth); }
                                    td { input type="text" name="owner" value=[t.owner_department.as_deref()] form=(form_id) aria-label=(ui.owner); }
                                    td.num {
                                        form.inline id=(form_id) method="post" action={ "/settings/touchpoints/" (t.id) } {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button.secondary.small type="submit" { (ui.save) }
                                        }
                                        form.inline method="post" action={ "/settings/touchpoints/" (t.id) "/delete" } {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button.secondary.small type="submit" { (ui.delete) }
                                        }
                                        details.move {
                                            summary { (ui.parent) }
                                            form.inline method="post" action={ "/settings/touchpoints/" (t.id) "/move" } {
                                                input type="hidden" name="csrf" value=(csrf);
                                                select name="parent" aria-label=(ui.parent) {
                                                    @for stage in journey.stages.iter() {
                                                        option value={ "stage:" (stage.id) } selected[t.parent_id.is_none() && t.stage_id == stage.id] { (stage.names.or(lang.code(), &stage.name)) }
                                                        @for other in touchpoints.iter().filter(|o| o.stage_id == stage.id && o.id != t.id) {
                                                            option value={ "touchpoint:" (other.id) } selected[t.parent_id == Some(other.id)] { "\u{a0}\u{a0}" (other.names.or(lang.code(), &other.name)) }
                                                        }
                                                    }
                                                }
                                                button.secondary.small type="submit" { (ui.save) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                    details {
                        summary { (ui.add_touchpoint) }
                        form.filters method="post" action="/settings/touchpoints" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="stage_id" value=(stage.id);
                            div.filter { label for={ "new-name-" (stage.id) } { (ui.touchpoint) } input id={ "new-name-" (stage.id) } type="text" name=(name_field(lang)) required; }
                            div.filter { label for={ "new-key-" (stage.id) } { (ui.key) } input id={ "new-key-" (stage.id) } type="text" name="key" required; }
                            div.filter {
                                label for={ "new-parent-" (stage.id) } { (ui.parent) }
                                select id={ "new-parent-" (stage.id) } name="parent_id" {
                                    option value="" { (ui.top_level) }
                                    @for t in &ordered { option value=(t.id) { (t.names.or(lang.code(), &t.name)) } }
                                }
                            }
                            div.filter { label for={ "new-owner-" (stage.id) } { (ui.owner) } input id={ "new-owner-" (stage.id) } type="text" name="owner"; }
                            div.filter { label { input type="checkbox" name="moment_of_truth" value="yes"; " " (ui.moment_of_truth) } }
                            div.filter { button.primary type="submit" { (ui.add_touchpoint) } }
                        }
                    }
                }
            }
            form.filters method="post" action="/settings/stages" {
                input type="hidden" name="csrf" value=(csrf);
                div.filter { label for="new-stage" { (ui.stage) } input #new-stage type="text" name=(name_field(lang)) required; }
                div.filter { button.primary type="submit" { (ui.add_stage) } }
            }
        }
        h2 { (ui.channels) }
        ul.list { @for c in &channels { li { (c.names.or(lang.code(), &c.name)) " · " code { (c.key) } " · " (c.kind.as_str()) } } }
        form.filters method="post" action="/settings/channels" {
            input type="hidden" name="csrf" value=(csrf);
            div.filter { label for="channel-name" { (ui.channel) } input #channel-name type="text" name=(name_field(lang)) required; }
            div.filter { label for="channel-key" { (ui.key) } input #channel-key type="text" name="key" required; }
            div.filter {
                label for="channel-kind" { (ui.kind) }
                select #channel-kind name="kind" { @for k in ChannelKind::ALL { option value=(k.as_str()) selected[k == ChannelKind::Custom] { (k.as_str()) } } }
            }
            div.filter { button.primary type="submit" { (ui.add_channel) } }
        }
    };
    html_response(
        status,
        app_page(signed, "/settings/journey", ui.journey_editor, body),
    )
}

fn allowed(signed: &SignedIn) -> bool {
    signed.may(ACTION)
}

/// What every form of this page does.
const ACTION: Action = Action::EditJourney;

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Response {
    if !allowed(&signed) {
        let ui = signed.lang().ui();
        return render(
            &state,
            &signed,
            Outcome::Refused(ui.not_allowed.into()),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    render(&state, &signed, Outcome::None, StatusCode::OK).await
}

/// One change: checked (role, CSRF), made on a blocking thread, then the index told to read the
/// journey again, and the editor shown with the outcome.
async fn change_journey(
    state: AppState,
    signed: SignedIn,
    headers: HeaderMap,
    body: Bytes,
    make: impl FnOnce(&dyn dosvid_store::Store, i64, &Form) -> Result<(), ApiError> + Send + 'static,
) -> Response {
    let form = Form::parse(&body);
    let made = run_change(&state, &signed, &headers, form, ACTION, move |op, form| {
        op.change_journey(|store, org| make(store, org, form))
    });
    match made.await {
        Ok(()) => render(&state, &signed, Outcome::Saved, StatusCode::OK).await,
        Err((status, message)) => render(&state, &signed, Outcome::Refused(message), status).await,
    }
}

fn id(raw: &str, field: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid(FieldError::new(field, "is not an id")))
}

pub async fn add_stage(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = signed.lang();
    change_journey(state, signed, headers, body, move |s, org, form| {
        let journey = all_pages(|p| s.list_journeys(org, p))?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::invalid(FieldError::new("journey", "there is no journey")))?;
        let stage = NewStage {
            name: new_name(form, lang),
            names: names_of(form),
            position: None,
            description: None,
        }
        .validate()?;
        s.create_stage(org, journey.id, stage, Utc::now())?;
        Ok(())
    })
    .await
}

pub async fn rename_stage(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(stage): Path<String>,
    body: Bytes,
) -> Response {
    change_journey(state, signed, headers, body, move |s, org, form| {
        let patch = StagePatch {
            name: None,
            names: Some(names_of(form)),
            position: None,
            description: None,
        }
        .validate()?;
        s.update_stage(org, id(&stage, "stage")?, patch)?;
        Ok(())
    })
    .await
}

pub async fn add_touchpoint(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = signed.lang();
    change_journey(state, signed, headers, body, move |s, org, form| {
        let touchpoint = NewTouchpoint {
            stage_id: id(form.one("stage_id").unwrap_or_default(), "stage_id")?,
            parent_id: form
                .text("parent_id")
                .map(|p| id(&p, "parent_id"))
                .transpose()?,
            key: form.one("key").unwrap_or_default().to_owned(),
            name: new_name(form, lang),
            names: names_of(form),
            moment_of_truth: form.one("moment_of_truth") == Some("yes"),
            owner_department: form.text("owner"),
            channels: Vec::new(),
        }
        .validate()?;
        s.create_touchpoint(org, touchpoint, Utc::now())?;
        Ok(())
    })
    .await
}

pub async fn update_touchpoint(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(touchpoint): Path<String>,
    body: Bytes,
) -> Response {
    change_journey(state, signed, headers, body, move |s, org, form| {
        let patch = TouchpointPatch {
            stage_id: None,
            parent_id: None,
            key: None,
            name: None,
            names: Some(names_of(form)),
            moment_of_truth: Some(form.one("moment_of_truth") == Some("yes")),
            owner_department: Some(form.text("owner")),
            channels: None,
        }
        .validate()?;
        s.update_touchpoint(org, id(&touchpoint, "touchpoint")?, patch)?;
        Ok(())
    })
    .await
}

pub async fn delete_touchpoint(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(touchpoint): Path<String>,
    body: Bytes,
) -> Response {
    change_journey(state, signed, headers, body, move |s, org, _| {
        s.delete_touchpoint(org, id(&touchpoint, "touchpoint")?)?;
        Ok(())
    })
    .await
}

/// Moves a touchpoint (with everything below it) under another touchpoint, or to the top of a
/// stage; the store refuses a move that would make the tree a loop.
pub async fn move_touchpoint(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(touchpoint): Path<String>,
    body: Bytes,
) -> Response {
    change_journey(state, signed, headers, body, move |s, org, form| {
        let target = form.one("parent").unwrap_or_default();
        let (stage_id, parent_id) = match target.split_once(':') {
            Some(("stage", stage)) => (Some(id(stage, "parent")?), Some(None)),
            Some(("touchpoint", parent)) => {
                let parent = s.get_touchpoint(org, id(parent, "parent")?)?;
                (Some(parent.stage_id), Some(Some(parent.id)))
            }
            _ => {
                return Err(ApiError::invalid(FieldError::new(
                    "parent",
                    "choose where it goes",
                )));
            }
        };
        let patch = TouchpointPatch {
            stage_id,
            parent_id,
            key: None,
            name: None,
            names: None,
            moment_of_truth: None,
            owner_department: None,
            channels: None,
        }
        .validate()?;
        s.update_touchpoint(org, id(&touchpoint, "touchpoint")?, patch)?;
        Ok(())
    })
    .await
}

pub async fn add_channel(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = signed.lang();
    change_journey(state, signed, headers, body, move |s, org, form| {
        let channel = NewChannel {
            key: form.one("key").unwrap_or_default().to_owned(),
            name: new_name(form, lang),
            names: names_of(form),
            kind: form
                .one("kind")
                .and_then(ChannelKind::parse)
                .unwrap_or(ChannelKind::Custom),
        }
        .validate()?;
        s.create_channel(org, channel, Utc::now())?;
        Ok(())
    })
    .await
}

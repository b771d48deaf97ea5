//! The demo company: "Kvant", a Ukrainian mobile operator, deterministic from a seed. It exists
//! so that a new user sees a living dataset at once, and so that later analytics have something
//! true to rediscover. Everything is simulated month by month for 24 months
//! (November 2024 – October 2026); nothing here does I/O.
//!
//! At scale 1: 20,000 customers; about 340,000 interactions, 110,000 feedback records (comments
//! in Ukrainian, Russian and English) and 450,000 transactions.
//!
//! # Planted effects (what analytics must find)
//!
//! 1. **The contact-centre queue is the strongest detractor driver.** Feedback on
//!    `contact-centre.queue` is 2.8 NPS points worse than the customer's baseline, and worse the
//!    longer the recorded wait (`wait_minutes` on the call); no other touchpoint comes close.
//! 2. **An app release drops app NPS.** Version 5.0 shipped in September 2025
//!    ([`APP_RELEASE_MONTH`]): that month feedback on `mobile-app.*` touchpoints and on the `app`
//!    channel is 3 points lower (1.2 lower in October, after a hotfix), with comments about crashes.
//! 3. **Premium customers are more loyal**: their latent loyalty is higher, so their NPS is about
//!    one point higher and they churn less.
//! 4. **Detractors churn more**: a customer who gave an NPS of 0–6 in the last three months is
//!    three times as likely to leave; leaving shows as a `cancellation` call and the end of their
//!    recurring transactions.
//! 5. **One agent serves worse**: feedback on the calls of [`WEAK_AGENT`] is
//!    [`WEAK_AGENT_EFFECT`] points lower; survey answers about a contact name the interaction,
//!    so they carry its agent and team (find it with `POST /api/v1/drivers` and the factor
//!    `agent`, or the agents on the Insights page).
//! 6. **The app's checkout loses customers at payment**: of the customers who reach
//!    `e-shop.checkout`, [`WEB_PAYMENT`] pay on the web and only [`APP_PAYMENT`] on the app (find
//!    it with `POST /api/v1/funnel` over `e-shop` → `e-shop.checkout` → `e-shop.checkout.payment`
//!    grouped by `channel`: the largest drop is the app's payment step).
//! 7. **A queue fix worked in one region**: from May 2026 ([`QUEUE_FIX_MONTH`]) the contact
//!    centre calls customers of [`QUEUE_FIX_REGION`] back instead of keeping them waiting, so
//!    their feedback on `contact-centre.queue` loses its penalty (−0.3 instead of −2.8 − 0.05 ×
//!    wait). The demo's strategy cycle holds it as an initiative whose impact
//!    (`GET /api/v1/initiatives/{id}/impact`) is a significant NPS rise at the contact centre of
//!    that region, beside an app initiative that changed nothing (the app's customers are
//!    treated alike before and after) and one still running.
//! 8. **The company's diagnosis** ([`DIAGNOSIS_JSON`]): Kvant's managers underestimate how fast
//!    customers expect an answer — they rate the responsiveness item of the SERVQUAL survey 4.7
//!    on average against customers' 6.4, the widest item of gap 1 — and customers perceive
//!    responsiveness worst (the most negative dimension of gap 5). Readiness rose from spring to
//!    autumn 2026 but motivation stays the weakest block (staff KPIs carry no experience
//!    measure), and the managers disagree about the organisation block (the head of the contact
//!    centre answers 1–2, the others 4–5). The radio advert's promise, every contact-centre
//!    question settled within ten minutes, is kept less often than the internal fifteen-minute
//!    standard (gap 4 above gap 3); the standards cover the contact centre and the stores'
//!    consultants only, so the app and billing carry most of gap 2. Three studies hold
//!    customers' quotes at the queue, the invoice and the app's login, and a five-whys chain
//!    ending at the root cause `queue_capacity`, which the demo's cases carry too. The contact
//!    centre's 400 cases of August–October 2026 (mean 20 hours to resolve, four in five at the
//!    first contact, 60% with a personal owner, none followed up) put Kvant at maturity level 2
//!    by its data, where its managers put it too.

mod comments;
pub mod rng;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use dosvid_domain::{
    CustomerRef, FeedbackSource, Identity, IdentityKind, NewCustomer, NewFeedback, NewInteraction,
    NewTransaction, Ref, TransactionKind,
};

use comments::{Lang, Theme};
use rng::Rng;

/// The first month simulated.
pub const START: (i32, u32) = (2024, 11);
/// How many months are simulated.
pub const MONTHS: u32 = 24;
/// The month app version 5.0 shipped.
pub const APP_RELEASE_MONTH: (i32, u32) = (2025, 9);
/// The agent whose customers come away less happy (planted effect 5).
pub const WEAK_AGENT: &str = "agent-013";
/// How many points of the 0–10 answer the weak agent costs.
pub const WEAK_AGENT_EFFECT: f64 = 2.0;
/// The share of customers who visit the online shop in a month.
const SHOP_VISITS: f64 = 0.06;
/// Of those who reach the checkout, the share who pay: on the web, and on the app (planted
/// effect 6).
pub const WEB_PAYMENT: f64 = 0.85;
pub const APP_PAYMENT: f64 = 0.4;
/// The region where the contact centre calls back instead of queueing, and from when (planted
/// effect 7).
pub const QUEUE_FIX_REGION: &str = "Lviv";
pub const QUEUE_FIX_MONTH: (i32, u32) = (2026, 5);
/// The seed `dosvid demo` uses.
pub const DEFAULT_SEED: u64 = 20_251_123;

/// A batch of records, emitted in an order that keeps references valid: all customers first,
/// then each month's signals.
#[derive(Debug)]
pub enum Batch {
    Customers(Vec<NewCustomer>),
    Interactions(Vec<NewInteraction>),
    Feedback(Vec<NewFeedback>),
    Transactions(Vec<NewTransaction>),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub customers: usize,
    pub interactions: usize,
    pub feedback: usize,
    pub transactions: usize,
}

struct Customer {
    external_id: String,
    lang: Lang,
    region: &'static str,
    price_minor: i64,
    loyalty: f64,
    joined: u32,
    churned: Option<u32>,
    last_detractor: Option<u32>,
    billing_day: u32,
}

/// One kind of contact: where it happens and how it feels.
struct Contact {
    touchpoint: &'static str,
    channels: &'static [&'static str],
    kind: &'static str,
    weight: f64,
    /// NPS points relative to the customer's baseline.
    effect: f64,
    theme: Theme,
    /// Asks the customer-effort question.
    service: bool,
}

const CONTACTS: &[Contact] = &[
    Contact {
        touchpoint: "mobile-app.login",
        channels: &["app"],
        kind: "login",
        weight: 0.10,
        effect: 0.3,
        theme: Theme::App,
        service: false,
    },
    Contact {
        touchpoint: "mobile-app.self-service",
        channels: &["app"],
        kind: "self_service",
        weight: 0.12,
        effect: 0.4,
        theme: Theme::App,
        service: true,
    },
    Contact {
        touchpoint: "billing.top-up",
        channels: &["app", "web", "store"],
        kind: "top_up",
        weight: 0.07,
        effect: 0.3,
        theme: Theme::Billing,
        service: true,
    },
    Contact {
        touchpoint: "billing.invoice",
        channels: &["email", "web"],
        kind: "invoice_view",
        weight: 0.06,
        effect: -0.6,
        theme: Theme::Billing,
        service: false,
    },
    Contact {
        touchpoint: "contact-centre",
        channels: &["phone"],
        kind: "call",
        weight: 0.17,
        effect: 0.0,
        theme: Theme::Agent,
        service: true,
    },
    Contact {
        touchpoint: "chat-support",
        channels: &["chat", "app"],
        kind: "chat",
        weight: 0.07,
        effect: 0.1,
        theme: Theme::Chat,
        service: true,
    },
    Contact {
        touchpoint: "store",
        channels: &["store"],
        kind: "visit",
        weight: 0.05,
        effect: 0.0,
        theme: Theme::Store,
        service: true,
    },
    Contact {
        touchpoint: "website.tariffs",
        channels: &["web"],
        kind: "page_view",
        weight: 0.05,
        effect: 0.0,
        theme: Theme::Price,
        service: false,
    },
    Contact {
        touchpoint: "website.coverage-map",
        channels: &["web"],
        kind: "page_view",
        weight: 0.02,
        effect: -0.3,
        theme: Theme::Network,
        service: false,
    },
    Contact {
        touchpoint: "e-shop.checkout",
        channels: &["web"],
        kind: "order",
        weight: 0.03,
        effect: 0.1,
        theme: Theme::Delivery,
        service: true,
    },
    Contact {
        touchpoint: "knowledge-base",
        channels: &["web", "app"],
        kind: "article_view",
        weight: 0.04,
        effect: -0.1,
        theme: Theme::General,
        service: true,
    },
    Contact {
        touchpoint: "email-support",
        channels: &["email"],
        kind: "email",
        weight: 0.03,
        effect: -0.4,
        theme: Theme::Agent,
        service: true,
    },
    Contact {
        touchpoint: "technician-visit",
        channels: &["phone"],
        kind: "visit",
        weight: 0.01,
        effect: -0.2,
        theme: Theme::Network,
        service: true,
    },
    Contact {
        touchpoint: "social-forums",
        channels: &["social"],
        kind: "post",
        weight: 0.01,
        effect: -0.5,
        theme: Theme::General,
        service: false,
    },
    Contact {
        touchpoint: "referrals",
        channels: &["app"],
        kind: "referral",
        weight: 0.01,
        effect: 1.0,
        theme: Theme::General,
        service: false,
    },
];

const SEGMENTS: &[(&str, f64)] = &[
    ("mass", 0.55),
    ("premium", 0.12),
    ("business", 0.10),
    ("youth", 0.15),
    ("senior", 0.08),
];
const REGIONS: &[(&str, f64)] = &[
    ("Kyiv", 0.30),
    ("Lviv", 0.12),
    ("Kharkiv", 0.11),
    ("Odesa", 0.11),
    ("Dnipro", 0.10),
    ("Zaporizhzhia", 0.06),
    ("Vinnytsia", 0.05),
    ("Other", 0.15),
];
const PLANS: &[(&str, i64)] = &[
    ("basic", 150),
    ("standard", 250),
    ("pro", 400),
    ("unlimited", 600),
];
const FIRST: &[(&str, &str)] = &[
    ("Олена", "olena"),
    ("Андрій", "andrii"),
    ("Ірина", "iryna"),
    ("Тарас", "taras"),
    ("Марія", "mariia"),
    ("Олександр", "oleksandr"),
    ("Наталія", "nataliia"),
    ("Дмитро", "dmytro"),
    ("Юлія", "yuliia"),
    ("Сергій", "serhii"),
    ("Оксана", "oksana"),
    ("Богдан", "bohdan"),
    ("Катерина", "kateryna"),
    ("Максим", "maksym"),
    ("Світлана", "svitlana"),
    ("Віктор", "viktor"),
];
const LAST: &[(&str, &str)] = &[
    ("Коваленко", "kovalenko"),
    ("Шевченко", "shevchenko"),
    ("Бондаренко", "bondarenko"),
    ("Ткаченко", "tkachenko"),
    ("Кравченко", "kravchenko"),
    ("Мельник", "melnyk"),
    ("Олійник", "oliinyk"),
    ("Лисенко", "lysenko"),
    ("Руденко", "rudenko"),
    ("Савченко", "savchenko"),
    ("Петренко", "petrenko"),
    ("Марченко", "marchenko"),
];
const EN_FIRST: &[&str] = &[
    "John", "Emma", "David", "Sophie", "Michael", "Anna", "James", "Laura",
];
const EN_LAST: &[&str] = &["Smith", "Brown", "Wilson", "Taylor", "Miller", "Clark"];
const DOMAINS: &[&str] = &["gmail.com", "ukr.net", "i.ua", "meta.ua", "outlook.com"];
const PHONE_CODES: &[&str] = &["67", "68", "96", "97", "98", "50", "66", "95", "63", "93"];

fn month_of(index: u32) -> (i32, u32) {
    let m0 = START.1 - 1 + index;
    (START.0 + (m0 / 12) as i32, m0 % 12 + 1)
}

fn at(month: u32, day: u32, rng: &mut Rng) -> DateTime<Utc> {
    let (y, m) = month_of(month);
    let date = NaiveDate::from_ymd_opt(y, m, day.clamp(1, 28)).expect("valid day");
    let hour = *rng.weighted(&[
        (8u32, 1.0),
        (10, 2.0),
        (12, 2.0),
        (14, 2.0),
        (16, 2.0),
        (18, 2.0),
        (20, 1.5),
        (22, 0.5),
    ]);
    let time = date
        .and_hms_opt(
            hour + rng.below(2) as u32,
            rng.below(60) as u32,
            rng.below(60) as u32,
        )
        .expect("valid time");
    Utc.from_utc_datetime(&time)
}

/// Whether the customer's calls are answered by a call-back (planted effect 7).
fn queue_fixed(c: &Customer, month: u32) -> bool {
    c.region == QUEUE_FIX_REGION && month_of(month) >= QUEUE_FIX_MONTH
}

fn clamp(x: f64, lo: i16, hi: i16) -> i16 {
    (x.round() as i16).clamp(lo, hi)
}

/// The channels a touchpoint of the template is reached through (none: any).
fn template_channels(touchpoint: &str) -> &'static [&'static str] {
    fn find(
        ts: &'static [dosvid_domain::journey::TemplateTouchpoint],
        key: &str,
    ) -> Option<&'static [&'static str]> {
        ts.iter().find_map(|t| {
            (t.key == key)
                .then_some(t.channels)
                .or_else(|| find(t.children, key))
        })
    }
    dosvid_domain::journey::DEFAULT_STAGES
        .iter()
        .find_map(|s| find(s.touchpoints, touchpoint))
        .unwrap_or(&[])
}

/// `channel`, if the touchpoint is reached through it; else the touchpoint's first channel.
fn fitting(touchpoint: &str, channel: &'static str) -> &'static str {
    match template_channels(touchpoint) {
        [] => channel,
        channels if channels.contains(&channel) => channel,
        [first, ..] => first,
    }
}

fn key(k: &str) -> Ref {
    Ref::Key(k.to_owned())
}

fn customer_ref(c: &Customer) -> CustomerRef {
    CustomerRef {
        id: None,
        external_id: Some(c.external_id.clone()),
        identities: Vec::new(),
    }
}

fn make_customers(rng: &mut Rng, n: usize) -> (Vec<Customer>, Vec<NewCustomer>) {
    let mut sim = Vec::with_capacity(n);
    let mut records = Vec::with_capacity(n);
    for i in 0..n {
        let lang = *rng.weighted(&[(Lang::Uk, 0.68), (Lang::Ru, 0.22), (Lang::En, 0.10)]);
        let segment = *rng.weighted(SEGMENTS);
        let plan_index = match segment {
            "premium" => 2 + rng.below(2),
            "youth" | "senior" => rng.below(2),
            _ => rng.below(4),
        };
        let (plan, price) = PLANS[plan_index];
        let price = if segment == "business" {
            price * 5 / 2
        } else {
            price
        };
        let loyalty = rng.normal()
            + match segment {
                "premium" => 0.8,
                "business" => 0.2,
                "senior" => 0.2,
                "youth" => -0.2,
                _ => 0.0,
            };
        let joined = if rng.chance(0.75) {
            0
        } else {
            1 + rng.below(MONTHS as usize - 1) as u32
        };
        let (name, handle) = if lang == Lang::En {
            let (f, l) = (rng.pick(EN_FIRST), rng.pick(EN_LAST));
            (
                format!("{f} {l}"),
                format!("{}.{}", f.to_lowercase(), l.to_lowercase()),
            )
        } else {
            let ((f, fl), (l, ll)) = (rng.pick(FIRST), rng.pick(LAST));
            (format!("{f} {l}"), format!("{fl}.{ll}"))
        };
        let external_id = format!("KV-{:06}", i + 1);
        let mut identities = Vec::new();
        if rng.chance(0.85) {
            let email = format!("{handle}{}@{}", i + 1, rng.pick(DOMAINS));
            identities
                .push(Identity::parse(IdentityKind::Email, &email, "email").expect("valid e-mail"));
        }
        if rng.chance(0.95) {
            let phone = format!(
                "+380{}{:07}",
                rng.pick(PHONE_CODES),
                (i * 7919 + 1_000_003) % 10_000_000
            );
            identities
                .push(Identity::parse(IdentityKind::Phone, &phone, "phone").expect("valid phone"));
        }
        let mut attributes = dosvid_domain::Attributes::new();
        let tenure = rng.range(0, 12);
        attributes.insert("tenure_years".into(), tenure.into());
        attributes.insert(
            "device".into(),
            (*rng.pick(&["android", "ios", "feature_phone"])).into(),
        );
        let region = *rng.weighted(REGIONS);
        records.push(NewCustomer {
            external_id: Some(external_id.clone()),
            name: Some(name),
            language: Some(lang.code().into()),
            segment: Some(segment.into()),
            region: Some(region.into()),
            plan: Some(plan.into()),
            attributes,
            identities,
        });
        sim.push(Customer {
            external_id,
            lang,
            region,
            price_minor: price * 100,
            loyalty,
            joined,
            churned: None,
            last_detractor: None,
            billing_day: 1 + rng.below(28) as u32,
        });
    }
    (sim, records)
}

/// Everything one month adds.
#[derive(Default)]
struct Month {
    interactions: Vec<NewInteraction>,
    feedback: Vec<NewFeedback>,
    transactions: Vec<NewTransaction>,
}

struct Sim {
    rng: Rng,
    serial: usize,
}

impl Sim {
    fn next_id(&mut self, prefix: &str) -> String {
        self.serial += 1;
        format!("{prefix}-{}", self.serial)
    }

    /// The month's shift in app experience: the release and its hotfix.
    fn release_effect(month: u32, touchpoint: &str, channel: &str) -> f64 {
        let app = touchpoint.starts_with("mobile-app") || channel == "app";
        let release = (0..MONTHS)
            .find(|m| month_of(*m) == APP_RELEASE_MONTH)
            .unwrap_or(u32::MAX);
        match month {
            m if app && m == release => -3.0,
            m if app && m == release + 1 => -1.2,
            _ => 0.0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn survey(
        &mut self,
        c: &mut Customer,
        month: u32,
        when: DateTime<Utc>,
        touchpoint: &str,
        channel: &str,
        effect: f64,
        theme: Theme,
        service: bool,
        interaction: Option<&str>,
        out: &mut Month,
    ) {
        let rng = &mut self.rng;
        let latent = 7.2
            + 0.9 * c.loyalty
            + effect
            + Self::release_effect(month, touchpoint, channel)
            + 1.5 * rng.normal();
        let nps = clamp(latent, 0, 10);
        if nps <= 6 {
            c.last_detractor = Some(month);
        }
        let csat = rng
            .chance(0.7)
            .then(|| clamp(3.8 + (latent - 7.2) * 0.45 + 0.5 * rng.normal(), 1, 5));
        let queue_penalty = if touchpoint == "contact-centre.queue" && !queue_fixed(c, month) {
            1.0
        } else {
            0.0
        };
        let ces = (service && rng.chance(0.5)).then(|| {
            clamp(
                5.2 + (latent - 7.2) * 0.5 - queue_penalty + 0.8 * rng.normal(),
                1,
                7,
            )
        });
        let wants_comment = 0.25 + if nps <= 4 || nps == 10 { 0.25 } else { 0.0 };
        let lang = if rng.chance(0.07) {
            *rng.pick(&[Lang::Uk, Lang::Ru, Lang::En])
        } else {
            c.lang
        };
        let theme = if Self::release_effect(month, touchpoint, channel) < -2.0 && nps <= 6 {
            Theme::App
        } else {
            theme
        };
        let comment = rng
            .chance(wants_comment)
            .then(|| comments::compose(theme, lang, nps, rng));
        let language = comment.as_ref().map(|_| lang.code().to_owned());
        let external_id = self.next_id("fb");
        out.feedback.push(
            NewFeedback {
                external_id: Some(external_id),
                customer: Some(customer_ref(c)),
                touchpoint: Some(key(touchpoint)),
                channel: Some(key(channel)),
                source: FeedbackSource::Survey,
                occurred_at: when + chrono::Duration::minutes(30 + self.rng.range(0, 600)),
                nps: Some(nps),
                csat,
                ces,
                rating: None,
                rating_scale: None,
                comment,
                language,
                // Feedback on a contact names it, and so its agent and team.
                interaction: interaction.map(|id| Ref::Key(id.to_owned())),
                agent: None,
                team: None,
                attributes: Default::default(),
                sentiment: None,
                garbage: None,
                themes: None,
                emotions: None,
            }
            .analysed(dosvid_text::Themes::default_themes()),
        );
        // Some of the angriest also complain, in words only.
        if nps <= 3 && self.rng.chance(0.12) {
            let picked: &&'static str = self.rng.pick(&["phone", "email", "social"]);
            let channel = fitting(touchpoint, picked);
            let comment = comments::compose(theme, c.lang, 0, &mut self.rng);
            let external_id = self.next_id("fb");
            out.feedback.push(
                NewFeedback {
                    external_id: Some(external_id),
                    customer: Some(customer_ref(c)),
                    touchpoint: Some(key(touchpoint)),
                    channel: Some(key(channel)),
                    source: FeedbackSource::Complaint,
                    occurred_at: when + chrono::Duration::hours(self.rng.range(2, 72)),
                    nps: None,
                    csat: None,
                    ces: None,
                    rating: None,
                    rating_scale: None,
                    comment: Some(comment),
                    language: Some(c.lang.code().into()),
                    interaction: None,
                    agent: None,
                    team: None,
                    attributes: Default::default(),
                    sentiment: None,
                    garbage: None,
                    themes: None,
                    emotions: None,
                }
                .analysed(dosvid_text::Themes::default_themes()),
            );
        }
    }

    fn contact(&mut self, c: &mut Customer, month: u32, out: &mut Month) {
        let weights: Vec<(usize, f64)> = CONTACTS
            .iter()
            .enumerate()
            .map(|(i, k)| (i, k.weight))
            .collect();
        let contact = &CONTACTS[*self.rng.weighted(&weights)];
        let channel = *self.rng.pick(contact.channels);
        let when = at(month, 1 + self.rng.below(28) as u32, &mut self.rng);
        let mut attributes = dosvid_domain::Attributes::new();
        let (mut duration, mut outcome, mut agent, mut team) = (None, None, None, None);
        // Where the feedback lands, and how it feels there.
        let (mut feedback_touchpoint, mut effect, mut theme) =
            (contact.touchpoint, contact.effect, contact.theme);
        match contact.touchpoint {
            "contact-centre" => {
                let wait = (-6.0 * (1.0 - self.rng.unit()).ln()).min(60.0);
                attributes.insert("wait_minutes".into(), ((wait * 10.0).round() / 10.0).into());
                duration = Some((wait * 60.0) as i64 + self.rng.range(60, 900));
                let resolved = self.rng.chance(0.78);
                outcome = Some(if resolved { "resolved" } else { "unresolved" }.to_owned());
                agent = Some(format!("agent-{:03}", self.rng.range(1, 120)));
                team = Some(
                    (*self
                        .rng
                        .pick(&["retention", "billing", "tech-support", "general"]))
                    .to_owned(),
                );
                (feedback_touchpoint, effect, theme) = *self.rng.weighted(&[
                    (
                        ("contact-centre.queue", -2.8 - 0.05 * wait, Theme::Queue),
                        0.45,
                    ),
                    (
                        (
                            "contact-centre.agent",
                            if resolved { 0.5 } else { -1.5 },
                            Theme::Agent,
                        ),
                        0.40,
                    ),
                    (("contact-centre.ivr", -1.0, Theme::Ivr), 0.15),
                ]);
            }
            "store" => {
                (feedback_touchpoint, effect) = *self.rng.weighted(&[
                    (("store.queue", -0.9), 0.4),
                    (("store.consultant", 0.5), 0.6),
                ]);
            }
            "e-shop.checkout" => {
                (feedback_touchpoint, effect) = *self.rng.weighted(&[
                    (("e-shop.delivery", -0.7), 0.6),
                    (("e-shop.checkout", 0.1), 0.4),
                ]);
            }
            _ => {}
        }
        if feedback_touchpoint == "contact-centre.queue" && queue_fixed(c, month) {
            effect = -0.3;
        }
        if agent.as_deref() == Some(WEAK_AGENT) {
            effect -= WEAK_AGENT_EFFECT;
        }
        let external_id = self.next_id("int");
        out.interactions.push(NewInteraction {
            external_id: Some(external_id.clone()),
            customer: Some(customer_ref(c)),
            touchpoint: Some(key(contact.touchpoint)),
            channel: key(channel),
            kind: contact.kind.to_owned(),
            occurred_at: when,
            duration_seconds: duration,
            outcome,
            agent,
            team,
            attributes,
        });
        if self.rng.chance(0.27) {
            self.survey(
                c,
                month,
                when,
                feedback_touchpoint,
                channel,
                effect,
                theme,
                contact.service,
                Some(&external_id),
                out,
            );
        }
    }

    fn money(&mut self, c: &Customer, month: u32, out: &mut Month) {
        let when = at(month, c.billing_day, &mut self.rng);
        let mut push = |sim: &mut Sim, kind, amount_minor, product: &str, when| {
            let external_id = sim.next_id("tx");
            out.transactions.push(NewTransaction {
                external_id: Some(external_id),
                customer: customer_ref(c),
                occurred_at: when,
                amount_minor,
                currency: "UAH".into(),
                kind,
                product: Some(product.to_owned()),
                attributes: Default::default(),
            });
        };
        push(
            self,
            TransactionKind::Recurring,
            c.price_minor,
            "monthly plan",
            when,
        );
        if self.rng.chance(0.05) {
            let (product, lo, hi) = *self.rng.pick(&[
                ("smartphone", 6_000, 25_000),
                ("router", 1_200, 3_500),
                ("accessories", 200, 1_500),
                ("roaming package", 300, 900),
            ]);
            let amount = self.rng.range(lo, hi) * 100;
            let when = at(month, 1 + self.rng.below(28) as u32, &mut self.rng);
            push(self, TransactionKind::Purchase, amount, product, when);
            if self.rng.chance(0.06) {
                push(
                    self,
                    TransactionKind::Refund,
                    amount,
                    product,
                    when + chrono::Duration::days(3),
                );
            }
        }
    }

    fn churns(&mut self, c: &Customer, month: u32) -> bool {
        let recent_detractor = c.last_detractor.is_some_and(|m| month - m < 3);
        let hazard = 0.008 * (-0.6 * c.loyalty).exp() * if recent_detractor { 3.0 } else { 1.0 };
        self.rng.chance(hazard.min(0.5))
    }

    fn cancellation(&mut self, c: &Customer, month: u32, out: &mut Month) {
        let when = at(month, 1 + self.rng.below(28) as u32, &mut self.rng);
        let external_id = self.next_id("int");
        out.interactions.push(NewInteraction {
            external_id: Some(external_id),
            customer: Some(customer_ref(c)),
            touchpoint: Some(key("contact-centre.agent")),
            channel: key("phone"),
            kind: "cancellation".into(),
            occurred_at: when,
            duration_seconds: Some(self.rng.range(120, 900)),
            outcome: Some("churned".into()),
            agent: Some(format!("agent-{:03}", self.rng.range(1, 120))),
            team: Some("retention".into()),
            attributes: Default::default(),
        });
    }

    /// A visit to the online shop: the shop, the checkout, the payment — on the app, the
    /// payment step loses most of those who reach it (planted effect 6).
    fn shop(&mut self, c: &Customer, month: u32, out: &mut Month) {
        if !self.rng.chance(SHOP_VISITS) {
            return;
        }
        let channel = *self.rng.pick(&["web", "app"]);
        let start = at(month, 1 + self.rng.below(28) as u32, &mut self.rng);
        let pays = if channel == "app" {
            APP_PAYMENT
        } else {
            WEB_PAYMENT
        };
        let steps = [
            ("e-shop", "visit", 1.0),
            ("e-shop.checkout", "checkout", 0.6),
            ("e-shop.checkout.payment", "payment", pays),
        ];
        let mut when = start;
        for (touchpoint, kind, goes_on) in steps {
            if !self.rng.chance(goes_on) {
                break;
            }
            when += chrono::Duration::minutes(self.rng.range(2, 40));
            let external_id = self.next_id("int");
            out.interactions.push(NewInteraction {
                external_id: Some(external_id),
                customer: Some(customer_ref(c)),
                touchpoint: Some(key(touchpoint)),
                channel: key(channel),
                kind: kind.to_owned(),
                occurred_at: when,
                duration_seconds: Some(self.rng.range(20, 600)),
                outcome: None,
                agent: None,
                team: None,
                attributes: Default::default(),
            });
        }
    }

    /// A relationship survey (NPS about the company, not one contact) and the occasional review.
    fn relationship(&mut self, c: &mut Customer, month: u32, out: &mut Month) {
        if month.is_multiple_of(3) && self.rng.chance(0.15) {
            let when = at(month, 1 + self.rng.below(28) as u32, &mut self.rng);
            let (touchpoint, effect, theme) = *self.rng.weighted(&[
                (("network", -0.4, Theme::Network), 0.5),
                (("website.tariffs", -0.2, Theme::Price), 0.3),
                (("social-networks", 0.0, Theme::General), 0.2),
            ]);
            let channel = fitting(touchpoint, "email");
            self.survey(
                c, month, when, touchpoint, channel, effect, theme, false, None, out,
            );
        }
        if self.rng.chance(0.004) {
            let when = at(month, 1 + self.rng.below(28) as u32, &mut self.rng);
            let rating = clamp(3.6 + 0.8 * c.loyalty + self.rng.normal(), 1, 5);
            let comment = comments::compose(
                Theme::General,
                c.lang,
                if rating >= 4 { 10 } else { 2 },
                &mut self.rng,
            );
            let external_id = self.next_id("fb");
            out.feedback.push(
                NewFeedback {
                    external_id: Some(external_id),
                    customer: Some(customer_ref(c)),
                    touchpoint: Some(key("review-sites")),
                    channel: Some(key("web")),
                    source: FeedbackSource::Review,
                    occurred_at: when,
                    nps: None,
                    csat: None,
                    ces: None,
                    rating: Some(rating),
                    rating_scale: Some(5),
                    comment: Some(comment),
                    language: Some(c.lang.code().into()),
                    interaction: None,
                    agent: None,
                    team: None,
                    attributes: Default::default(),
                    sentiment: None,
                    garbage: None,
                    themes: None,
                    emotions: None,
                }
                .analysed(dosvid_text::Themes::default_themes()),
            );
        }
    }
}

/// Generates the demo company, handing each batch to `emit` as it is ready.
pub fn generate<E>(
    seed: u64,
    scale: u32,
    mut emit: impl FnMut(Batch) -> Result<(), E>,
) -> Result<Counts, E> {
    let mut sim = Sim {
        rng: Rng::new(seed),
        serial: 0,
    };
    let (mut customers, records) = make_customers(&mut sim.rng, 20_000 * scale.max(1) as usize);
    let mut counts = Counts {
        customers: records.len(),
        ..Counts::default()
    };
    emit(Batch::Customers(records))?;
    for month in 0..MONTHS {
        let mut out = Month::default();
        for c in customers.iter_mut() {
            if month < c.joined || c.churned.is_some() {
                continue;
            }
            if month == c.joined && c.joined > 0 {
                let when = at(month, 1 + sim.rng.below(28) as u32, &mut sim.rng);
                let channel = *sim.rng.pick(&["store", "app", "web"]);
                let external_id = sim.next_id("int");
                out.interactions.push(NewInteraction {
                    external_id: Some(external_id),
                    customer: Some(customer_ref(c)),
                    touchpoint: Some(key("activation")),
                    channel: key(channel),
                    kind: "activation".into(),
                    occurred_at: when,
                    duration_seconds: None,
                    outcome: Some("completed".into()),
                    agent: None,
                    team: None,
                    attributes: Default::default(),
                });
                if sim.rng.chance(0.3) {
                    sim.survey(
                        c,
                        month,
                        when,
                        "activation",
                        channel,
                        0.3,
                        Theme::Store,
                        true,
                        None,
                        &mut out,
                    );
                }
            }
            sim.money(c, month, &mut out);
            for _ in 0..sim.rng.poisson(1.0) {
                sim.contact(c, month, &mut out);
            }
            sim.shop(c, month, &mut out);
            sim.relationship(c, month, &mut out);
            if sim.churns(c, month) {
                sim.cancellation(c, month, &mut out);
                c.churned = Some(month);
            }
        }
        counts.interactions += out.interactions.len();
        counts.feedback += out.feedback.len();
        counts.transactions += out.transactions.len();
        emit(Batch::Interactions(out.interactions))?;
        emit(Batch::Feedback(out.feedback))?;
        emit(Batch::Transactions(out.transactions))?;
    }
    Ok(counts)
}

/// The last moment the demo covers; records are never in the future of a real clock.
pub fn end() -> DateTime<Utc> {
    let (y, m) = month_of(MONTHS);
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
        .single()
        .expect("valid date")
        - chrono::Duration::seconds(1)
}

/// The demo's survey (after a call to the contact centre, in three languages), as a definition
/// in the API's JSON shape: `dosvid demo` creates it so its public page can be tried at once.
pub const SURVEY_JSON: &str = include_str!("survey.json");

/// The demo's first strategy cycle (planted effect 7 is its working initiative): the cycle, its
/// stages, goals (each with `target_change`, the target being the baseline plus it, and
/// `parent` naming another goal's `key`) and initiatives (each with the statuses it went
/// through). `dosvid demo` loads it through the same functions as the API.
pub const STRATEGY_JSON: &str = include_str!("strategy.json");

/// The demo's diagnosis (planted effect 8): a SERVQUAL survey with the means its
/// customers' answers are drawn around, two readiness assessments answered by Kvant's managers
/// (the second also rating customers' expectations), its service standards and the promises
/// its communications made. `dosvid demo` loads it through the same functions as the API.
pub const DIAGNOSIS_JSON: &str = include_str!("diagnosis.json");

/// The demo company's names for the values of its data (segments, regions, plans, devices,
/// interaction kinds and outcomes, products, attributes), by kind and key: uk, en, ru.
pub const VOCABULARY: &[(&str, &str, [&str; 3])] = &[
    ("segment", "mass", ["Масовий", "Mass market", "Массовый"]),
    ("segment", "premium", ["Преміум", "Premium", "Премиум"]),
    ("segment", "business", ["Бізнес", "Business", "Бизнес"]),
    ("segment", "youth", ["Молодь", "Youth", "Молодёжь"]),
    (
        "segment",
        "senior",
        ["Старше покоління", "Seniors", "Старшее поколение"],
    ),
    ("region", "Kyiv", ["Київ", "Kyiv", "Киев"]),
    ("region", "Lviv", ["Львів", "Lviv", "Львов"]),
    ("region", "Kharkiv", ["Харків", "Kharkiv", "Харьков"]),
    ("region", "Odesa", ["Одеса", "Odesa", "Одесса"]),
    ("region", "Dnipro", ["Дніпро", "Dnipro", "Днепр"]),
    (
        "region",
        "Zaporizhzhia",
        ["Запоріжжя", "Zaporizhzhia", "Запорожье"],
    ),
    ("region", "Vinnytsia", ["Вінниця", "Vinnytsia", "Винница"]),
    (
        "region",
        "Other",
        ["Інші регіони", "Other regions", "Другие регионы"],
    ),
    ("plan", "basic", ["Базовий", "Basic", "Базовый"]),
    ("plan", "standard", ["Стандарт", "Standard", "Стандарт"]),
    ("plan", "pro", ["Профі", "Pro", "Профи"]),
    (
        "plan",
        "unlimited",
        ["Безлімітний", "Unlimited", "Безлимитный"],
    ),
    (
        "attribute",
        "tenure_years",
        ["Стаж, років", "Tenure, years", "Стаж, лет"],
    ),
    ("attribute", "device", ["Пристрій", "Device", "Устройство"]),
    (
        "attribute",
        "wait_minutes",
        ["Очікування, хв", "Wait, minutes", "Ожидание, мин"],
    ),
    ("device", "android", ["Android", "Android", "Android"]),
    ("device", "ios", ["iPhone", "iPhone", "iPhone"]),
    (
        "device",
        "feature_phone",
        ["Кнопковий телефон", "Feature phone", "Кнопочный телефон"],
    ),
    (
        "interaction_kind",
        "activation",
        ["активація", "activation", "активация"],
    ),
    (
        "interaction_kind",
        "article_view",
        ["перегляд статті", "article view", "просмотр статьи"],
    ),
    ("interaction_kind", "call", ["дзвінок", "call", "звонок"]),
    (
        "interaction_kind",
        "cancellation",
        [
            "розірвання договору",
            "cancellation",
            "расторжение договора",
        ],
    ),
    ("interaction_kind", "chat", ["чат", "chat", "чат"]),
    ("interaction_kind", "email", ["лист", "email", "письмо"]),
    (
        "interaction_kind",
        "invoice_view",
        ["перегляд рахунку", "invoice view", "просмотр счёта"],
    ),
    (
        "interaction_kind",
        "checkout",
        ["оформлення замовлення", "checkout", "оформление заказа"],
    ),
    (
        "interaction_kind",
        "payment",
        ["оплата", "payment", "оплата"],
    ),
    ("interaction_kind", "login", ["вхід", "login", "вход"]),
    (
        "interaction_kind",
        "order",
        ["замовлення", "order", "заказ"],
    ),
    (
        "interaction_kind",
        "page_view",
        ["перегляд сторінки", "page view", "просмотр страницы"],
    ),
    ("interaction_kind", "post", ["допис", "post", "публикация"]),
    (
        "interaction_kind",
        "referral",
        ["рекомендація друга", "referral", "рекомендация друга"],
    ),
    (
        "interaction_kind",
        "self_service",
        ["самообслуговування", "self-service", "самообслуживание"],
    ),
    (
        "interaction_kind",
        "top_up",
        ["поповнення", "top-up", "пополнение"],
    ),
    ("interaction_kind", "visit", ["візит", "visit", "визит"]),
    ("outcome", "resolved", ["вирішено", "resolved", "решено"]),
    (
        "root_cause",
        "queue_capacity",
        [
            "замало операторів на лінії",
            "too few agents on the line",
            "мало операторов на линии",
        ],
    ),
    (
        "resolution",
        "callback_made",
        [
            "передзвонили клієнту",
            "called the customer back",
            "перезвонили клиенту",
        ],
    ),
    (
        "outcome",
        "unresolved",
        ["не вирішено", "unresolved", "не решено"],
    ),
    ("outcome", "churned", ["пішов", "churned", "ушёл"]),
    (
        "outcome",
        "completed",
        ["завершено", "completed", "завершено"],
    ),
    (
        "product",
        "monthly plan",
        ["щомісячний тариф", "monthly plan", "ежемесячный тариф"],
    ),
    (
        "product",
        "smartphone",
        ["смартфон", "smartphone", "смартфон"],
    ),
    ("product", "router", ["роутер", "router", "роутер"]),
    (
        "product",
        "accessories",
        ["аксесуари", "accessories", "аксессуары"],
    ),
    (
        "product",
        "roaming package",
        ["пакет роумінгу", "roaming package", "пакет роуминга"],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    type Regions = std::collections::HashMap<String, String>;

    fn collect(seed: u64) -> (Counts, Vec<NewFeedback>, Vec<NewInteraction>, Regions) {
        let (mut feedback, mut interactions, mut regions) =
            (Vec::new(), Vec::new(), Regions::new());
        let counts = generate::<()>(seed, 1, |batch| {
            match batch {
                Batch::Customers(c) => regions.extend(
                    c.into_iter()
                        .filter_map(|c| Some((c.external_id?, c.region?))),
                ),
                Batch::Feedback(f) => feedback.extend(f),
                Batch::Interactions(i) => interactions.extend(i),
                _ => {}
            }
            Ok(())
        })
        .unwrap();
        (counts, feedback, interactions, regions)
    }

    fn nps(records: &[&NewFeedback]) -> f64 {
        let scored: Vec<i16> = records.iter().filter_map(|f| f.nps).collect();
        let promoters = scored.iter().filter(|&&s| s >= 9).count() as f64;
        let detractors = scored.iter().filter(|&&s| s <= 6).count() as f64;
        100.0 * (promoters - detractors) / scored.len() as f64
    }

    fn at_touchpoint<'a>(all: &'a [NewFeedback], prefix: &str) -> Vec<&'a NewFeedback> {
        all.iter()
            .filter(|f| matches!(&f.touchpoint, Some(Ref::Key(k)) if k.starts_with(prefix)))
            .collect()
    }

    #[test]
    fn the_demo_is_big_enough_deterministic_and_carries_its_planted_effects() {
        let (counts, feedback, interactions, regions) = collect(DEFAULT_SEED);
        assert!(
            counts.customers >= 20_000
                && counts.interactions >= 300_000
                && counts.feedback >= 100_000,
            "{counts:?}"
        );
        assert_eq!(collect(DEFAULT_SEED).0, counts, "same seed, same company");
        // Every value of its data a page shows is named in the three languages.
        let named = |kind: &str, key: &str| VOCABULARY.iter().any(|t| t.0 == kind && t.1 == key);
        let values = [("segment", SEGMENTS), ("region", REGIONS)];
        for (kind, list) in values {
            assert!(list.iter().all(|(v, _)| named(kind, v)), "{kind}");
        }
        assert!(PLANS.iter().all(|(v, _)| named("plan", v)));
        // Answers come through the channels their touchpoint is reached through.
        let mut outside = std::collections::BTreeMap::<(String, String), usize>::new();
        for f in &feedback {
            if let (Some(Ref::Key(t)), Some(Ref::Key(ch))) = (&f.touchpoint, &f.channel) {
                let channels = template_channels(t);
                if !channels.is_empty() && !channels.contains(&ch.as_str()) {
                    *outside.entry((t.clone(), ch.clone())).or_default() += 1;
                }
            }
        }
        assert!(outside.is_empty(), "{outside:?}");
        for i in &interactions {
            assert!(named("interaction_kind", &i.kind), "{}", i.kind);
            let outcome = i.outcome.as_deref().unwrap_or("resolved");
            assert!(named("outcome", outcome), "{outcome}");
        }

        // 1. The queue is the worst touchpoint by far.
        let queue = nps(&at_touchpoint(&feedback, "contact-centre.queue"));
        let agent = nps(&at_touchpoint(&feedback, "contact-centre.agent"));
        let overall = nps(&feedback.iter().collect::<Vec<_>>());
        assert!(
            queue < overall - 30.0 && queue < agent - 30.0,
            "queue {queue:.1}, agent {agent:.1}, overall {overall:.1}"
        );

        // 2. The release month drops app NPS.
        let app = at_touchpoint(&feedback, "mobile-app");
        let month = |f: &&NewFeedback| (f.occurred_at.year(), f.occurred_at.month());
        let release: Vec<_> = app
            .iter()
            .copied()
            .filter(|f| month(f) == APP_RELEASE_MONTH)
            .collect();
        let before: Vec<_> = app
            .iter()
            .copied()
            .filter(|f| month(f) == (2025, 7))
            .collect();
        assert!(
            nps(&release) < nps(&before) - 25.0,
            "{:.1} vs {:.1}",
            nps(&release),
            nps(&before)
        );

        // 7. The queue fix: the region's queue NPS rises from its month, the others' does not.
        let queue = at_touchpoint(&feedback, "contact-centre.queue");
        let region_of = |f: &NewFeedback| {
            let id = f.customer.as_ref()?.external_id.as_ref()?;
            regions.get(id).map(String::as_str)
        };
        let change = |fixed: bool| {
            let part = |after: bool| -> Vec<&NewFeedback> {
                queue
                    .iter()
                    .copied()
                    .filter(|f| (region_of(f) == Some(QUEUE_FIX_REGION)) == fixed)
                    .filter(|f| month(f) >= (2026, 1))
                    .filter(|f| (month(f) >= QUEUE_FIX_MONTH) == after)
                    .collect()
            };
            nps(&part(true)) - nps(&part(false))
        };
        assert!(
            change(true) > change(false) + 25.0,
            "fixed {:.1}, elsewhere {:.1}",
            change(true),
            change(false)
        );

        // 4. Cancellations exist, and comments come in three languages.
        assert!(interactions.iter().any(|i| i.kind == "cancellation"));
        for lang in ["uk", "ru", "en"] {
            assert!(
                feedback
                    .iter()
                    .any(|f| f.language.as_deref() == Some(lang) && f.comment.is_some()),
                "{lang}"
            );
        }
        let distinct: std::collections::HashSet<_> = feedback
            .iter()
            .filter_map(|f| f.comment.as_deref())
            .collect();
        assert!(
            distinct.len() > 5_000,
            "comments vary: {} distinct",
            distinct.len()
        );
        assert!(
            feedback
                .iter()
                .all(|f| f.occurred_at <= end() + chrono::Duration::days(4))
        );
    }
}

//! Channels, journeys, stages and the touchpoint tree (SPEC §2), and the default template a new
//! organisation starts from: a telecom-flavoured journey of five stages and 40 touchpoints, some
//! decomposed two levels down ("contact centre" → "wait in queue").

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::error::{self, FieldError};
use crate::names::Names;

/// Lets a PATCH tell "absent" (leave as is) from `null` (clear).
pub(crate) fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Website,
    MobileApp,
    Email,
    Phone,
    Chat,
    Social,
    Office,
    Custom,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 8] = [
        ChannelKind::Website,
        ChannelKind::MobileApp,
        ChannelKind::Email,
        ChannelKind::Phone,
        ChannelKind::Chat,
        ChannelKind::Social,
        ChannelKind::Office,
        ChannelKind::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Website => "website",
            ChannelKind::MobileApp => "mobile_app",
            ChannelKind::Email => "email",
            ChannelKind::Phone => "phone",
            ChannelKind::Chat => "chat",
            ChannelKind::Social => "social",
            ChannelKind::Office => "office",
            ChannelKind::Custom => "custom",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    pub id: i64,
    /// How records name the channel (`phone`, `app`, …); unique within the organisation.
    pub key: String,
    pub name: String,
    /// The name in each language of the interface (pages show it; `name` where absent).
    #[serde(default)]
    pub names: Names,
    pub kind: ChannelKind,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub key: String,
    pub name: String,
    /// The name in each language of the interface (pages show it; `name` where absent).
    #[serde(default)]
    pub names: Names,
    #[serde(default = "custom_kind")]
    pub kind: ChannelKind,
}

fn custom_kind() -> ChannelKind {
    ChannelKind::Custom
}

impl NewChannel {
    pub fn validate(self) -> Result<NewChannel, FieldError> {
        Ok(NewChannel {
            key: error::key("key", &self.key)?,
            name: error::required_text("name", Some(&self.name))?,
            names: self.names.validate("names")?,
            kind: self.kind,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    pub key: Option<String>,
    pub name: Option<String>,
    /// Replaces every language's name.
    pub names: Option<Names>,
    pub kind: Option<ChannelKind>,
}

impl ChannelPatch {
    pub fn validate(self) -> Result<ChannelPatch, FieldError> {
        Ok(ChannelPatch {
            key: self.key.map(|k| error::key("key", &k)).transpose()?,
            name: self
                .name
                .map(|n| error::required_text("name", Some(&n)))
                .transpose()?,
            names: self.names.map(|n| n.validate("names")).transpose()?,
            kind: self.kind,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Journey {
    pub id: i64,
    pub key: String,
    pub name: String,
    /// The name in each language of the interface (pages show it; `name` where absent).
    #[serde(default)]
    pub names: Names,
    pub description: Option<String>,
    /// Stages in order.
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewJourney {
    pub key: String,
    pub name: String,
    /// The name in each language of the interface (pages show it; `name` where absent).
    #[serde(default)]
    pub names: Names,
    pub description: Option<String>,
}

impl NewJourney {
    pub fn validate(self) -> Result<NewJourney, FieldError> {
        Ok(NewJourney {
            key: error::key("key", &self.key)?,
            name: error::required_text("name", Some(&self.name))?,
            names: self.names.validate("names")?,
            description: description(self.description.as_deref())?,
        })
    }
}

fn description(value: Option<&str>) -> Result<Option<String>, FieldError> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    if value.is_some_and(|v| v.chars().count() > 2_000) {
        return Err(FieldError::new(
            "description",
            "must be at most 2000 characters",
        ));
    }
    Ok(value.map(str::to_owned))
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneyPatch {
    pub key: Option<String>,
    pub name: Option<String>,
    /// Replaces every language's name.
    pub names: Option<Names>,
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
}

impl JourneyPatch {
    pub fn validate(self) -> Result<JourneyPatch, FieldError> {
        Ok(JourneyPatch {
            key: self.key.map(|k| error::key("key", &k)).transpose()?,
            name: self
                .name
                .map(|n| error::required_text("name", Some(&n)))
                .transpose()?,
            names: self.names.map(|n| n.validate("names")).transpose()?,
            description: self
                .description
                .map(|d| description(d.as_deref()))
                .transpose()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stage {
    pub id: i64,
    pub journey_id: i64,
    pub name: String,
    /// The name in each language of the interface (pages show it; `name` where absent).
    #[serde(default)]
    pub names: Names,
    /// 1-based order within the journey.
    pub position: i64,
    /// What the customer does at this stage.
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStage {
    pub name: String,
    /// The name in each language of the interface (pages show it; `name` where absent).
    #[serde(default)]
    pub names: Names,
    /// 1-based; omitted means "after the last stage".
    pub position: Option<i64>,
    pub description: Option<String>,
}

impl NewStage {
    pub fn validate(self) -> Result<NewStage, FieldError> {
        if self.position.is_some_and(|p| p < 1) {
            return Err(FieldError::new("position", "must be 1 or more"));
        }
        Ok(NewStage {
            name: error::required_text("name", Some(&self.name))?,
            names: self.names.validate("names")?,
            position: self.position,
            description: description(self.description.as_deref())?,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StagePatch {
    pub name: Option<String>,
    /// Replaces every language's name.
    pub names: Option<Names>,
    pub position: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
}

impl StagePatch {
    pub fn validate(self) -> Result<StagePatch, FieldError> {
        if self.position.is_some_and(|p| p < 1) {
            return Err(FieldError::new("position", "must be 1 or more"));
        }
        Ok(StagePatch {
            name: self
                .name
                .map(|n| error::required_text("name", Some(&n)))
                .transpose()?,
            names: self.names.map(|n| n.validate("names")).transpose()?,
            position: self.position,
            description: self
                .description
                .map(|d| description(d.as_deref()))
                .transpose()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Touchpoint {
    pub id: i64,
    pub journey_id: i64,
    pub stage_id: i64,
    /// The touchpoint this one is a part of; `None` at the top of the tree.
    pub parent_id: Option<i64>,
    /// How records name the touchpoint; unique within the organisation.
    pub key: String,
    pub name: String,
    /// The name in each language of the interface (pages show it; `name` where absent).
    #[serde(default)]
    pub names: Names,
    pub moment_of_truth: bool,
    /// The department that owns the experience at this touchpoint (and its cases).
    pub owner_department: Option<String>,
    /// Keys of the channels this touchpoint is reached through.
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTouchpoint {
    pub stage_id: i64,
    pub parent_id: Option<i64>,
    pub key: String,
    pub name: String,
    /// The name in each language of the interface (pages show it; `name` where absent).
    #[serde(default)]
    pub names: Names,
    #[serde(default)]
    pub moment_of_truth: bool,
    pub owner_department: Option<String>,
    #[serde(default)]
    pub channels: Vec<String>,
}

impl NewTouchpoint {
    pub fn validate(self) -> Result<NewTouchpoint, FieldError> {
        Ok(NewTouchpoint {
            key: error::key("key", &self.key)?,
            name: error::required_text("name", Some(&self.name))?,
            names: self.names.validate("names")?,
            owner_department: error::short_text(
                "owner_department",
                self.owner_department.as_deref(),
            )?,
            channels: channel_keys(self.channels)?,
            ..self
        })
    }
}

fn channel_keys(keys: Vec<String>) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let k = error::key(&format!("channels[{i}]"), k)?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TouchpointPatch {
    pub stage_id: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub parent_id: Option<Option<i64>>,
    pub key: Option<String>,
    pub name: Option<String>,
    /// Replaces every language's name.
    pub names: Option<Names>,
    pub moment_of_truth: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    pub owner_department: Option<Option<String>>,
    pub channels: Option<Vec<String>>,
}

impl TouchpointPatch {
    pub fn validate(self) -> Result<TouchpointPatch, FieldError> {
        Ok(TouchpointPatch {
            key: self.key.map(|k| error::key("key", &k)).transpose()?,
            name: self
                .name
                .map(|n| error::required_text("name", Some(&n)))
                .transpose()?,
            names: self.names.map(|n| n.validate("names")).transpose()?,
            owner_department: self
                .owner_department
                .map(|d| error::short_text("owner_department", d.as_deref()))
                .transpose()?,
            channels: self.channels.map(channel_keys).transpose()?,
            ..self
        })
    }
}

/// Things the company names: read in a language, a thing's `name` is its name in that language
/// where it has one.
pub trait Localize {
    fn localize(&mut self, language: &str);
}

macro_rules! localize_by_names {
    ($($t:ty),*) => {$(
        impl Localize for $t {
            fn localize(&mut self, language: &str) {
                if let Some(name) = self.names.get(language) {
                    self.name = name.to_owned();
                }
            }
        }
    )*};
}
localize_by_names!(Channel, Stage, Touchpoint);

impl Localize for Journey {
    fn localize(&mut self, language: &str) {
        if let Some(name) = self.names.get(language) {
            self.name = name.to_owned();
        }
        self.stages.localize(language);
    }
}

impl<T: Localize> Localize for Vec<T> {
    fn localize(&mut self, language: &str) {
        self.iter_mut().for_each(|t| t.localize(language));
    }
}

/// The channels every organisation starts with. Keys are short because integrators type them.
pub const DEFAULT_CHANNELS: &[(&str, &str, ChannelKind)] = &[
    ("web", "Website", ChannelKind::Website),
    ("app", "Mobile app", ChannelKind::MobileApp),
    ("email", "Email", ChannelKind::Email),
    ("phone", "Phone / contact centre", ChannelKind::Phone),
    ("chat", "Chat / messenger", ChannelKind::Chat),
    ("social", "Social networks", ChannelKind::Social),
    ("store", "Office / store", ChannelKind::Office),
];

/// One touchpoint of the default template: (key, name, moment of truth, owner, channels, children).
pub struct TemplateTouchpoint {
    pub key: &'static str,
    pub name: &'static str,
    pub moment_of_truth: bool,
    pub owner: &'static str,
    pub channels: &'static [&'static str],
    pub children: &'static [TemplateTouchpoint],
}

pub struct TemplateStage {
    pub name: &'static str,
    pub behaviour: &'static str,
    pub touchpoints: &'static [TemplateTouchpoint],
}

const fn tp(
    key: &'static str,
    name: &'static str,
    owner: &'static str,
    channels: &'static [&'static str],
) -> TemplateTouchpoint {
    TemplateTouchpoint {
        key,
        name,
        moment_of_truth: false,
        owner,
        channels,
        children: &[],
    }
}

const fn mot(t: TemplateTouchpoint) -> TemplateTouchpoint {
    TemplateTouchpoint {
        moment_of_truth: true,
        ..t
    }
}

const fn with(
    t: TemplateTouchpoint,
    children: &'static [TemplateTouchpoint],
) -> TemplateTouchpoint {
    TemplateTouchpoint { children, ..t }
}

/// The key and name of the default journey.
pub const DEFAULT_JOURNEY: (&str, &str) = ("customer-journey", "Customer journey");

/// The default journey of SPEC §2.
pub const DEFAULT_STAGES: &[TemplateStage] = &[
    TemplateStage {
        name: "Awareness",
        behaviour: "Notices ads, recognises the logo",
        touchpoints: &[
            tp("online-ads", "Online ads", "marketing", &["web", "social"]),
            tp("tv-radio-ads", "TV and radio ads", "marketing", &[]),
            tp("newsletter", "Email newsletter", "marketing", &["email"]),
            tp("word-of-mouth", "Word of mouth", "marketing", &[]),
        ],
    },
    TemplateStage {
        name: "Consideration",
        behaviour: "Reads posts, visits the website",
        touchpoints: &[
            tp("social-ads", "Social media ads", "marketing", &["social"]),
            tp(
                "reviews-comparisons",
                "Reviews and comparisons",
                "marketing",
                &["web"],
            ),
            tp("blogs", "Blogs", "marketing", &["web"]),
            tp("direct-email", "Direct email", "marketing", &["email"]),
            tp(
                "user-reviews",
                "User reviews",
                "marketing",
                &["web", "social"],
            ),
            with(
                tp("website", "Website", "it", &["web"]),
                &[
                    tp("website.tariffs", "Tariff pages", "product", &["web"]),
                    tp("website.coverage-map", "Coverage map", "it", &["web"]),
                ],
            ),
        ],
    },
    TemplateStage {
        name: "Purchase",
        behaviour: "Buys",
        touchpoints: &[
            with(
                tp("e-shop", "E-commerce site", "sales", &["web"]),
                &[
                    with(
                        tp("e-shop.checkout", "Online checkout", "it", &["web"]),
                        &[tp(
                            "e-shop.checkout.payment",
                            "Payment",
                            "finance",
                            &["web"],
                        )],
                    ),
                    tp(
                        "e-shop.delivery",
                        "Delivery",
                        "logistics",
                        &["web", "phone"],
                    ),
                ],
            ),
            tp(
                "app-purchase",
                "Purchase in the mobile app",
                "product",
                &["app"],
            ),
            mot(with(
                tp("store", "Store / office", "stores", &["store"]),
                &[
                    tp("store.queue", "Queue in the store", "stores", &["store"]),
                    tp("store.consultant", "Consultant", "stores", &["store"]),
                ],
            )),
            tp("sales-call", "Sales call", "sales", &["phone"]),
            mot(tp(
                "activation",
                "SIM activation and setup",
                "product",
                &["store", "app", "web"],
            )),
        ],
    },
    TemplateStage {
        name: "Retention",
        behaviour: "Uses the service, comments, leaves feedback",
        touchpoints: &[
            mot(with(
                tp(
                    "contact-centre",
                    "Contact centre",
                    "contact-centre",
                    &["phone"],
                ),
                &[
                    tp(
                        "contact-centre.ivr",
                        "IVR menu",
                        "contact-centre",
                        &["phone"],
                    ),
                    mot(tp(
                        "contact-centre.queue",
                        "Wait in queue",
                        "contact-centre",
                        &["phone"],
                    )),
                    tp(
                        "contact-centre.agent",
                        "Agent conversation",
                        "contact-centre",
                        &["phone"],
                    ),
                    tp(
                        "contact-centre.callback",
                        "Callback",
                        "contact-centre",
                        &["phone"],
                    ),
                ],
            )),
            tp(
                "chat-support",
                "Chat support",
                "contact-centre",
                &["chat", "app"],
            ),
            tp(
                "email-support",
                "Email support",
                "contact-centre",
                &["email"],
            ),
            tp(
                "knowledge-base",
                "Knowledge base / FAQ",
                "cx",
                &["web", "app"],
            ),
            with(
                tp("billing", "Billing", "finance", &["web", "app", "email"]),
                &[
                    tp("billing.invoice", "Invoice", "finance", &["email", "web"]),
                    tp(
                        "billing.top-up",
                        "Top-up and payment",
                        "finance",
                        &["app", "web", "store"],
                    ),
                ],
            ),
            with(
                tp("mobile-app", "Mobile app", "product", &["app"]),
                &[
                    tp("mobile-app.login", "Login", "it", &["app"]),
                    tp(
                        "mobile-app.self-service",
                        "Self-service in the app",
                        "product",
                        &["app"],
                    ),
                ],
            ),
            mot(tp("network", "Network quality", "network", &[])),
            tp(
                "technician-visit",
                "Technician visit",
                "network",
                &["phone"],
            ),
            tp("social-forums", "Social forums", "cx", &["social"]),
        ],
    },
    TemplateStage {
        name: "Advocacy",
        behaviour: "Recommends, shares experience",
        touchpoints: &[
            tp(
                "social-networks",
                "Social networks",
                "marketing",
                &["social"],
            ),
            tp("advocacy-blogs", "Blogs", "marketing", &["web"]),
            tp("review-sites", "Review sites", "cx", &["web"]),
            tp(
                "referrals",
                "Referral programme",
                "marketing",
                &["app", "web"],
            ),
        ],
    },
];

/// The template's names (channels, the journey, stages, touchpoints) in Ukrainian and Russian,
/// by their English name.
const TEMPLATE_NAMES: &[(&str, &str, &str)] = &[
    ("Website", "Вебсайт", "Веб-сайт"),
    ("Mobile app", "Мобільний застосунок", "Мобильное приложение"),
    ("Email", "Електронна пошта", "Электронная почта"),
    (
        "Phone / contact centre",
        "Телефон / контакт-центр",
        "Телефон / контакт-центр",
    ),
    ("Chat / messenger", "Чат / месенджер", "Чат / мессенджер"),
    ("Social networks", "Соціальні мережі", "Социальные сети"),
    ("Office / store", "Офіс / магазин", "Офис / магазин"),
    ("Customer journey", "Шлях клієнта", "Путь клиента"),
    ("Awareness", "Обізнаність", "Осведомлённость"),
    ("Consideration", "Розгляд", "Рассмотрение"),
    ("Purchase", "Купівля", "Покупка"),
    ("Retention", "Утримання", "Удержание"),
    ("Advocacy", "Рекомендація", "Рекомендация"),
    ("Online ads", "Онлайн-реклама", "Онлайн-реклама"),
    (
        "TV and radio ads",
        "Реклама на ТБ і радіо",
        "Реклама на ТВ и радио",
    ),
    ("Email newsletter", "Email-розсилка", "Email-рассылка"),
    ("Word of mouth", "Сарафанне радіо", "Сарафанное радио"),
    (
        "Social media ads",
        "Реклама в соцмережах",
        "Реклама в соцсетях",
    ),
    (
        "Reviews and comparisons",
        "Огляди й порівняння",
        "Обзоры и сравнения",
    ),
    ("Blogs", "Блоги", "Блоги"),
    ("Direct email", "Персональні листи", "Персональные письма"),
    (
        "User reviews",
        "Відгуки користувачів",
        "Отзывы пользователей",
    ),
    ("Tariff pages", "Сторінки тарифів", "Страницы тарифов"),
    ("Coverage map", "Карта покриття", "Карта покрытия"),
    ("E-commerce site", "Інтернет-магазин", "Интернет-магазин"),
    (
        "Online checkout",
        "Оформлення замовлення",
        "Оформление заказа",
    ),
    ("Payment", "Оплата", "Оплата"),
    ("Delivery", "Доставка", "Доставка"),
    (
        "Purchase in the mobile app",
        "Купівля в застосунку",
        "Покупка в приложении",
    ),
    ("Store / office", "Магазин / офіс", "Магазин / офис"),
    (
        "Queue in the store",
        "Черга в магазині",
        "Очередь в магазине",
    ),
    ("Consultant", "Консультант", "Консультант"),
    ("Sales call", "Дзвінок продажу", "Звонок продаж"),
    (
        "SIM activation and setup",
        "Активація SIM і налаштування",
        "Активация SIM и настройка",
    ),
    ("Contact centre", "Контакт-центр", "Контакт-центр"),
    ("IVR menu", "Голосове меню", "Голосовое меню"),
    ("Wait in queue", "Очікування на лінії", "Ожидание на линии"),
    (
        "Agent conversation",
        "Розмова з оператором",
        "Разговор с оператором",
    ),
    ("Callback", "Зворотний дзвінок", "Обратный звонок"),
    ("Chat support", "Підтримка в чаті", "Поддержка в чате"),
    ("Email support", "Підтримка поштою", "Поддержка по почте"),
    (
        "Knowledge base / FAQ",
        "База знань / FAQ",
        "База знаний / FAQ",
    ),
    ("Billing", "Рахунки й оплата", "Счета и оплата"),
    ("Invoice", "Рахунок", "Счёт"),
    (
        "Top-up and payment",
        "Поповнення й оплата",
        "Пополнение и оплата",
    ),
    ("Login", "Вхід", "Вход"),
    (
        "Self-service in the app",
        "Самообслуговування в застосунку",
        "Самообслуживание в приложении",
    ),
    ("Network quality", "Якість мережі", "Качество сети"),
    ("Technician visit", "Візит техніка", "Визит техника"),
    ("Social forums", "Форуми й спільноти", "Форумы и сообщества"),
    ("Review sites", "Сайти відгуків", "Сайты отзывов"),
    (
        "Referral programme",
        "Програма «Приведи друга»",
        "Программа «Приведи друга»",
    ),
];

/// The departments that own the template's touchpoints, named in uk, en, ru.
pub const TEMPLATE_DEPARTMENTS: &[(&str, [&str; 3])] = &[
    ("marketing", ["Маркетинг", "Marketing", "Маркетинг"]),
    ("it", ["ІТ", "IT", "ИТ"]),
    ("product", ["Продукт", "Product", "Продукт"]),
    ("sales", ["Продажі", "Sales", "Продажи"]),
    ("finance", ["Фінанси", "Finance", "Финансы"]),
    ("logistics", ["Логістика", "Logistics", "Логистика"]),
    ("stores", ["Магазини", "Stores", "Магазины"]),
    (
        "contact-centre",
        ["Контакт-центр", "Contact centre", "Контакт-центр"],
    ),
    (
        "cx",
        [
            "Клієнтський досвід",
            "Customer experience",
            "Клиентский опыт",
        ],
    ),
    ("network", ["Мережа", "Network", "Сеть"]),
];

/// A template name (English) with its Ukrainian and Russian names.
pub fn template_names(english: &str) -> Names {
    TEMPLATE_NAMES
        .iter()
        .find(|(en, ..)| *en == english)
        .map_or_else(Names::default, |(en, uk, ru)| Names::new(uk, en, ru))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(ts: &[TemplateTouchpoint], depth: usize, max_depth: &mut usize) -> usize {
        if !ts.is_empty() {
            *max_depth = (*max_depth).max(depth);
        }
        ts.iter()
            .map(|t| 1 + count(t.children, depth + 1, max_depth))
            .sum()
    }

    #[test]
    fn the_default_journey_has_at_least_thirty_touchpoints_two_levels_deep() {
        let mut depth = 0;
        let n: usize = DEFAULT_STAGES
            .iter()
            .map(|s| count(s.touchpoints, 0, &mut depth))
            .sum();
        assert!(n >= 30, "{n}");
        assert_eq!(depth, 2);
    }

    #[test]
    fn template_keys_are_valid_unique_and_name_known_channels() {
        let mut keys = std::collections::HashSet::new();
        fn walk(ts: &[TemplateTouchpoint], keys: &mut std::collections::HashSet<&'static str>) {
            for t in ts {
                assert_eq!(error::key("key", t.key).unwrap(), t.key);
                assert!(keys.insert(t.key), "duplicate {}", t.key);
                for c in t.channels {
                    assert!(DEFAULT_CHANNELS.iter().any(|d| d.0 == *c), "{c}");
                }
                assert!(template_names(t.name).get("uk").is_some(), "{}", t.name);
                assert!(
                    TEMPLATE_DEPARTMENTS.iter().any(|d| d.0 == t.owner),
                    "{}",
                    t.owner
                );
                walk(t.children, keys);
            }
        }
        DEFAULT_STAGES
            .iter()
            .for_each(|s| walk(s.touchpoints, &mut keys));
        // Every name of the template is in the three languages.
        let others = DEFAULT_CHANNELS.iter().map(|c| c.1);
        let others = others.chain(DEFAULT_STAGES.iter().map(|s| s.name));
        for name in others.chain([DEFAULT_JOURNEY.1]) {
            assert!(template_names(name).get("ru").is_some(), "{name}");
        }
    }
}

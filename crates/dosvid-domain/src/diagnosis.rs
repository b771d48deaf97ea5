//! Diagnosing the company (SPEC §2 "Readiness for CXM", "Interaction maturity", "Service-quality
//! gaps"): the readiness questionnaire written by us in uk/en/ru and how its answers are scored,
//! the five maturity levels with the thresholds their evidence is judged by, and the service
//! standards and promises that gaps 2–4 are measured against. The server measures; this crate
//! says what the documents are and checks them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{self, FieldError};
use crate::names::Names;
use crate::survey::ServqualDimension;

/// What a diagnosis document is; the store keeps each kind apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Assessment,
    /// One person's answers, under its assessment.
    AssessmentAnswer,
    Standard,
    Promise,
    /// The organisation's thresholds for the maturity evidence (one document at most).
    MaturityThresholds,
    /// A study of customers first-hand (the research repository).
    Study,
    /// An analytical template: empathy map, point of view, value proposition canvas…
    Template,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Assessment => "assessment",
            DocumentKind::AssessmentAnswer => "assessment_answer",
            DocumentKind::Standard => "standard",
            DocumentKind::Promise => "promise",
            DocumentKind::MaturityThresholds => "maturity_thresholds",
            DocumentKind::Study => "study",
            DocumentKind::Template => "template",
        }
    }

    /// What "no such …" says.
    pub fn entity(self) -> &'static str {
        match self {
            DocumentKind::Assessment => "assessment",
            DocumentKind::AssessmentAnswer => "assessment answer",
            DocumentKind::Standard => "standard",
            DocumentKind::Promise => "promise",
            DocumentKind::MaturityThresholds => "maturity thresholds",
            DocumentKind::Study => "study",
            DocumentKind::Template => "template",
        }
    }

    /// The kind a document of this kind sits under.
    pub fn parent(self) -> Option<DocumentKind> {
        match self {
            DocumentKind::AssessmentAnswer => Some(DocumentKind::Assessment),
            _ => None,
        }
    }
}

/// A text we wrote, in the three languages of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Text {
    pub uk: &'static str,
    pub en: &'static str,
    pub ru: &'static str,
}

impl Text {
    const fn new(uk: &'static str, en: &'static str, ru: &'static str) -> Text {
        Text { uk, en, ru }
    }

    /// The text in `language` (`uk`, `en`, `ru`); English for any other.
    pub fn get(&self, language: &str) -> &'static str {
        match language {
            "uk" => self.uk,
            "ru" => self.ru,
            _ => self.en,
        }
    }
}

/// The five blocks of readiness for CXM; not sequential.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessBlock {
    Strategy,
    Team,
    Motivation,
    Organisation,
    Technology,
}

/// The six kinds of external support readiness depends on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SupportKind {
    Financial,
    Methodological,
    Technical,
    Technological,
    Material,
    HumanResources,
}

/// The five levels of interaction maturity, lowest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MaturityLevel {
    Communication,
    Responsiveness,
    Commitment,
    Proactivity,
    Relationship,
}

/// What a questionnaire item measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "section", content = "part")]
pub enum Part {
    Block(ReadinessBlock),
    Support(SupportKind),
    Maturity(MaturityLevel),
}

impl ReadinessBlock {
    pub const ALL: [ReadinessBlock; 5] = [
        ReadinessBlock::Strategy,
        ReadinessBlock::Team,
        ReadinessBlock::Motivation,
        ReadinessBlock::Organisation,
        ReadinessBlock::Technology,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReadinessBlock::Strategy => "strategy",
            ReadinessBlock::Team => "team",
            ReadinessBlock::Motivation => "motivation",
            ReadinessBlock::Organisation => "organisation",
            ReadinessBlock::Technology => "technology",
        }
    }

    pub fn name(self) -> Text {
        match self {
            ReadinessBlock::Strategy => Text::new("Стратегія", "Strategy", "Стратегия"),
            ReadinessBlock::Team => Text::new("Команда", "Team", "Команда"),
            ReadinessBlock::Motivation => Text::new("Мотивація", "Motivation", "Мотивация"),
            ReadinessBlock::Organisation => Text::new("Організація", "Organisation", "Организация"),
            ReadinessBlock::Technology => Text::new(
                "Технології та бізнес-процеси",
                "Technology & business processes",
                "Технологии и бизнес-процессы",
            ),
        }
    }

    /// What to do when the block is weak.
    pub fn recommendation(self) -> Text {
        match self {
            ReadinessBlock::Strategy => Text::new(
                "Запишіть бачення досвіду клієнтів і зробіть дві-три цілі (NPS, відтік) цілями компанії з бюджетом; почніть цикл стратегії.",
                "Write down the customer-experience vision and make two or three goals (NPS, churn) company goals with a budget; start a strategy cycle.",
                "Запишите видение клиентского опыта и сделайте две-три цели (NPS, отток) целями компании с бюджетом; начните цикл стратегии.",
            ),
            ReadinessBlock::Team => Text::new(
                "Призначте власника досвіду клієнтів із повноваженнями в усіх відділах і дайте команді час та навчання для досліджень клієнтів.",
                "Name an owner of the customer experience with authority across departments, and give the team time and training to research customers.",
                "Назначьте владельца клиентского опыта с полномочиями во всех отделах и дайте команде время и обучение для исследований клиентов.",
            ),
            ReadinessBlock::Motivation => Text::new(
                "Додайте показники досвіду до KPI, покажіть кожному працівникові оцінки його клієнтів і відзначайте успіхи.",
                "Add experience measures to KPIs, show every employee their own customers' scores and celebrate the wins.",
                "Добавьте показатели опыта в KPI, покажите каждому сотруднику оценки его клиентов и отмечайте успехи.",
            ),
            ReadinessBlock::Organisation => Text::new(
                "Опишіть шлях клієнта, призначте власника кожній точці контакту і встановіть строки відповіді на скарги (правила й кейси).",
                "Map the journey, give every touchpoint an owner and set response times for complaints (alert rules and cases).",
                "Опишите путь клиента, назначьте владельца каждой точке контакта и установите сроки ответа на жалобы (правила и кейсы).",
            ),
            ReadinessBlock::Technology => Text::new(
                "Зберіть дані всіх каналів в одному профілі клієнта, вимірюйте ключові точки контакту регулярно і змінюйте процеси за даними.",
                "Bring every channel's data into one customer profile, measure the key touchpoints regularly and change processes by the data.",
                "Соберите данные всех каналов в одном профиле клиента, измеряйте ключевые точки контакта регулярно и меняйте процессы по данным.",
            ),
        }
    }
}

impl SupportKind {
    pub const ALL: [SupportKind; 6] = [
        SupportKind::Financial,
        SupportKind::Methodological,
        SupportKind::Technical,
        SupportKind::Technological,
        SupportKind::Material,
        SupportKind::HumanResources,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SupportKind::Financial => "financial",
            SupportKind::Methodological => "methodological",
            SupportKind::Technical => "technical",
            SupportKind::Technological => "technological",
            SupportKind::Material => "material",
            SupportKind::HumanResources => "human_resources",
        }
    }

    pub fn name(self) -> Text {
        match self {
            SupportKind::Financial => Text::new("Фінансова", "Financial", "Финансовая"),
            SupportKind::Methodological => Text::new("Методична", "Methodological", "Методическая"),
            SupportKind::Technical => Text::new("Технічна", "Technical", "Техническая"),
            SupportKind::Technological => {
                Text::new("Технологічна", "Technological", "Технологическая")
            }
            SupportKind::Material => Text::new("Матеріальна", "Material", "Материальная"),
            SupportKind::HumanResources => Text::new("Кадрова", "Human resources", "Кадровая"),
        }
    }

    pub fn recommendation(self) -> Text {
        match self {
            SupportKind::Financial => Text::new(
                "Обґрунтуйте бюджет віддачею: оцініть вплив ініціатив на виручку й відтік у циклі стратегії.",
                "Justify the budget by its return: estimate the initiatives' effect on revenue and churn in the strategy cycle.",
                "Обоснуйте бюджет отдачей: оцените влияние инициатив на выручку и отток в цикле стратегии.",
            ),
            SupportKind::Methodological => Text::new(
                "Залучіть методичну підтримку: навчання з досліджень клієнтів і аналітичні шаблони (карта емпатії, канва ціннісної пропозиції).",
                "Bring in methodological support: training in customer research and the analytical templates (empathy map, value proposition canvas).",
                "Привлеките методическую поддержку: обучение исследованиям клиентов и аналитические шаблоны (карта эмпатии, канва ценностного предложения).",
            ),
            SupportKind::Technical => Text::new(
                "Забезпечте інфраструктуру збирання відгуків у кожному каналі: опитування, інтеграції, API.",
                "Provide the infrastructure to collect feedback in every channel: surveys, integrations, the API.",
                "Обеспечьте инфраструктуру сбора отзывов в каждом канале: опросы, интеграции, API.",
            ),
            SupportKind::Technological => Text::new(
                "Інтегруйте системи (CRM, контакт-центр, білінг) з платформою досвіду через API та вебхуки.",
                "Integrate the systems (CRM, contact centre, billing) with the experience platform through the API and webhooks.",
                "Интегрируйте системы (CRM, контакт-центр, биллинг) с платформой опыта через API и вебхуки.",
            ),
            SupportKind::Material => Text::new(
                "Заплануйте в бюджеті ініціатив матеріальні ресурси для змін у точках контакту.",
                "Plan the material resources for changing touchpoints in the initiatives' budget.",
                "Запланируйте в бюджете инициатив материальные ресурсы для изменений в точках контакта.",
            ),
            SupportKind::HumanResources => Text::new(
                "Заплануйте людей: хто веде зміни в кожному відділі (ролі й відповідальність у циклі стратегії).",
                "Plan the people: who carries the changes in each department (roles and responsibilities in the strategy cycle).",
                "Запланируйте людей: кто ведёт изменения в каждом отделе (роли и ответственность в цикле стратегии).",
            ),
        }
    }
}

impl MaturityLevel {
    pub const ALL: [MaturityLevel; 5] = [
        MaturityLevel::Communication,
        MaturityLevel::Responsiveness,
        MaturityLevel::Commitment,
        MaturityLevel::Proactivity,
        MaturityLevel::Relationship,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MaturityLevel::Communication => "communication",
            MaturityLevel::Responsiveness => "responsiveness",
            MaturityLevel::Commitment => "commitment",
            MaturityLevel::Proactivity => "proactivity",
            MaturityLevel::Relationship => "relationship",
        }
    }

    /// 1 (communication) to 5 (relationship evolution).
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    pub fn name(self) -> Text {
        match self {
            MaturityLevel::Communication => {
                Text::new("Комунікація", "Communication", "Коммуникация")
            }
            MaturityLevel::Responsiveness => {
                Text::new("Чуйність", "Responsiveness", "Отзывчивость")
            }
            MaturityLevel::Commitment => Text::new("Відданість", "Commitment", "Приверженность"),
            MaturityLevel::Proactivity => {
                Text::new("Проактивність", "Proactivity", "Проактивность")
            }
            MaturityLevel::Relationship => Text::new(
                "Розвиток відносин",
                "Relationship evolution",
                "Развитие отношений",
            ),
        }
    }

    /// What the level means for the customer.
    pub fn meaning(self) -> Text {
        match self {
            MaturityLevel::Communication => Text::new(
                "клієнт вчасно отримує корисну інформацію",
                "the customer gets timely, useful information",
                "клиент вовремя получает полезную информацию",
            ),
            MaturityLevel::Responsiveness => Text::new(
                "проблеми розв'язуються швидко",
                "problems are solved fast",
                "проблемы решаются быстро",
            ),
            MaturityLevel::Commitment => Text::new(
                "рішення підібрані для кожного клієнта",
                "solutions are made for each customer",
                "решения подобраны для каждого клиента",
            ),
            MaturityLevel::Proactivity => Text::new(
                "потреби задоволено раніше, ніж клієнт про них дізнався",
                "needs are met before the customer is aware of them",
                "потребности удовлетворены раньше, чем клиент о них узнал",
            ),
            MaturityLevel::Relationship => Text::new(
                "клієнт почувається безпечно, комфортно й успішно",
                "the customer feels safe, comfortable and successful",
                "клиент чувствует себя в безопасности, комфортно и успешно",
            ),
        }
    }
}

impl Part {
    pub fn key(self) -> &'static str {
        match self {
            Part::Block(b) => b.as_str(),
            Part::Support(s) => s.as_str(),
            Part::Maturity(m) => m.as_str(),
        }
    }

    pub fn name(self) -> Text {
        match self {
            Part::Block(b) => b.name(),
            Part::Support(s) => s.name(),
            Part::Maturity(m) => m.name(),
        }
    }

    /// What to do when the part scores below [`WEAK_BELOW`]; maturity items have none (the
    /// ladder says what the next level needs).
    pub fn recommendation(self) -> Option<Text> {
        match self {
            Part::Block(b) => Some(b.recommendation()),
            Part::Support(s) => Some(s.recommendation()),
            Part::Maturity(_) => None,
        }
    }
}

/// One statement of the readiness questionnaire, answered on agreement from 1 (fully
/// disagree) to 5 (fully agree).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Item {
    pub key: &'static str,
    #[serde(flatten)]
    pub part: Part,
    pub text: Text,
}

const fn item(
    key: &'static str,
    part: Part,
    uk: &'static str,
    en: &'static str,
    ru: &'static str,
) -> Item {
    Item {
        key,
        part,
        text: Text::new(uk, en, ru),
    }
}

use MaturityLevel as L;
use ReadinessBlock as B;
use SupportKind as S;

/// The questionnaire: three statements per readiness block, one per kind of support and one per
/// maturity level (the self-assessment).
pub static ITEMS: [Item; 26] = [
    item(
        "strategy.vision",
        Part::Block(B::Strategy),
        "Керівництво має записане бачення досвіду, який ми даємо клієнтам.",
        "Leadership has a written vision of the experience we mean to give customers.",
        "У руководства есть записанное видение опыта, который мы даём клиентам.",
    ),
    item(
        "strategy.goals",
        Part::Block(B::Strategy),
        "Цілі щодо досвіду клієнтів (NPS, CSAT, відтік) входять до цілей компанії.",
        "Customer-experience goals (NPS, CSAT, churn) are among the company's goals.",
        "Цели по опыту клиентов (NPS, CSAT, отток) входят в цели компании.",
    ),
    item(
        "strategy.budget",
        Part::Block(B::Strategy),
        "На поліпшення досвіду клієнтів цього року виділено бюджет.",
        "There is a budget for improving the customer experience this year.",
        "На улучшение опыта клиентов в этом году выделен бюджет.",
    ),
    item(
        "team.owner",
        Part::Block(B::Team),
        "За досвід клієнтів у всій компанії відповідає визначена людина або команда.",
        "A named person or team is responsible for the customer experience across the company.",
        "За опыт клиентов во всей компании отвечает определённый человек или команда.",
    ),
    item(
        "team.skills",
        Part::Block(B::Team),
        "Команда вміє досліджувати клієнтів і аналізувати їхні відповіді.",
        "The team knows how to research customers and analyse their answers.",
        "Команда умеет исследовать клиентов и анализировать их ответы.",
    ),
    item(
        "team.time",
        Part::Block(B::Team),
        "Працівники мають час на роботу з відгуками клієнтів, а не лише на поточні справи.",
        "Staff have time to work on customer feedback, not only on day-to-day tasks.",
        "У сотрудников есть время на работу с отзывами клиентов, а не только на текущие дела.",
    ),
    item(
        "motivation.kpi",
        Part::Block(B::Motivation),
        "Показники досвіду клієнтів входять до KPI та винагороди працівників.",
        "Customer-experience measures are part of staff KPIs and rewards.",
        "Показатели опыта клиентов входят в KPI и вознаграждение сотрудников.",
    ),
    item(
        "motivation.visibility",
        Part::Block(B::Motivation),
        "Працівники бачать оцінки своїх клієнтів і свої успіхи.",
        "Staff see their own customers' scores and their wins.",
        "Сотрудники видят оценки своих клиентов и свои успехи.",
    ),
    item(
        "motivation.ideas",
        Part::Block(B::Motivation),
        "Ідеї працівників щодо клієнтів вислуховують і втілюють.",
        "Staff ideas for customers are heard and put into practice.",
        "Идеи сотрудников о клиентах выслушивают и воплощают.",
    ),
    item(
        "organisation.journey",
        Part::Block(B::Organisation),
        "Шлях клієнта описано, і кожна точка контакту має власника.",
        "The customer journey is mapped and every touchpoint has an owner.",
        "Путь клиента описан, и у каждой точки контакта есть владелец.",
    ),
    item(
        "organisation.silos",
        Part::Block(B::Organisation),
        "Відділи разом розв'язують проблеми клієнта, що виходять за межі одного відділу.",
        "Departments solve together the customer problems that cross their borders.",
        "Отделы вместе решают проблемы клиента, выходящие за рамки одного отдела.",
    ),
    item(
        "organisation.loop",
        Part::Block(B::Organisation),
        "На скарги й низькі оцінки відповідають у встановлений строк.",
        "Complaints and low scores are answered within a set time.",
        "На жалобы и низкие оценки отвечают в установленный срок.",
    ),
    item(
        "technology.data",
        Part::Block(B::Technology),
        "Дані про клієнта з усіх каналів зібрано в одному місці.",
        "Customer data from every channel is gathered in one place.",
        "Данные о клиенте из всех каналов собраны в одном месте.",
    ),
    item(
        "technology.measurement",
        Part::Block(B::Technology),
        "Досвід клієнтів регулярно вимірюють у ключових точках контакту.",
        "The experience is measured regularly at the key touchpoints.",
        "Опыт клиентов регулярно измеряют в ключевых точках контакта.",
    ),
    item(
        "technology.processes",
        Part::Block(B::Technology),
        "Бізнес-процеси змінюють, коли дані показують проблему клієнта.",
        "Business processes are changed when the data shows a customer problem.",
        "Бизнес-процессы меняют, когда данные показывают проблему клиента.",
    ),
    item(
        "support.financial",
        Part::Support(S::Financial),
        "Для управління досвідом клієнтів достатньо фінансування.",
        "There is enough funding for managing the customer experience.",
        "Для управления опытом клиентов достаточно финансирования.",
    ),
    item(
        "support.methodological",
        Part::Support(S::Methodological),
        "Є методики, навчання й консультанти з управління досвідом.",
        "There are methods, training and advisers for managing the experience.",
        "Есть методики, обучение и консультанты по управлению опытом.",
    ),
    item(
        "support.technical",
        Part::Support(S::Technical),
        "Є обладнання та інфраструктура, щоб збирати й аналізувати відгуки.",
        "There is the equipment and infrastructure to collect and analyse feedback.",
        "Есть оборудование и инфраструктура, чтобы собирать и анализировать отзывы.",
    ),
    item(
        "support.technological",
        Part::Support(S::Technological),
        "Є програмні засоби й інтеграції між системами, потрібні для роботи з досвідом.",
        "There are the software tools and the integrations between systems the work needs.",
        "Есть программные средства и интеграции между системами, нужные для работы с опытом.",
    ),
    item(
        "support.material",
        Part::Support(S::Material),
        "Є приміщення, матеріали та інші ресурси, щоб змінювати точки контакту.",
        "There are the premises, materials and other resources to change touchpoints.",
        "Есть помещения, материалы и другие ресурсы, чтобы менять точки контакта.",
    ),
    item(
        "support.human_resources",
        Part::Support(S::HumanResources),
        "Є достатньо людей потрібної кваліфікації, щоб вести зміни.",
        "There are enough qualified people to carry the changes.",
        "Есть достаточно людей нужной квалификации, чтобы вести изменения.",
    ),
    item(
        "maturity.communication",
        Part::Maturity(L::Communication),
        "Клієнти вчасно отримують корисну інформацію в кожному каналі.",
        "Customers get timely, useful information in every channel.",
        "Клиенты вовремя получают полезную информацию в каждом канале.",
    ),
    item(
        "maturity.responsiveness",
        Part::Maturity(L::Responsiveness),
        "Проблеми клієнтів розв'язуються швидко, здебільшого з першого звернення.",
        "Customers' problems are solved fast, mostly at the first contact.",
        "Проблемы клиентов решаются быстро, в основном с первого обращения.",
    ),
    item(
        "maturity.commitment",
        Part::Maturity(L::Commitment),
        "Клієнт отримує рішення, підібране саме для нього.",
        "A customer gets a solution suited to them personally.",
        "Клиент получает решение, подобранное именно для него.",
    ),
    item(
        "maturity.proactivity",
        Part::Maturity(L::Proactivity),
        "Ми задовольняємо потреби клієнтів раніше, ніж вони про них скажуть.",
        "We meet customers' needs before they tell us about them.",
        "Мы удовлетворяем потребности клиентов раньше, чем они о них скажут.",
    ),
    item(
        "maturity.relationship",
        Part::Maturity(L::Relationship),
        "Клієнти почуваються з нами безпечно, комфортно й успішно.",
        "Customers feel safe, comfortable and successful with us.",
        "Клиенты чувствуют себя с нами в безопасности, комфортно и успешно.",
    ),
];

pub fn item_by_key(key: &str) -> Option<&'static Item> {
    ITEMS.iter().find(|i| i.key == key)
}

/// The answer scale: 1 fully disagree … 5 fully agree.
pub const AGREEMENT: (u8, u8) = (1, 5);
/// A part scoring below this (of 100) is weak and gets its recommendation.
pub const WEAK_BELOW: f64 = 60.0;
/// Respondents whose scores of a part have a standard deviation of this or more disagree: the
/// disagreement is a finding of its own.
pub const DISAGREE_FROM: f64 = 25.0;
/// The SERVQUAL scale staff rate expectations on, as customers do.
pub const EXPECTATION_SCALE: (u8, u8) = (1, 7);

/// An answer of 1–5 on 0–100.
pub fn item_score(answer: u8) -> f64 {
    f64::from(answer - AGREEMENT.0) / f64::from(AGREEMENT.1 - AGREEMENT.0) * 100.0
}

fn long_text(field: &str, value: Option<String>) -> Result<Option<String>, FieldError> {
    const MAX: usize = 10_000;
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    error::plain_text(field, &value)?;
    if value.chars().count() > MAX {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX} characters"),
        ));
    }
    Ok(Some(value))
}

fn required(field: &str, value: &str) -> Result<String, FieldError> {
    error::short_text(field, Some(value))?.ok_or_else(|| FieldError::new(field, "is required"))
}

/// A readiness assessment as set up: the body of `POST /api/v1/assessments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentDefinition {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// The day the assessment stands for; assessments are compared in this order.
    pub conducted_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The SERVQUAL survey whose expectation items staff answer too (gap 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub servqual_survey_id: Option<i64>,
}

impl AssessmentDefinition {
    pub fn validate(self) -> Result<AssessmentDefinition, FieldError> {
        if self.servqual_survey_id.is_some_and(|id| id <= 0) {
            return Err(FieldError::new(
                "servqual_survey_id",
                "must be a positive id",
            ));
        }
        Ok(AssessmentDefinition {
            title: required("title", &self.title)?,
            conducted_on: self.conducted_on,
            note: long_text("note", self.note)?,
            servqual_survey_id: self.servqual_survey_id,
        })
    }
}

/// One person's answers: the body of `POST /api/v1/assessments/{id}/answers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentAnswer {
    /// Who answered (a name or a role); one answer per respondent, a second replaces the first.
    #[schema(min_length = 1, max_length = 200)]
    pub respondent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub role: Option<String>,
    /// Item key → agreement 1–5; an item left out is "don't know".
    #[serde(default)]
    pub answers: BTreeMap<String, u8>,
    /// SERVQUAL question id → the expectation 1–7 the respondent thinks customers hold (gap 1).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expectations: BTreeMap<String, u8>,
}

impl AssessmentAnswer {
    /// Checks the answers against the questionnaire; the expectation items are checked by the
    /// server against the survey.
    pub fn validate(self) -> Result<AssessmentAnswer, FieldError> {
        for (key, value) in &self.answers {
            let field = format!("answers.{key}");
            if item_by_key(key).is_none() {
                return Err(FieldError::new(field, "no such item in the questionnaire"));
            }
            if !(AGREEMENT.0..=AGREEMENT.1).contains(value) {
                return Err(FieldError::new(
                    field,
                    "must be from 1 (fully disagree) to 5 (fully agree)",
                ));
            }
        }
        for (key, value) in &self.expectations {
            if !(EXPECTATION_SCALE.0..=EXPECTATION_SCALE.1).contains(value) {
                return Err(FieldError::new(
                    format!("expectations.{key}"),
                    "must be from 1 to 7",
                ));
            }
        }
        if self.answers.is_empty() && self.expectations.is_empty() {
            return Err(FieldError::new("answers", "answer at least one item"));
        }
        Ok(AssessmentAnswer {
            respondent: required("respondent", &self.respondent)?,
            role: error::short_text("role", self.role.as_deref())?,
            answers: self.answers,
            expectations: self.expectations,
        })
    }
}

/// A part's score over the respondents who answered any of its items.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PartScore {
    #[serde(flatten)]
    pub part: Part,
    /// Respondents who answered at least one of its items.
    pub respondents: u64,
    /// The mean over respondents of each one's mean item score, 0–100.
    pub score: Option<f64>,
    /// The standard deviation of the respondents' scores (two or more respondents).
    pub spread: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Below [`WEAK_BELOW`].
    pub weak: bool,
    /// The spread is [`DISAGREE_FROM`] or more.
    pub disagreement: bool,
    /// What to do, when weak.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Text>,
}

/// The scores of an assessment's answers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Readiness {
    pub respondents: u64,
    /// The five blocks, weakest first (unanswered last).
    pub blocks: Vec<PartScore>,
    /// The six kinds of support, weakest first.
    pub support: Vec<PartScore>,
    /// The self-assessed maturity levels, lowest level first.
    pub maturity: Vec<PartScore>,
    /// The mean of the blocks' scores.
    pub overall: Option<f64>,
    /// The highest level whose self-assessment and every level's below it reach [`WEAK_BELOW`]
    /// (0: not even the first).
    pub self_assessed_level: u8,
}

/// Scores `answers`: each respondent's score of a part is the mean of their item scores in it,
/// a part's score the mean over respondents, its spread their standard deviation.
pub fn readiness(answers: &[AssessmentAnswer]) -> Readiness {
    let score = |part: Part| {
        let per_person: Vec<f64> = answers
            .iter()
            .filter_map(|a| {
                let scores: Vec<f64> = a
                    .answers
                    .iter()
                    .filter(|(key, _)| item_by_key(key).is_some_and(|i| i.part == part))
                    .map(|(_, v)| item_score(*v))
                    .collect();
                (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
            })
            .collect();
        let n = per_person.len();
        let mean = (n > 0).then(|| per_person.iter().sum::<f64>() / n as f64);
        let spread = mean.filter(|_| n >= 2).map(|m| {
            (per_person.iter().map(|s| (s - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        });
        let weak = mean.is_some_and(|m| m < WEAK_BELOW);
        PartScore {
            part,
            respondents: n as u64,
            score: mean,
            spread,
            min: per_person.iter().copied().reduce(f64::min),
            max: per_person.iter().copied().reduce(f64::max),
            weak,
            disagreement: spread.is_some_and(|s| s >= DISAGREE_FROM),
            recommendation: part.recommendation().filter(|_| weak),
        }
    };
    let weakest_first = |mut parts: Vec<PartScore>| {
        parts.sort_by(|a, b| match (a.score, b.score) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.part.cmp(&b.part),
        });
        parts
    };
    let blocks = weakest_first(B::ALL.map(|b| score(Part::Block(b))).to_vec());
    let support = weakest_first(S::ALL.map(|s| score(Part::Support(s))).to_vec());
    let maturity: Vec<PartScore> = L::ALL.map(|l| score(Part::Maturity(l))).to_vec();
    let answered: Vec<f64> = blocks.iter().filter_map(|b| b.score).collect();
    let self_assessed_level = maturity
        .iter()
        .take_while(|m| m.score.is_some_and(|s| s >= WEAK_BELOW))
        .count() as u8;
    Readiness {
        respondents: answers.len() as u64,
        overall: (!answered.is_empty())
            .then(|| answered.iter().sum::<f64>() / answered.len() as f64),
        blocks,
        support,
        maturity,
        self_assessed_level,
    }
}

/// What a service standard or a promise is measured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceMetric {
    /// An interaction at the touchpoint takes at most `target` seconds (its `duration_seconds`).
    InteractionSeconds,
    /// A case at the touchpoint is resolved within `target` hours of opening (an open one
    /// older than that counts as a miss).
    ResolutionHours,
    /// An answer's CSAT is at least `target` (1–5).
    Csat,
    /// An answer's NPS score is at least `target` (0–10).
    NpsScore,
    /// An answer's CES is at most `target` (1–7).
    Ces,
}

impl ServiceMetric {
    pub const ALL: [ServiceMetric; 5] = [
        ServiceMetric::InteractionSeconds,
        ServiceMetric::ResolutionHours,
        ServiceMetric::Csat,
        ServiceMetric::NpsScore,
        ServiceMetric::Ces,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceMetric::InteractionSeconds => "interaction_seconds",
            ServiceMetric::ResolutionHours => "resolution_hours",
            ServiceMetric::Csat => "csat",
            ServiceMetric::NpsScore => "nps_score",
            ServiceMetric::Ces => "ces",
        }
    }

    /// The targets that make sense.
    fn range(self) -> (f64, f64) {
        match self {
            ServiceMetric::InteractionSeconds => (1.0, 31_536_000.0),
            ServiceMetric::ResolutionHours => (0.1, 87_600.0),
            ServiceMetric::Csat => (1.0, 5.0),
            ServiceMetric::NpsScore => (0.0, 10.0),
            ServiceMetric::Ces => (1.0, 7.0),
        }
    }

    /// Whether `value` meets `target`.
    pub fn meets(self, value: f64, target: f64) -> bool {
        match self {
            ServiceMetric::Csat | ServiceMetric::NpsScore => value >= target,
            _ => value <= target,
        }
    }
}

/// What is measured against what: a metric, its target and where (a touchpoint with everything
/// below it; none: every touchpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTarget {
    pub metric: ServiceMetric,
    pub target: f64,
    /// The touchpoint's key; the server resolves it to `touchpoint_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub touchpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub touchpoint_id: Option<i64>,
}

impl ServiceTarget {
    fn validate(self) -> Result<ServiceTarget, FieldError> {
        let (low, high) = self.metric.range();
        if !self.target.is_finite() || self.target < low || self.target > high {
            return Err(FieldError::new(
                "measure.target",
                format!("must be from {low} to {high} for {}", self.metric.as_str()),
            ));
        }
        if self.touchpoint_id.is_some_and(|id| id <= 0) {
            return Err(FieldError::new(
                "measure.touchpoint_id",
                "must be a positive id",
            ));
        }
        let touchpoint = error::short_text("measure.touchpoint", self.touchpoint.as_deref())?;
        if touchpoint.is_some() && self.touchpoint_id.is_some() {
            return Err(FieldError::new(
                "measure.touchpoint",
                "give either touchpoint or touchpoint_id, not both",
            ));
        }
        Ok(ServiceTarget { touchpoint, ..self })
    }
}

/// A service standard set from the expectations (gap 2) and held against delivery (gap 3):
/// the body of `POST /api/v1/standards`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardDefinition {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Names>,
    /// What delivery is measured by and held against.
    #[serde(deserialize_with = "error::object")]
    pub measure: ServiceTarget,
    /// The expectation it answers (a SERVQUAL dimension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<ServqualDimension>,
}

impl StandardDefinition {
    pub fn validate(self) -> Result<StandardDefinition, FieldError> {
        Ok(StandardDefinition {
            name: required("name", &self.name)?,
            names: self.names.map(|n| n.validate("names")).transpose()?,
            measure: self.measure.validate()?,
            dimension: self.dimension,
        })
    }
}

/// A promise the company made in its communications (gap 4): the body of
/// `POST /api/v1/promises`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseDefinition {
    /// What was promised, as the customer read it.
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
    /// Where it was said (an advert, the website, a contract…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub channel: Option<String>,
    pub made_on: NaiveDate,
    /// What delivery is measured by and held against.
    #[serde(deserialize_with = "error::object")]
    pub measure: ServiceTarget,
}

impl PromiseDefinition {
    pub fn validate(self) -> Result<PromiseDefinition, FieldError> {
        Ok(PromiseDefinition {
            text: long_text("text", Some(self.text))?
                .ok_or_else(|| FieldError::new("text", "is required"))?,
            channel: error::short_text("channel", self.channel.as_deref())?,
            made_on: self.made_on,
            measure: self.measure.validate()?,
        })
    }
}

/// How a maturity criterion's figure is held against its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AtLeast,
    AtMost,
}

/// A criterion of the maturity evidence: its key, level, direction and default threshold.
#[derive(Debug, Clone, Copy)]
pub struct Criterion {
    pub key: &'static str,
    pub level: MaturityLevel,
    pub direction: Direction,
    pub default: f64,
    pub name: Text,
}

const fn criterion(
    key: &'static str,
    level: MaturityLevel,
    direction: Direction,
    default: f64,
    name: Text,
) -> Criterion {
    Criterion {
        key,
        level,
        direction,
        default,
        name,
    }
}

/// The evidence each level is judged by.
pub static CRITERIA: [Criterion; 11] = [
    criterion(
        "answers",
        L::Communication,
        Direction::AtLeast,
        100.0,
        Text::new(
            "Відповідей клієнтів за період",
            "Customer answers in the period",
            "Ответов клиентов за период",
        ),
    ),
    criterion(
        "channels",
        L::Communication,
        Direction::AtLeast,
        2.0,
        Text::new(
            "Каналів, у яких клієнти відповідають",
            "Channels customers answer in",
            "Каналов, в которых отвечают клиенты",
        ),
    ),
    criterion(
        "mttr_hours",
        L::Responsiveness,
        Direction::AtMost,
        48.0,
        Text::new(
            "MTTR, год (середнє)",
            "MTTR, hours (mean)",
            "MTTR, ч (среднее)",
        ),
    ),
    criterion(
        "fcr",
        L::Responsiveness,
        Direction::AtLeast,
        70.0,
        Text::new(
            "Вирішено з першого контакту, %",
            "First-contact resolution, %",
            "Решено с первого контакта, %",
        ),
    ),
    criterion(
        "sla_compliance",
        L::Responsiveness,
        Direction::AtLeast,
        85.0,
        Text::new(
            "Дотримання SLA, %",
            "SLA compliance, %",
            "Соблюдение SLA, %",
        ),
    ),
    criterion(
        "owned_cases",
        L::Commitment,
        Direction::AtLeast,
        80.0,
        Text::new(
            "Кейсів з персональним відповідальним, %",
            "Cases with a personal owner, %",
            "Кейсов с персональным ответственным, %",
        ),
    ),
    criterion(
        "follow_up",
        L::Commitment,
        Direction::AtLeast,
        50.0,
        Text::new(
            "Розв'язаних кейсів із повторним опитуванням клієнта, %",
            "Resolved cases followed up with the customer, %",
            "Решённых кейсов с повторным опросом клиента, %",
        ),
    ),
    criterion(
        "proactive_cases",
        L::Proactivity,
        Direction::AtLeast,
        30.0,
        Text::new(
            "Кейсів, відкритих правилами до скарги, %",
            "Cases opened by rules before a complaint, %",
            "Кейсов, открытых правилами до жалобы, %",
        ),
    ),
    criterion(
        "nps",
        L::Relationship,
        Direction::AtLeast,
        20.0,
        Text::new("NPS", "NPS", "NPS"),
    ),
    criterion(
        "nps_trend",
        L::Relationship,
        Direction::AtLeast,
        0.0,
        Text::new(
            "Зміна NPS проти попереднього періоду",
            "NPS change on the previous period",
            "Изменение NPS к предыдущему периоду",
        ),
    ),
    criterion(
        "cx_index",
        L::Relationship,
        Direction::AtLeast,
        60.0,
        Text::new("Індекс CX", "CX index", "Индекс CX"),
    ),
];

pub fn criterion_by_key(key: &str) -> Option<&'static Criterion> {
    CRITERIA.iter().find(|c| c.key == key)
}

/// The organisation's thresholds: criterion key → threshold; a criterion left out keeps its
/// default. The body of `PUT /api/v1/maturity/thresholds`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct MaturityThresholds(pub BTreeMap<String, f64>);

impl MaturityThresholds {
    pub fn validate(self) -> Result<MaturityThresholds, FieldError> {
        for (key, value) in &self.0 {
            if criterion_by_key(key).is_none() {
                return Err(FieldError::new(key.as_str(), "no such maturity criterion"));
            }
            if !value.is_finite() || value.abs() > 1e9 {
                return Err(FieldError::new(key.as_str(), "must be a finite number"));
            }
        }
        Ok(self)
    }

    pub fn of(&self, criterion: &Criterion) -> f64 {
        self.0
            .get(criterion.key)
            .copied()
            .unwrap_or(criterion.default)
    }
}

/// How a study met its customers (SPEC §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StudyMethod {
    InDepthInterview,
    /// Observation, "fly on the wall".
    Observation,
    /// "In the customer's moccasins": living the journey as a customer.
    CustomersMoccasins,
    StoriesSharing,
    PioneerView,
    FieldResearch,
    /// A chain of "why?" from a symptom to its root cause.
    FiveWhys,
}

impl StudyMethod {
    pub const ALL: [StudyMethod; 7] = [
        StudyMethod::InDepthInterview,
        StudyMethod::Observation,
        StudyMethod::CustomersMoccasins,
        StudyMethod::StoriesSharing,
        StudyMethod::PioneerView,
        StudyMethod::FieldResearch,
        StudyMethod::FiveWhys,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StudyMethod::InDepthInterview => "in_depth_interview",
            StudyMethod::Observation => "observation",
            StudyMethod::CustomersMoccasins => "customers_moccasins",
            StudyMethod::StoriesSharing => "stories_sharing",
            StudyMethod::PioneerView => "pioneer_view",
            StudyMethod::FieldResearch => "field_research",
            StudyMethod::FiveWhys => "five_whys",
        }
    }

    pub fn name(self) -> Text {
        match self {
            StudyMethod::InDepthInterview => Text::new(
                "Глибинне інтерв’ю",
                "In-depth interview",
                "Глубинное интервью",
            ),
            StudyMethod::Observation => Text::new(
                "Спостереження («муха на стіні»)",
                "Observation (\"fly on the wall\")",
                "Наблюдение («муха на стене»)",
            ),
            StudyMethod::CustomersMoccasins => Text::new(
                "«У мокасинах клієнта»",
                "In the customer's moccasins",
                "«В мокасинах клиента»",
            ),
            StudyMethod::StoriesSharing => {
                Text::new("Обмін історіями", "Stories sharing", "Обмен историями")
            }
            StudyMethod::PioneerView => {
                Text::new("Погляд піонера", "Pioneer view", "Взгляд пионера")
            }
            StudyMethod::FieldResearch => Text::new(
                "Польове дослідження",
                "Field research",
                "Полевое исследование",
            ),
            StudyMethod::FiveWhys => Text::new("П’ять «чому»", "Five whys", "Пять «почему»"),
        }
    }
}

/// Someone a study met: a customer (linked to their profile when known) or a description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub customer_id: Option<i64>,
}

/// A note or a quote of a study, tagged with where it happened and what it is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StudyNote {
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
    /// A customer's own words (shown beside the numbers), not the researcher's note.
    #[serde(default)]
    pub quote: bool,
    /// The participant who said it: their place in `participants`, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<usize>,
    /// The touchpoint's key; the server resolves it to `touchpoint_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub touchpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub touchpoint_id: Option<i64>,
    /// Theme keys; when none are given, the text analysis suggests them.
    #[serde(default)]
    pub themes: Vec<String>,
}

/// A file's text kept with a study (a transcript, field notes), searchable with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 100000)]
    pub text: String,
}

/// A study: the body of `POST /api/v1/studies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StudyDefinition {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    pub method: StudyMethod,
    pub conducted_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "error::objects")]
    pub participants: Vec<Participant>,
    #[serde(default, deserialize_with = "error::objects")]
    pub notes: Vec<StudyNote>,
    #[serde(default, deserialize_with = "error::objects")]
    pub attachments: Vec<Attachment>,
    /// A five-whys chain: the symptom first, each next answer one "why?" deeper.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub whys: Vec<String>,
    /// The root cause reached, as a cases' root-cause code (`queue_capacity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub root_cause: Option<String>,
}

/// Most notes, participants or whys in a study.
const MAX_PARTS: usize = 500;

impl StudyDefinition {
    pub fn validate(self) -> Result<StudyDefinition, FieldError> {
        let count = |field: &str, n: usize| {
            if n > MAX_PARTS {
                Err(FieldError::new(field, format!("at most {MAX_PARTS}")))
            } else {
                Ok(())
            }
        };
        count("participants", self.participants.len())?;
        count("notes", self.notes.len())?;
        count("attachments", self.attachments.len())?;
        count("whys", self.whys.len())?;
        let mut participants = Vec::with_capacity(self.participants.len());
        for (i, p) in self.participants.into_iter().enumerate() {
            if p.customer_id.is_some_and(|id| id <= 0) {
                return Err(FieldError::new(
                    format!("participants[{i}].customer_id"),
                    "must be a positive id",
                ));
            }
            participants.push(Participant {
                name: required(&format!("participants[{i}].name"), &p.name)?,
                customer_id: p.customer_id,
            });
        }
        let mut notes = Vec::with_capacity(self.notes.len());
        for (i, n) in self.notes.into_iter().enumerate() {
            let field = |f: &str| format!("notes[{i}].{f}");
            if n.participant.is_some_and(|p| p >= participants.len()) {
                return Err(FieldError::new(field("participant"), "no such participant"));
            }
            if n.touchpoint.is_some() && n.touchpoint_id.is_some() {
                return Err(FieldError::new(
                    field("touchpoint"),
                    "give either touchpoint or touchpoint_id, not both",
                ));
            }
            let mut themes = Vec::new();
            for (j, t) in n.themes.iter().enumerate() {
                if let Some(t) = error::short_text(&field(&format!("themes[{j}]")), Some(t))?
                    && !themes.contains(&t)
                {
                    themes.push(t);
                }
            }
            notes.push(StudyNote {
                text: long_text(&field("text"), Some(n.text))?
                    .ok_or_else(|| FieldError::new(field("text"), "is required"))?,
                quote: n.quote,
                participant: n.participant,
                touchpoint: error::short_text(&field("touchpoint"), n.touchpoint.as_deref())?,
                touchpoint_id: n.touchpoint_id,
                themes,
            });
        }
        let mut attachments = Vec::with_capacity(self.attachments.len());
        for (i, a) in self.attachments.into_iter().enumerate() {
            let text = a.text.trim().to_owned();
            error::plain_text(&format!("attachments[{i}].text"), &text)?;
            if text.chars().count() > 100_000 {
                return Err(FieldError::new(
                    format!("attachments[{i}].text"),
                    "must be at most 100000 characters",
                ));
            }
            attachments.push(Attachment {
                name: required(&format!("attachments[{i}].name"), &a.name)?,
                text,
            });
        }
        let mut whys = Vec::with_capacity(self.whys.len());
        for (i, w) in self.whys.into_iter().enumerate() {
            whys.push(
                long_text(&format!("whys[{i}]"), Some(w))?
                    .ok_or_else(|| FieldError::new(format!("whys[{i}]"), "is required"))?,
            );
        }
        Ok(StudyDefinition {
            title: required("title", &self.title)?,
            method: self.method,
            conducted_on: self.conducted_on,
            summary: long_text("summary", self.summary)?,
            participants,
            notes,
            attachments,
            whys,
            root_cause: error::short_text("root_cause", self.root_cause.as_deref())?,
        })
    }

    /// Whether `needle` (lower case) is in its title, summary, notes, attachments or whys.
    pub fn mentions(&self, needle: &str) -> bool {
        let has = |text: &str| text.to_lowercase().contains(needle);
        has(&self.title)
            || self.summary.as_deref().is_some_and(has)
            || self.notes.iter().any(|n| has(&n.text))
            || self
                .attachments
                .iter()
                .any(|a| has(&a.text) || has(&a.name))
            || self.whys.iter().any(|w| has(w))
            || self.participants.iter().any(|p| has(&p.name))
    }
}

/// The analytical templates (SPEC §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    EmpathyMap,
    PointOfView,
    HowMightWe,
    ValueProposition,
    JourneyCanvas,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 5] = [
        TemplateKind::EmpathyMap,
        TemplateKind::PointOfView,
        TemplateKind::HowMightWe,
        TemplateKind::ValueProposition,
        TemplateKind::JourneyCanvas,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::EmpathyMap => "empathy_map",
            TemplateKind::PointOfView => "point_of_view",
            TemplateKind::HowMightWe => "how_might_we",
            TemplateKind::ValueProposition => "value_proposition",
            TemplateKind::JourneyCanvas => "journey_canvas",
        }
    }

    pub fn name(self) -> Text {
        match self {
            TemplateKind::EmpathyMap => Text::new("Карта емпатії", "Empathy map", "Карта эмпатии"),
            TemplateKind::PointOfView => Text::new("Точка зору", "Point of view", "Точка зрения"),
            TemplateKind::HowMightWe => {
                Text::new("Як ми могли б…?", "How might we…?", "Как мы могли бы…?")
            }
            TemplateKind::ValueProposition => Text::new(
                "Канва ціннісної пропозиції",
                "Value proposition canvas",
                "Канва ценностного предложения",
            ),
            TemplateKind::JourneyCanvas => Text::new(
                "Канва карти шляху клієнта",
                "Customer journey map canvas",
                "Канва карты пути клиента",
            ),
        }
    }

    /// Its sections, in order, each with its name.
    pub fn sections(self) -> &'static [(&'static str, Text)] {
        match self {
            TemplateKind::EmpathyMap => &EMPATHY_MAP,
            TemplateKind::PointOfView => &POINT_OF_VIEW,
            TemplateKind::HowMightWe => &HOW_MIGHT_WE,
            TemplateKind::ValueProposition => &VALUE_PROPOSITION,
            TemplateKind::JourneyCanvas => &JOURNEY_CANVAS,
        }
    }
}

static EMPATHY_MAP: [(&str, Text); 6] = [
    ("says", Text::new("Каже", "Says", "Говорит")),
    ("thinks", Text::new("Думає", "Thinks", "Думает")),
    ("does", Text::new("Робить", "Does", "Делает")),
    ("feels", Text::new("Відчуває", "Feels", "Чувствует")),
    ("pains", Text::new("Болі", "Pains", "Боли")),
    ("gains", Text::new("Вигоди", "Gains", "Выгоды")),
];
static POINT_OF_VIEW: [(&str, Text); 3] = [
    ("user", Text::new("Хто", "Who", "Кто")),
    ("need", Text::new("Потребує", "Needs", "Нуждается")),
    (
        "insight",
        Text::new("Бо (інсайт)", "Because (insight)", "Потому что (инсайт)"),
    ),
];
static HOW_MIGHT_WE: [(&str, Text); 2] = [
    ("problem", Text::new("Проблема", "Problem", "Проблема")),
    (
        "questions",
        Text::new("Як ми могли б…?", "How might we…?", "Как мы могли бы…?"),
    ),
];
static VALUE_PROPOSITION: [(&str, Text); 6] = [
    (
        "jobs",
        Text::new("Завдання клієнта", "Customer jobs", "Задачи клиента"),
    ),
    ("pains", Text::new("Болі", "Pains", "Боли")),
    ("gains", Text::new("Вигоди", "Gains", "Выгоды")),
    (
        "products",
        Text::new(
            "Продукти й послуги",
            "Products & services",
            "Продукты и услуги",
        ),
    ),
    (
        "pain_relievers",
        Text::new("Знеболювальні", "Pain relievers", "Обезболивающие"),
    ),
    (
        "gain_creators",
        Text::new("Творці вигод", "Gain creators", "Создатели выгод"),
    ),
];
static JOURNEY_CANVAS: [(&str, Text); 6] = [
    ("stages", Text::new("Етапи", "Stages", "Этапы")),
    (
        "actions",
        Text::new("Дії клієнта", "Customer actions", "Действия клиента"),
    ),
    (
        "touchpoints",
        Text::new("Точки контакту", "Touchpoints", "Точки контакта"),
    ),
    ("emotions", Text::new("Емоції", "Emotions", "Эмоции")),
    ("pains", Text::new("Болі", "Pains", "Боли")),
    (
        "opportunities",
        Text::new("Можливості", "Opportunities", "Возможности"),
    ),
];

/// An analytical template as filled in: the body of `POST /api/v1/templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateDocument {
    pub kind: TemplateKind,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Who it is about: customer attribute filters as in `/query` (`{"segment": "premium"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub segment: Option<crate::Attributes>,
    /// Section key → its entries.
    #[serde(default)]
    pub sections: BTreeMap<String, Vec<String>>,
}

impl TemplateDocument {
    pub fn validate(self) -> Result<TemplateDocument, FieldError> {
        let allowed = self.kind.sections();
        let mut sections = BTreeMap::new();
        for (key, entries) in self.sections {
            if !allowed.iter().any(|(k, _)| *k == key) {
                return Err(FieldError::new(
                    format!("sections.{key}"),
                    format!("a {} has no such section", self.kind.as_str()),
                ));
            }
            if entries.len() > MAX_PARTS {
                return Err(FieldError::new(
                    format!("sections.{key}"),
                    format!("at most {MAX_PARTS}"),
                ));
            }
            let mut kept = Vec::new();
            for (i, e) in entries.into_iter().enumerate() {
                if let Some(e) = long_text(&format!("sections.{key}[{i}]"), Some(e))? {
                    kept.push(e);
                }
            }
            sections.insert(key, kept);
        }
        Ok(TemplateDocument {
            kind: self.kind,
            title: required("title", &self.title)?,
            segment: self.segment,
            sections,
        })
    }

    /// The template as Markdown, its names in `language`.
    pub fn markdown(&self, language: &str) -> String {
        let mut out = format!("# {}\n\n_{}_\n", self.title, self.kind.name().get(language));
        if let Some(segment) = self.segment.as_ref().filter(|s| !s.is_empty()) {
            let who: Vec<String> = segment
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}: {}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .collect();
            out.push_str(&format!("\n{}\n", who.join(", ")));
        }
        for (key, name) in self.kind.sections() {
            out.push_str(&format!("\n## {}\n\n", name.get(language)));
            match self.sections.get(*key).filter(|e| !e.is_empty()) {
                Some(entries) => {
                    for e in entries {
                        out.push_str(&format!("- {}\n", e.replace('\n', " ")));
                    }
                }
                None => out.push_str("- …\n"),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(who: &str, items: &[(&str, u8)]) -> AssessmentAnswer {
        AssessmentAnswer {
            respondent: who.into(),
            role: None,
            answers: items.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            expectations: BTreeMap::new(),
        }
    }

    #[test]
    fn every_item_key_is_unique_and_every_part_has_an_item() {
        let mut keys: Vec<&str> = ITEMS.iter().map(|i| i.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ITEMS.len());
        for part in B::ALL
            .map(Part::Block)
            .into_iter()
            .chain(S::ALL.map(Part::Support))
            .chain(L::ALL.map(Part::Maturity))
        {
            assert!(ITEMS.iter().any(|i| i.part == part), "{part:?}");
        }
        for level in L::ALL {
            assert!(CRITERIA.iter().any(|c| c.level == level), "{level:?}");
        }
    }

    #[test]
    fn a_block_is_the_mean_of_respondents_means_with_their_spread() {
        let answers = [
            answer("a", &[("strategy.vision", 5), ("strategy.goals", 3)]), // 75
            answer("b", &[("strategy.vision", 1)]),                        // 0
            answer("c", &[("team.owner", 4)]),
        ];
        let r = readiness(&answers);
        let strategy = r
            .blocks
            .iter()
            .find(|b| b.part == Part::Block(B::Strategy))
            .unwrap();
        assert_eq!(strategy.respondents, 2);
        assert_eq!(strategy.score, Some(37.5));
        assert!((strategy.spread.unwrap() - 53.033).abs() < 1e-3);
        assert!(strategy.weak && strategy.disagreement && strategy.recommendation.is_some());
        // Weakest first; unanswered blocks last.
        assert_eq!(r.blocks[0].part, Part::Block(B::Strategy));
        assert_eq!(r.blocks[1].part, Part::Block(B::Team));
        assert!(r.blocks[2].score.is_none());
        assert_eq!(r.overall, Some((37.5 + 75.0) / 2.0));
    }

    #[test]
    fn the_self_assessed_level_needs_every_level_below() {
        let r = readiness(&[answer(
            "a",
            &[
                ("maturity.communication", 5),
                ("maturity.responsiveness", 4),
                ("maturity.commitment", 2),
                ("maturity.proactivity", 5),
            ],
        )]);
        assert_eq!(r.self_assessed_level, 2);
    }

    #[test]
    fn a_template_keeps_only_its_own_sections_and_reads_as_markdown() {
        let doc = TemplateDocument {
            kind: TemplateKind::EmpathyMap,
            title: "Premium".into(),
            segment: None,
            sections: BTreeMap::from([(
                "says".to_owned(),
                vec!["Too long on the line".to_owned(), " ".to_owned()],
            )]),
        }
        .validate()
        .unwrap();
        assert_eq!(doc.sections["says"], ["Too long on the line"]);
        let md = doc.markdown("en");
        assert!(md.starts_with("# Premium\n"), "{md}");
        assert!(md.contains("## Says\n\n- Too long on the line\n"), "{md}");
        assert!(md.contains("## Gains\n\n- …\n"), "{md}");
        let wrong = TemplateDocument {
            sections: BTreeMap::from([("jobs".to_owned(), vec![])]),
            ..doc
        };
        assert_eq!(wrong.validate().unwrap_err().field, "sections.jobs");
    }

    #[test]
    fn answers_outside_the_questionnaire_are_refused_by_field() {
        let e = answer("a", &[("strategy.nope", 3)]).validate().unwrap_err();
        assert_eq!(e.field, "answers.strategy.nope");
        let e = answer("a", &[("strategy.vision", 6)])
            .validate()
            .unwrap_err();
        assert_eq!(e.field, "answers.strategy.vision");
        let e = answer(" ", &[("strategy.vision", 3)])
            .validate()
            .unwrap_err();
        assert_eq!(e.field, "respondent");
    }
}

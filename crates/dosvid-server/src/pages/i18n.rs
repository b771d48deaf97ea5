//! The words of the public pages in Ukrainian, English and Russian. Survey texts come from the
//! survey's definition; these are the frame around them.

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Uk,
    En,
    Ru,
}

pub struct Texts {
    pub next: &'static str,
    pub back: &'static str,
    pub submit: &'static str,
    /// "Question {i} of {n}".
    pub progress: fn(usize, usize) -> String,
    pub required: &'static str,
    pub required_error: &'static str,
    pub invalid_answer: &'static str,
    pub thanks_title: &'static str,
    pub thanks: &'static str,
    pub already_answered: &'static str,
    pub closed_title: &'static str,
    pub closed: &'static str,
    pub invalid_link_title: &'static str,
    pub invalid_link: &'static str,
    pub expired_form: &'static str,
    pub too_many_title: &'static str,
    pub too_many: &'static str,
    pub too_large: &'static str,
    pub nps_ends: (&'static str, &'static str),
    pub csat_ends: (&'static str, &'static str),
    pub ces_ends: (&'static str, &'static str),
    pub rating_ends: (&'static str, &'static str),
    pub expectation: &'static str,
    pub perception: &'static str,
    pub servqual_ends: (&'static str, &'static str),
    pub language: &'static str,
    pub honeypot: &'static str,
}

const UK: Texts = Texts {
    next: "Далі",
    back: "Назад",
    submit: "Надіслати",
    progress: |i, n| format!("Питання {i} з {n}"),
    required: "обов’язково",
    required_error: "Будь ласка, дайте відповідь на це питання.",
    invalid_answer: "Цю відповідь не вдалося прийняти; перевірте її, будь ласка.",
    thanks_title: "Дякуємо!",
    thanks: "Ваші відповіді збережено. Дякуємо, що знайшли час.",
    already_answered: "Ви вже відповіли на це опитування — ще раз дякуємо! Відповідь за цим посиланням змінити не можна.",
    closed_title: "Опитування закрито",
    closed: "Це опитування вже не приймає відповідей.",
    invalid_link_title: "Посилання недійсне",
    invalid_link: "Це посилання недійсне або його строк минув.",
    expired_form: "Сторінка застаріла. Відповідайте, будь ласка, ще раз.",
    too_many_title: "Забагато запитів",
    too_many: "Забагато запитів з вашої адреси. Спробуйте за хвилину.",
    too_large: "Відповідь задовга.",
    nps_ends: ("0 — зовсім не ймовірно", "10 — дуже ймовірно"),
    csat_ends: ("1 — дуже незадоволений", "5 — дуже задоволений"),
    ces_ends: ("1 — дуже складно", "7 — дуже легко"),
    rating_ends: ("найгірше", "найкраще"),
    expectation: "Чого ви очікували",
    perception: "Що ви отримали",
    servqual_ends: ("1 — зовсім ні", "7 — повністю"),
    language: "Мова",
    honeypot: "Не заповнюйте це поле",
};

const EN: Texts = Texts {
    next: "Next",
    back: "Back",
    submit: "Submit",
    progress: |i, n| format!("Question {i} of {n}"),
    required: "required",
    required_error: "Please answer this question.",
    invalid_answer: "This answer could not be accepted; please check it.",
    thanks_title: "Thank you!",
    thanks: "Your answers have been saved. Thank you for your time.",
    already_answered: "You have already answered this survey — thank you again! The answer given through this link cannot be changed.",
    closed_title: "Survey closed",
    closed: "This survey no longer takes answers.",
    invalid_link_title: "Link not valid",
    invalid_link: "This link is not valid or has expired.",
    expired_form: "This page has expired. Please answer again.",
    too_many_title: "Too many requests",
    too_many: "Too many requests from your address. Please try again in a minute.",
    too_large: "The answer is too long.",
    nps_ends: ("0 — not at all likely", "10 — extremely likely"),
    csat_ends: ("1 — very dissatisfied", "5 — very satisfied"),
    ces_ends: ("1 — very difficult", "7 — very easy"),
    rating_ends: ("worst", "best"),
    expectation: "What you expected",
    perception: "What you got",
    servqual_ends: ("1 — not at all", "7 — fully"),
    language: "Language",
    honeypot: "Leave this field empty",
};

const RU: Texts = Texts {
    next: "Далее",
    back: "Назад",
    submit: "Отправить",
    progress: |i, n| format!("Вопрос {i} из {n}"),
    required: "обязательно",
    required_error: "Пожалуйста, ответьте на этот вопрос.",
    invalid_answer: "Этот ответ не удалось принять; проверьте его, пожалуйста.",
    thanks_title: "Спасибо!",
    thanks: "Ваши ответы сохранены. Спасибо, что нашли время.",
    already_answered: "Вы уже ответили на этот опрос — ещё раз спасибо! Ответ по этой ссылке изменить нельзя.",
    closed_title: "Опрос закрыт",
    closed: "Этот опрос больше не принимает ответы.",
    invalid_link_title: "Ссылка недействительна",
    invalid_link: "Эта ссылка недействительна или её срок истёк.",
    expired_form: "Страница устарела. Ответьте, пожалуйста, ещё раз.",
    too_many_title: "Слишком много запросов",
    too_many: "Слишком много запросов с вашего адреса. Попробуйте через минуту.",
    too_large: "Ответ слишком длинный.",
    nps_ends: ("0 — совсем маловероятно", "10 — очень вероятно"),
    csat_ends: ("1 — очень недоволен", "5 — очень доволен"),
    ces_ends: ("1 — очень сложно", "7 — очень легко"),
    rating_ends: ("хуже всего", "лучше всего"),
    expectation: "Чего вы ожидали",
    perception: "Что вы получили",
    servqual_ends: ("1 — совсем нет", "7 — полностью"),
    language: "Язык",
    honeypot: "Не заполняйте это поле",
};

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "uk" | "ua" => Some(Lang::Uk),
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Uk => "uk",
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// The language's own name, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Uk => "Українська",
            Lang::En => "English",
            Lang::Ru => "Русский",
        }
    }

    pub fn t(self) -> &'static Texts {
        match self {
            Lang::Uk => &UK,
            Lang::En => &EN,
            Lang::Ru => &RU,
        }
    }

    /// The languages of an `Accept-Language` header that we speak, in the client's order of
    /// preference.
    pub fn accepted(headers: &HeaderMap) -> Vec<&'static str> {
        let Some(header) = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
        else {
            return Vec::new();
        };
        let mut ranked: Vec<(f32, &'static str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let primary = tag.split('-').next()?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                Lang::parse(primary).map(|l| (q, l.code()))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.into_iter().map(|(_, code)| code).collect()
    }

    /// The client's preferred language of ours, Ukrainian when it names none.
    pub fn from_accept(headers: &HeaderMap) -> Lang {
        Lang::accepted(headers)
            .first()
            .and_then(|c| Lang::parse(c))
            .unwrap_or(Lang::Uk)
    }
}

/// The words of the signed-in application.
pub struct Ui {
    pub app: &'static str,
    pub sign_in_title: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub wrong_password: &'static str,
    pub sign_out: &'static str,
    pub log_complaint: &'static str,
    pub log_complaint_hint: &'static str,
    pub surveys: &'static str,
    pub no_surveys: &'static str,
    pub public_link: &'static str,
    pub kind: &'static str,
    pub complaint: &'static str,
    pub review: &'static str,
    pub customer: &'static str,
    pub customer_hint: &'static str,
    pub crm_id: &'static str,
    pub phone: &'static str,
    pub channel: &'static str,
    pub touchpoint: &'static str,
    pub not_given: &'static str,
    pub what_they_said: &'static str,
    pub severity: &'static str,
    /// Low, medium, high, critical.
    pub severities: [&'static str; 4],
    pub rating: &'static str,
    pub save: &'static str,
    pub logged: fn(i64) -> String,
    pub language_read: &'static str,
    pub sentiment: &'static str,
    /// Negative, neutral, positive.
    pub sentiments: [&'static str; 3],
    pub themes: &'static str,
    pub log_another: &'static str,
    pub form_expired: &'static str,
    pub not_allowed: &'static str,
    pub interface_language: &'static str,
    pub change: &'static str,
    pub overview: &'static str,
    pub journey_map: &'static str,
    pub period_from: &'static str,
    pub period_to: &'static str,
    pub all: &'static str,
    pub segment: &'static str,
    pub stage: &'static str,
    pub apply: &'static str,
    pub not_enough: &'static str,
    pub vs_previous: &'static str,
    pub significant: &'static str,
    pub not_significant: &'static str,
    pub interval: &'static str,
    pub responses: &'static str,
    pub nps_trend: &'static str,
    pub cx_index: &'static str,
    pub csat_top2: &'static str,
    pub ces_mean: &'static str,
    pub ces_easy: &'static str,
    pub moment_of_truth: &'static str,
    pub owner: &'static str,
    pub no_data: &'static str,
    pub same_in_api: &'static str,
    pub by_channel: &'static str,
    pub below: &'static str,
    pub theme_impact: &'static str,
    pub theme: &'static str,
    pub share: &'static str,
    pub mentioning: &'static str,
    pub not_mentioning: &'static str,
    pub impact: &'static str,
    pub latest_comments: &'static str,
    pub no_comments: &'static str,
    pub customers: &'static str,
    pub find_customer: &'static str,
    pub find: &'static str,
    pub no_match: &'static str,
    pub name: &'static str,
    pub region: &'static str,
    pub plan: &'static str,
    pub identities: &'static str,
    pub timeline: &'static str,
    /// Feedback, interaction, transaction.
    pub events: [&'static str; 3],
    pub more_not_shown: fn(usize) -> String,
    pub next_page: &'static str,
}

const UK_UI: Ui = Ui {
    app: "Dosvid",
    sign_in_title: "Вхід до Dosvid",
    email: "Електронна пошта",
    password: "Пароль",
    sign_in: "Увійти",
    wrong_password: "Неправильна пошта або пароль.",
    sign_out: "Вийти",
    log_complaint: "Записати скаргу чи відгук",
    log_complaint_hint: "Клієнт скаржиться чи хвалить по телефону, у відділенні, в чаті — запишіть його словами, і це одразу потрапить у метрики й аналіз текстів.",
    surveys: "Опитування",
    no_surveys: "Опитувань ще немає.",
    public_link: "Публічне посилання",
    kind: "Що це",
    complaint: "Скарга",
    review: "Відгук",
    customer: "Клієнт",
    customer_hint: "Достатньо одного: пошта, телефон або номер у CRM.",
    crm_id: "Номер у CRM",
    phone: "Телефон",
    channel: "Канал",
    touchpoint: "Точка контакту",
    not_given: "— не вказано —",
    what_they_said: "Що сказав клієнт (його словами)",
    severity: "Серйозність",
    severities: ["низька", "середня", "висока", "критична"],
    rating: "Оцінка від 1 до 5 (для відгуку)",
    save: "Зберегти",
    logged: |id| format!("Записано: відгук №{id}."),
    language_read: "Мова",
    sentiment: "Тональність",
    sentiments: ["негативна", "нейтральна", "позитивна"],
    themes: "Теми",
    log_another: "Записати ще",
    form_expired: "Форма застаріла — оновіть сторінку й спробуйте ще раз.",
    not_allowed: "Ваша роль не дозволяє цього.",
    interface_language: "Мова інтерфейсу",
    change: "Змінити",
    overview: "Огляд",
    journey_map: "Карта шляху",
    period_from: "Від",
    period_to: "До (не включно)",
    all: "усі",
    segment: "Сегмент",
    stage: "Етап",
    apply: "Показати",
    not_enough: "Замало відповідей",
    vs_previous: "до попереднього періоду",
    significant: "значуща зміна",
    not_significant: "незначуща зміна",
    interval: "95% інтервал",
    responses: "відповідей",
    nps_trend: "NPS за місяцями (смуга — 95% інтервал)",
    cx_index: "CX-індекс",
    csat_top2: "CSAT (4–5)",
    ces_mean: "CES, середнє",
    ces_easy: "CES: легко (5–7)",
    moment_of_truth: "момент істини",
    owner: "Власник",
    no_data: "За цей період даних немає.",
    same_in_api: "Ті самі числа в API",
    by_channel: "За каналами",
    below: "Нижчі точки контакту",
    theme_impact: "Теми коментарів і їхній вплив на NPS",
    theme: "Тема",
    share: "Частка",
    mentioning: "NPS тих, хто згадує",
    not_mentioning: "NPS решти",
    impact: "Вплив",
    latest_comments: "Останні коментарі",
    no_comments: "Коментарів немає.",
    customers: "Клієнти",
    find_customer: "Номер у CRM, пошта або телефон",
    find: "Знайти",
    no_match: "Такого клієнта не знайдено.",
    name: "Ім’я",
    region: "Регіон",
    plan: "Тариф",
    identities: "Ідентифікатори",
    timeline: "Історія в усіх каналах",
    events: ["Відгук", "Взаємодія", "Транзакція"],
    more_not_shown: |n| format!("Ще {n} давніших подій не показано."),
    next_page: "Далі →",
};

const EN_UI: Ui = Ui {
    app: "Dosvid",
    sign_in_title: "Sign in to Dosvid",
    email: "E-mail",
    password: "Password",
    sign_in: "Sign in",
    wrong_password: "Wrong e-mail or password.",
    sign_out: "Sign out",
    log_complaint: "Log a complaint or review",
    log_complaint_hint: "A customer complains or praises on the phone, in a store, in a chat — write it down in their words and it reaches the metrics and the text analysis at once.",
    surveys: "Surveys",
    no_surveys: "No surveys yet.",
    public_link: "Public link",
    kind: "What is it",
    complaint: "Complaint",
    review: "Review",
    customer: "Customer",
    customer_hint: "One is enough: e-mail, phone or CRM id.",
    crm_id: "CRM id",
    phone: "Phone",
    channel: "Channel",
    touchpoint: "Touchpoint",
    not_given: "— not given —",
    what_they_said: "What the customer said (in their words)",
    severity: "Severity",
    severities: ["low", "medium", "high", "critical"],
    rating: "Rating from 1 to 5 (for a review)",
    save: "Save",
    logged: |id| format!("Logged as feedback record #{id}."),
    language_read: "Language",
    sentiment: "Sentiment",
    sentiments: ["negative", "neutral", "positive"],
    themes: "Themes",
    log_another: "Log another",
    form_expired: "The form has expired — reload the page and try again.",
    not_allowed: "Your role does not allow this.",
    interface_language: "Interface language",
    change: "Change",
    overview: "Overview",
    journey_map: "Journey map",
    period_from: "From",
    period_to: "To (exclusive)",
    all: "all",
    segment: "Segment",
    stage: "Stage",
    apply: "Show",
    not_enough: "Not enough responses",
    vs_previous: "vs the previous period",
    significant: "significant change",
    not_significant: "not a significant change",
    interval: "95% interval",
    responses: "responses",
    nps_trend: "NPS by month (band: 95% interval)",
    cx_index: "CX index",
    csat_top2: "CSAT (4–5)",
    ces_mean: "CES, mean",
    ces_easy: "CES: easy (5–7)",
    moment_of_truth: "moment of truth",
    owner: "Owner",
    no_data: "No data for this period.",
    same_in_api: "The same numbers in the API",
    by_channel: "By channel",
    below: "Touchpoints below",
    theme_impact: "Themes of the comments and their impact on NPS",
    theme: "Theme",
    share: "Share",
    mentioning: "NPS of those mentioning it",
    not_mentioning: "NPS of the rest",
    impact: "Impact",
    latest_comments: "Latest comments",
    no_comments: "No comments.",
    customers: "Customers",
    find_customer: "CRM id, e-mail or phone",
    find: "Find",
    no_match: "No customer matches.",
    name: "Name",
    region: "Region",
    plan: "Plan",
    identities: "Identities",
    timeline: "Timeline across channels",
    events: ["Feedback", "Interaction", "Transaction"],
    more_not_shown: |n| format!("{n} older events not shown."),
    next_page: "Next →",
};

const RU_UI: Ui = Ui {
    app: "Dosvid",
    sign_in_title: "Вход в Dosvid",
    email: "Электронная почта",
    password: "Пароль",
    sign_in: "Войти",
    wrong_password: "Неверная почта или пароль.",
    sign_out: "Выйти",
    log_complaint: "Записать жалобу или отзыв",
    log_complaint_hint: "Клиент жалуется или хвалит по телефону, в отделении, в чате — запишите его словами, и это сразу попадёт в метрики и анализ текстов.",
    surveys: "Опросы",
    no_surveys: "Опросов пока нет.",
    public_link: "Публичная ссылка",
    kind: "Что это",
    complaint: "Жалоба",
    review: "Отзыв",
    customer: "Клиент",
    customer_hint: "Достаточно одного: почта, телефон или номер в CRM.",
    crm_id: "Номер в CRM",
    phone: "Телефон",
    channel: "Канал",
    touchpoint: "Точка контакта",
    not_given: "— не указано —",
    what_they_said: "Что сказал клиент (его словами)",
    severity: "Серьёзность",
    severities: ["низкая", "средняя", "высокая", "критическая"],
    rating: "Оценка от 1 до 5 (для отзыва)",
    save: "Сохранить",
    logged: |id| format!("Записано: отзыв №{id}."),
    language_read: "Язык",
    sentiment: "Тональность",
    sentiments: ["негативная", "нейтральная", "позитивная"],
    themes: "Темы",
    log_another: "Записать ещё",
    form_expired: "Форма устарела — обновите страницу и попробуйте ещё раз.",
    not_allowed: "Ваша роль этого не позволяет.",
    interface_language: "Язык интерфейса",
    change: "Изменить",
    overview: "Обзор",
    journey_map: "Карта пути",
    period_from: "С",
    period_to: "По (не включая)",
    all: "все",
    segment: "Сегмент",
    stage: "Этап",
    apply: "Показать",
    not_enough: "Мало ответов",
    vs_previous: "к предыдущему периоду",
    significant: "значимое изменение",
    not_significant: "незначимое изменение",
    interval: "95% интервал",
    responses: "ответов",
    nps_trend: "NPS по месяцам (полоса — 95% интервал)",
    cx_index: "CX-индекс",
    csat_top2: "CSAT (4–5)",
    ces_mean: "CES, среднее",
    ces_easy: "CES: легко (5–7)",
    moment_of_truth: "момент истины",
    owner: "Владелец",
    no_data: "За этот период данных нет.",
    same_in_api: "Те же числа в API",
    by_channel: "По каналам",
    below: "Нижние точки контакта",
    theme_impact: "Темы комментариев и их влияние на NPS",
    theme: "Тема",
    share: "Доля",
    mentioning: "NPS упоминающих",
    not_mentioning: "NPS остальных",
    impact: "Влияние",
    latest_comments: "Последние комментарии",
    no_comments: "Комментариев нет.",
    customers: "Клиенты",
    find_customer: "Номер в CRM, почта или телефон",
    find: "Найти",
    no_match: "Такой клиент не найден.",
    name: "Имя",
    region: "Регион",
    plan: "Тариф",
    identities: "Идентификаторы",
    timeline: "История во всех каналах",
    events: ["Отзыв", "Взаимодействие", "Транзакция"],
    more_not_shown: |n| format!("Ещё {n} более ранних событий не показано."),
    next_page: "Дальше →",
};

impl Lang {
    pub fn ui(self) -> &'static Ui {
        match self {
            Lang::Uk => &UK_UI,
            Lang::En => &EN_UI,
            Lang::Ru => &RU_UI,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_read_in_order_of_preference() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "accept-language",
            "de-DE,de;q=0.9,ru;q=0.5,uk-UA;q=0.8".parse().unwrap(),
        );
        assert_eq!(Lang::accepted(&headers), vec!["uk", "ru"]);
        assert_eq!(Lang::from_accept(&HeaderMap::new()), Lang::Uk);
    }
}

//! Comments in Ukrainian, Russian and English, composed from sentences written for each theme a
//! telecom customer talks about. A comment is an optional opener, one or two sentences on the
//! theme, and an optional closer, with numbers filled in, so that 100,000 comments are not one
//! template repeated. Written by us for the demo; later text analytics must read them like real
//! ones (the words for queue, app, billing… are the ones customers use).

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Queue,
    Ivr,
    Agent,
    App,
    Billing,
    Network,
    Store,
    Delivery,
    Price,
    Chat,
    General,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Uk,
    Ru,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Uk => "uk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

/// (negative, positive) sentences for a theme in a language. `{n}` becomes a number.
fn sentences(theme: Theme, lang: Lang) -> (&'static [&'static str], &'static [&'static str]) {
    use Lang::*;
    use Theme::*;
    match (theme, lang) {
        (Queue, Uk) => (
            &[
                "Чекав на лінії {n} хвилин, поки хтось відповів.",
                "Дуже довго чекати з'єднання з оператором.",
                "Черга на гарячій лінії просто нескінченна.",
                "Двічі дзвонив і обидва рази висів у черзі по {n} хвилин.",
                "Музика в очікуванні вже сниться, так довго чекав.",
            ],
            &[
                "З'єднали з оператором майже одразу.",
                "Чекати майже не довелося, дякую.",
                "Цього разу відповіли за хвилину, приємно здивований.",
            ],
        ),
        (Queue, Ru) => (
            &[
                "Ждал на линии {n} минут, пока кто-то ответил.",
                "Очень долго ждать соединения с оператором.",
                "Очередь на горячей линии бесконечная.",
                "Звонил дважды и оба раза висел в очереди по {n} минут.",
            ],
            &[
                "Соединили с оператором почти сразу.",
                "Ждать почти не пришлось, спасибо.",
                "Ответили за минуту, приятно удивлён.",
            ],
        ),
        (Queue, En) => (
            &[
                "I was on hold for {n} minutes before anyone answered.",
                "Waiting to reach an agent takes forever.",
                "The hotline queue is endless.",
                "Called twice and waited {n} minutes both times.",
            ],
            &[
                "Got through to an agent almost immediately.",
                "Hardly any waiting this time, thanks.",
                "Answered within a minute, pleasantly surprised.",
            ],
        ),
        (Ivr, Uk) => (
            &[
                "Голосове меню заплутане, не зрозуміло яку цифру натиснути.",
                "Робот тричі повертав мене в головне меню.",
                "Щоб дістатися до живої людини, треба пройти {n} кроків меню.",
            ],
            &[
                "Меню зрозуміле, швидко знайшов потрібний пункт.",
                "Голосовий помічник одразу зрозумів, що мені треба.",
            ],
        ),
        (Ivr, Ru) => (
            &[
                "Голосовое меню запутанное, непонятно что нажимать.",
                "Робот три раза возвращал меня в главное меню.",
                "Чтобы добраться до живого человека, нужно пройти {n} шагов меню.",
            ],
            &[
                "Меню понятное, быстро нашёл нужный пункт.",
                "Голосовой помощник сразу понял, что мне нужно.",
            ],
        ),
        (Ivr, En) => (
            &[
                "The phone menu is confusing, no idea which number to press.",
                "The robot sent me back to the main menu three times.",
                "It takes {n} menu steps to reach a human.",
            ],
            &[
                "The menu is clear, found the right option quickly.",
                "The voice assistant understood what I needed right away.",
            ],
        ),
        (Agent, Uk) => (
            &[
                "Оператор був неввічливий і перебивав.",
                "Консультант не знав відповіді і переводив мене {n} рази.",
                "Пообіцяли передзвонити і не передзвонили.",
            ],
            &[
                "Оператор Ірина все пояснила і вирішила питання за один дзвінок.",
                "Дуже ввічливий і компетентний консультант.",
                "Питання вирішили швидко і професійно, дякую оператору.",
            ],
        ),
        (Agent, Ru) => (
            &[
                "Оператор был невежлив и перебивал.",
                "Консультант не знал ответа и переводил меня {n} раза.",
                "Обещали перезвонить и не перезвонили.",
            ],
            &[
                "Оператор всё объяснил и решил вопрос за один звонок.",
                "Очень вежливый и грамотный специалист.",
                "Вопрос решили быстро и профессионально, спасибо.",
            ],
        ),
        (Agent, En) => (
            &[
                "The agent was rude and kept interrupting.",
                "The agent didn't know the answer and transferred me {n} times.",
                "They promised to call back and never did.",
            ],
            &[
                "The agent explained everything and solved it in one call.",
                "Very polite and knowledgeable staff.",
                "Sorted out quickly and professionally, thank you.",
            ],
        ),
        (App, Uk) => (
            &[
                "Після оновлення застосунок постійно вилітає.",
                "Не можу увійти в застосунок вже {n} дні.",
                "Нова версія додатку повільна і незручна.",
                "Застосунок зависає на оплаті, гроші списали двічі.",
            ],
            &[
                "Зручний застосунок, все видно одразу.",
                "У додатку легко поповнити рахунок і змінити тариф.",
                "Нова функція в застосунку дуже зручна.",
            ],
        ),
        (App, Ru) => (
            &[
                "После обновления приложение постоянно вылетает.",
                "Не могу войти в приложение уже {n} дня.",
                "Новая версия приложения медленная и неудобная.",
            ],
            &[
                "Удобное приложение, всё видно сразу.",
                "В приложении легко пополнить счёт и сменить тариф.",
            ],
        ),
        (App, En) => (
            &[
                "The app keeps crashing since the update.",
                "I haven't been able to log in to the app for {n} days.",
                "The new version of the app is slow and clunky.",
            ],
            &[
                "Handy app, everything is visible at a glance.",
                "Easy to top up and change my plan in the app.",
            ],
        ),
        (Billing, Uk) => (
            &[
                "Зняли {n} грн, а за що — незрозуміло.",
                "У рахунку з'явилися послуги, які я не підключав.",
                "Рахунок незрозумілий, не видно за що плачу.",
            ],
            &[
                "Рахунок прозорий, все зрозуміло.",
                "Поповнення зараховується миттєво.",
            ],
        ),
        (Billing, Ru) => (
            &[
                "Списали {n} грн, а за что — непонятно.",
                "В счёте появились услуги, которые я не подключал.",
                "Счёт непонятный, не видно за что плачу.",
            ],
            &[
                "Счёт прозрачный, всё понятно.",
                "Пополнение зачисляется мгновенно.",
            ],
        ),
        (Billing, En) => (
            &[
                "They charged me {n} UAH and I can't tell what for.",
                "My bill has services I never signed up for.",
                "The invoice is confusing, I can't see what I'm paying for.",
            ],
            &[
                "The bill is clear and transparent.",
                "Top-ups arrive instantly.",
            ],
        ),
        (Network, Uk) => (
            &[
                "Зв'язок постійно пропадає вдома.",
                "Мобільний інтернет ледве працює, швидкість {n} Мбіт/с.",
                "У метро взагалі немає покриття.",
            ],
            &[
                "Зв'язок стабільний навіть за містом.",
                "Швидкий інтернет, 4G скрізь де буваю.",
            ],
        ),
        (Network, Ru) => (
            &[
                "Связь постоянно пропадает дома.",
                "Мобильный интернет еле работает, скорость {n} Мбит/с.",
                "В метро вообще нет покрытия.",
            ],
            &[
                "Связь стабильная даже за городом.",
                "Быстрый интернет, 4G везде где бываю.",
            ],
        ),
        (Network, En) => (
            &[
                "The signal keeps dropping at home.",
                "Mobile data barely works, {n} Mbps at best.",
                "No coverage at all in the metro.",
            ],
            &[
                "Stable signal even outside the city.",
                "Fast internet, 4G everywhere I go.",
            ],
        ),
        (Store, Uk) => (
            &[
                "У магазині черга на {n} хвилин, працює одне віконце.",
                "Консультант у салоні не міг пояснити умови тарифу.",
            ],
            &[
                "У салоні все швидко оформили і налаштували телефон.",
                "Привітний консультант, допоміг обрати тариф.",
            ],
        ),
        (Store, Ru) => (
            &[
                "В магазине очередь на {n} минут, работает одно окно.",
                "Консультант в салоне не смог объяснить условия тарифа.",
            ],
            &[
                "В салоне всё быстро оформили и настроили телефон.",
                "Приветливый консультант, помог выбрать тариф.",
            ],
        ),
        (Store, En) => (
            &[
                "The store queue was {n} minutes long with one desk open.",
                "The store assistant couldn't explain the plan terms.",
            ],
            &[
                "The store set everything up quickly, phone included.",
                "Friendly assistant who helped me choose a plan.",
            ],
        ),
        (Delivery, Uk) => (
            &[
                "Доставка затрималася на {n} дні.",
                "Кур'єр не приїхав у призначений час.",
            ],
            &[
                "Доставили наступного дня, все ціле.",
                "Швидка доставка, кур'єр попередив заздалегідь.",
            ],
        ),
        (Delivery, Ru) => (
            &[
                "Доставка задержалась на {n} дня.",
                "Курьер не приехал в назначенное время.",
            ],
            &[
                "Доставили на следующий день, всё целое.",
                "Быстрая доставка, курьер предупредил заранее.",
            ],
        ),
        (Delivery, En) => (
            &[
                "Delivery was {n} days late.",
                "The courier didn't show up at the agreed time.",
            ],
            &[
                "Delivered the next day, all in one piece.",
                "Fast delivery, the courier called ahead.",
            ],
        ),
        (Price, Uk) => (
            &[
                "Тариф знову подорожчав, вже {n} грн на місяць.",
                "Дорого за таку якість.",
            ],
            &[
                "Ціна відповідає якості.",
                "Вигідний тариф для всієї родини.",
            ],
        ),
        (Price, Ru) => (
            &[
                "Тариф опять подорожал, уже {n} грн в месяц.",
                "Дорого за такое качество.",
            ],
            &[
                "Цена соответствует качеству.",
                "Выгодный тариф для всей семьи.",
            ],
        ),
        (Price, En) => (
            &[
                "My plan went up again, now {n} UAH a month.",
                "Too expensive for this quality.",
            ],
            &[
                "Fair price for the quality.",
                "Great value plan for the whole family.",
            ],
        ),
        (Chat, Uk) => (
            &[
                "У чаті відповідають шаблонами, бот не розуміє питання.",
                "Чекав відповіді в чаті {n} хвилин.",
            ],
            &[
                "У чаті відповіли за хвилину і все вирішили.",
                "Зручно, що можна написати в месенджер.",
            ],
        ),
        (Chat, Ru) => (
            &[
                "В чате отвечают шаблонами, бот не понимает вопрос.",
                "Ждал ответа в чате {n} минут.",
            ],
            &[
                "В чате ответили за минуту и всё решили.",
                "Удобно, что можно написать в мессенджер.",
            ],
        ),
        (Chat, En) => (
            &[
                "The chat gives canned answers, the bot doesn't get the question.",
                "Waited {n} minutes for a reply in the chat.",
            ],
            &[
                "The chat answered in a minute and fixed it.",
                "Handy that I can just message them.",
            ],
        ),
        (General, Uk) => (
            &[
                "Загалом сервіс погіршився за останній рік.",
                "Думаю перейти до іншого оператора.",
            ],
            &[
                "Користуюся вже {n} років, все влаштовує.",
                "Рекомендую друзям.",
            ],
        ),
        (General, Ru) => (
            &[
                "В целом сервис ухудшился за последний год.",
                "Думаю перейти к другому оператору.",
            ],
            &[
                "Пользуюсь уже {n} лет, всё устраивает.",
                "Рекомендую друзьям.",
            ],
        ),
        (General, En) => (
            &[
                "Overall the service has got worse this year.",
                "Thinking about switching to another provider.",
            ],
            &[
                "Been a customer for {n} years, happy with everything.",
                "I recommend them to friends.",
            ],
        ),
    }
}

fn openers(lang: Lang, negative: bool) -> &'static [&'static str] {
    match (lang, negative) {
        (Lang::Uk, true) => &[
            "Жахливо.",
            "Розчарований.",
            "Знову те саме.",
            "Ну що це таке?",
        ],
        (Lang::Uk, false) => &["Дякую!", "Все добре.", "Приємно вражений."],
        (Lang::Ru, true) => &["Ужасно.", "Разочарован.", "Опять то же самое."],
        (Lang::Ru, false) => &["Спасибо!", "Всё хорошо.", "Приятно удивлён."],
        (Lang::En, true) => &["Terrible.", "Disappointed.", "Same problem again."],
        (Lang::En, false) => &["Thanks!", "All good.", "Pleasantly surprised."],
    }
}

fn closers(lang: Lang, negative: bool) -> &'static [&'static str] {
    match (lang, negative) {
        (Lang::Uk, true) => &[
            "Виправте це нарешті!",
            "Якщо так і далі, піду до конкурентів.",
            "Дуже незадоволений.",
        ],
        (Lang::Uk, false) => &["Так тримати!", "Гарна робота.", "Дякую за сервіс."],
        (Lang::Ru, true) => &[
            "Исправьте это наконец!",
            "Если так продолжится, уйду к конкурентам.",
        ],
        (Lang::Ru, false) => &["Так держать!", "Спасибо за сервис."],
        (Lang::En, true) => &[
            "Please fix this!",
            "If this goes on I'm leaving.",
            "Very unhappy.",
        ],
        (Lang::En, false) => &["Keep it up!", "Good job.", "Thanks for the service."],
    }
}

fn fill(sentence: &str, rng: &mut Rng) -> String {
    if sentence.contains("{n}") {
        sentence.replace("{n}", &rng.range(2, 45).to_string())
    } else {
        sentence.to_owned()
    }
}

/// A comment on `theme` by someone whose NPS answer was `nps` (≤ 6 reads negative, ≥ 9 positive,
/// in between either way).
pub fn compose(theme: Theme, lang: Lang, nps: i16, rng: &mut Rng) -> String {
    let negative = match nps {
        0..=6 => true,
        9..=10 => false,
        _ => rng.chance(0.5),
    };
    let (neg, pos) = sentences(theme, lang);
    let pool = if negative { neg } else { pos };
    let mut parts = Vec::with_capacity(4);
    if rng.chance(0.3) {
        parts.push(rng.pick(openers(lang, negative)).to_string());
    }
    let sentence = *rng.pick::<&str>(pool);
    parts.push(fill(sentence, rng));
    if rng.chance(0.35) {
        // A second thought, often on another theme: real comments wander.
        let other = if rng.chance(0.5) {
            theme
        } else {
            *rng.pick(&[Theme::Price, Theme::Network, Theme::General, Theme::App])
        };
        let (neg, pos) = sentences(other, lang);
        let sentence = *rng.pick::<&str>(if negative { neg } else { pos });
        let second = fill(sentence, rng);
        if !parts.contains(&second) {
            parts.push(second);
        }
    }
    if rng.chance(0.3) {
        parts.push(rng.pick(closers(lang, negative)).to_string());
    }
    parts.join(" ")
}
